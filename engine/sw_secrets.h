/*  sw_secrets - the leaked-secrets detector.

    Rules are data: YAML files, one rule per document (docs/secrets.md has
    the format). Every rule's pattern goes into one Hyperscan database,
    compiled in prefilter mode, for the single pass over a file; each hit
    is then confirmed on a small window around it by the rule's PCRE2
    pattern (JIT), which also extracts the secret (a capture group). A
    confirmed secret must contain one of the rule's keywords within its
    line when the rule has keywords, reach the rule's Shannon-entropy
    threshold when it has one, and match none of its allow patterns; a
    file whose path matches one of a rule's allow_paths is not checked
    against that rule. One secret at one offset is one hit, however many
    times the prefilter fired on it.

    The clear secret never leaves sw_secrets_scan: a hit carries a masked
    preview (a few leading characters) and a keyed BLAKE2b-256 fingerprint,
    so that the same secret is recognised across files and runs by whoever
    holds the key, and by nobody else. */
#ifndef SW_SECRETS_H
#define SW_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SW_SECRETS_KEY_LEN     32
#define SW_SECRETS_PREVIEW_MAX 32
#define SW_SECRETS_WINDOW      1024 //  bytes before a hit that a match may start in

//  How the cluster cuts a secrets target into shards: runs of files up to
//  this many bytes or files, or a git history into this many parts.
#define SW_SECRETS_SHARD_BYTES   (64u * 1024 * 1024)
#define SW_SECRETS_SHARD_FILES   2000
#define SW_SECRETS_HISTORY_PARTS 4
#define SW_SECRETS_MAX_FILE      (16u * 1024 * 1024) //  larger files are skipped and counted

typedef struct _sw_secrets_t sw_secrets_t;
typedef struct _sw_secrets_scratch_t sw_secrets_scratch_t;

//  Loads every *.yaml file directly in DIR, or the one file PATH. Each rule
//  is validated (an unknown key, a bad pattern, a missing field is an
//  error naming file, line and column) and its own tests run (every rule
//  ships at least one `match` and one `no_match` example). Returns NULL
//  with err on the first problem.
sw_secrets_t *sw_secrets_load (const char *path, char *err, size_t errlen);

//  The same from text (NAME is used in messages), for tests.
sw_secrets_t *sw_secrets_load_text (const char *name, const char *text, size_t len, char *err,
                                    size_t errlen);

//  The same from N texts at once (NAMES are used in messages); a rule
//  bundle carries its secrets rules this way.
sw_secrets_t *sw_secrets_load_texts (size_t n, const char *const *names, const char *const *texts,
                                     const size_t *lens, char *err, size_t errlen);

//  The rule files sw_secrets_load reads for PATH (every *.yaml directly in
//  a folder, in name order, or the one file): malloc'd paths in *NAMES.
//  Returns their number, or -1 with err.
long sw_secrets_rule_files (const char *path, char ***names, char *err, size_t errlen);
void sw_secrets_rule_files_free (char **names, long n);

void sw_secrets_destroy (sw_secrets_t **self_p);

//  How many rules were loaded.
size_t sw_secrets_count (const sw_secrets_t *self);

//  The id of rule I (for listings).
const char *sw_secrets_rule_id (const sw_secrets_t *self, size_t i);

//  Per-thread working memory for scans with SELF. NULL on failure.
sw_secrets_scratch_t *sw_secrets_scratch_new (const sw_secrets_t *self);
void sw_secrets_scratch_destroy (sw_secrets_scratch_t **scratch_p);

typedef struct {
    const char *rule;     //  the rule's id
    const char *title;    //  its description
    const char *severity; //  info, low, medium, high, critical
    uint64_t offset;      //  of the secret's first byte in the buffer
    uint32_t line, col;   //  1-based, col in bytes
    size_t length;        //  of the secret
    char preview[SW_SECRETS_PREVIEW_MAX + 1];
    char fingerprint[65]; //  keyed BLAKE2b-256 of the secret, hex
} sw_secret_hit_t;

//  Called once per hit, after the buffer has been scanned; a non-zero
//  return stops the reporting. A hit of a rule marked `generic` is left
//  out where a specific rule found a secret overlapping it.
typedef int (sw_secret_fn) (void *arg, const sw_secret_hit_t *hit);

//  Scans LEN bytes (a file's content; PATH is matched against allow_paths
//  and may be NULL) and calls FN for every secret found. KEY keys the
//  fingerprints. Returns the number of hits, or -1 with err (a callback
//  that stopped the scan is not an error: its hits so far are counted).
long sw_secrets_scan (const sw_secrets_t *self, sw_secrets_scratch_t *scratch, const char *path,
                      const char *buf, size_t len, const uint8_t key[SW_SECRETS_KEY_LEN],
                      sw_secret_fn *fn, void *arg, char *err, size_t errlen);

//  Runs every rule's examples: each `match` example must give a hit of
//  that rule, each `no_match` example none. Writes one line per failure
//  to OUT (when not NULL). Returns the number of failures (0: all pass),
//  or -1 with err.
int sw_secrets_selftest (const sw_secrets_t *self, FILE *out, char *err, size_t errlen);

//  Shannon entropy of LEN bytes, in bits per byte.
double sw_secrets_entropy (const char *s, size_t len);

//  Writes the masked preview of a secret: up to 4 leading characters
//  (none for a secret under 10 characters, 2 under 20) and one '*' per
//  hidden character, at most SW_SECRETS_PREVIEW_MAX characters in all.
void sw_secrets_mask (const char *secret, size_t len, char out[SW_SECRETS_PREVIEW_MAX + 1]);

//  True when BUF looks binary (a NUL byte in its first 8 KiB).
bool sw_secrets_is_binary (const char *buf, size_t len);

#endif
