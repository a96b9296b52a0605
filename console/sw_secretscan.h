/*  sw_secretscan - `sweepctl secrets PATH...`: the secrets detector over
    local files and folders, in-process, on several threads.

    Binary files (a NUL in the first 8 KiB) and files over max_size are
    skipped and counted. Findings carry the rule, file, line, column, the
    masked preview and the keyed fingerprint; never the secret. */
#ifndef SW_SECRETSCAN_H
#define SW_SECRETSCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *rules;    //  rules/secrets folder or one file
    const char *key_file; //  fingerprint key: 64 hex digits, mode 0600; NULL: a per-run key
    const char *format;   //  "table" or "json"
    const char *fail_on;  //  severity, or NULL
    const char *output;   //  file, or NULL for stdout
    size_t max_size;      //  bytes; larger files are skipped
    int jobs;             //  threads
    bool history;         //  each path is a git repository: scan every blob of its history
} sw_secretscan_opts_t;

//  Returns the process exit code: 0, 1 when a finding reaches fail_on, 2
//  when the rules, the key or a path cannot be used.
int sw_secretscan_run (char **paths, size_t npaths, const sw_secretscan_opts_t *opts);

#endif
