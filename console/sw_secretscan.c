/*  sw_secretscan - `sweepctl secrets PATH...`. */
#include "sw_secretscan.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sw_archive.h"
#include "sw_bundle.h"
#include "sw_finding.h"
#include "sw_files.h"
#include "sw_gitscan.h"
#include "sw_proto.h"
#include "sw_secretinput.h"
#include "sw_secrets.h"

#define MAX_FILES 10000000
#define MAX_JOBS  64

typedef struct {
    size_t file;
    char *member; //  "FILE!/path" inside an archive, the path in a commit, or NULL
    char commit[41];
    int64_t time; //  the commit's author date
    sw_secret_hit_t hit;
} found_t;

typedef struct {
    found_t *items;
    size_t n, cap;
    sw_secret_tally_t tally;
    uint64_t unreadable;
} part_t;

typedef struct {
    const sw_secrets_t *set;
    const sw_filelist_t *files;
    const uint8_t *key;
    atomic_size_t next;
    size_t max_size;
} shared_t;

typedef struct {
    shared_t *shared;
    part_t part;
    size_t file; //  the input being scanned
    sw_secret_input_t in;
} worker_t;

static int s_keep (void *arg, const sw_secret_where_t *where, const sw_secret_hit_t *hit)
{
    worker_t *w = arg;
    part_t *p = &w->part;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        found_t *items = realloc (p->items, cap * sizeof *items);
        if (!items)
            return 1;
        p->items = items;
        p->cap = cap;
    }
    found_t *f = &p->items[p->n];
    const char *name = w->shared->files->names[w->file];
    f->file = w->file;
    f->member = strcmp (where->resource, name) ? strdup (where->resource) : NULL;
    f->commit[0] = 0;
    f->time = 0;
    if (where->place) {
        snprintf (f->commit, sizeof f->commit, "%s", where->place->commit);
        f->time = where->place->time;
    }
    f->hit = *hit;
    p->n++;
    return 0;
}

//  The worker's scan of one input at a time, through sw_secretinput.
static int s_worker_init (worker_t *w, shared_t *sh)
{
    w->shared = sh;
    w->in = (sw_secret_input_t){
        sh->set,       sw_secrets_scratch_new (sh->set), sh->key, sh->max_size, s_keep, w,
        &w->part.tally};
    if (!w->in.scratch)
        snprintf (w->part.tally.err, sizeof w->part.tally.err, "out of memory");
    return w->in.scratch ? 0 : -1;
}

//  Reads a file into *buf (grown as needed; one buffer per thread: no
//  mmap, whose unmapping would stop every thread for TLB shootdowns).
//  Returns its length, or -1 with *error.
static long s_read (const char *path, size_t max, char **buf, size_t *cap, int *error)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        *error = errno;
        return -1;
    }
    struct stat st;
    long len = -1;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
        *error = EINVAL;
    else if ((size_t)st.st_size > max)
        *error = EFBIG;
    else {
        size_t want = (size_t)st.st_size + 1;
        if (want > *cap) {
            char *bigger = realloc (*buf, want);
            if (bigger) {
                *buf = bigger;
                *cap = want;
            }
        }
        if (want <= *cap) {
            size_t got = 0;
            ssize_t n;
            while (got < (size_t)st.st_size &&
                   (n = read (fd, *buf + got, (size_t)st.st_size - got)) > 0)
                got += (size_t)n;
            len = (long)got; //  a file that shrank meanwhile is scanned as it is
        } else
            *error = ENOMEM;
    }
    close (fd);
    return len;
}

//  --history: each path is a repository, walked on this thread.
static void s_histories (worker_t *w)
{
    shared_t *sh = w->shared;
    for (size_t i = 0; i < sh->files->n; i++) {
        w->file = i;
        if (sw_secret_input_history (&w->in, sh->files->names[i], sh->files->names[i], 0, 1) == 1)
            break;
    }
}

static void *s_work (void *arg)
{
    worker_t *w = arg;
    shared_t *sh = w->shared;
    size_t i, cap = 0;
    char *data = NULL;
    while ((i = atomic_fetch_add (&sh->next, 1)) < sh->files->n) {
        int error = 0;
        long got = s_read (sh->files->names[i], sh->max_size, &data, &cap, &error);
        if (got < 0) {
            w->part.unreadable++;
            continue;
        }
        w->file = i;
        if (sw_secret_input_scan (&w->in, sh->files->names[i], data, (size_t)got))
            break;
    }
    free (data);
    return NULL;
}

static int s_by_place (const void *a, const void *b)
{
    const found_t *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    int members = strcmp (x->member ? x->member : "", y->member ? y->member : "");
    if (members)
        return members;
    if (x->hit.offset != y->hit.offset)
        return x->hit.offset < y->hit.offset ? -1 : 1;
    return strcmp (x->hit.rule, y->hit.rule);
}

int sw_secretscan_run (char **paths, size_t npaths, const sw_secretscan_opts_t *opts)
{
    if (sodium_init () < 0)
        return 2;
    bool json = opts->format && strcmp (opts->format, "json") == 0;
    if (opts->format && !json && strcmp (opts->format, "table") != 0) {
        fprintf (stderr, "sweepctl: --format is table or json, not '%s'\n", opts->format);
        return 2;
    }
    sw_severity_t gate = SW_SEV_COUNT; //  above every severity: no gate
    if (opts->fail_on && sw_severity_parse (opts->fail_on, &gate)) {
        fprintf (stderr, "sweepctl: --fail-on: '%s' is not info, low, medium, high or critical\n",
                 opts->fail_on);
        return 2;
    }
    uint8_t key[SW_SECRETS_KEY_LEN];
    bool per_run = !opts->key_file;
    if (per_run)
        randombytes_buf (key, sizeof key);
    char err[1024];
    if (!per_run && sw_bundle_read_key (opts->key_file, true, key, sizeof key, err, sizeof err)) {
        fprintf (stderr, "sweepctl: fingerprint key %s\n", err);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    sw_secrets_t *set = sw_secrets_load (opts->rules, err, sizeof err);
    if (!set) {
        fprintf (stderr, "sweepctl: %s\n", err);
        sodium_memzero (key, sizeof key);
        return 2;
    }
    struct timespec loaded;
    clock_gettime (CLOCK_MONOTONIC, &loaded);
    sw_filelist_t files = {.hidden = true}; //  .env files are where secrets hide
    for (size_t i = 0; opts->history && i < npaths; i++) {
        //  The repositories themselves, in the order given
        char **names = realloc (files.names, (files.n + 1) * sizeof *names);
        if (names && (names[files.n] = strdup (paths[i]))) {
            files.names = names;
            files.n++;
        } else if (names)
            files.names = names;
    }
    for (size_t i = 0; !opts->history && i < npaths; i++)
        if (sw_filelist_add (&files, paths[i], NULL, opts->max_size, MAX_FILES, err, sizeof err)) {
            fprintf (stderr, "sweepctl: %s\n", err);
            sw_filelist_clear (&files);
            sw_secrets_destroy (&set);
            sodium_memzero (key, sizeof key);
            return 2;
        }
    if (!opts->history)
        sw_filelist_finish (&files);

    int jobs = opts->jobs < 1 ? 1 : opts->jobs > MAX_JOBS ? MAX_JOBS : opts->jobs;
    shared_t shared = {set, &files, key, 0, opts->max_size};
    worker_t *workers = calloc ((size_t)jobs, sizeof *workers);
    pthread_t threads[MAX_JOBS];
    if (opts->history) {
        jobs = 1;
        if (s_worker_init (&workers[0], &shared) == 0)
            s_histories (&workers[0]);
    } else
        for (int j = 0; j < jobs; j++)
            if (s_worker_init (&workers[j], &shared) == 0)
                pthread_create (&threads[j], NULL, s_work, &workers[j]);
    part_t all = {0};
    sw_secret_tally_t *sum = &all.tally;
    for (int j = 0; j < jobs; j++) {
        if (!opts->history && workers[j].in.scratch)
            pthread_join (threads[j], NULL);
        sw_secrets_scratch_destroy (&workers[j].in.scratch);
        part_t *p = &workers[j].part;
        const sw_secret_tally_t *t = &p->tally;
        sum->texts += t->texts;
        sum->bytes += t->bytes;
        sum->binary += t->binary;
        sum->archives += t->archives;
        sum->members += t->members;
        sum->oversized += t->oversized;
        sum->commits += t->commits;
        all.unreadable += p->unreadable;
        if (*t->err && !*sum->err)
            snprintf (sum->err, sizeof sum->err, "%s", t->err);
        if (*t->warning && !*sum->warning)
            snprintf (sum->warning, sizeof sum->warning, "%s", t->warning);
        if (p->n) {
            found_t *items = realloc (all.items, (all.n + p->n) * sizeof *items);
            if (items) {
                memcpy (items + all.n, p->items, p->n * sizeof *items);
                all.items = items;
                all.n += p->n;
            }
        }
        free (p->items);
    }
    free (workers);
    sodium_memzero (key, sizeof key);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double scan_seconds =
        (double)(t1.tv_sec - loaded.tv_sec) + (double)(t1.tv_nsec - loaded.tv_nsec) / 1e9;
    qsort (all.items, all.n, sizeof *all.items, s_by_place);

    FILE *out = opts->output ? fopen (opts->output, "w") : stdout;
    if (!out) {
        fprintf (stderr, "sweepctl: %s: %s\n", opts->output, strerror (errno));
        out = stdout;
    }
    sw_severity_t worst = SW_SEV_INFO;
    bool any = false;
    if (json)
        fprintf (out, "{\"schema\": \"cloudsweep.secrets/1\", \"findings\": [");
    else
        fprintf (out, "%-9s %-30s %-8s %-34s %s\n", "SEVERITY", "RULE", "FINGERPR", "PREVIEW",
                 "LOCATION");
    for (size_t i = 0; i < all.n; i++) {
        const sw_secret_hit_t *h = &all.items[i].hit;
        const char *file =
            all.items[i].member ? all.items[i].member : files.names[all.items[i].file];
        sw_severity_t sev;
        if (sw_severity_parse (h->severity, &sev) == 0 && (!any || sev > worst))
            worst = sev;
        any = true;
        if (json) {
            fprintf (out, "%s\n  {\"rule\": ", i ? "," : "");
            sw_json_string (out, h->rule);
            fprintf (out, ", \"title\": ");
            sw_json_string (out, h->title);
            fprintf (out, ", \"severity\": \"%s\", \"file\": ", h->severity);
            sw_json_string (out, file);
            fprintf (out,
                     ", \"line\": %" PRIu32 ", \"column\": %" PRIu32 ", \"length\": %zu, "
                     "\"preview\": ",
                     h->line, h->col, h->length);
            sw_json_string (out, h->preview);
            fprintf (out, ", \"fingerprint\": \"%s\"", h->fingerprint);
            if (all.items[i].commit[0]) {
                char when[32];
                time_t t = (time_t)all.items[i].time;
                struct tm tm;
                gmtime_r (&t, &tm);
                strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
                fprintf (out, ", \"commit\": \"%s\", \"author_date\": \"%s\"", all.items[i].commit,
                         when);
            }
            fputc ('}', out);
        } else
            fprintf (out, "%-9s %-30s %.8s %-34s %s:%" PRIu32 ":%" PRIu32 "\n", h->severity,
                     h->rule, h->fingerprint, h->preview, file, h->line, h->col);
    }
    double mb = (double)sum->bytes / 1e6;
    if (json)
        fprintf (out,
                 "\n], \"summary\": {\"rules\": %zu, \"files\": %zu, \"bytes\": %" PRIu64
                 ", \"skipped_binary\": %" PRIu64 ", \"skipped_large_or_special\": %zu, "
                 "\"unreadable\": %" PRIu64 ", \"archives\": %" PRIu64
                 ", \"archive_members\": %" PRIu64 ", \"archive_members_skipped\": %" PRIu64
                 ", \"commits\": %" PRIu64 ", \"findings\": %zu, \"seconds\": %.3f, "
                 "\"scan_seconds\": %.3f, \"fingerprint_key\": \"%s\"}}\n",
                 sw_secrets_count (set), files.n, sum->bytes, sum->binary, files.skipped,
                 all.unreadable, sum->archives, sum->members, sum->oversized, sum->commits, all.n,
                 seconds, scan_seconds, per_run ? "per-run" : "given");
    if (out != stdout)
        fclose (out);
    fprintf (
        stderr,
        "sweepctl: %zu rules (loaded in %.2f s), %zu files (%.1f MB scanned in %.2f s, %.0f MB/s "
        "on %d threads), %" PRIu64 " binary and %zu large or special files skipped, %" PRIu64
        " unreadable, %" PRIu64 " archives and %" PRIu64 " commits (%" PRIu64
        " members or blobs scanned, %" PRIu64 " skipped), %zu findings%s\n",
        sw_secrets_count (set), seconds - scan_seconds, files.n, mb, scan_seconds,
        scan_seconds > 0 ? mb / scan_seconds : 0, jobs, sum->binary, files.skipped, all.unreadable,
        sum->archives, sum->commits, sum->members, sum->oversized, all.n,
        per_run ? "; fingerprints use a per-run key (give --fingerprint-key to compare runs)" : "");
    if (*sum->warning)
        fprintf (stderr, "sweepctl: warning: %s (its members before the damage were scanned)\n",
                 sum->warning);
    if (*sum->err)
        fprintf (stderr, "sweepctl: %s\n", sum->err);
    for (size_t i = 0; i < all.n; i++)
        free (all.items[i].member);
    free (all.items);
    sw_filelist_clear (&files);
    sw_secrets_destroy (&set);
    if (*sum->err)
        return 2;
    return any && worst >= gate ? 1 : 0;
}
