/*  Tests for sw_secretinput, the scan of one input that `sweepctl secrets`
    and nodes share: texts, binary content, archives (nested, damaged),
    a callback that stops, and git histories named REPO@COMMIT12:path. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sw_archive.h"
#include "sw_secretinput.h"
#include "sw_testutil.h"

static const uint8_t s_key[SW_SECRETS_KEY_LEN] = {7};
static const char *s_rule = "id: test-token\n"
                            "description: a test token\n"
                            "severity: high\n"
                            "pattern: \"\\\\b(tst_[a-z0-9]{12})\\\\b\"\n"
                            "tests:\n"
                            "  match: [\"t = tst_abcdefghijkl\"]\n"
                            "  no_match: [\"t = tst_short\"]\n";

typedef struct {
    char where[8][256];
    char commit[8][41];
    int n, stop_after;
} seen_t;

static int s_seen (void *arg, const sw_secret_where_t *where, const sw_secret_hit_t *hit)
{
    (void)hit;
    seen_t *s = arg;
    if (s->n < 8) {
        snprintf (s->where[s->n], sizeof s->where[0], "%s", where->resource);
        snprintf (s->commit[s->n], sizeof s->commit[0], "%s",
                  where->place ? where->place->commit : "");
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static sw_secrets_t *s_set;
static sw_secrets_scratch_t *s_scratch;
static sw_secret_tally_t s_tally;
static seen_t s_found;
static sw_secret_input_t s_in;
static char s_dir[64];

static void s_setup (void)
{
    char err[512] = "";
    s_set = sw_secrets_load_text ("t.yaml", s_rule, strlen (s_rule), err, sizeof err);
    cr_assert_not_null (s_set, "%s", err);
    s_scratch = sw_secrets_scratch_new (s_set);
    memset (&s_tally, 0, sizeof s_tally);
    memset (&s_found, 0, sizeof s_found);
    s_in = (sw_secret_input_t){s_set, s_scratch, s_key, 1 << 20, s_seen, &s_found, &s_tally};
    cr_assert_not_null (sw_test_mkdtemp (s_dir, sizeof s_dir, "sw-secretinput"));
}

static void s_teardown (void)
{
    sw_secrets_scratch_destroy (&s_scratch);
    sw_secrets_destroy (&s_set);
    sw_test_rmtree (s_dir);
}

static void s_write (const char *name, const char *text)
{
    cr_assert_eq (sw_test_write (s_dir, name, text), 0, "cannot write %s/%s", s_dir, name);
}

Test (secretinput, a_text_is_named_after_the_input, .init = s_setup, .fini = s_teardown)
{
    const char *text = "a = 1\nkey = tst_abcdefghijkl\n";
    cr_assert_eq (sw_secret_input_scan (&s_in, "app/config.py", text, strlen (text)), 0);
    cr_assert_eq (s_found.n, 1);
    cr_assert_str_eq (s_found.where[0], "app/config.py");
    cr_assert_str_eq (s_found.commit[0], "");
    cr_assert_eq (s_tally.texts, 1);
    cr_assert_eq (s_tally.bytes, strlen (text));
    const char bin[] = "\x7f"
                       "ELF\0\0\0 tst_abcdefghijkl";
    cr_assert_eq (sw_secret_input_scan (&s_in, "app/tool", bin, sizeof bin - 1), 0);
    cr_assert_eq (s_found.n, 1, "binary content is skipped");
    cr_assert_eq (s_tally.binary, 1);
}

Test (secretinput, archive_members_are_named_inside_it, .init = s_setup, .fini = s_teardown)
{
    s_write ("tree/deep/one.env", "TOKEN=tst_abcdefghijkl\n");
    s_write ("tree/two.txt", "nothing here\n");
    char *tar, err[256];
    size_t len;
    char tree[128];
    snprintf (tree, sizeof tree, "%s/tree", s_dir);
    cr_assert_eq (sw_archive_pack (tree, 1 << 20, &tar, &len, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_secret_input_scan (&s_in, "pkg/bundle.tar", tar, len), 0);
    cr_assert_eq (s_found.n, 1);
    cr_assert_str_eq (s_found.where[0], "pkg/bundle.tar!/deep/one.env");
    cr_assert_eq (s_tally.archives, 1);
    cr_assert_eq (s_tally.members, 2);
    cr_assert_str_eq (s_tally.warning, "");
    //  Cut short: what was read stands, the damage is a warning, not an error
    memset (&s_found, 0, sizeof s_found);
    cr_assert_eq (sw_secret_input_scan (&s_in, "pkg/cut.tar", tar, 1100), 0);
    cr_assert_neq (s_tally.warning[0], 0, "a damaged archive says so");
    cr_assert_str_eq (s_tally.err, "");
    free (tar);
}

Test (secretinput, a_callback_stops_the_scan, .init = s_setup, .fini = s_teardown)
{
    const char *text = "tst_abcdefghijkl\ntst_bbcdefghijkl\ntst_cbcdefghijkl\n";
    s_found.stop_after = 2;
    cr_assert_eq (sw_secret_input_scan (&s_in, "x", text, strlen (text)), 1);
    cr_assert_eq (s_found.n, 2);
}

Test (secretinput, history_blobs_are_named_where_they_first_appear, .init = s_setup,
      .fini = s_teardown)
{
    char cmd[1024];
    snprintf (cmd, sizeof cmd,
              "cd %s && git init -q repo && cd repo && git config user.email t@t && "
              "git config user.name t && echo 'k = tst_abcdefghijkl' > a.txt && git add a.txt && "
              "git commit -qm one && git rm -q a.txt && git commit -qm two && "
              "git rev-list --max-parents=0 HEAD > ../first",
              s_dir);
    cr_assert_eq (system (cmd), 0);
    char repo[128], first[64] = "";
    snprintf (repo, sizeof repo, "%s/repo", s_dir);
    snprintf (cmd, sizeof cmd, "%s/first", s_dir);
    FILE *f = fopen (cmd, "r");
    cr_assert (f && fgets (first, sizeof first, f));
    fclose (f);
    first[40] = 0;
    cr_assert_eq (sw_secret_input_history (&s_in, "origin", repo, 0, 1), 0);
    cr_assert_eq (s_found.n, 1);
    char want[128];
    snprintf (want, sizeof want, "origin@%.12s:a.txt", first);
    cr_assert_str_eq (s_found.where[0], want);
    cr_assert_str_eq (s_found.commit[0], first);
    cr_assert_eq (s_tally.commits, 2);
    cr_assert_eq (sw_secret_input_history (&s_in, "nowhere", "/nonexistent", 0, 1), -1);
    cr_assert (strstr (s_tally.err, "repository nowhere"), "%s", s_tally.err);
}
