/*  Unit tests for sw_jobs: submission, leases, retries, the reducer,
    cancellation, reports, and recovery after the broker dies. */
#include <criterion/criterion.h>

#include "sw_testutil.h"
#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_jobs.h"
#include "sw_mpv.h"

static char s_dir[64];
static sw_store_t *s_store;
static sw_hostlist_t *s_allowed;
static sw_jobs_t *s_jobs;

//  ---------------------------------------------------------------------
//  Fixture

//  Opens the store and the job state on it (as the broker does at start).
static void s_open (void)
{
    char err[512] = "";
    s_store = sw_store_open (s_dir, err, sizeof err);
    cr_assert_not_null (s_store, "open store: %s", err);
    s_jobs = sw_jobs_new (s_store, s_allowed, err, sizeof err);
    cr_assert_not_null (s_jobs, "sw_jobs_new: %s", err);
}

//  Drops everything without committing: what kill -9 leaves behind is
//  exactly what the last commit made durable.
static void s_crash (void)
{
    sw_jobs_destroy (&s_jobs);
    cr_assert_null (s_jobs);
    sw_store_destroy (&s_store);
}

static void s_setup (void)
{
    zsys_set_logstream (NULL); //  keep test output readable
    cr_assert_not_null (sw_test_mkdtemp (s_dir, sizeof s_dir, "sw-jobs-test"));
    char err[256] = "";
    s_allowed = sw_hostlist_new ();
    cr_assert_eq (sw_hostlist_add (s_allowed, "127.0.0.0/8", err, sizeof err), 0, "%s", err);
    s_open ();
}

static void s_teardown (void)
{
    sw_jobs_destroy (&s_jobs);
    sw_store_destroy (&s_store);
    sw_hostlist_destroy (&s_allowed);
    sw_test_rmtree (s_dir);
}

TestSuite (jobs, .init = s_setup, .fini = s_teardown);

//  ---------------------------------------------------------------------
//  Helpers

//  A one-target tcp job; with shard_ports 1 shard i is port first_port + i.
static void s_job_text (char *buf, size_t len, const char *hosts, const char *ports,
                        unsigned shard_ports, unsigned lease_ms, unsigned max_attempts)
{
    snprintf (buf, len,
              "name: unit\n"
              "lease_ms: %u\n"
              "max_attempts: %u\n"
              "targets:\n"
              "  - scanner: tcp\n"
              "    hosts: [%s]\n"
              "    ports: \"%s\"\n"
              "    shard_ports: %u\n",
              lease_ms, max_attempts, hosts, ports, shard_ports);
}

//  Submits a job of nshards shards (127.0.0.1, ports 1..nshards, one port
//  each) and returns its total.
static uint64_t s_submit (char id[SW_JOB_ID_MAX], unsigned nshards, unsigned lease_ms,
                          unsigned max_attempts)
{
    char ports[32], text[512], err[512] = "";
    snprintf (ports, sizeof ports, "1-%u", nshards);
    s_job_text (text, sizeof text, "127.0.0.1", ports, 1, lease_ms, max_attempts);
    uint64_t total = 0;
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "unit.yaml", NULL, NULL, id, &total,
                                  err, sizeof err),
                  0, "submit: %s", err);
    cr_assert_eq (total, nshards);
    return total;
}

static void s_commit (void)
{
    char err[256] = "";
    cr_assert_eq (sw_jobs_commit (s_jobs, err, sizeof err), 0, "commit: %s", err);
    cr_assert_eq (sw_store_pending (s_store), 0, "commit must leave nothing staged");
}

static sw_grant_t s_next (const char *node, int64_t now)
{
    sw_grant_t g;
    memset (&g, 0, sizeof g);
    cr_assert_eq (sw_jobs_next (s_jobs, node, now, &g), 1, "%s expected a shard at %" PRId64, node,
                  now);
    return g;
}

static void s_no_next (const char *node, int64_t now)
{
    sw_grant_t g;
    cr_assert_eq (sw_jobs_next (s_jobs, node, now, &g), 0, "no work expected, got %s#%" PRIu64,
                  g.job, g.shard);
}

static int s_done (const char *job, uint64_t shard, const char *node)
{
    return sw_jobs_done (s_jobs, job, shard, node, 1, 2, 3);
}

//  What the admin JOB reply says about a job.
typedef struct {
    char state[16];
    uint64_t total, done, failed, findings, leased, queued;
    bool complete;
    uint64_t sev[SW_SEV_COUNT];
} progress_t;

static uint64_t s_uint (const sw_mpv_t *map, const char *key)
{
    uint64_t v = 0;
    cr_assert_eq (sw_mpv_uint (sw_mpv_get (map, key), UINT64_MAX, &v), 0, "field %s", key);
    return v;
}

static void s_decode (msgpack_sbuffer *sbuf, sw_mpdoc_t *doc)
{
    char err[256] = "";
    cr_assert_eq (sw_mpdoc_decode (sbuf->data, sbuf->size, doc, err, sizeof err), 0,
                  "packed body does not decode: %s", err);
}

static void s_read_job (const sw_mpv_t *m, progress_t *p, bool detail)
{
    cr_assert_not_null (sw_mpv_str (sw_mpv_get (m, "state")));
    snprintf (p->state, sizeof p->state, "%s", sw_mpv_str (sw_mpv_get (m, "state")));
    p->total = s_uint (m, "total");
    p->done = s_uint (m, "done");
    p->failed = s_uint (m, "failed");
    p->findings = s_uint (m, "findings");
    const sw_mpv_t *sev = sw_mpv_get (m, "by_severity");
    cr_assert_not_null (sev);
    for (int i = 0; i < SW_SEV_COUNT; i++)
        p->sev[i] = s_uint (sev, sw_severity_name ((sw_severity_t)i));
    if (detail) {
        p->leased = s_uint (m, "leased");
        p->queued = s_uint (m, "queued");
        const sw_mpv_t *complete = sw_mpv_get (m, "complete");
        cr_assert (complete && complete->type == SW_MPV_BOOL);
        p->complete = complete->v.b;
    }
}

static progress_t s_progress (const char *id)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    cr_assert_eq (sw_jobs_pack_progress (s_jobs, id, &pk), 0, "no progress for %s", id);
    sw_mpdoc_t doc;
    s_decode (&sbuf, &doc);
    progress_t p;
    memset (&p, 0, sizeof p);
    cr_assert_str_eq (sw_mpv_str (sw_mpv_get (doc.root, "id")), id);
    s_read_job (doc.root, &p, true);
    sw_mpdoc_free (&doc);
    msgpack_sbuffer_destroy (&sbuf);
    return p;
}

//  The job's entry in the admin JOBS list; asserts the list holds njobs.
static progress_t s_listed (const char *id, size_t njobs)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    sw_jobs_pack_list (s_jobs, &pk);
    sw_mpdoc_t doc;
    s_decode (&sbuf, &doc);
    const sw_mpv_t *list = sw_mpv_get (doc.root, "jobs");
    cr_assert (list && list->type == SW_MPV_ARRAY);
    cr_assert_eq (list->len, njobs);
    progress_t p;
    memset (&p, 0, sizeof p);
    bool found = false;
    for (uint32_t i = 0; i < list->len; i++) {
        const char *jid = sw_mpv_str (sw_mpv_get (&list->v.items[i], "id"));
        if (jid && strcmp (jid, id) == 0) {
            s_read_job (&list->v.items[i], &p, false);
            found = true;
        }
    }
    cr_assert (found, "job %s not listed", id);
    sw_mpdoc_free (&doc);
    msgpack_sbuffer_destroy (&sbuf);
    return p;
}

static char *s_report (const char *id)
{
    size_t len = 0;
    char *text = sw_jobs_report_json (s_jobs, id, &len);
    cr_assert_not_null (text, "no report for %s", id);
    cr_assert_eq (strlen (text), len);
    return text;
}

static int s_count (const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr (p, needle)); p += strlen (needle))
        n++;
    return n;
}

//  The text of the report's coverage.failed_shards array.
static char *s_failed_shards (const char *report)
{
    const char *coverage = strstr (report, "\"coverage\": {");
    cr_assert_not_null (coverage, "report has no coverage:\n%s", report);
    const char *from = strstr (coverage, "\"failed_shards\": [");
    const char *to = strstr (coverage, "\"summary\"");
    cr_assert (from && to && from < to, "no failed_shards inside coverage:\n%s", report);
    return strndup (from, (size_t)(to - from));
}

static sw_finding_t s_finding (const char *job, uint64_t shard, const char *resource,
                               const char *location, sw_severity_t sev, const char *title)
{
    sw_finding_t f = {.job = (char *)job,
                      .shard = shard,
                      .scanner = "tcp",
                      .rule = "tcp.exposed.database",
                      .severity = sev,
                      .resource = (char *)resource,
                      .location = (char *)location,
                      .title = (char *)title,
                      .evidence = "banner",
                      .remediation = "close it",
                      .first_seen = 1700000000000};
    sw_finding_fingerprint (&f);
    return f;
}

//  ---------------------------------------------------------------------
//  Submission and dispatch

Test (jobs, submit_returns_sequential_ids_and_total)
{
    char id[SW_JOB_ID_MAX], text[512], err[512] = "";
    //  2 hosts x ceil(10 / 4) chunks = 6 shards.
    s_job_text (text, sizeof text, "127.0.0.1, 127.0.0.2", "1-10", 4, 10000, 3);
    uint64_t total = 0;
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "a.yaml", NULL, NULL, id, &total,
                                  err, sizeof err),
                  0, "%s", err);
    cr_assert_str_eq (id, "job-000001");
    cr_assert_eq (total, 6);
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "b.yaml", NULL, NULL, id, &total,
                                  err, sizeof err),
                  0);
    cr_assert_str_eq (id, "job-000002");
    size_t running, all;
    sw_jobs_counts (s_jobs, &running, &all);
    cr_assert_eq (running, 2);
    cr_assert_eq (all, 2);
    progress_t p = s_progress ("job-000001");
    cr_assert_str_eq (p.state, "running");
    cr_assert_eq (p.total, 6);
    cr_assert_eq (p.done, 0);
}

Test (jobs, submit_refuses_a_job_outside_the_allowed_scope)
{
    char id[SW_JOB_ID_MAX], text[512], err[512] = "";
    s_job_text (text, sizeof text, "127.0.0.1, 192.168.1.1", "22", 1, 10000, 3);
    uint64_t total = 99;
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "evil.yaml", NULL, NULL, id, &total,
                                  err, sizeof err),
                  -1);
    cr_assert (strstr (err, "evil.yaml"), "'%s' should name the source", err);
    cr_assert (strstr (err, "192.168.1.1"), "'%s' should name the host", err);
    cr_assert (strstr (err, "targets[0]"), "'%s' should name the target", err);
    size_t running, all;
    sw_jobs_counts (s_jobs, &running, &all);
    cr_assert_eq (all, 0);
    //  A refused job does not use up an id.
    s_submit (id, 1, 10000, 3);
    cr_assert_str_eq (id, "job-000001");
}

Test (jobs, submit_refuses_a_malformed_job_file)
{
    char id[SW_JOB_ID_MAX], err[512] = "";
    const char *text = "name: x\ntargets:\n  - scanner: tcp\n    hosts: [127.0.0.1]\n"
                       "    prots: \"22\"\n";
    uint64_t total;
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "typo.yaml", NULL, NULL, id, &total,
                                  err, sizeof err),
                  -1);
    cr_assert (strstr (err, "prots"), "'%s' should name the bad key", err);
}

Test (jobs, next_hands_out_shards_in_order_with_attempt_one_and_lease)
{
    char id[SW_JOB_ID_MAX], text[512], err[512] = "";
    //  2 hosts x ceil(5 / 2) = 6 shards, host-major.
    s_job_text (text, sizeof text, "127.0.0.7, 127.0.0.8", "1-5", 2, 7000, 3);
    uint64_t total;
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "a.yaml", NULL, NULL, id, &total,
                                  err, sizeof err),
                  0);
    const char *targets[] = {"127.0.0.7", "127.0.0.7", "127.0.0.7",
                             "127.0.0.8", "127.0.0.8", "127.0.0.8"};
    const char *ports[] = {"1-2", "3-4", "5", "1-2", "3-4", "5"};
    for (uint64_t i = 0; i < 6; i++) {
        sw_grant_t g = s_next (i % 2 ? "n2" : "n1", 1000 + (int64_t)i);
        cr_assert_str_eq (g.job, "job-000001");
        cr_assert_eq (g.shard, i);
        cr_assert_eq (g.attempt, 1);
        cr_assert_eq (g.lease_ms, 7000);
        cr_assert_str_eq (g.spec.scanner, "tcp");
        cr_assert_str_eq (g.spec.target, targets[i], "shard %" PRIu64, i);
        cr_assert_str_eq (g.spec.ports, ports[i], "shard %" PRIu64, i);
    }
    s_no_next ("n1", 2000);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 3);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n2"), 3);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n3"), 0);
    progress_t p = s_progress (id);
    cr_assert_eq (p.leased, 6);
    cr_assert_eq (p.queued, 0);
}

Test (jobs, job_defaults_lease_and_attempts_from_the_job_file)
{
    char id[SW_JOB_ID_MAX], err[512] = "";
    const char *text = "name: defaults\ntargets:\n  - scanner: tcp\n    hosts: [127.0.0.1]\n"
                       "    ports: \"22\"\n";
    uint64_t total;
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "d.yaml", NULL, NULL, id, &total,
                                  err, sizeof err),
                  0);
    sw_grant_t g = s_next ("n1", 0);
    cr_assert_eq (g.lease_ms, SW_JOBFILE_DEFAULT_LEASE_MS);
    //  Default attempts: requeued twice, failed on the third expiry.
    for (int attempt = 1; attempt < SW_JOBFILE_DEFAULT_MAX_ATTEMPTS; attempt++) {
        sw_jobs_expire (s_jobs, (int64_t)attempt * 100000);
        g = s_next ("n1", (int64_t)attempt * 100000);
        cr_assert_eq (g.attempt, (uint32_t)attempt + 1);
    }
    sw_jobs_expire (s_jobs, 10000000);
    cr_assert_str_eq (s_progress (id).state, "partial");
}

Test (jobs, oldest_job_first_and_retries_before_new_shards)
{
    char a[SW_JOB_ID_MAX], b[SW_JOB_ID_MAX];
    s_submit (a, 2, 1000, 3);
    s_submit (b, 2, 1000, 3);
    sw_grant_t g = s_next ("n1", 0);
    cr_assert_str_eq (g.job, a);
    cr_assert_eq (g.shard, 0);
    g = s_next ("n1", 0);
    cr_assert_str_eq (g.job, a);
    cr_assert_eq (g.shard, 1);
    g = s_next ("n1", 0);
    cr_assert_str_eq (g.job, b, "the older job is exhausted, the next one starts");
    cr_assert_eq (g.shard, 0);
    //  a#1 lapses (the others are renewed): it goes before b's new shard.
    sw_jobs_renew (s_jobs, a, 0, "n1", 500);
    sw_jobs_renew (s_jobs, b, 0, "n1", 500);
    sw_jobs_expire (s_jobs, 1000);
    g = s_next ("n2", 1000);
    cr_assert_str_eq (g.job, a);
    cr_assert_eq (g.shard, 1);
    cr_assert_eq (g.attempt, 2);
    g = s_next ("n2", 1000);
    cr_assert_str_eq (g.job, b);
    cr_assert_eq (g.shard, 1);
    cr_assert_eq (g.attempt, 1);
}

//  ---------------------------------------------------------------------
//  Results

Test (jobs, done_counts_and_finishes_the_job)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 3, 10000, 3);
    for (int i = 0; i < 3; i++)
        s_next ("n1", 0);
    cr_assert_eq (s_done (id, 1, "n1"), 1);
    cr_assert_eq (s_done (id, 0, "n1"), 1);
    progress_t p = s_progress (id);
    cr_assert_str_eq (p.state, "running");
    cr_assert_eq (p.done, 2);
    cr_assert_eq (p.leased, 1);
    cr_assert_not (p.complete);
    cr_assert_eq (s_done (id, 2, "n1"), 1);
    p = s_progress (id);
    cr_assert_str_eq (p.state, "done");
    cr_assert_eq (p.done, 3);
    cr_assert_eq (p.failed, 0);
    cr_assert_eq (p.leased, 0);
    cr_assert (p.complete);
    p = s_listed (id, 1);
    cr_assert_str_eq (p.state, "done");
    cr_assert_eq (p.done, 3);
    cr_assert_eq (p.total, 3);
    size_t running, all;
    sw_jobs_counts (s_jobs, &running, &all);
    cr_assert_eq (running, 0);
    cr_assert_eq (all, 1);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 0);
    s_no_next ("n1", 0);
    char *report = s_report (id);
    cr_assert (strstr (report, "\"state\": \"done\""), "%s", report);
    cr_assert (strstr (report, "\"shards_done\": 3"), "%s", report);
    cr_assert (strstr (report, "\"complete\": true"), "%s", report);
    cr_assert (strstr (report, "\"failed_shards\": []"), "%s", report);
    free (report);
}

Test (jobs, duplicate_done_is_ignored)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 2, 10000, 3);
    s_next ("n1", 0);
    cr_assert_eq (s_done (id, 0, "n1"), 1);
    cr_assert_eq (s_done (id, 0, "n1"), 0);
    cr_assert_eq (s_done (id, 0, "n2"), 0, "a duplicate from another node is ignored too");
    cr_assert_eq (s_progress (id).done, 1);
    //  Shards never handed out and unknown jobs are ignored.
    cr_assert_eq (s_done (id, 1, "n1"), 0);
    cr_assert_eq (s_done (id, 99, "n1"), 0);
    cr_assert_eq (s_done ("job-999999", 0, "n1"), 0);
    cr_assert_eq (s_progress (id).done, 1);
    cr_assert_str_eq (s_progress (id).state, "running");
    //  The shard is not handed out again.
    sw_grant_t g = s_next ("n1", 0);
    cr_assert_eq (g.shard, 1);
    s_no_next ("n1", 0);
}

Test (jobs, done_after_the_lease_lapsed_still_counts_once)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 2, 1000, 3);
    s_next ("n1", 0);
    sw_jobs_expire (s_jobs, 1000);
    cr_assert_eq (s_progress (id).queued, 1);
    //  The late result is good: the shard is finished and not run again.
    cr_assert_eq (s_done (id, 0, "n1"), 1);
    sw_grant_t g = s_next ("n2", 1000);
    cr_assert_eq (g.shard, 1);
    cr_assert_eq (g.attempt, 1);
    s_no_next ("n2", 1000);
    progress_t p = s_progress (id);
    cr_assert_eq (p.done, 1);
    cr_assert_eq (p.leased, 1);
    cr_assert_eq (s_done (id, 1, "n2"), 1);
    cr_assert_str_eq (s_progress (id).state, "done");
}

//  ---------------------------------------------------------------------
//  Leases

Test (jobs, expire_after_lease_ms_requeues_with_attempt_two)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 2, 1000, 3);
    sw_grant_t g = s_next ("n1", 5000);
    cr_assert_eq (g.shard, 0);
    sw_jobs_expire (s_jobs, 5999);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 1, "not expired before lease_ms");
    sw_jobs_expire (s_jobs, 6000);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 0);
    progress_t p = s_progress (id);
    cr_assert_eq (p.leased, 0);
    cr_assert_eq (p.queued, 1);
    cr_assert_str_eq (p.state, "running");
    g = s_next ("n2", 6000);
    cr_assert_eq (g.shard, 0, "the requeued shard goes before new ones");
    cr_assert_eq (g.attempt, 2);
    cr_assert_str_eq (g.spec.ports, "1");
    g = s_next ("n2", 6000);
    cr_assert_eq (g.shard, 1);
    cr_assert_eq (g.attempt, 1);
}

Test (jobs, shard_fails_after_max_attempts_expiries_and_job_is_partial)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 2, 1000, 3);
    int64_t now = 0;
    for (uint32_t attempt = 1; attempt <= 3; attempt++) {
        sw_grant_t g = s_next ("n1", now);
        cr_assert_eq (g.shard, 0);
        cr_assert_eq (g.attempt, attempt);
        now += 1000;
        sw_jobs_expire (s_jobs, now);
    }
    progress_t p = s_progress (id);
    cr_assert_eq (p.failed, 1);
    cr_assert_eq (p.queued, 0);
    cr_assert_eq (p.leased, 0);
    cr_assert_str_eq (p.state, "running");
    sw_grant_t g = s_next ("n1", now);
    cr_assert_eq (g.shard, 1, "a failed shard is not handed out again");
    cr_assert_eq (s_done (id, 1, "n1"), 1);
    p = s_progress (id);
    cr_assert_str_eq (p.state, "partial");
    cr_assert_eq (p.done, 1);
    cr_assert_eq (p.failed, 1);
    cr_assert_not (p.complete);
    cr_assert_str_eq (s_listed (id, 1).state, "partial");
    cr_assert_eq (s_done (id, 0, "n1"), 0, "a failed shard's late DONE is ignored");

    s_commit ();
    char *report = s_report (id);
    cr_assert (strstr (report, "\"state\": \"partial\""), "%s", report);
    cr_assert (strstr (report, "\"shards_failed\": 1"), "%s", report);
    cr_assert (strstr (report, "\"complete\": false"), "%s", report);
    char *failed = s_failed_shards (report);
    cr_assert_eq (s_count (failed, "{\"shard\": "), 1, "%s", failed);
    cr_assert (strstr (failed, "{\"shard\": 0, \"target\": \"127.0.0.1\", \"ports\": \"1\", "
                               "\"attempts\": 3, \"reason\": \""),
               "%s", failed);
    cr_assert (strstr (failed, "lease expired"), "%s", failed);
    cr_assert (strstr (failed, "n1"), "the reason should name the node: %s", failed);
    free (failed);
    free (report);
}

Test (jobs, failed_from_node_retries_then_fails_with_the_nodes_reason)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 10000, 2);
    sw_grant_t g = s_next ("n1", 0);
    cr_assert_eq (sw_jobs_failed (s_jobs, id, 0, 1, "n1", "scanner crashed"), 1);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 0);
    progress_t p = s_progress (id);
    cr_assert_eq (p.failed, 0, "one attempt remains: retried, not failed");
    cr_assert_eq (p.queued, 1);
    cr_assert_str_eq (p.state, "running");
    cr_assert_eq (sw_jobs_failed (s_jobs, id, 0, 1, "n1", "again"), 0,
                  "a queued shard cannot fail again");
    g = s_next ("n2", 0);
    cr_assert_eq (g.shard, 0);
    cr_assert_eq (g.attempt, 2);
    cr_assert_eq (sw_jobs_failed (s_jobs, id, 0, 2, "n2", "connection refused by target"), 1);
    p = s_progress (id);
    cr_assert_eq (p.failed, 1);
    cr_assert_str_eq (p.state, "partial");
    cr_assert_eq (sw_jobs_failed (s_jobs, id, 0, 2, "n2", "late"), 0);
    cr_assert_eq (sw_jobs_failed (s_jobs, "job-999999", 0, 1, "n2", "x"), 0);

    s_commit ();
    char *report = s_report (id);
    char *failed = s_failed_shards (report);
    cr_assert (strstr (failed, "\"shard\": 0"), "%s", failed);
    cr_assert (strstr (failed, "\"attempts\": 2"), "%s", failed);
    cr_assert (strstr (failed, "connection refused by target"), "%s", failed);
    cr_assert (strstr (failed, "n2"), "the reason should name the node: %s", failed);
    free (failed);
    free (report);
}

//  A FAILED that arrives late from a node whose lease already lapsed (n1,
//  attempt 1) must not be charged to the attempt another node is running
//  (n2, attempt 2), or a scanned shard would be reported failed.
Test (jobs, stale_failed_from_a_lapsed_lease_does_not_fail_the_current_attempt)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 2);
    s_next ("n1", 0);
    sw_jobs_expire (s_jobs, 1000);
    sw_grant_t g = s_next ("n2", 1000);
    cr_assert_eq (g.attempt, 2);
    sw_jobs_failed (s_jobs, id, 0, 1, "n1", "late failure of attempt 1");
    cr_assert_eq (s_progress (id).failed, 0, "n1's stale FAILED failed n2's running attempt");
    cr_assert_eq (s_done (id, 0, "n2"), 1);
    cr_assert_str_eq (s_progress (id).state, "done");
}

Test (jobs, node_lost_requeues_exactly_that_nodes_leases)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 5, 10000, 3);
    s_next ("n1", 0); //  0
    s_next ("n1", 0); //  1
    s_next ("n2", 0); //  2
    sw_jobs_node_lost (s_jobs, "n1", "heartbeat timeout");
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 0);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n2"), 1);
    progress_t p = s_progress (id);
    cr_assert_eq (p.queued, 2);
    cr_assert_eq (p.leased, 1);
    //  Both of n1's shards come back (as retries), then new ones.
    bool seen[2] = {false, false};
    for (int i = 0; i < 2; i++) {
        sw_grant_t g = s_next ("n3", 0);
        cr_assert (g.shard <= 1, "got shard %" PRIu64 ", wanted one of n1's", g.shard);
        cr_assert_not (seen[g.shard]);
        seen[g.shard] = true;
        cr_assert_eq (g.attempt, 2);
    }
    sw_grant_t g = s_next ("n3", 0);
    cr_assert_eq (g.shard, 3);
    cr_assert_eq (g.attempt, 1);
    //  n2's lease was untouched and still completes.
    cr_assert_eq (s_done (id, 2, "n2"), 1);
    sw_jobs_node_lost (s_jobs, "nobody", "gone");
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n3"), 3);
}

Test (jobs, node_lost_on_the_last_attempt_fails_the_shard)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 10000, 1);
    s_next ("n1", 0);
    sw_jobs_node_lost (s_jobs, "n1", "revoked");
    progress_t p = s_progress (id);
    cr_assert_eq (p.failed, 1);
    cr_assert_str_eq (p.state, "partial");
    s_commit ();
    char *report = s_report (id);
    char *failed = s_failed_shards (report);
    cr_assert (strstr (failed, "n1"), "%s", failed);
    cr_assert (strstr (failed, "revoked"), "%s", failed);
    free (failed);
    free (report);
}

Test (jobs, renew_keeps_the_lease_alive)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 3);
    s_next ("n1", 0);
    sw_jobs_renew (s_jobs, id, 0, "n1", 800);
    sw_jobs_expire (s_jobs, 1500);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 1, "renewed at 800, good until 1800");
    sw_jobs_expire (s_jobs, 1800);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 0);
}

Test (jobs, renew_from_another_node_takes_the_lease_over)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 3);
    s_next ("n1/a", 0);
    sw_jobs_renew (s_jobs, id, 0, "n1/b", 900);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1/a"), 0);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1/b"), 1);
    sw_jobs_expire (s_jobs, 1000);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1/b"), 1, "the renewal prevents expiry");
    //  Losing the old routing id no longer affects the lease.
    sw_jobs_node_lost (s_jobs, "n1/a", "disconnected");
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1/b"), 1);
    cr_assert_eq (s_progress (id).queued, 0);
    s_no_next ("n2", 1000);
    cr_assert_eq (s_done (id, 0, "n1/b"), 1);
    cr_assert_str_eq (s_progress (id).state, "done");
}

Test (jobs, renew_of_a_requeued_or_unknown_shard_is_ignored)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 3);
    s_next ("n1", 0);
    sw_jobs_expire (s_jobs, 1000);
    sw_jobs_renew (s_jobs, id, 0, "n1", 1100);
    sw_jobs_renew (s_jobs, id, 7, "n1", 1100);
    sw_jobs_renew (s_jobs, "job-999999", 0, "n1", 1100);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 0, "a lapsed lease is not revived");
    progress_t p = s_progress (id);
    cr_assert_eq (p.queued, 1);
    cr_assert_eq (p.leased, 0);
    sw_grant_t g = s_next ("n2", 1100);
    cr_assert_eq (g.shard, 0);
    cr_assert_eq (g.attempt, 2);
}

//  ---------------------------------------------------------------------
//  Findings

Test (jobs, findings_with_one_fingerprint_merge_within_a_commit)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 2, 10000, 3);
    sw_finding_t a = s_finding (id, 0, "127.0.0.1", "tcp/5432", SW_SEV_HIGH, "PostgreSQL open");
    //  Same what/where, found again by a retry with other details.
    sw_finding_t a2 = s_finding (id, 1, "127.0.0.1", "tcp/5432", SW_SEV_HIGH, "rerun");
    a2.first_seen = 1800000000000;
    sw_finding_t b = s_finding (id, 0, "127.0.0.1", "tcp/6379", SW_SEV_CRITICAL, "Redis open");
    cr_assert_str_eq (a.fingerprint, a2.fingerprint);
    cr_assert_str_neq (a.fingerprint, b.fingerprint);
    s_next ("n1", 0); //  shard 0
    s_next ("n1", 0); //  shard 1
    cr_assert_eq (sw_jobs_finding (s_jobs, &a, "n1"), 1);
    cr_assert_eq (sw_jobs_finding (s_jobs, &a, "n1"), 0);
    cr_assert_eq (sw_jobs_finding (s_jobs, &a2, "n1"), 0);
    cr_assert_eq (sw_jobs_finding (s_jobs, &b, "n1"), 1);
    progress_t p = s_progress (id);
    cr_assert_eq (p.findings, 2);
    cr_assert_eq (p.sev[SW_SEV_HIGH], 1);
    cr_assert_eq (p.sev[SW_SEV_CRITICAL], 1);
    cr_assert_eq (p.sev[SW_SEV_INFO], 0);

    s_commit ();
    char *report = s_report (id);
    char needle[80];
    snprintf (needle, sizeof needle, "\"fingerprint\": \"%s\"", a.fingerprint);
    cr_assert_eq (s_count (report, needle), 1, "%s", report);
    snprintf (needle, sizeof needle, "\"fingerprint\": \"%s\"", b.fingerprint);
    cr_assert_eq (s_count (report, needle), 1, "%s", report);
    cr_assert_eq (s_count (report, "\"fingerprint\": "), 2);
    cr_assert (strstr (report, "\"findings\": 2"), "%s", report);
    //  Most severe first.
    cr_assert (strstr (report, "Redis open") < strstr (report, "PostgreSQL open"), "%s", report);
    free (report);
}

Test (jobs, findings_with_one_fingerprint_merge_across_commits)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 10000, 3);
    sw_finding_t a = s_finding (id, 0, "127.0.0.1", "tcp/22", SW_SEV_LOW, "ssh");
    s_next ("n1", 0);
    cr_assert_eq (sw_jobs_finding (s_jobs, &a, "n1"), 1);
    s_commit ();
    cr_assert_eq (sw_jobs_finding (s_jobs, &a, "n1"), 0);
    s_commit ();
    cr_assert_eq (sw_jobs_finding (s_jobs, &a, "n1"), 0);
    progress_t p = s_progress (id);
    cr_assert_eq (p.findings, 1);
    cr_assert_eq (p.sev[SW_SEV_LOW], 1);
    //  And after a restart, when the shard runs again on another node.
    s_crash ();
    s_open ();
    s_next ("n2", 0);
    cr_assert_eq (sw_jobs_finding (s_jobs, &a, "n2"), 0);
    p = s_progress (id);
    cr_assert_eq (p.findings, 1);
    cr_assert_eq (p.sev[SW_SEV_LOW], 1);
}

Test (jobs, findings_of_one_fingerprint_in_two_jobs_are_kept_apart)
{
    char a_id[SW_JOB_ID_MAX], b_id[SW_JOB_ID_MAX];
    s_submit (a_id, 1, 10000, 3);
    s_submit (b_id, 1, 10000, 3);
    sw_finding_t a = s_finding (a_id, 0, "127.0.0.1", "tcp/22", SW_SEV_LOW, "ssh");
    sw_finding_t b = s_finding (b_id, 0, "127.0.0.1", "tcp/22", SW_SEV_LOW, "ssh");
    cr_assert_str_eq (a.fingerprint, b.fingerprint);
    s_next ("n1", 0);
    s_next ("n1", 0);
    cr_assert_eq (sw_jobs_finding (s_jobs, &a, "n1"), 1);
    cr_assert_eq (sw_jobs_finding (s_jobs, &b, "n1"), 1);
    cr_assert_eq (s_progress (a_id).findings, 1);
    cr_assert_eq (s_progress (b_id).findings, 1);
}

Test (jobs, finding_for_an_unknown_job_is_refused)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 10000, 3);
    s_commit ();
    sw_finding_t f = s_finding ("job-424242", 0, "127.0.0.1", "tcp/22", SW_SEV_LOW, "ssh");
    cr_assert_eq (sw_jobs_finding (s_jobs, &f, "n1"), -1);
    cr_assert_eq (s_progress (id).findings, 0);
    cr_assert_eq (sw_store_pending (s_store), 0, "nothing staged for an unknown job");
}

//  ---------------------------------------------------------------------
//  Cancel, views

Test (jobs, cancel_stops_dispatch_and_ignores_later_results)
{
    char a[SW_JOB_ID_MAX], b[SW_JOB_ID_MAX], err[256] = "";
    s_submit (a, 4, 1000, 3);
    s_submit (b, 1, 1000, 3);
    s_next ("n1", 0); //  a#0
    s_next ("n1", 0); //  a#1
    sw_jobs_expire (s_jobs, 1000);
    s_next ("n1", 1000); //  one retried, the other stays queued
    cr_assert_eq (sw_jobs_cancel (s_jobs, a, err, sizeof err), 0, "%s", err);
    progress_t p = s_progress (a);
    cr_assert_str_eq (p.state, "cancelled");
    cr_assert_eq (p.leased, 0);
    cr_assert_eq (p.queued, 0);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 0);
    cr_assert_str_eq (s_listed (a, 2).state, "cancelled");
    //  Only the other job's work is handed out now.
    sw_grant_t g = s_next ("n1", 1000);
    cr_assert_str_eq (g.job, b);
    s_no_next ("n1", 1000);
    //  Late results of the cancelled job change nothing.
    cr_assert_eq (s_done (a, 0, "n1"), 0);
    cr_assert_eq (s_done (a, 1, "n1"), 0);
    cr_assert_eq (sw_jobs_failed (s_jobs, a, 0, 1, "n1", "x"), 0);
    sw_jobs_expire (s_jobs, 1000000);
    p = s_progress (a);
    cr_assert_str_eq (p.state, "cancelled");
    cr_assert_eq (p.done, 0);
    cr_assert_eq (p.failed, 0);
    size_t running, all;
    sw_jobs_counts (s_jobs, &running, &all);
    cr_assert_eq (running, 1, "b is still running");
    cr_assert_eq (all, 2);
}

Test (jobs, cancel_of_unknown_or_finished_job_fails)
{
    char id[SW_JOB_ID_MAX], err[256] = "";
    s_submit (id, 1, 1000, 3);
    cr_assert_eq (sw_jobs_cancel (s_jobs, "job-777777", err, sizeof err), -1);
    cr_assert (strstr (err, "job-777777"), "%s", err);
    s_next ("n1", 0);
    cr_assert_eq (s_done (id, 0, "n1"), 1);
    err[0] = 0;
    cr_assert_eq (sw_jobs_cancel (s_jobs, id, err, sizeof err), -2);
    cr_assert (strstr (err, "done"), "%s", err);
    cr_assert_str_eq (s_progress (id).state, "done");
}

Test (jobs, cancelling_twice_is_not_an_error)
{
    char id[SW_JOB_ID_MAX], err[256] = "";
    s_submit (id, 2, 1000, 3);
    cr_assert_eq (sw_jobs_cancel (s_jobs, id, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_jobs_cancel (s_jobs, id, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq (s_progress (id).state, "cancelled");
}

Test (jobs, a_repeated_submit_token_returns_the_first_job)
{
    char text[512], a[SW_JOB_ID_MAX], b[SW_JOB_ID_MAX], err[256] = "";
    s_job_text (text, sizeof text, "127.0.0.1", "1-3", 1, 1000, 3);
    uint64_t total = 0;
    const char *token = "0123456789abcdef0123456789abcdef";
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "t.yaml", token, NULL, a, &total,
                                  err, sizeof err),
                  0, "%s", err);
    s_commit ();
    s_crash ();
    s_open ();
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "t.yaml", token, NULL, b, &total,
                                  err, sizeof err),
                  0, "%s", err);
    cr_assert_str_eq (a, b, "a retried submit must not create a second job");
    cr_assert_eq (total, 3);
    size_t running, all;
    sw_jobs_counts (s_jobs, &running, &all);
    cr_assert_eq (all, 1);
    cr_assert_eq (sw_jobs_submit (s_jobs, text, strlen (text), "t.yaml", "BAD TOKEN!", NULL, b,
                                  &total, err, sizeof err),
                  -1);
    cr_assert (strstr (err, "token"), "%s", err);
}

Test (jobs, only_the_same_node_can_renew_a_lease)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 3);
    s_next ("n1/aa", 0);
    //  Another node listing the lease does not keep it alive...
    sw_jobs_renew (s_jobs, id, 0, "n2/bb", 900);
    sw_jobs_expire (s_jobs, 1000);
    cr_assert_eq (s_progress (id).queued, 1, "n2 kept n1's lease alive");
    //  ...but the same node under a new session does.
    sw_grant_t g = s_next ("n1/aa", 1000);
    cr_assert_eq (g.attempt, 2);
    sw_jobs_renew (s_jobs, id, 0, "n1/cc", 1900);
    sw_jobs_expire (s_jobs, 2500);
    cr_assert_eq (s_progress (id).leased, 1, "n1's new session did not renew its lease");
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1/cc"), 1);
}

Test (jobs, attempt_counts_of_retried_shards_survive_a_restart)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 2);
    s_next ("n1", 0);
    sw_jobs_expire (s_jobs, 1000); //  attempt 1 lapsed, queued for attempt 2
    s_commit ();
    s_crash ();
    s_open ();
    sw_grant_t g = s_next ("n1", 0);
    cr_assert_eq (g.attempt, 2, "the restart reset the attempt count");
    sw_jobs_expire (s_jobs, 5000);
    cr_assert_eq (s_progress (id).failed, 1, "the last attempt lapsed: the shard fails");
}

Test (jobs, cancelled_state_survives_restart)
{
    char id[SW_JOB_ID_MAX], err[256] = "";
    s_submit (id, 3, 1000, 3);
    s_next ("n1", 0);
    cr_assert_eq (sw_jobs_cancel (s_jobs, id, err, sizeof err), 0);
    s_commit ();
    s_crash ();
    s_open ();
    cr_assert_str_eq (s_progress (id).state, "cancelled");
    s_no_next ("n1", 0);
}

Test (jobs, views_of_an_unknown_job)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    cr_assert_eq (sw_jobs_pack_progress (s_jobs, "job-000001", &pk), -1);
    msgpack_sbuffer_destroy (&sbuf);
    size_t len = 0;
    cr_assert_null (sw_jobs_report_json (s_jobs, "job-000001", &len));
    s_no_next ("n1", 0);
    size_t running = 9, all = 9;
    sw_jobs_counts (s_jobs, &running, &all);
    cr_assert_eq (running, 0);
    cr_assert_eq (all, 0);
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    sw_jobs_pack_list (s_jobs, &pk);
    sw_mpdoc_t doc;
    s_decode (&sbuf, &doc);
    const sw_mpv_t *list = sw_mpv_get (doc.root, "jobs");
    cr_assert (list && list->type == SW_MPV_ARRAY && list->len == 0);
    sw_mpdoc_free (&doc);
    msgpack_sbuffer_destroy (&sbuf);
}

//  ---------------------------------------------------------------------
//  Recovery (the broker was killed: only committed state remains)

typedef struct {
    uint64_t shards[64];
    char states[64][16];
    size_t n;
} shard_records_t;

static int s_record_visit (void *arg, const char *key, size_t keylen, const char *value,
                           size_t size)
{
    shard_records_t *r = arg;
    cr_assert_lt (r->n, 64);
    const char *slash = memrchr (key, '/', keylen);
    cr_assert_not_null (slash);
    r->shards[r->n] = strtoull (slash + 1, NULL, 16);
    sw_mpdoc_t doc;
    char err[128];
    cr_assert_eq (sw_mpdoc_decode (value, size, &doc, err, sizeof err), 0, "%s", err);
    const char *state = sw_mpv_str (sw_mpv_get (doc.root, "state"));
    snprintf (r->states[r->n], sizeof r->states[r->n], "%s", state ? state : "?");
    sw_mpdoc_free (&doc);
    r->n++;
    return 0;
}

Test (jobs, restart_requeues_in_flight_shards_and_keeps_finished_ones)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 10, 5000, 3);
    int counted[10] = {0};
    for (uint64_t i = 0; i < 6; i++)
        cr_assert_eq (s_next ("n1", 1000).shard, i);
    //  Findings of a shard come before its DONE.
    sw_finding_t kept = s_finding (id, 1, "127.0.0.1", "tcp/2", SW_SEV_MEDIUM, "kept");
    cr_assert_eq (sw_jobs_finding (s_jobs, &kept, "n1"), 1);
    const uint64_t early[] = {0, 1, 2, 4};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq (s_done (id, early[i], "n1"), 1);
        counted[early[i]]++;
    }
    s_commit ();
    //  Work after the last commit is lost with the broker.
    sw_finding_t lost = s_finding (id, 3, "127.0.0.1", "tcp/4", SW_SEV_HIGH, "lost");
    cr_assert_eq (sw_jobs_finding (s_jobs, &lost, "n1"), 1);
    cr_assert_eq (s_done (id, 3, "n1"), 1);
    s_next ("n2", 1500); //  6
    s_next ("n2", 1500); //  7
    s_crash ();

    s_open ();
    progress_t p = s_progress (id);
    cr_assert_str_eq (p.state, "running");
    cr_assert_eq (p.total, 10);
    cr_assert_eq (p.done, 4, "only committed results survive");
    cr_assert_eq (p.findings, 1);
    cr_assert_eq (p.sev[SW_SEV_MEDIUM], 1);
    cr_assert_eq (p.sev[SW_SEV_HIGH], 0);
    cr_assert_eq (p.leased, 0);
    cr_assert_eq (p.queued, 2, "shards 3 and 5 were in flight at the last commit");
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 0);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n2"), 0);
    //  A finished shard stays finished.
    cr_assert_eq (s_done (id, 0, "n1"), 0);

    //  The unfinished shards are handed out (in-flight ones first), the
    //  finished ones never, each exactly once; the lease comes from the job.
    int granted[10] = {0};
    uint64_t order[10];
    size_t n = 0;
    sw_grant_t g;
    while (sw_jobs_next (s_jobs, "n3", 100, &g) == 1) {
        cr_assert_lt (n, 10, "too many grants");
        cr_assert_str_eq (g.job, id);
        cr_assert_lt (g.shard, 10);
        cr_assert_eq (g.lease_ms, 5000);
        char port[8];
        snprintf (port, sizeof port, "%" PRIu64, g.shard + 1);
        cr_assert_str_eq (g.spec.ports, port);
        order[n++] = g.shard;
        granted[g.shard]++;
    }
    cr_assert_eq (n, 6);
    cr_assert ((order[0] == 3 && order[1] == 5) || (order[0] == 5 && order[1] == 3),
               "requeued shards first, got %" PRIu64 ", %" PRIu64, order[0], order[1]);
    for (uint64_t i = 0; i < 10; i++) {
        bool finished = i == 0 || i == 1 || i == 2 || i == 4;
        cr_assert_eq (granted[i], finished ? 0 : 1, "shard %" PRIu64 " granted %d times", i,
                      granted[i]);
    }
    //  The old node's replay of a shard the broker lost track of is not
    //  taken (n1 no longer holds it); the new run on n3 finds it again.
    cr_assert_eq (sw_jobs_finding (s_jobs, &lost, "n1"), -1);
    cr_assert_eq (sw_jobs_finding (s_jobs, &lost, "n3"), 1);
    //  A shard that is done takes no more findings.
    cr_assert_eq (sw_jobs_finding (s_jobs, &kept, "n1"), -1);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq (s_done (id, order[i], "n3"), 1, "shard %" PRIu64, order[i]);
        counted[order[i]]++;
    }
    //  Once the job is over its report is final: late copies change nothing.
    cr_assert_eq (sw_jobs_finding (s_jobs, &lost, "n3"), 0);
    s_commit ();

    p = s_progress (id);
    cr_assert_str_eq (p.state, "done");
    cr_assert_eq (p.done, 10);
    cr_assert_eq (p.failed, 0);
    for (int i = 0; i < 10; i++)
        cr_assert_eq (counted[i], 1, "shard %d counted %d times", i, counted[i]);
    //  The durable record: every shard finished once, as done.
    shard_records_t rec = {.n = 0};
    char prefix[64];
    snprintf (prefix, sizeof prefix, "s/%s/", id);
    sw_store_scan (s_store, prefix, NULL, s_record_visit, &rec);
    cr_assert_eq (rec.n, 10);
    for (size_t i = 0; i < rec.n; i++) {
        cr_assert_eq (rec.shards[i], i);
        cr_assert_str_eq (rec.states[i], "done");
    }
    char *report = s_report (id);
    cr_assert (strstr (report, kept.fingerprint), "committed finding lost:\n%s", report);
    cr_assert (strstr (report, lost.fingerprint), "%s", report);
    cr_assert (strstr (report, "\"shards_done\": 10"), "%s", report);
    cr_assert (strstr (report, "\"complete\": true"), "%s", report);
    free (report);

    //  Ids continue after the restart.
    char next[SW_JOB_ID_MAX];
    s_submit (next, 1, 1000, 1);
    cr_assert_str_eq (next, "job-000002");
}

Test (jobs, restart_keeps_findings_committed_before_the_crash_in_the_report)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 2, 5000, 3);
    s_next ("n1", 0);
    sw_finding_t f = s_finding (id, 0, "127.0.0.1", "tcp/1", SW_SEV_CRITICAL, "open admin port");
    cr_assert_eq (sw_jobs_finding (s_jobs, &f, "n1"), 1);
    s_commit ();
    s_crash ();
    s_open ();
    progress_t p = s_progress (id);
    cr_assert_eq (p.findings, 1);
    cr_assert_eq (p.sev[SW_SEV_CRITICAL], 1);
    char *report = s_report (id);
    cr_assert (strstr (report, f.fingerprint), "%s", report);
    cr_assert (strstr (report, "open admin port"), "%s", report);
    cr_assert (strstr (report, "\"critical\": 1"), "%s", report);
    free (report);
}

Test (jobs, submit_not_committed_is_forgotten_after_a_crash)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 3, 1000, 3);
    s_crash ();
    s_open ();
    size_t running, all;
    sw_jobs_counts (s_jobs, &running, &all);
    cr_assert_eq (all, 0);
    s_no_next ("n1", 0);
    s_submit (id, 1, 1000, 3);
    cr_assert_str_eq (id, "job-000001");
}

Test (jobs, restart_requeues_leased_shards_that_have_no_result)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 3, 1000, 3);
    s_commit ();
    s_next ("n1", 0); //  0
    s_next ("n1", 0); //  1
    s_commit ();      //  the leases are durable, no result yet
    s_crash ();
    s_open ();
    progress_t p = s_progress (id);
    cr_assert_eq (p.queued, 2, "the two in-flight shards are queued again");
    cr_assert_eq (p.leased, 0);
    cr_assert_eq (p.done, 0);
    bool seen[3] = {false, false, false};
    for (int i = 0; i < 3; i++) {
        sw_grant_t g = s_next ("n2", 0);
        cr_assert_lt (g.shard, 3);
        cr_assert_not (seen[g.shard], "shard %" PRIu64 " handed out twice", g.shard);
        seen[g.shard] = true;
        if (i < 2)
            cr_assert_lt (g.shard, 2, "requeued shards go first");
    }
    s_no_next ("n2", 0);
}

Test (jobs, restart_before_any_lease_was_committed_hands_out_everything)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 3, 1000, 3);
    s_commit ();
    s_next ("n1", 0);
    s_next ("n1", 0);
    s_crash ();
    s_open ();
    cr_assert_eq (s_progress (id).queued, 0);
    for (uint64_t i = 0; i < 3; i++)
        cr_assert_eq (s_next ("n2", 0).shard, i);
    s_no_next ("n2", 0);
}

Test (jobs, restart_keeps_failed_shards_failed)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 3, 1000, 1);
    s_next ("n1", 0); //  0
    s_next ("n1", 0); //  1
    sw_jobs_renew (s_jobs, id, 1, "n1", 500);
    sw_jobs_expire (s_jobs, 1000); //  0 fails: one attempt only
    cr_assert_eq (s_progress (id).failed, 1);
    s_commit ();
    s_crash ();

    s_open ();
    progress_t p = s_progress (id);
    cr_assert_eq (p.failed, 1);
    cr_assert_eq (p.queued, 1, "only shard 1 was in flight");
    cr_assert_eq (s_next ("n2", 0).shard, 1);
    cr_assert_eq (s_next ("n2", 0).shard, 2);
    s_no_next ("n2", 0);
    cr_assert_eq (s_done (id, 1, "n2"), 1);
    cr_assert_eq (s_done (id, 2, "n2"), 1);
    p = s_progress (id);
    cr_assert_str_eq (p.state, "partial");
    cr_assert_eq (p.done, 2);
    s_commit ();
    char *report = s_report (id);
    char *failed = s_failed_shards (report);
    cr_assert_eq (s_count (failed, "{\"shard\": "), 1, "%s", failed);
    cr_assert (strstr (failed, "{\"shard\": 0, \"target\": \"127.0.0.1\", \"ports\": \"1\""), "%s",
               failed);
    cr_assert (strstr (failed, "lease expired"), "%s", failed);
    free (failed);
    free (report);
}

Test (jobs, restart_keeps_lease_ms_and_max_attempts)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 2, 3000, 1);
    s_commit ();
    s_crash ();
    s_open ();
    sw_grant_t g = s_next ("n1", 10000);
    cr_assert_eq (g.lease_ms, 3000);
    sw_jobs_expire (s_jobs, 12999);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1"), 1);
    sw_jobs_expire (s_jobs, 13000);
    progress_t p = s_progress (id);
    cr_assert_eq (p.failed, 1, "max_attempts 1: the first expiry fails the shard");
    cr_assert_eq (p.queued, 0);
}

Test (jobs, finished_job_survives_restart)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 2, 1000, 3);
    s_next ("n1", 0);
    s_next ("n1", 0);
    cr_assert_eq (s_done (id, 0, "n1"), 1);
    cr_assert_eq (s_done (id, 1, "n1"), 1);
    s_commit ();
    s_crash ();
    s_open ();
    progress_t p = s_progress (id);
    cr_assert_str_eq (p.state, "done");
    cr_assert_eq (p.done, 2);
    cr_assert (p.complete);
    s_no_next ("n1", 0);
    cr_assert_eq (s_done (id, 1, "n1"), 0);
    char *report = s_report (id);
    cr_assert (strstr (report, "\"complete\": true"), "%s", report);
    free (report);
}

Test (jobs, transfer_moves_a_sessions_leases_to_its_successor)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 3, 1000, 3);
    s_next ("n1/old", 0);
    s_next ("n1/old", 0);
    s_next ("n2/x", 0);
    cr_assert_eq (sw_jobs_adopt (s_jobs, "n1/new"), 2);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1/old"), 0);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n1/new"), 2);
    cr_assert_eq (sw_jobs_leases_of (s_jobs, "n2/x"), 1);
    //  Losing the old session no longer touches the moved leases.
    sw_jobs_node_lost (s_jobs, "n1/old", "replaced");
    cr_assert_eq (s_progress (id).queued, 0);
}

Test (jobs, a_released_grant_keeps_its_attempt_and_its_place)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 3, 1000, 1);
    sw_grant_t g = s_next ("n1/a", 0);
    cr_assert_eq (g.shard, 0);
    sw_jobs_release (s_jobs, id, 0); //  the SHARD could not be sent
    progress_t p = s_progress (id);
    cr_assert_eq (p.queued, 1);
    cr_assert_eq (p.leased, 0);
    g = s_next ("n2/b", 0);
    cr_assert_eq (g.shard, 0, "the released shard goes first");
    cr_assert_eq (g.attempt, 1, "an unsent grant is not an attempt");
}

Test (jobs, queued_count_stays_exact_when_a_queued_shard_completes)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 2, 1000, 3);
    s_next ("n1/a", 0);
    sw_jobs_expire (s_jobs, 1000); //  shard 0 queued again
    cr_assert_eq (s_progress (id).queued, 1);
    //  The late DONE of the lapsed attempt still counts...
    cr_assert_eq (s_done (id, 0, "n1/a"), 1);
    //  ...and the queue no longer counts that shard.
    cr_assert_eq (s_progress (id).queued, 0);
    sw_grant_t g = s_next ("n1/a", 1000);
    cr_assert_eq (g.shard, 1, "the finished shard must not be handed out again");
}

Test (jobs, failed_from_a_node_without_the_lease_is_ignored)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 3);
    sw_grant_t g = s_next ("n1/a", 0);
    cr_assert_eq (sw_jobs_failed (s_jobs, id, 0, g.attempt, "n2/b", "not mine"), 0);
    cr_assert_eq (s_progress (id).leased, 1);
    cr_assert_eq (sw_jobs_failed (s_jobs, id, 0, g.attempt, "n1/c", "mine, new session"), 1);
}

Test (jobs, only_the_holder_may_finish_a_shard_or_report_on_it)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 3);
    s_next ("n1/a", 0);
    sw_finding_t f = s_finding (id, 0, "127.0.0.1", "tcp/22", SW_SEV_LOW, "ssh");
    cr_assert_eq (sw_jobs_finding (s_jobs, &f, "n2/b"), -1, "another node wrote into n1's shard");
    cr_assert_eq (s_done (id, 0, "n2/b"), 0, "another node finished n1's shard");
    cr_assert_eq (s_progress (id).done, 0);
    cr_assert_eq (sw_jobs_finding (s_jobs, &f, "n1/a"), 1);
    cr_assert_eq (s_done (id, 0, "n1/a"), 1);
}

Test (jobs, a_shard_takes_at_most_its_share_of_findings)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 3);
    s_next ("n1", 0);
    char location[32];
    for (int i = 0; i < SW_SHARD_FINDINGS_MAX; i++) {
        snprintf (location, sizeof location, "tcp/%d", i);
        sw_finding_t f = s_finding (id, 0, "127.0.0.1", location, SW_SEV_LOW, "x");
        cr_assert_eq (sw_jobs_finding (s_jobs, &f, "n1"), 1);
    }
    sw_finding_t extra = s_finding (id, 0, "127.0.0.1", "tcp/99999", SW_SEV_LOW, "flood");
    cr_assert_eq (sw_jobs_finding (s_jobs, &extra, "n1"), -1);
    cr_assert_eq (s_progress (id).findings, SW_SHARD_FINDINGS_MAX);
}

Test (jobs, a_lease_cannot_be_renewed_forever)
{
    char id[SW_JOB_ID_MAX];
    s_submit (id, 1, 1000, 3);
    s_next ("n1", 0);
    int64_t now = 0;
    for (int i = 0; i < SW_LEASE_MAX_RENEWALS * 2; i++) {
        now += 900;
        sw_jobs_renew (s_jobs, id, 0, "n1", now);
        sw_jobs_expire (s_jobs, now);
    }
    cr_assert_eq (s_progress (id).queued, 1, "a renewed-forever lease never lapsed");
}
