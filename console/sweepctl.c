/*  sweepctl - the cloudsweep admin console.

    Talks to the broker's admin endpoint over CURVE REQ (sw_client) and
    manages key directories locally. Every command takes --help and
    --json. Exit codes: 0 ok; 1 findings reached --fail-on; 2 usage error
    or the broker refused the request; 3 the broker did not answer;
    4 the job ended without full coverage (failed shards or cancelled). */
#include <czmq.h>
#include <signal.h>
#include <inttypes.h>
#include <sodium.h>
#include <unistd.h>

#include "sw_bundle.h"
#include "sw_check.h"
#include "sw_netlocal.h"
#include "sw_secrets.h"
#include "sw_secretscan.h"
#include "sw_client.h"
#include "sw_keys.h"
#include "sw_opts.h"
#include "sw_osv.h"
#include "sw_packages.h"
#include "sw_proto.h"
#include "sw_upload.h"

#define EXIT_GATE        1
#define EXIT_USAGE       2
#define EXIT_UNREACHABLE 3
#define EXIT_INCOMPLETE  4

typedef struct {
    char *broker, *keys, *broker_key, *cert, *fail_on, *format, *output, *rules, *advisories,
        *version, *key, *fingerprint_key, *ports, *scope, *tls_ca, *scan_method;
    int timeout_ms, retries, nodes, interval_ms, limit, jobs, max_file_mb, probe_timeout_ms;
    int wait_ms; //  watch: how long the broker may hold a JOB request
    bool json, wait, update, replace, history;
    sw_client_t *client;
} ctl_t;

static ctl_t s_ctl = {.timeout_ms = 3000,
                      .retries = 3,
                      .nodes = 2,
                      .interval_ms = 250,
                      .limit = 50,
                      .scan_method = "auto"};

typedef struct {
    const char *name;
    const char *args;
    const char *help;
    int (*run) (ctl_t *ctl, char **argv, int argc);
    int nargs; //  positional arguments required
} command_t;

//  ---------------------------------------------------------------------
//  Talking to the broker

static int s_connect (ctl_t *ctl)
{
    char path_key[1024], path_cert[1024], err[1024];
    const char *keys = ctl->keys ? ctl->keys : (getenv ("SWEEP_KEYS") ?: "keys");
    snprintf (path_key, sizeof path_key, "%s/broker/broker.crt", keys);
    snprintf (path_cert, sizeof path_cert, "%s/id/admin.crt", keys);
    const char *endpoint =
        ctl->broker ? ctl->broker : (getenv ("SWEEP_BROKER") ?: "tcp://127.0.0.1:5700");
    ctl->client = sw_client_new (endpoint, ctl->broker_key ? ctl->broker_key : path_key,
                                 ctl->cert ? ctl->cert : path_cert, ctl->timeout_ms, ctl->retries,
                                 err, sizeof err);
    if (!ctl->client) {
        fprintf (stderr, "sweepctl: %s\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

static const char *s_s (const sw_mpv_t *map, const char *key);

//  Calls the broker; on success doc holds an OK body. Returns 0 or an exit
//  code after printing why.
static int s_call (ctl_t *ctl, const char *command, msgpack_sbuffer *body, sw_mpdoc_t *doc)
{
    int rc = ctl->client ? 0 : s_connect (ctl);
    if (rc)
        return rc;
    char err[2048];
    bool ok;
    if (sw_client_call (ctl->client, command, body, doc, &ok, err, sizeof err)) {
        fprintf (stderr, "sweepctl: %s\n", err);
        return EXIT_UNREACHABLE;
    }
    if (!ok) {
        const char *msg = s_s (doc->root, "message");
        const char *code = s_s (doc->root, "code");
        fprintf (stderr, "sweepctl: the broker refused %s (%s): %s\n", command,
                 *code ? code : "error", msg);
        sw_mpdoc_free (doc);
        return EXIT_USAGE;
    }
    return 0;
}

//  Packs the option a request carries besides its id (one map pair).
typedef void (s_extra_fn) (ctl_t *ctl, msgpack_packer *pk);

//  A request whose body is {}, {"id": id}, or that plus one pair packed by
//  extra.
static int s_request (ctl_t *ctl, const char *command, const char *id, s_extra_fn *extra,
                      sw_mpdoc_t *doc)
{
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, (id ? 1 : 0) + (extra ? 1 : 0));
    if (id)
        sw_pack_kv_str (&p.pk, "id", id);
    if (extra)
        extra (ctl, &p.pk);
    int rc = s_call (ctl, command, &p.sbuf, doc);
    sw_packer_destroy (&p);
    return rc;
}

static int s_simple (ctl_t *ctl, const char *command, const char *id, sw_mpdoc_t *doc)
{
    return s_request (ctl, command, id, NULL, doc);
}

static void s_pack_format (ctl_t *ctl, msgpack_packer *pk)
{
    sw_pack_kv_str (pk, "format", ctl->format ? ctl->format : "json");
}

static void s_pack_wait (ctl_t *ctl, msgpack_packer *pk)
{
    sw_pack_kv_uint (pk, "wait_ms", (uint64_t)ctl->wait_ms);
}

static void s_pack_limit (ctl_t *ctl, msgpack_packer *pk)
{
    sw_pack_kv_uint (pk, "limit", (uint64_t)ctl->limit);
}

static uint64_t s_u (const sw_mpv_t *map, const char *key)
{
    const sw_mpv_t *v = sw_mpv_get (map, key);
    return v && v->type == SW_MPV_UINT ? v->v.u : 0;
}

//  Text from a reply, made safe for the terminal (what nodes report ends
//  up here, and escape sequences must not reach the operator's screen).
static const char *s_s (const sw_mpv_t *map, const char *key)
{
    char *s = (char *)sw_mpv_str (sw_mpv_get (map, key)); //  the reply's own copy
    if (!s)
        return "";
    sw_text_sanitize (s, 512);
    return s;
}

static void s_print_json (const sw_mpv_t *root)
{
    sw_mpv_print_json (stdout, root, 0);
    putchar ('\n');
}

//  ---------------------------------------------------------------------
//  Commands

static int s_cmd_status (ctl_t *ctl, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    sw_mpdoc_t doc;
    int rc = s_simple (ctl, "STATUS", NULL, &doc);
    if (rc)
        return rc;
    if (ctl->json)
        s_print_json (doc.root);
    else
        printf ("broker up %.1fs, protocol %" PRIu64 ", scope %s\nnodes %" PRIu64
                ", jobs running %" PRIu64 " of %" PRIu64 ", malformed messages dropped %" PRIu64
                "\n",
                (double)s_u (doc.root, "uptime_ms") / 1000, s_u (doc.root, "protocol"),
                s_s (doc.root, "scope"), s_u (doc.root, "nodes"), s_u (doc.root, "jobs_running"),
                s_u (doc.root, "jobs_total"), s_u (doc.root, "malformed_dropped"));
    sw_mpdoc_free (&doc);
    return 0;
}

//  nodes pending: who asks to join, with the key to compare against the
//  one the node printed on its own machine.
static int s_nodes_pending (ctl_t *ctl)
{
    sw_mpdoc_t doc;
    int rc = s_simple (ctl, "NODES-PENDING", NULL, &doc);
    if (rc)
        return rc;
    const sw_mpv_t *pending = sw_mpv_get (doc.root, "pending");
    if (ctl->json)
        s_print_json (doc.root);
    else {
        printf ("%-16s %-40s %-22s %-20s %8s\n", "NAME", "KEY", "ADDRESS", "LAST SEEN", "ATTEMPTS");
        for (uint32_t i = 0; pending && pending->type == SW_MPV_ARRAY && i < pending->len; i++) {
            const sw_mpv_t *n = &pending->v.items[i];
            printf ("%-16s %-40s %-22s %-20s %8" PRIu64 "\n", s_s (n, "name"), s_s (n, "key"),
                    s_s (n, "address"), s_s (n, "last_seen"), s_u (n, "attempts"));
        }
    }
    sw_mpdoc_free (&doc);
    return 0;
}

//  nodes approve|reject NAME [--key PREFIX]
static int s_nodes_decide (ctl_t *ctl, const char *command, const char *name)
{
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 1 + (ctl->key ? 1 : 0) + (ctl->replace ? 1 : 0));
    sw_pack_kv_str (&p.pk, "name", name);
    if (ctl->key)
        sw_pack_kv_str (&p.pk, "key", ctl->key);
    if (ctl->replace) {
        sw_pack_str (&p.pk, "replace");
        msgpack_pack_true (&p.pk);
    }
    sw_mpdoc_t doc;
    int rc = s_call (ctl, command, &p.sbuf, &doc);
    sw_packer_destroy (&p);
    if (rc)
        return rc;
    if (ctl->json)
        s_print_json (doc.root);
    else
        printf ("node %s %s (key %s)\n", s_s (doc.root, "name"), s_s (doc.root, "state"),
                s_s (doc.root, "key"));
    sw_mpdoc_free (&doc);
    return 0;
}

static int s_cmd_nodes (ctl_t *ctl, char **argv, int argc)
{
    if (argc >= 1 && strcmp (argv[0], "pending") == 0 && argc == 1)
        return s_nodes_pending (ctl);
    if (argc == 2 && strcmp (argv[0], "approve") == 0)
        return s_nodes_decide (ctl, "NODES-APPROVE", argv[1]);
    if (argc == 2 && strcmp (argv[0], "reject") == 0)
        return s_nodes_decide (ctl, "NODES-REJECT", argv[1]);
    if (argc > 0) {
        fprintf (stderr, "sweepctl: nodes takes no argument, or: pending | approve NAME | "
                         "reject NAME\n");
        return EXIT_USAGE;
    }
    sw_mpdoc_t doc;
    int rc = s_simple (ctl, "NODES", NULL, &doc);
    if (rc)
        return rc;
    const sw_mpv_t *nodes = sw_mpv_get (doc.root, "nodes");
    if (ctl->json)
        s_print_json (doc.root);
    else {
        printf ("%-16s %-10s %8s %6s %6s %10s %9s\n", "NAME", "KEY", "CAPACITY", "CREDIT", "LEASES",
                "DONE", "SEEN");
        for (uint32_t i = 0; nodes && nodes->type == SW_MPV_ARRAY && i < nodes->len; i++) {
            const sw_mpv_t *n = &nodes->v.items[i];
            printf ("%-16s %-10.8s %8" PRIu64 " %6" PRIu64 " %6" PRIu64 " %10" PRIu64 " %7" PRIu64
                    "ms%s\n",
                    s_s (n, "name"), s_s (n, "key"), s_u (n, "capacity"), s_u (n, "credit"),
                    s_u (n, "leases"), s_u (n, "shards_done"), s_u (n, "last_seen_ms"),
                    sw_mpv_get (n, "draining") && sw_mpv_get (n, "draining")->v.b ? " draining"
                                                                                  : "");
        }
    }
    sw_mpdoc_free (&doc);
    return 0;
}

static int s_cmd_jobs (ctl_t *ctl, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    sw_mpdoc_t doc;
    int rc = s_simple (ctl, "JOBS", NULL, &doc);
    if (rc)
        return rc;
    const sw_mpv_t *jobs = sw_mpv_get (doc.root, "jobs");
    if (ctl->json)
        s_print_json (doc.root);
    else {
        printf ("%-12s %-20s %-10s %12s %8s %9s\n", "ID", "NAME", "STATE", "SHARDS", "FAILED",
                "FINDINGS");
        for (uint32_t i = 0; jobs && jobs->type == SW_MPV_ARRAY && i < jobs->len; i++) {
            const sw_mpv_t *j = &jobs->v.items[i];
            char shards[40];
            snprintf (shards, sizeof shards, "%" PRIu64 "/%" PRIu64, s_u (j, "done"),
                      s_u (j, "total"));
            printf ("%-12s %-20.20s %-10s %12s %8" PRIu64 " %9" PRIu64 "\n", s_s (j, "id"),
                    s_s (j, "name"), s_s (j, "state"), shards, s_u (j, "failed"),
                    s_u (j, "findings"));
        }
    }
    sw_mpdoc_free (&doc);
    return 0;
}

static void s_progress_line (const sw_mpv_t *job, uint64_t nodes, bool tty)
{
    uint64_t total = s_u (job, "total"), done = s_u (job, "done"), failed = s_u (job, "failed");
    const sw_mpv_t *sev = sw_mpv_get (job, "by_severity");
    int width = 30;
    int filled = total ? (int)((done + failed) * (uint64_t)width / total) : 0;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    printf ("%s[%s] %" PRIu64 "/%" PRIu64 " shards, %" PRIu64 " failed | findings: %" PRIu64
            " critical, %" PRIu64 " high, %" PRIu64 " medium, %" PRIu64 " low, %" PRIu64
            " info | nodes %" PRIu64 " | %.1fs%s",
            tty ? "\r" : "", bar, done, total, failed, s_u (sev, "critical"), s_u (sev, "high"),
            s_u (sev, "medium"), s_u (sev, "low"), s_u (sev, "info"), nodes,
            (double)s_u (job, "elapsed_ms") / 1000, tty ? "\033[K" : "\n");
    fflush (stdout);
}

//  Polls a job until it leaves the running state. Fills *final with the
//  last progress body. Returns 0 or an exit code.
static int s_watch (ctl_t *ctl, const char *id, sw_mpdoc_t *final)
{
    bool tty = isatty (STDOUT_FILENO) && !ctl->json;
    int64_t next_line = 0;
    //  The broker holds the request until the job ends or the interval is
    //  over, so the end is seen at once; it stays well inside the request's
    //  own timeout.
    ctl->wait_ms = ctl->interval_ms < ctl->timeout_ms / 2 ? ctl->interval_ms : ctl->timeout_ms / 2;
    while (true) {
        sw_mpdoc_t doc, status;
        int64_t asked = zclock_mono ();
        int rc = s_request (ctl, "JOB", id, s_pack_wait, &doc);
        if (rc)
            return rc;
        uint64_t nodes = 0;
        if (s_simple (ctl, "STATUS", NULL, &status) == 0) {
            nodes = s_u (status.root, "nodes");
            sw_mpdoc_free (&status);
        }
        bool running = strcmp (s_s (doc.root, "state"), "running") == 0;
        int64_t now = zclock_mono ();
        if (!ctl->json && (tty || !running || now >= next_line)) {
            s_progress_line (doc.root, nodes, tty);
            next_line = now + 2000;
        }
        if (!running) {
            if (tty)
                putchar ('\n');
            *final = doc;
            return 0;
        }
        sw_mpdoc_free (&doc);
        //  A broker that could not hold the request answered at once
        int64_t left = asked + ctl->interval_ms - zclock_mono ();
        if (left > 0)
            zclock_sleep ((int)left); //  polling interval, not synchronisation
        if (zsys_interrupted)
            return EXIT_USAGE;
    }
}

static void s_summary (const sw_mpv_t *job)
{
    printf ("\njob %s '%s' %s in %.1fs: %" PRIu64 "/%" PRIu64 " shards done, %" PRIu64
            " failed\n\n",
            s_s (job, "id"), s_s (job, "name"), s_s (job, "state"),
            (double)s_u (job, "elapsed_ms") / 1000, s_u (job, "done"), s_u (job, "total"),
            s_u (job, "failed"));
    const sw_mpv_t *sev = sw_mpv_get (job, "by_severity");
    printf ("  %-10s %8s\n", "SEVERITY", "FINDINGS");
    for (int i = SW_SEV_COUNT - 1; i >= 0; i--) {
        const char *name = sw_severity_name ((sw_severity_t)i);
        printf ("  %-10s %8" PRIu64 "\n", name, s_u (sev, name));
    }
    printf ("  %-10s %8" PRIu64 "\n\n", "total", s_u (job, "findings"));
}

//  Exit code for a finished job: coverage first, then the --fail-on gate.
static int s_verdict (ctl_t *ctl, const sw_mpv_t *job)
{
    if (ctl->fail_on) {
        sw_severity_t floor;
        sw_severity_parse (ctl->fail_on, &floor);
        const sw_mpv_t *sev = sw_mpv_get (job, "by_severity");
        for (int i = floor; i < SW_SEV_COUNT; i++)
            if (s_u (sev, sw_severity_name ((sw_severity_t)i))) {
                fprintf (stderr, "sweepctl: findings at or above %s: failing\n", ctl->fail_on);
                return EXIT_GATE;
            }
    }
    if (strcmp (s_s (job, "state"), "done") != 0) {
        fprintf (stderr,
                 "sweepctl: job %s ended %s: coverage is incomplete (see the report's "
                 "coverage.failed_shards)\n",
                 s_s (job, "id"), s_s (job, "state"));
        return EXIT_INCOMPLETE;
    }
    return 0;
}

static int s_write_report (ctl_t *ctl, const char *id)
{
    sw_mpdoc_t doc;
    int rc = s_request (ctl, "REPORT", id, s_pack_format, &doc);
    if (rc)
        return rc;
    const sw_mpv_t *report = sw_mpv_get (doc.root, "report");
    if (!report || report->type != SW_MPV_STR) {
        fprintf (stderr, "sweepctl: the broker's REPORT reply has no report\n");
        sw_mpdoc_free (&doc);
        return EXIT_USAGE;
    }
    FILE *out = ctl->output && strcmp (ctl->output, "-") ? fopen (ctl->output, "w") : stdout;
    if (!out) {
        fprintf (stderr, "sweepctl: cannot write %s: %s\n", ctl->output, strerror (errno));
        sw_mpdoc_free (&doc);
        return EXIT_USAGE;
    }
    fwrite (report->v.s, 1, report->len, out);
    if (out != stdout) {
        fclose (out);
        if (!ctl->json)
            fprintf (stderr, "report written to %s\n", ctl->output);
    }
    sw_mpdoc_free (&doc);
    return 0;
}

static int s_call_fn (void *ctx, const char *command, msgpack_sbuffer *body, sw_mpdoc_t *doc)
{
    return s_call (ctx, command, body, doc);
}

//  A job with posture targets: upload the files its paths name and send
//  the job with their blob references (as JSON). Other jobs go as
//  written (*out stays NULL). Returns 0 or an exit code.
static int s_prepare_job (ctl_t *ctl, const char *path, const char *text, size_t len, char **out,
                          size_t *outlen)
{
    char err[1024];
    *out = NULL;
    sw_jobfile_t *job = sw_jobfile_parse (text, len, path, err, sizeof err);
    if (!job)
        return 0; //  the broker gives the same error, with its code
    bool posture = false;
    for (size_t i = 0; i < job->ntargets; i++)
        posture |= sw_scanner_takes_files (job->targets[i].scanner) && job->targets[i].paths;
    int rc = 0;
    if (posture) {
        char *dir = strdup (path), *slash = strrchr (dir, '/');
        if (slash)
            *slash = 0;
        rc = sw_upload_job_inputs (s_call_fn, ctl, job, slash ? dir : ".");
        free (dir);
        FILE *mem = rc ? NULL : open_memstream (out, outlen);
        if (mem) {
            sw_jobfile_write_json (job, mem);
            fclose (mem);
        }
    }
    sw_jobfile_destroy (&job);
    return rc;
}

static int s_cmd_submit (ctl_t *ctl, char **argv, int argc)
{
    (void)argc;
    size_t size;
    char *text = NULL;
    zfile_t *file = zfile_new (NULL, argv[0]);
    if (!file || !zfile_is_regular (file) || zfile_cursize (file) > 1024 * 1024 ||
        zfile_input (file)) {
        fprintf (stderr, "sweepctl: cannot read job file %s (missing, not a file, or over 1 MiB)\n",
                 argv[0]);
        zfile_destroy (&file);
        return EXIT_USAGE;
    }
    zchunk_t *chunk = zfile_read (file, zfile_cursize (file), 0);
    size = chunk ? zchunk_size (chunk) : 0;
    text = chunk ? (char *)zchunk_data (chunk) : "";
    char *prepared = NULL;
    int prc = s_prepare_job (ctl, argv[0], text, size, &prepared, &size);
    if (prc) {
        zchunk_destroy (&chunk);
        zfile_destroy (&file);
        return prc;
    }
    if (prepared)
        text = prepared;
    sw_packer_t p;
    sw_packer_init (&p);
    //  The token makes the submit idempotent across Lazy Pirate retries: a
    //  retry after a lost reply gets the job the first attempt created.
    unsigned char raw[16];
    char token[33];
    randombytes_buf (raw, sizeof raw);
    sodium_bin2hex (token, sizeof token, raw, sizeof raw);
    msgpack_pack_map (&p.pk, 3);
    sw_pack_str (&p.pk, "text");
    msgpack_pack_str (&p.pk, size);
    msgpack_pack_str_body (&p.pk, text, size);
    sw_pack_kv_str (&p.pk, "source", zfile_filename (file, NULL));
    sw_pack_kv_str (&p.pk, "token", token);
    zchunk_destroy (&chunk);
    zfile_destroy (&file);
    free (prepared);
    sw_mpdoc_t doc;
    int rc = s_call (ctl, "SUBMIT", &p.sbuf, &doc);
    sw_packer_destroy (&p);
    if (rc)
        return rc;
    char id[64];
    snprintf (id, sizeof id, "%s", s_s (doc.root, "id"));
    if (ctl->json && !ctl->wait)
        s_print_json (doc.root);
    else if (!ctl->json)
        printf ("submitted %s: %" PRIu64 " shards\n", id, s_u (doc.root, "total"));
    sw_mpdoc_free (&doc);
    if (!ctl->wait)
        return 0;
    sw_mpdoc_t final;
    if ((rc = s_watch (ctl, id, &final)))
        return rc;
    if (ctl->json)
        s_print_json (final.root);
    else
        s_summary (final.root);
    if (ctl->output && (rc = s_write_report (ctl, id))) {
        sw_mpdoc_free (&final);
        return rc;
    }
    rc = s_verdict (ctl, final.root);
    sw_mpdoc_free (&final);
    return rc;
}

static int s_cmd_watch (ctl_t *ctl, char **argv, int argc)
{
    (void)argc;
    sw_mpdoc_t final;
    int rc = s_watch (ctl, argv[0], &final);
    if (rc)
        return rc;
    if (ctl->json)
        s_print_json (final.root);
    else
        s_summary (final.root);
    rc = s_verdict (ctl, final.root);
    sw_mpdoc_free (&final);
    return rc;
}

static int s_cmd_report (ctl_t *ctl, char **argv, int argc)
{
    (void)argc;
    return s_write_report (ctl, argv[0]);
}

static int s_cmd_findings (ctl_t *ctl, char **argv, int argc)
{
    (void)argc;
    sw_mpdoc_t doc;
    int rc = s_request (ctl, "FINDINGS", argv[0], s_pack_limit, &doc);
    if (rc)
        return rc;
    const sw_mpv_t *list = sw_mpv_get (doc.root, "findings");
    if (ctl->json)
        s_print_json (doc.root);
    else {
        printf ("%-9s %-16s %-10s %-26s %s\n", "SEVERITY", "RESOURCE", "LOCATION", "RULE", "TITLE");
        for (uint32_t i = 0; list && list->type == SW_MPV_ARRAY && i < list->len; i++) {
            const sw_mpv_t *f = &list->v.items[i];
            printf ("%-9s %-16s %-10s %-26s %s\n", s_s (f, "severity"), s_s (f, "resource"),
                    s_s (f, "location"), s_s (f, "rule"), s_s (f, "title"));
        }
        uint64_t total = s_u (doc.root, "total");
        if (list && total > list->len)
            printf ("... %" PRIu64 " more (--limit N, or the report)\n", total - list->len);
    }
    sw_mpdoc_free (&doc);
    return 0;
}

static int s_cmd_cancel (ctl_t *ctl, char **argv, int argc)
{
    (void)argc;
    sw_mpdoc_t doc;
    int rc = s_simple (ctl, "CANCEL", argv[0], &doc);
    if (rc)
        return rc;
    if (ctl->json)
        s_print_json (doc.root);
    else
        printf ("%s cancelled\n", argv[0]);
    sw_mpdoc_free (&doc);
    return 0;
}

static const char *s_keys_dir (ctl_t *ctl)
{
    return ctl->keys ? ctl->keys : (getenv ("SWEEP_KEYS") ?: "keys");
}

static int s_keys_result (ctl_t *ctl, int rc, const char *err, const char *what, const char *name)
{
    if (rc) {
        fprintf (stderr, "sweepctl: %s\n", err);
        return EXIT_USAGE;
    }
    if (ctl->json)
        printf ("{\"ok\": true, \"action\": \"%s\", \"name\": \"%s\"}\n", what, name);
    else
        printf ("%s %s in %s\n", what, name, s_keys_dir (ctl));
    return 0;
}

static int s_cmd_keys (ctl_t *ctl, char **argv, int argc)
{
    char err[1024];
    const char *sub = argv[0];
    if (strcmp (sub, "init") == 0 && argc == 2) {
        int rc = sw_keys_init (argv[1], ctl->nodes, err, sizeof err);
        if (rc == 0)
            rc = sw_bundle_keygen (argv[1], err, sizeof err) < 0 ? -1 : 0;
        if (rc == 0 && !ctl->json)
            printf ("created broker, %d node and 1 admin certificates in %s "
                    "(secret files are mode 0600; never commit them)\n",
                    ctl->nodes, argv[1]);
        else if (rc == 0)
            printf ("{\"ok\": true, \"action\": \"init\", \"nodes\": %d}\n", ctl->nodes);
        else
            fprintf (stderr, "sweepctl: %s\n", err);
        return rc ? EXIT_USAGE : 0;
    }
    if ((strcmp (sub, "add-node") == 0 || strcmp (sub, "add-admin") == 0) && argc == 2)
        return s_keys_result (ctl,
                              sw_keys_add (s_keys_dir (ctl), sub + 4, argv[1], err, sizeof err),
                              err, "added", argv[1]);
    if (strcmp (sub, "revoke") == 0 && argc == 2)
        return s_keys_result (ctl, sw_keys_revoke (s_keys_dir (ctl), argv[1], err, sizeof err), err,
                              "revoked", argv[1]);
    if (strcmp (sub, "content") == 0 && argc == 1) {
        //  Key folders made before rule bundles existed get a content key.
        int rc = sw_bundle_keygen (s_keys_dir (ctl), err, sizeof err);
        if (rc < 0)
            fprintf (stderr, "sweepctl: %s\n", err);
        else if (!ctl->json)
            printf ("content key %s in %s/content\n", rc == 1 ? "already present" : "created",
                    s_keys_dir (ctl));
        return rc < 0 ? EXIT_USAGE : 0;
    }
    fprintf (stderr, "sweepctl: usage: sweepctl keys init DIR [--nodes N] | add-node NAME | "
                     "add-admin NAME | revoke NAME | content  [--keys DIR]\n");
    return EXIT_USAGE;
}

static const char *s_rules_dir (ctl_t *ctl)
{
    if (ctl->rules)
        return ctl->rules;
    const char *env = getenv ("SWEEP_RULES");
    return env && *env ? env : "rules";
}

static int s_cmd_check (ctl_t *ctl, char **argv, int argc)
{
    sw_check_opts_t opts = {s_rules_dir (ctl), ctl->rules != NULL,
                            ctl->advisories,   ctl->format ? ctl->format : "table",
                            ctl->fail_on,      ctl->output};
    return sw_check_run (argv, (size_t)argc, &opts);
}

static int s_cmd_net (ctl_t *ctl, char **argv, int argc)
{
    sw_netlocal_opts_t opts = {s_rules_dir (ctl), ctl->ports,  ctl->scope,  ctl->format,
                               ctl->fail_on,      ctl->output, ctl->tls_ca, ctl->probe_timeout_ms,
                               ctl->scan_method};
    return sw_netlocal_run (argv, (size_t)argc, &opts);
}

static int s_cmd_secrets (ctl_t *ctl, char **argv, int argc)
{
    char rules[1100];
    if (ctl->rules)
        snprintf (rules, sizeof rules, "%s", ctl->rules);
    else
        snprintf (rules, sizeof rules, "%s/secrets", s_rules_dir (ctl));
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    sw_secretscan_opts_t opts = {rules,
                                 ctl->fingerprint_key,
                                 ctl->format ? ctl->format : "table",
                                 ctl->fail_on,
                                 ctl->output,
                                 ctl->max_file_mb ? (size_t)ctl->max_file_mb << 20
                                                  : SW_SECRETS_MAX_FILE,
                                 ctl->jobs ? ctl->jobs : (int)(cores > 0 ? cores : 1),
                                 ctl->history};
    return sw_secretscan_run (argv, (size_t)argc, &opts);
}

//  The content key's secret half, which signs what nodes will run.
static int s_content_secret (ctl_t *ctl, uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
    char err[1024], path[1024];
    snprintf (path, sizeof path, "%s/content/bundle.key", s_keys_dir (ctl));
    if (sw_bundle_read_key (path, true, sk, crypto_sign_SECRETKEYBYTES, err, sizeof err)) {
        fprintf (stderr,
                 "sweepctl: %s (the content key signs bundles; `sweepctl keys init` "
                 "creates it)\n",
                 err);
        return EXIT_USAGE;
    }
    return 0;
}

//  Uploads a signed bundle and makes it current with command (RULES-PUSH,
//  ADVISORIES-PUSH); prints what the broker answered.
static int s_push_bundle (ctl_t *ctl, const char *command, const char *what, uint8_t *bundle,
                          size_t len, bool update)
{
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (bundle, len, hash);
    int rc = sw_upload_blob (s_call_fn, ctl, bundle, len, hash);
    sw_mpdoc_t doc;
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, update ? 2 : 1);
    sw_pack_kv_str (&p.pk, "hash", hash);
    if (update)
        sw_pack_kv_bool (&p.pk, "update", true);
    if (rc == 0)
        rc = s_call (ctl, command, &p.sbuf, &doc);
    sw_packer_destroy (&p);
    if (rc)
        return rc;
    if (ctl->json)
        s_print_json (doc.root);
    else
        printf ("%s %s pushed (%s)\n", what, s_s (doc.root, "version"), hash);
    sw_mpdoc_free (&doc);
    return 0;
}

//  advisories import PATH: builds the advisory index from OSV files, signs
//  it and makes it the broker's current database.
static int s_advisories_import (ctl_t *ctl, const char *path)
{
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    if (s_content_secret (ctl, sk))
        return EXIT_USAGE;
    char err[1024];
    size_t invalid = 0;
    int64_t t0 = zclock_mono ();
    sw_osvdb_t *db = sw_osvdb_new ();
    long added = sw_packages_import (db, path, ctl->update, &invalid, err, sizeof err);
    if (added < 0) {
        fprintf (stderr, "sweepctl: %s\n", err);
        sw_osvdb_destroy (&db);
        sodium_memzero (sk, sizeof sk);
        return EXIT_USAGE;
    }
    sw_osvdb_finish (db);
    uint8_t *index = NULL, *bundle = NULL;
    size_t ilen = 0, blen = 0;
    char version[64];
    if (ctl->version)
        snprintf (version, sizeof version, "%s", ctl->version);
    else {
        time_t now = time (NULL);
        struct tm tm;
        gmtime_r (&now, &tm);
        strftime (version, sizeof version, "osv-%Y%m%d%H%M%S", &tm);
    }
    int rc = sw_osvdb_save (db, &index, &ilen) ||
                     sw_bundle_build_payload (SW_BUNDLE_ADVISORIES, version, index, ilen, sk,
                                              &bundle, &blen, err, sizeof err)
                 ? EXIT_USAGE
                 : 0;
    sodium_memzero (sk, sizeof sk);
    if (rc)
        fprintf (stderr, "sweepctl: cannot build the advisory database: %s\n", err);
    else
        fprintf (stderr,
                 "sweepctl: %ld advisories read (%zu invalid left out): %zu vulnerabilities, "
                 "%zu package entries, index %zu bytes, built in %" PRId64 " ms\n",
                 added, invalid, sw_osvdb_size (db), sw_osvdb_entries (db), ilen,
                 zclock_mono () - t0);
    if (rc == 0)
        rc = s_push_bundle (ctl, "ADVISORIES-PUSH",
                            ctl->update ? "advisory update" : "advisory database", bundle, blen,
                            ctl->update);
    free (index);
    free (bundle);
    sw_osvdb_destroy (&db);
    return rc;
}

static int s_cmd_advisories (ctl_t *ctl, char **argv, int argc)
{
    if (strcmp (argv[0], "import") == 0 && argc == 2)
        return s_advisories_import (ctl, argv[1]);
    if (strcmp (argv[0], "show") == 0) {
        sw_mpdoc_t doc;
        int rc = s_simple (ctl, "ADVISORIES", NULL, &doc);
        if (rc == 0) {
            s_print_json (doc.root);
            sw_mpdoc_free (&doc);
        }
        return rc;
    }
    fprintf (stderr, "sweepctl: usage: sweepctl advisories import PATH [--version V] | show\n");
    return EXIT_USAGE;
}

//  rules push: signs the rules with the content key, uploads the bundle
//  and makes it the broker's current one.
static int s_rules_push (ctl_t *ctl, const char *dir)
{
    char err[1024];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    if (s_content_secret (ctl, sk))
        return EXIT_USAGE;
    uint8_t *bundle;
    size_t len;
    int rc = sw_bundle_build (dir, NULL, sk, &bundle, &len, err, sizeof err);
    sodium_memzero (sk, sizeof sk);
    if (rc) {
        fprintf (stderr, "sweepctl: %s\n", err);
        return EXIT_USAGE;
    }
    rc = s_push_bundle (ctl, "RULES-PUSH", "rule bundle", bundle, len, false);
    free (bundle);
    return rc;
}

static int s_cmd_rules (ctl_t *ctl, char **argv, int argc)
{
    if (strcmp (argv[0], "push") == 0)
        return s_rules_push (ctl, argc > 1 ? argv[1] : s_rules_dir (ctl));
    return sw_check_rules (argv[0], argc > 1 ? argv[1] : s_rules_dir (ctl), ctl->json);
}

static const command_t s_commands[] = {
    {"status", "", "broker uptime, node and job counts", s_cmd_status, 0},
    {"nodes", "[pending | approve NAME | reject NAME]",
     "the live nodes: capacity, credit, leases, last heartbeat / the nodes asking to join / "
     "let one in (--key PREFIX picks among keys claiming one name) / refuse its key for good",
     s_cmd_nodes, 0},
    {"jobs", "", "every job with its state and progress", s_cmd_jobs, 0},
    {"submit", "JOBFILE",
     "submit a job file (YAML or JSON); --wait shows progress, then the "
     "summary; -o/--output FILE writes the report; --fail-on SEVERITY",
     s_cmd_submit, 1},
    {"watch", "JOB", "live progress of a job until it ends, then its summary", s_cmd_watch, 1},
    {"report", "JOB", "write a job's report (--format json; -o/--output FILE, default stdout)",
     s_cmd_report, 1},
    {"findings", "JOB", "a job's findings, most severe first (--limit N, default 50)",
     s_cmd_findings, 1},
    {"cancel", "JOB", "cancel a running job", s_cmd_cancel, 1},
    {"keys", "init DIR | add-node NAME | add-admin NAME | revoke NAME | content",
     "create and revoke CURVE certificates (see keys/README.md)", s_cmd_keys, 1},
    {"check", "PATH...",
     "run the posture rules (and, with --advisories PATH, the packages scanner) over local "
     "files, no cluster needed (--rules DIR, --format table|json, -o FILE, --fail-on SEVERITY)",
     s_cmd_check, 1},
    {"secrets", "PATH...",
     "find leaked secrets in local files and folders (--rules DIR [RULES/secrets], "
     "--fingerprint-key FILE, --jobs N, --max-file-mb N [16], --format table|json, -o FILE, "
     "--fail-on SEVERITY); findings show a masked preview and a keyed fingerprint, never the "
     "secret",
     s_cmd_secrets, 1},
    {"net", "HOST...",
     "audit the services on local or in-scope hosts: identification, TLS, SSH, HTTP, data "
     "stores without authentication (--ports P, --scope CIDR,... [127.0.0.0/8], --tls-ca FILE, "
     "--probe-timeout-ms N, --scan-method auto|syn|connect, --rules DIR, --format table|json, "
     "-o FILE, --fail-on SEVERITY)",
     s_cmd_net, 1},
    {"advisories", "import PATH | show",
     "build the advisory database from OSV files, folders or zip dumps, sign it and make it "
     "the broker's current one (--version V) / show the current one",
     s_cmd_advisories, 1},
    {"rules", "lint|test|push [DIR]",
     "validate rule files / run every rule's fixtures / sign the rules and make them the "
     "broker's current bundle (DIR defaults to --rules)",
     s_cmd_rules, 1},
    {NULL, NULL, NULL, NULL, 0}};

static void s_usage (const sw_opt_t *opts)
{
    printf ("Usage: sweepctl COMMAND [ARGS] [OPTIONS]\n\nCommands:\n");
    for (const command_t *c = s_commands; c->name; c++)
        printf ("  %-8s %-10s %s\n", c->name, c->args[0] == 'i' ? "..." : c->args, c->help);
    printf ("\nExit codes: 0 ok, 1 findings reached --fail-on, 2 usage error or request "
            "refused,\n3 broker did not answer, 4 job ended without full coverage.\n\n");
    sw_opts_usage (opts);
}

int main (int argc, char **argv)
{
    ctl_t *ctl = &s_ctl;
    sw_opt_t opts[] = {
        {"broker", SW_OPT_STR, &ctl->broker, 0, 0,
         "admin endpoint [$SWEEP_BROKER or tcp://127.0.0.1:5700]"},
        {"keys", SW_OPT_STR, &ctl->keys, 0, 0, "key directory [$SWEEP_KEYS or keys]"},
        {"broker-key", SW_OPT_STR, &ctl->broker_key, 0, 0,
         "broker public certificate [KEYS/broker/broker.crt]"},
        {"cert", SW_OPT_STR, &ctl->cert, 0, 0, "admin certificate [KEYS/id/admin.crt]"},
        {"timeout-ms", SW_OPT_INT, &ctl->timeout_ms, 100, 600000, "wait per attempt [3000]"},
        {"retries", SW_OPT_INT, &ctl->retries, 1, 100, "attempts before giving up [3]"},
        {"json", SW_OPT_FLAG, &ctl->json, 0, 0, "machine-readable output"},
        {"wait", SW_OPT_FLAG, &ctl->wait, 0, 0, "submit: wait for the job to end"},
        {"fail-on", SW_OPT_STR, &ctl->fail_on, 0, 0,
         "submit/watch: exit 1 if findings reach SEVERITY (info..critical)"},
        {"format", SW_OPT_STR, &ctl->format, 0, 0,
         "report format [json]; check: table or json [table]"},
        {"output", SW_OPT_STR, &ctl->output, 0, 0, "report output file (also -o)"},
        {"nodes", SW_OPT_INT, &ctl->nodes, 0, 1000, "keys init: node certificates to create [2]"},
        {"limit", SW_OPT_INT, &ctl->limit, 1, 100000, "findings: how many to list [50]"},
        {"fingerprint-key", SW_OPT_STR, &ctl->fingerprint_key, 0, 0,
         "secrets: file of 64 hex digits (mode 0600) that keys the fingerprints [a per-run key]"},
        {"jobs", SW_OPT_INT, &ctl->jobs, 1, 64, "secrets: threads [one per core]"},
        {"history", SW_OPT_FLAG, &ctl->history, 0, 0,
         "secrets: each PATH is a git repository; scan every blob reachable from every ref, "
         "where it first appears (commit, author date, path)"},
        {"max-file-mb", SW_OPT_INT, &ctl->max_file_mb, 1, 4096,
         "secrets: larger files are skipped and counted [16]"},
        {"key", SW_OPT_STR, &ctl->key, 0, 0,
         "nodes approve/reject: the start of the pending node's public key"},
        {"replace", SW_OPT_FLAG, &ctl->replace, 0, 0,
         "nodes approve: give an approved node its new key (key rotation); the old key is "
         "refused from then on"},
        {"rules", SW_OPT_STR, &ctl->rules, 0, 0, "rules folder [$SWEEP_RULES or rules]"},
        {"advisories", SW_OPT_STR, &ctl->advisories, 0, 0,
         "check: OSV advisories (files, folder, zip dumps) for the packages scanner"},
        {"update", SW_OPT_FLAG, &ctl->update, 0, 0,
         "advisories import: add these advisories (new, changed, withdrawn) to the current "
         "database as an update, instead of replacing it"},
        {"version", SW_OPT_STR, &ctl->version, 0, 0,
         "advisories import: the database's version [osv-<UTC time>]"},
        {"interval-ms", SW_OPT_INT, &ctl->interval_ms, 10, 60000, "watch: poll interval [250]"},
        {"ports", SW_OPT_STR, &ctl->ports, 0, 0, "net: ports to audit (\"1-1024,6379\")"},
        {"scope", SW_OPT_STR, &ctl->scope, 0, 0, "net: CIDRs the hosts must fall in [127.0.0.0/8]"},
        {"tls-ca", SW_OPT_STR, &ctl->tls_ca, 0, 0,
         "net: CA certificates (PEM) certificate chains are checked against [the system's]"},
        {"probe-timeout-ms", SW_OPT_INT, &ctl->probe_timeout_ms, 10, 60000,
         "net: wait per connection and per answer [1000 and 800]"},
        {"scan-method", SW_OPT_STR, &ctl->scan_method, 0, 0,
         "net: how open ports are found: syn (raw socket, needs CAP_NET_RAW), connect, or auto "
         "(syn when allowed) [auto]"},
        {NULL, 0, NULL, 0, 0, NULL}};
    //  -o is the one short option: rewrite it to --output.
    for (int i = 1; i < argc; i++)
        if (strcmp (argv[i], "-o") == 0)
            argv[i] = "--output";
    char *positional[256];
    int npositional = 256;
    bool help;
    if (argc < 2 || sw_opts_parse (opts, argc, argv, 1, positional, &npositional, &help)) {
        if (argc < 2)
            s_usage (opts);
        return EXIT_USAGE;
    }
    if (npositional == 0) {
        s_usage (opts);
        return help ? 0 : EXIT_USAGE;
    }
    const command_t *cmd = s_commands;
    while (cmd->name && strcmp (cmd->name, positional[0]) != 0)
        cmd++;
    if (!cmd->name) {
        fprintf (stderr, "sweepctl: unknown command '%s' (see sweepctl --help)\n", positional[0]);
        return EXIT_USAGE;
    }
    if (help) {
        printf ("Usage: sweepctl %s %s [OPTIONS]\n\n%s\n\n", cmd->name, cmd->args, cmd->help);
        sw_opts_usage (opts);
        return 0;
    }
    if (npositional - 1 < cmd->nargs) {
        fprintf (stderr, "sweepctl: usage: sweepctl %s %s\n", cmd->name, cmd->args);
        return EXIT_USAGE;
    }
    sw_severity_t sev;
    if (ctl->fail_on && sw_severity_parse (ctl->fail_on, &sev)) {
        fprintf (stderr, "sweepctl: --fail-on expects info, low, medium, high or critical\n");
        return EXIT_USAGE;
    }
    if (sodium_init () < 0)
        return 1;
    //  A peer that resets a connection must cost an error, not the process
    //  (OpenSSL writes without MSG_NOSIGNAL)
    signal (SIGPIPE, SIG_IGN);
    zsys_init ();
    zsys_set_logident ("sweepctl");
    zsys_set_linger (0);
    int rc = cmd->run (ctl, positional + 1, npositional - 1);
    sw_client_destroy (&ctl->client);
    return rc;
}
