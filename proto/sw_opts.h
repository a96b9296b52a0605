/*  sw_opts - command-line flags and config files for the three programs.

    Each program declares one table of options; the same names work as
    `--name value`, `--name=value` and as `name = value` lines in a config
    file (`--config FILE`), so flags and config cannot drift apart.
    Command-line flags win over the config file. */
#ifndef SW_OPTS_H
#define SW_OPTS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { SW_OPT_STR, SW_OPT_INT, SW_OPT_FLAG } sw_opt_type_t;

typedef struct {
    const char *name; //  long name without dashes
    sw_opt_type_t type;
    void *value;  //  char ** (SW_OPT_STR), int * (SW_OPT_INT), bool * (SW_OPT_FLAG)
    int min, max; //  range for SW_OPT_INT
    const char *help;
} sw_opt_t;

//  Parses argv[first..argc) against opts (terminated by an entry with a
//  NULL name). Non-option arguments are collected, in order, into
//  positional (at most *npositional, which is updated). `--help` sets
//  *help. `--config FILE` loads FILE first. Strings are owned by the
//  caller afterwards (strdup'd; defaults may be literals, so call
//  sw_opts_free only on what parsing set). Returns 0, or -1 after printing
//  a message naming the option and what is wrong to stderr.
int sw_opts_parse (sw_opt_t *opts, int argc, char **argv, int first, char **positional,
                   int *npositional, bool *help);

//  Prints an options table (for --help) to stdout.
void sw_opts_usage (const sw_opt_t *opts);

#endif
