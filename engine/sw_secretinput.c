/*  sw_secretinput - one input of a secrets scan. */
#include "sw_secretinput.h"

#include <stdio.h>
#include <string.h>

#include "sw_archive.h"

typedef struct {
    const sw_secret_input_t *in;
    sw_secret_where_t where;
    int stopped;
} scan_t;

static int s_found (void *arg, const sw_secret_hit_t *hit)
{
    scan_t *s = arg;
    if (s->in->found (s->in->arg, &s->where, hit)) {
        s->stopped = 1;
        return 1;
    }
    return 0;
}

//  One text under resource (path is what allow_paths rules see).
static void s_text (scan_t *s, const char *path, const char *data, size_t len)
{
    sw_secret_tally_t *tally = s->in->tally;
    if (sw_secrets_is_binary (data, len)) {
        tally->binary++;
        return;
    }
    tally->texts++;
    tally->bytes += len;
    char err[256];
    if (sw_secrets_scan (s->in->set, s->in->scratch, path, data, len, s->in->key, s_found, s, err,
                         sizeof err) < 0 &&
        !*tally->err)
        snprintf (tally->err, sizeof tally->err, "%.250s: %.250s", s->where.resource, err);
}

static int s_on_member (void *arg, const char *path, const char *data, size_t len)
{
    scan_t *s = arg;
    s->where.resource = path;
    s->in->tally->members++;
    s_text (s, path, data, len);
    return s->stopped;
}

int sw_secret_input_scan (const sw_secret_input_t *in, const char *name, const char *data,
                          size_t len)
{
    scan_t s = {in, {name, NULL}, 0};
    if (!sw_archive_is_archive (name, data, len)) {
        s_text (&s, name, data, len);
        return s.stopped;
    }
    //  Unpacked in memory, bounded: members over the size limit are
    //  skipped, and an archive stops at 16 times that in all
    in->tally->archives++;
    sw_archive_limits_t limits = {in->max_size, (uint64_t)in->max_size * 16};
    sw_archive_stats_t stats;
    char err[512];
    if (sw_archive_walk (name, data, len, &limits, s_on_member, &s, &stats, err, sizeof err) &&
        !s.stopped && !*in->tally->warning)
        snprintf (in->tally->warning, sizeof in->tally->warning, "%s", err);
    in->tally->oversized += stats.skipped;
    return s.stopped;
}

static int s_on_blob (void *arg, const sw_git_place_t *place, const char *data, size_t len)
{
    scan_t *s = arg;
    char where[4400];
    snprintf (where, sizeof where, "%s@%.12s:%s", s->where.resource, place->commit, place->path);
    scan_t blob = {s->in, {where, place}, 0};
    s->in->tally->members++;
    s_text (&blob, place->path, data, len);
    s->stopped = blob.stopped;
    return s->stopped;
}

int sw_secret_input_history (const sw_secret_input_t *in, const char *name, const char *dir,
                             uint32_t part, uint32_t parts)
{
    scan_t s = {in, {name, NULL}, 0};
    sw_git_stats_t stats = {0};
    char err[600];
    int rc =
        sw_git_walk_part (dir, in->max_size, part, parts, s_on_blob, &s, &stats, err, sizeof err);
    in->tally->commits += stats.commits;
    in->tally->oversized += stats.skipped;
    if (s.stopped)
        return 1;
    if (rc) {
        if (!*in->tally->err)
            snprintf (in->tally->err, sizeof in->tally->err, "repository %.100s: %.380s", name,
                      err);
        return -1;
    }
    return 0;
}
