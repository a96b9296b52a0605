/*  Tests for sw_gitscan: every blob reachable from every ref, once, at the
    commit where it first appears (oldest first), with its path and author
    date; subtrees seen before are not walked again; a missing repository
    is named. The repository is made with the git command. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sw_archive.h"
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

//  A repository packed (as sweepctl submit packs it), unpacked elsewhere
//  (as a node does) and walked in parts: each blob in exactly one part, at
//  the same place as the whole walk gives it.
Test (gitscan, a_packed_history_in_parts_hands_over_each_blob_once)
{
    if (system ("git --version >/dev/null 2>&1") != 0)
        cr_skip_test ("git is not installed");
    cr_assert_not_null (sw_test_mkdtemp (s_tmp, sizeof s_tmp, "sw_gitscan_test"));
    char repo[128], gitdir[256], copy[128], err[512];
    snprintf (repo, sizeof repo, "%s/repo", s_tmp);
    snprintf (copy, sizeof copy, "%s/copy", s_tmp);
    cr_assert_eq (mkdir (repo, 0700), 0);
    cr_assert_eq (mkdir (copy, 0700), 0);
    s_git ("git init -q -b main . && for i in 1 2 3 4 5 6; do echo $i > f$i.txt; done && "
           "git add . && git commit -qm 1 && echo secret > f1.txt && git commit -qam 2 && "
           "git checkout -qb side && echo b > b.txt && git add b.txt && git commit -qm 3 && "
           "git checkout -q main && git gc -q");
    cr_assert_eq (sw_git_dir (repo, gitdir, sizeof gitdir, err, sizeof err), 0, "%s", err);
    cr_assert (strstr (gitdir, "/repo/.git"), "%s", gitdir);
    char *tar;
    size_t len;
    cr_assert_eq (sw_archive_pack (gitdir, 1 << 24, &tar, &len, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_archive_unpack (tar, len, copy, 1 << 24, err, sizeof err), 0, "%s", err);
    free (tar);
    seen_t whole = {0};
    cr_assert_eq (sw_git_walk (repo, 1 << 20, s_seen, &whole, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_eq (whole.n, 8);
    int found[8] = {0};
    for (uint32_t part = 0; part < 3; part++) {
        seen_t seen = {0};
        sw_git_stats_t stats;
        cr_assert_eq (
            sw_git_walk_part (copy, 1 << 20, part, 3, s_seen, &seen, &stats, err, sizeof err), 0,
            "%s", err);
        cr_assert_eq (stats.commits, 3);
        for (int i = 0; i < seen.n; i++)
            for (int j = 0; j < whole.n; j++)
                if (strcmp (seen.path[i], whole.path[j]) == 0 &&
                    strcmp (seen.data[i], whole.data[j]) == 0) {
                    cr_assert_str_eq (seen.commit[i], whole.commit[j]);
                    found[j]++;
                }
    }
    for (int j = 0; j < whole.n; j++)
        cr_assert_eq (found[j], 1, "%s (%s) handed over %d times", whole.path[j], whole.data[j],
                      found[j]);
    sw_test_rmtree (s_tmp);
}

//  Names in any bytes (a ref named in UTF-8) are packed as they are, not
//  through the locale, and come back the same.
Test (gitscan, packing_keeps_non_ascii_names)
{
    cr_assert_not_null (sw_test_mkdtemp (s_tmp, sizeof s_tmp, "sw_gitscan_test"));
    char dir[128], out[128], path[256], err[512];
    snprintf (dir, sizeof dir, "%s/in", s_tmp);
    snprintf (out, sizeof out, "%s/out", s_tmp);
    cr_assert_eq (mkdir (dir, 0700), 0);
    cr_assert_eq (mkdir (out, 0700), 0);
    snprintf (path, sizeof path, "%s/f\xc3\xaate", dir);
    FILE *f = fopen (path, "w");
    cr_assert_not_null (f);
    fputs ("x", f);
    fclose (f);
    char *tar;
    size_t len;
    cr_assert_eq (sw_archive_pack (dir, 1 << 20, &tar, &len, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_archive_unpack (tar, len, out, 1 << 20, err, sizeof err), 0, "%s", err);
    free (tar);
    snprintf (path, sizeof path, "%s/f\xc3\xaate", out);
    cr_assert_eq (access (path, F_OK), 0, "the name did not come back");
    sw_test_rmtree (s_tmp);
}

//  A tar member that would land outside the folder is refused.
Test (gitscan, unpacking_refuses_paths_outside_the_folder)
{
    cr_assert_not_null (sw_test_mkdtemp (s_tmp, sizeof s_tmp, "sw_gitscan_test"));
    char cmd[512], err[512], path[256];
    snprintf (cmd, sizeof cmd,
              "cd %s && echo x > evil && tar cf bad.tar --transform 's,^,../,' evil 2>/dev/null",
              s_tmp);
    cr_assert_eq (system (cmd), 0);
    snprintf (path, sizeof path, "%s/bad.tar", s_tmp);
    FILE *f = fopen (path, "rb");
    char buf[20480];
    size_t len = fread (buf, 1, sizeof buf, f);
    fclose (f);
    snprintf (path, sizeof path, "%s/out", s_tmp);
    cr_assert_eq (mkdir (path, 0700), 0);
    cr_assert_eq (sw_archive_unpack (buf, len, path, 1 << 20, err, sizeof err), -1);
    cr_assert (strstr (err, "not a plain relative path"), "%s", err);
    sw_test_rmtree (s_tmp);
}

Test (gitscan, a_folder_that_is_no_repository_is_named)
{
    char err[512];
    cr_assert_eq (sw_git_walk ("/nonexistent/repo", 1 << 20, s_seen, NULL, NULL, err, sizeof err),
                  -1);
    cr_assert (strstr (err, "/nonexistent/repo: not a git repository"), "%s", err);
}
