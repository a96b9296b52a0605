/*  Tests for sw_gitscan: every blob reachable from every ref, once, at the
    commit where it first appears (oldest first), with its path and author
    date; subtrees seen before are not walked again; a missing repository
    is named. The repository is made with the git command. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_gitscan.h"
#include "sw_testutil.h"

static char s_tmp[64];

typedef struct {
    char path[8][128], data[8][64], commit[8][41];
    int64_t time[8];
    int n;
} seen_t;

static int s_seen (void *arg, const sw_git_place_t *place, const char *data, size_t len)
{
    seen_t *s = arg;
    if (s->n < 8) {
        snprintf (s->path[s->n], 128, "%s", place->path);
        snprintf (s->data[s->n], 64, "%.*s", (int)(len < 63 ? len : 63), data);
        snprintf (s->commit[s->n], 41, "%s", place->commit);
        s->time[s->n] = place->time;
        s->n++;
    }
    return 0;
}

static void s_git (const char *script)
{
    char cmd[2048];
    snprintf (cmd, sizeof cmd,
              "cd %s/repo && export GIT_CONFIG_NOSYSTEM=1 HOME=%s GIT_AUTHOR_NAME=t "
              "GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t && (%s) "
              ">/dev/null 2>&1",
              s_tmp, s_tmp, script);
    cr_assert_eq (system (cmd), 0, "%s", script);
}

Test (gitscan, each_blob_once_where_it_first_appears_on_every_ref)
{
    if (system ("git --version >/dev/null 2>&1") != 0)
        cr_skip_test ("git is not installed");
    cr_assert_not_null (sw_test_mkdtemp (s_tmp, sizeof s_tmp, "sw_gitscan_test"));
    char repo[128];
    snprintf (repo, sizeof repo, "%s/repo", s_tmp);
    cr_assert_eq (mkdir (repo, 0700), 0);
    s_git ("git init -q -b main . && mkdir -p lib && echo one > lib/a.txt && git add . && "
           "GIT_AUTHOR_DATE='2025-01-01T00:00:00Z' git commit -qm 1 && "
           "echo token > lib/a.txt && GIT_AUTHOR_DATE='2025-01-02T00:00:00Z' git commit -qam 2 && "
           "echo one > lib/a.txt && GIT_AUTHOR_DATE='2025-01-03T00:00:00Z' git commit -qam 3 && "
           "git checkout -qb side && echo branch > b.txt && git add b.txt && "
           "GIT_AUTHOR_DATE='2025-01-04T00:00:00Z' git commit -qm 4 && git checkout -q main");
    seen_t seen = {0};
    sw_git_stats_t stats;
    char err[512];
    cr_assert_eq (sw_git_walk (repo, 1 << 20, s_seen, &seen, &stats, err, sizeof err), 0, "%s",
                  err);
    cr_assert_eq (stats.commits, 4);
    //  "one" is handed over once (commit 1), though commit 3 holds it again
    cr_assert_eq (seen.n, 3);
    cr_assert_eq (stats.blobs, 3);
    cr_assert_str_eq (seen.path[0], "lib/a.txt");
    cr_assert_str_eq (seen.data[0], "one\n");
    cr_assert_eq (seen.time[0], 1735689600);
    cr_assert_str_eq (seen.data[1], "token\n");
    cr_assert_eq (seen.time[1], 1735776000);
    cr_assert_str_eq (seen.path[2], "b.txt");
    cr_assert_str_eq (seen.data[2], "branch\n");
    cr_assert_eq (strlen (seen.commit[1]), 40);
    cr_assert_str_neq (seen.commit[0], seen.commit[1]);
    //  Blobs over the limit are skipped and counted
    memset (&seen, 0, sizeof seen);
    cr_assert_eq (sw_git_walk (repo, 5, s_seen, &seen, &stats, err, sizeof err), 0, "%s", err);
    cr_assert_eq (seen.n, 1); //  "one\n" is 4 bytes; "token\n" and "branch\n" are over 5
    cr_assert_eq (stats.skipped, 2);
    sw_test_rmtree (s_tmp);
}

Test (gitscan, a_folder_that_is_no_repository_is_named)
{
    char err[512];
    cr_assert_eq (sw_git_walk ("/nonexistent/repo", 1 << 20, s_seen, NULL, NULL, err, sizeof err),
                  -1);
    cr_assert (strstr (err, "/nonexistent/repo: not a git repository"), "%s", err);
}
