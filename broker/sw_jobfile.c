/*  sw_jobfile - job file parser.

    Job files come from admins but are still untrusted input to the broker, so
    parsing runs in two passes. The first streams libyaml events and enforces
    the limits that protect the second (nesting depth, anchors and aliases,
    a single document); only then is the document composed into a node tree,
    which is walked against the schema. Aliases can make the tree a graph, but
    the walk follows the schema, which is at most four levels deep, so a cycle
    just ends in a type error. */
#include "sw_jobfile.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <inttypes.h>

#include "sw_proto.h"

typedef struct {
    yaml_document_t *doc;
    const char *source;
    char *err;
    size_t errlen;
    size_t total_hosts;
} s_ctx_t;

static void s_error_at (s_ctx_t *ctx, size_t line, size_t column, const char *path, const char *fmt,
                        ...) __attribute__ ((format (printf, 5, 6)));

//  Formats "source:line:col: path: message" from a 0-based libyaml position.
static void s_error_at (s_ctx_t *ctx, size_t line, size_t column, const char *path, const char *fmt,
                        ...)
{
    if (!ctx->err || ctx->errlen == 0)
        return;
    char message[256];
    va_list args;
    va_start (args, fmt);
    vsnprintf (message, sizeof message, fmt, args);
    va_end (args);
    snprintf (ctx->err, ctx->errlen, "%s:%zu:%zu: %s%s%s", ctx->source, line + 1, column + 1,
              path && *path ? path : "", path && *path ? ": " : "", message);
}

#define s_error(ctx, node, path, ...)                                                              \
    s_error_at ((ctx), (node)->start_mark.line, (node)->start_mark.column, (path), __VA_ARGS__)

//  Copies a scalar for a message: printable ASCII only, at most 40 chars, so
//  hostile input cannot put escape sequences on an admin's terminal.
static const char *s_show (const yaml_node_t *node, char *buf, size_t size)
{
    const unsigned char *value = node->data.scalar.value;
    size_t length = node->data.scalar.length;
    size_t out = 0;
    for (size_t i = 0; i < length && out + 4 < size; i++) {
        if (out >= 40) {
            memcpy (buf + out, "...", 3);
            out += 3;
            break;
        }
        buf[out++] = (value[i] >= 0x20 && value[i] < 0x7f) ? (char)value[i] : '?';
    }
    buf[out] = 0;
    return buf;
}

static const char *s_kind (const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

//  Explicit tags (!!int, !custom) would change a value's meaning behind our
//  back; only the defaults libyaml assigns to untagged nodes are accepted.
static int s_check_tag (s_ctx_t *ctx, const yaml_node_t *node, const char *path)
{
    const char *expected = node->type == YAML_SCALAR_NODE     ? YAML_DEFAULT_SCALAR_TAG
                           : node->type == YAML_SEQUENCE_NODE ? YAML_DEFAULT_SEQUENCE_TAG
                                                              : YAML_DEFAULT_MAPPING_TAG;
    if (node->tag && strcmp ((const char *)node->tag, expected) != 0) {
        s_error (ctx, node, path, "explicit YAML tags are not supported");
        return -1;
    }
    return 0;
}

static bool s_is_null (const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    //  The YAML core schema's spellings of null
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (node->data.scalar.length == strlen (nulls[i]) &&
            memcmp (node->data.scalar.value, nulls[i], node->data.scalar.length) == 0)
            return true;
    return false;
}

//  ------------------------------------------------------------------------
//  Scalars

//  Copies a non-empty, non-null string scalar of at most max bytes.
static int s_string (s_ctx_t *ctx, yaml_node_t *node, const char *path, size_t max, char **out)
{
    if (s_check_tag (ctx, node, path))
        return -1;
    if (node->type != YAML_SCALAR_NODE || s_is_null (node)) {
        s_error (ctx, node, path, "expected a string, found %s",
                 node->type == YAML_SCALAR_NODE ? "null" : s_kind (node));
        return -1;
    }
    size_t length = node->data.scalar.length;
    if (length == 0) {
        s_error (ctx, node, path, "must not be empty");
        return -1;
    }
    if (length > max) {
        s_error (ctx, node, path, "longer than %zu characters", max);
        return -1;
    }
    //  A "\0" escape would silently cut the C string short
    if (memchr (node->data.scalar.value, 0, length)) {
        s_error (ctx, node, path, "contains a NUL character");
        return -1;
    }
    *out = strndup ((const char *)node->data.scalar.value, length);
    if (!*out) {
        s_error (ctx, node, path, "out of memory");
        return -1;
    }
    return 0;
}

//  Parses a plain decimal integer scalar within min..max.
static int s_uint (s_ctx_t *ctx, yaml_node_t *node, const char *path, uint32_t min, uint32_t max,
                   uint32_t *out)
{
    if (s_check_tag (ctx, node, path))
        return -1;
    const unsigned char *value = node->data.scalar.value;
    size_t length = node->type == YAML_SCALAR_NODE ? node->data.scalar.length : 0;
    bool digits = node->type == YAML_SCALAR_NODE &&
                  node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && length > 0;
    uint64_t number = 0;
    for (size_t i = 0; digits && i < length; i++) {
        if (value[i] < '0' || value[i] > '9')
            digits = false;
        else if (number <= UINT32_MAX)
            number = number * 10 + (uint64_t)(value[i] - '0');
    }
    if (!digits) {
        s_error (ctx, node, path, "expected an integer");
        return -1;
    }
    if (number < min || number > max) {
        char shown[48];
        s_error (ctx, node, path, "%s is out of range %u..%u", s_show (node, shown, sizeof shown),
                 min, max);
        return -1;
    }
    *out = (uint32_t)number;
    return 0;
}

static bool s_is_name_char (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

//  Copies a string and checks every char is a name char (or space if allowed).
static int s_name (s_ctx_t *ctx, yaml_node_t *node, const char *path, size_t max, bool spaces,
                   char **out)
{
    if (s_string (ctx, node, path, max, out))
        return -1;
    for (const char *c = *out; *c; c++)
        if (!s_is_name_char (*c) && !(spaces && *c == ' ')) {
            s_error (ctx, node, path, "only letters, digits and '.', '_', '-'%s are allowed",
                     spaces ? ", ' '" : "");
            free (*out);
            *out = NULL;
            return -1;
        }
    return 0;
}

//  Copies a list of 1..max strings into a NULL-terminated array.
static int s_string_list (s_ctx_t *ctx, yaml_node_t *node, const char *path, size_t max,
                          size_t max_string, char ***out, size_t *count)
{
    if (s_check_tag (ctx, node, path))
        return -1;
    if (node->type != YAML_SEQUENCE_NODE) {
        s_error (ctx, node, path, "expected a list of strings, found %s", s_kind (node));
        return -1;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (n == 0 || n > max) {
        s_error (ctx, node, path, "must list 1..%zu entries, not %zu", max, n);
        return -1;
    }
    *out = calloc (n + 1, sizeof (char *));
    if (!*out) {
        s_error (ctx, node, path, "out of memory");
        return -1;
    }
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node (ctx->doc, node->data.sequence.items.start[i]);
        char item_path[96];
        snprintf (item_path, sizeof item_path, "%s[%zu]", path, i);
        if (!item || s_string (ctx, item, item_path, max_string, &(*out)[i]))
            return -1; //  caller frees what was copied
        (*count)++;
    }
    return 0;
}

//  ------------------------------------------------------------------------
//  Mappings

//  Matches a mapping key against keys[]; returns its index, or -1 with an
//  error for a non-string, unknown or (per *seen) duplicate key.
static int s_key (s_ctx_t *ctx, yaml_node_t *key, const char *path, const char *const *keys,
                  size_t nkeys, uint32_t *seen)
{
    char shown[48];
    if (s_check_tag (ctx, key, path))
        return -1;
    if (key->type != YAML_SCALAR_NODE) {
        s_error (ctx, key, path, "expected a key, found %s", s_kind (key));
        return -1;
    }
    for (size_t i = 0; i < nkeys; i++) {
        if (key->data.scalar.length == strlen (keys[i]) &&
            memcmp (key->data.scalar.value, keys[i], key->data.scalar.length) == 0) {
            if (*seen & (1u << i)) {
                s_error (ctx, key, path, "duplicate key '%s'", keys[i]);
                return -1;
            }
            *seen |= 1u << i;
            return (int)i;
        }
    }
    s_error (ctx, key, path, "unknown key '%s'", s_show (key, shown, sizeof shown));
    return -1;
}

static int s_missing (s_ctx_t *ctx, yaml_node_t *map, const char *path, uint32_t seen,
                      const char *const *keys, uint32_t required)
{
    for (size_t i = 0; i < 32 && keys[i]; i++)
        if ((required & (1u << i)) && !(seen & (1u << i))) {
            s_error (ctx, map, path, "missing required key '%s'", keys[i]);
            return -1;
        }
    return 0;
}

//  One entry of a posture target's `files`: {name, hash, size}.
static int s_file (s_ctx_t *ctx, yaml_node_t *node, const char *path, sw_job_file_t *file)
{
    static const char *const keys[] = {"name", "hash", "size", NULL};
    if (node->type != YAML_MAPPING_NODE) {
        s_error (ctx, node, path, "expected a mapping {name, hash, size}, found %s", s_kind (node));
        return -1;
    }
    uint32_t seen = 0;
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_document_get_node (ctx->doc, pair->key);
        yaml_node_t *value = yaml_document_get_node (ctx->doc, pair->value);
        int which = key && value ? s_key (ctx, key, path, keys, 3, &seen) : -1;
        char *text = NULL;
        if (which < 0)
            return -1;
        if (which == 0 && s_string (ctx, value, path, SW_JOBFILE_MAX_PATH, &file->name))
            return -1;
        if (which == 1) {
            if (s_string (ctx, value, path, SW_BLOB_HEX_LEN, &text) || !sw_blob_hash_valid (text)) {
                if (text)
                    s_error (ctx, value, path, "hash must be %d lower-case hex digits",
                             SW_BLOB_HEX_LEN);
                free (text);
                return -1;
            }
            memcpy (file->hash, text, SW_BLOB_HEX_LEN + 1);
            free (text);
        }
        if (which == 2) {
            uint32_t size;
            if (s_uint (ctx, value, path, 0, SW_JOBFILE_MAX_FILE_SIZE, &size))
                return -1;
            file->size = size;
        }
    }
    return s_missing (ctx, node, path, seen, keys, 7);
}

static int s_files (s_ctx_t *ctx, yaml_node_t *node, const char *path, sw_job_target_t *target)
{
    if (s_check_tag (ctx, node, path))
        return -1;
    size_t n = node->type == YAML_SEQUENCE_NODE
                   ? (size_t)(node->data.sequence.items.top - node->data.sequence.items.start)
                   : 0;
    if (n == 0 || n > SW_JOBFILE_MAX_FILES) {
        s_error (ctx, node, path, "expected a list of 1..%d files", SW_JOBFILE_MAX_FILES);
        return -1;
    }
    target->files = calloc (n, sizeof (sw_job_file_t));
    if (!target->files)
        return -1;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node (ctx->doc, node->data.sequence.items.start[i]);
        char item_path[128];
        snprintf (item_path, sizeof item_path, "%s[%zu]", path, i);
        target->nfiles++;
        if (!item || s_file (ctx, item, item_path, &target->files[i]))
            return -1;
    }
    return 0;
}

enum {
    T_SCANNER,
    T_HOSTS,
    T_PORTS,
    T_SHARD_PORTS,
    T_PATHS,
    T_FILES,
    T_HOST,
    T_HISTORY,
    T_SHARDS,
    T_COUNT
};
static const char *const s_target_keys[] = {"scanner", "hosts", "ports",   "shard_ports", "paths",
                                            "files",   "host",  "history", "shards",      NULL};

//  A plain true or false.
static int s_bool (s_ctx_t *ctx, yaml_node_t *node, const char *path, bool *out)
{
    const char *v = node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : "";
    if (node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (strcmp (v, "true") == 0 || strcmp (v, "false") == 0)) {
        *out = v[0] == 't';
        return 0;
    }
    s_error (ctx, node, path, "expected true or false");
    return -1;
}

static int s_target (s_ctx_t *ctx, yaml_node_t *node, const char *path, sw_job_target_t *target)
{
    target->shard_ports = SW_JOBFILE_DEFAULT_SHARD_PORTS;
    target->line = (int)node->start_mark.line + 1;
    if (s_check_tag (ctx, node, path))
        return -1;
    if (node->type != YAML_MAPPING_NODE) {
        s_error (ctx, node, path, "expected a mapping, found %s", s_kind (node));
        return -1;
    }
    uint32_t seen = 0;
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_document_get_node (ctx->doc, pair->key);
        yaml_node_t *value = yaml_document_get_node (ctx->doc, pair->value);
        if (!key || !value)
            return -1;
        int which = s_key (ctx, key, path, s_target_keys, T_COUNT, &seen);
        char value_path[96];
        snprintf (value_path, sizeof value_path, "%s.%s", path,
                  which >= 0 ? s_target_keys[which] : "");
        int rc = -1;
        switch (which) {
        case T_SCANNER:
            rc = s_name (ctx, value, value_path, 64, false, &target->scanner);
            break;
        case T_HOSTS:
            rc = s_string_list (ctx, value, value_path, SW_JOBFILE_MAX_HOSTS, SW_JOBFILE_MAX_STRING,
                                &target->hosts, &target->nhosts);
            //  Aliases can repeat a host list; bound what the planner gets
            ctx->total_hosts += target->nhosts;
            if (rc == 0 && ctx->total_hosts > SW_JOBFILE_MAX_TOTAL_HOSTS) {
                s_error (ctx, value, value_path, "more than %d hosts in the whole job",
                         SW_JOBFILE_MAX_TOTAL_HOSTS);
                rc = -1;
            }
            break;
        case T_PORTS:
            //  A plain int such as 22 is a scalar too; its text is kept as is
            rc = s_string (ctx, value, value_path, SW_JOBFILE_MAX_PORTS_TEXT, &target->ports);
            break;
        case T_SHARD_PORTS:
            rc = s_uint (ctx, value, value_path, 1, 65535, &target->shard_ports);
            break;
        case T_PATHS:
            rc = s_string_list (ctx, value, value_path, SW_JOBFILE_MAX_PATHS, SW_JOBFILE_MAX_PATH,
                                &target->paths, &target->npaths);
            break;
        case T_FILES:
            rc = s_files (ctx, value, value_path, target);
            break;
        case T_HOST:
            rc = s_bool (ctx, value, value_path, &target->host);
            break;
        case T_HISTORY:
            rc = s_bool (ctx, value, value_path, &target->history);
            break;
        case T_SHARDS:
            rc = s_uint (ctx, value, value_path, 1, SW_JOBFILE_MAX_HISTORY_SHARDS, &target->shards);
            break;
        }
        if (rc)
            return -1;
    }
    uint32_t required = 1u << T_SCANNER;
    if ((seen & (1u << T_SCANNER)) &&
        (strcmp (target->scanner, "tcp") == 0 || strcmp (target->scanner, "net") == 0))
        required |= (1u << T_HOSTS) | (1u << T_PORTS);
    if ((seen & (1u << T_SCANNER)) && sw_scanner_takes_files (target->scanner) &&
        !(seen & ((1u << T_PATHS) | (1u << T_FILES))) && !target->host) {
        s_error (ctx, node, path, "a %s target needs 'paths'%s", target->scanner,
                 strcmp (target->scanner, "packages") == 0 ? " or 'host: true'" : "");
        return -1;
    }
    bool secrets = (seen & (1u << T_SCANNER)) && strcmp (target->scanner, "secrets") == 0;
    if (target->history && !secrets) {
        s_error (ctx, node, path, "'history' is for secrets targets (git repositories)");
        return -1;
    }
    if ((seen & (1u << T_SHARDS)) && !target->history) {
        s_error (ctx, node, path, "'shards' needs 'history: true' (a history's parts)");
        return -1;
    }
    return s_missing (ctx, node, path, seen, s_target_keys, required);
}

enum { J_NAME, J_SCOPE, J_LEASE_MS, J_MAX_ATTEMPTS, J_TARGETS, J_COUNT };
static const char *const s_job_keys[] = {"name",         "scope",   "lease_ms",
                                         "max_attempts", "targets", NULL};

static int s_targets (s_ctx_t *ctx, yaml_node_t *node, sw_jobfile_t *job)
{
    const char *path = "targets";
    if (s_check_tag (ctx, node, path))
        return -1;
    if (node->type != YAML_SEQUENCE_NODE) {
        s_error (ctx, node, path, "expected a list of targets, found %s", s_kind (node));
        return -1;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (n == 0 || n > SW_JOBFILE_MAX_TARGETS) {
        s_error (ctx, node, path, "must list 1..%d targets, not %zu", SW_JOBFILE_MAX_TARGETS, n);
        return -1;
    }
    job->targets = calloc (n, sizeof (sw_job_target_t));
    if (!job->targets) {
        s_error (ctx, node, path, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node (ctx->doc, node->data.sequence.items.start[i]);
        char item_path[32];
        snprintf (item_path, sizeof item_path, "targets[%zu]", i);
        job->ntargets++; //  counted first, so destroy frees a half-filled target
        if (!item || s_target (ctx, item, item_path, &job->targets[i]))
            return -1;
    }
    return 0;
}

static int s_job (s_ctx_t *ctx, yaml_node_t *root, sw_jobfile_t *job)
{
    if (s_check_tag (ctx, root, ""))
        return -1;
    if (root->type != YAML_MAPPING_NODE) {
        s_error (ctx, root, "", "expected a mapping of job settings, found %s", s_kind (root));
        return -1;
    }
    uint32_t seen = 0;
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_document_get_node (ctx->doc, pair->key);
        yaml_node_t *value = yaml_document_get_node (ctx->doc, pair->value);
        if (!key || !value)
            return -1;
        int rc = -1;
        switch (s_key (ctx, key, "", s_job_keys, J_COUNT, &seen)) {
        case J_NAME:
            rc = s_name (ctx, value, "name", 128, true, &job->name);
            break;
        case J_SCOPE:
            rc = s_string_list (ctx, value, "scope", SW_JOBFILE_MAX_SCOPE, SW_JOBFILE_MAX_STRING,
                                &job->scope, &job->nscope);
            break;
        case J_LEASE_MS:
            rc = s_uint (ctx, value, "lease_ms", 1000, 600000, &job->lease_ms);
            break;
        case J_MAX_ATTEMPTS:
            rc = s_uint (ctx, value, "max_attempts", 1, 20, &job->max_attempts);
            break;
        case J_TARGETS:
            rc = s_targets (ctx, value, job);
            break;
        }
        if (rc)
            return -1;
    }
    return s_missing (ctx, root, "", seen, s_job_keys, (1u << J_NAME) | (1u << J_TARGETS));
}

//  ------------------------------------------------------------------------
//  libyaml errors and the event pre-pass

static void s_parser_error (s_ctx_t *ctx, yaml_parser_t *parser, const char *text, size_t len)
{
    const char *problem = parser->problem ? parser->problem : "invalid YAML";
    if (parser->error == YAML_MEMORY_ERROR) {
        snprintf (ctx->err, ctx->errlen, "%s: out of memory", ctx->source);
        return;
    }
    if (parser->error == YAML_READER_ERROR) {
        //  Reader errors carry a byte offset, not a mark
        size_t line = 0, column = 0;
        for (size_t i = 0; i < parser->problem_offset && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                column = 0;
            } else if (((unsigned char)text[i] & 0xC0) != 0x80)
                column++;
        }
        s_error_at (ctx, line, column, "", "%s", problem);
        return;
    }
    if (parser->context)
        s_error_at (ctx, parser->problem_mark.line, parser->problem_mark.column, "", "%s %s",
                    problem, parser->context);
    else
        s_error_at (ctx, parser->problem_mark.line, parser->problem_mark.column, "", "%s", problem);
}

static int s_prepass (s_ctx_t *ctx, const char *text, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize (&parser)) {
        snprintf (ctx->err, ctx->errlen, "%s: out of memory", ctx->source);
        return -1;
    }
    yaml_parser_set_input_string (&parser, (const unsigned char *)text, len);
    int rc = -1;
    int depth = 0, documents = 0, anchors = 0, aliases = 0;
    bool done = false;
    while (!done) {
        yaml_event_t event;
        if (!yaml_parser_parse (&parser, &event)) {
            s_parser_error (ctx, &parser, text, len);
            break;
        }
        const yaml_mark_t *mark = &event.start_mark;
        const yaml_char_t *anchor = NULL;
        const char *problem = NULL;
        switch (event.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1)
                problem = "only one YAML document is allowed";
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            anchor = event.type == YAML_SEQUENCE_START_EVENT ? event.data.sequence_start.anchor
                                                             : event.data.mapping_start.anchor;
            if (++depth > SW_JOBFILE_MAX_DEPTH)
                problem = "nesting deeper than 16 levels";
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_SCALAR_EVENT:
            anchor = event.data.scalar.anchor;
            break;
        case YAML_ALIAS_EVENT:
            if (++aliases > SW_JOBFILE_MAX_ALIASES)
                problem = "too many aliases";
            break;
        default:
            break;
        }
        if (anchor && ++anchors > SW_JOBFILE_MAX_ALIASES)
            problem = "too many anchors";
        if (problem)
            s_error_at (ctx, mark->line, mark->column, "", "%s", problem);
        yaml_event_delete (&event);
        if (problem)
            break;
    }
    if (done) {
        if (documents == 0)
            s_error_at (ctx, 0, 0, "", "empty job file");
        else
            rc = 0;
    }
    yaml_parser_delete (&parser);
    return rc;
}

//  ------------------------------------------------------------------------

sw_jobfile_t *sw_jobfile_parse (const char *text, size_t len, const char *source, char *err,
                                size_t errlen)
{
    char dummy[1];
    s_ctx_t ctx = {.source = source ? source : "<job>",
                   .err = err && errlen ? err : dummy,
                   .errlen = err && errlen ? errlen : sizeof dummy};
    if (!text && len > 0) {
        snprintf (ctx.err, ctx.errlen, "%s: no text", ctx.source);
        return NULL;
    }
    if (len > SW_JOBFILE_MAX_TEXT) {
        snprintf (ctx.err, ctx.errlen, "%s: job file is %zu bytes; the limit is %d", ctx.source,
                  len, SW_JOBFILE_MAX_TEXT);
        return NULL;
    }
    if (s_prepass (&ctx, text ? text : "", len))
        return NULL;

    sw_jobfile_t *job = calloc (1, sizeof *job);
    yaml_parser_t parser;
    yaml_document_t doc;
    bool have_parser = false, have_doc = false;
    int rc = -1;
    if (!job) {
        snprintf (ctx.err, ctx.errlen, "%s: out of memory", ctx.source);
        goto cleanup;
    }
    job->lease_ms = SW_JOBFILE_DEFAULT_LEASE_MS;
    job->max_attempts = SW_JOBFILE_DEFAULT_MAX_ATTEMPTS;
    if (!yaml_parser_initialize (&parser)) {
        snprintf (ctx.err, ctx.errlen, "%s: out of memory", ctx.source);
        goto cleanup;
    }
    have_parser = true;
    yaml_parser_set_input_string (&parser, (const unsigned char *)(text ? text : ""), len);
    if (!yaml_parser_load (&parser, &doc)) {
        s_parser_error (&ctx, &parser, text, len);
        goto cleanup;
    }
    have_doc = true;
    ctx.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node (&doc);
    if (!root) {
        s_error_at (&ctx, 0, 0, "", "empty job file");
        goto cleanup;
    }
    rc = s_job (&ctx, root, job);
cleanup:
    if (have_doc)
        yaml_document_delete (&doc);
    if (have_parser)
        yaml_parser_delete (&parser);
    if (rc)
        sw_jobfile_destroy (&job);
    return job;
}

//  Lists are filled in order and NULL-terminated, so a half-filled one frees too.
static void s_free_list (char **list)
{
    if (!list)
        return;
    for (size_t i = 0; list[i]; i++)
        free (list[i]);
    free (list);
}

void sw_jobfile_destroy (sw_jobfile_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_jobfile_t *self = *self_p;
    free (self->name);
    s_free_list (self->scope);
    for (size_t i = 0; i < self->ntargets; i++) {
        free (self->targets[i].scanner);
        s_free_list (self->targets[i].hosts);
        free (self->targets[i].ports);
        s_free_list (self->targets[i].paths);
        for (size_t f = 0; f < self->targets[i].nfiles; f++)
            free (self->targets[i].files[f].name);
        free (self->targets[i].files);
    }
    free (self->targets);
    free (self);
    *self_p = NULL;
}

static void s_json_list (FILE *out, const char *key, char **list, size_t n)
{
    fprintf (out, ", \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        fputs (i ? ", " : "", out);
        sw_json_string (out, list[i]);
    }
    fputs ("]", out);
}

void sw_jobfile_write_json (const sw_jobfile_t *job, FILE *out)
{
    fputs ("{\"name\": ", out);
    sw_json_string (out, job->name);
    if (job->scope)
        s_json_list (out, "scope", job->scope, job->nscope);
    fprintf (out, ", \"lease_ms\": %u, \"max_attempts\": %u, \"targets\": [", job->lease_ms,
             job->max_attempts);
    for (size_t i = 0; i < job->ntargets; i++) {
        const sw_job_target_t *t = &job->targets[i];
        fputs (i ? ",\n  {\"scanner\": " : "\n  {\"scanner\": ", out);
        sw_json_string (out, t->scanner);
        if (t->hosts)
            s_json_list (out, "hosts", t->hosts, t->nhosts);
        if (t->ports) {
            fputs (", \"ports\": ", out);
            sw_json_string (out, t->ports);
        }
        if (t->hosts)
            fprintf (out, ", \"shard_ports\": %u", t->shard_ports);
        if (t->paths)
            s_json_list (out, "paths", t->paths, t->npaths);
        if (t->host)
            fputs (", \"host\": true", out);
        if (t->history)
            fprintf (out, ", \"history\": true, \"shards\": %u", t->shards);
        if (t->files) {
            fputs (", \"files\": [", out);
            for (size_t f = 0; f < t->nfiles; f++) {
                fputs (f ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
                sw_json_string (out, t->files[f].name);
                fprintf (out, ", \"hash\": \"%s\", \"size\": %" PRIu64 "}", t->files[f].hash,
                         t->files[f].size);
            }
            fputs ("]", out);
        }
        fputs ("}", out);
    }
    fputs ("\n]}\n", out);
}
