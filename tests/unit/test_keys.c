/*  Tests for sw_keys: key directory layout, file modes, secret-file checks,
    add/revoke and allow-list loading, zauth honouring a revocation, node
    approval and rejection, and the broker's ZAP handler. */
#include <criterion/criterion.h>

#include "sw_testutil.h"
#include <dirent.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sw_keys.h"
#include "sw_zap.h"

static char s_tmp[64];
static char s_dir[128];
static char err[512];

static void setup (void)
{
    cr_assert_not_null (sw_test_mkdtemp (s_tmp, sizeof s_tmp, "sw_keys_test"));
    snprintf (s_dir, sizeof s_dir, "%s/keys", s_tmp);
    err[0] = 0;
}

static void teardown (void)
{
    sw_test_rmtree (s_tmp);
}

TestSuite (keys, .init = setup, .fini = teardown);

static const char *s_path (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

//  Formats DIR-relative paths into one of a few rotating buffers.
static const char *s_path (const char *fmt, ...)
{
    static char bufs[8][512];
    static int next;
    char rel[256];
    va_list args;
    va_start (args, fmt);
    vsnprintf (rel, sizeof rel, fmt, args);
    va_end (args);
    char *buf = bufs[next++ % 8];
    snprintf (buf, 512, "%s/%s", s_dir, rel);
    return buf;
}

static mode_t s_mode (const char *path)
{
    struct stat st;
    cr_assert_eq (lstat (path, &st), 0, "missing %s", path);
    return st.st_mode & 07777;
}

static bool s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

static void s_assert_no_hidden (const char *dir)
{
    DIR *handle = opendir (dir);
    cr_assert_not_null (handle, "cannot open %s", dir);
    struct dirent *entry;
    while ((entry = readdir (handle)))
        cr_assert (entry->d_name[0] != '.' || streq (entry->d_name, ".") ||
                       streq (entry->d_name, ".."),
                   "left-over temporary %s/%s", dir, entry->d_name);
    closedir (handle);
}

static void s_replace_in_file (const char *path, const char *from, const char *to)
{
    FILE *f = fopen (path, "r");
    cr_assert_not_null (f);
    char text[4096];
    size_t n = fread (text, 1, sizeof text - 1, f);
    fclose (f);
    text[n] = 0;
    char *at = strstr (text, from);
    cr_assert_not_null (at, "%s not in %s", from, path);
    char out[4096];
    snprintf (out, sizeof out, "%.*s%s%s", (int)(at - text), text, to, at + strlen (from));
    f = fopen (path, "w");
    cr_assert_not_null (f);
    fputs (out, f);
    fclose (f);
}

Test (keys, init_creates_layout_with_exact_modes_whatever_the_umask)
{
    mode_t old = umask (0);
    int rc = sw_keys_init (s_dir, 2, err, sizeof err);
    umask (old);
    cr_assert_eq (rc, 0, "%s", err);

    cr_assert_eq (s_mode (s_dir), 0700);
    cr_assert_eq (s_mode (s_path ("broker")), 0700);
    cr_assert_eq (s_mode (s_path ("id")), 0700);
    cr_assert_eq (s_mode (s_path ("allow")), 0755);
    cr_assert_eq (s_mode (s_path ("allow/nodes")), 0755);
    cr_assert_eq (s_mode (s_path ("allow/admins")), 0755);
    cr_assert_eq (s_mode (s_path ("broker/broker.crt")), 0644);
    cr_assert_eq (s_mode (s_path ("broker/broker.crt_secret")), 0600);
    const char *names[] = {"node1", "node2", "admin"};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq (s_mode (s_path ("id/%s.crt", names[i])), 0644);
        cr_assert_eq (s_mode (s_path ("id/%s.crt_secret", names[i])), 0600);
    }
    cr_assert_eq (s_mode (s_path ("allow/nodes/node1.crt")), 0644);
    cr_assert_eq (s_mode (s_path ("allow/nodes/node2.crt")), 0644);
    cr_assert_eq (s_mode (s_path ("allow/admins/admin.crt")), 0644);
    cr_assert_not (s_exists (s_path ("allow/nodes/node3.crt")));
    cr_assert_not (s_exists (s_path ("allow/nodes/admin.crt")));
    cr_assert_not (s_exists (s_path ("allow/nodes/node1.crt_secret")));
    cr_assert_not (s_exists (s_path ("broker/broker.crt_secret_secret")));
    s_assert_no_hidden (s_path ("id"));
    s_assert_no_hidden (s_path ("broker"));
    s_assert_no_hidden (s_path ("allow/nodes"));
}

Test (keys, init_with_strict_umask_still_makes_public_files_readable)
{
    mode_t old = umask (077);
    int rc = sw_keys_init (s_dir, 1, err, sizeof err);
    mode_t now = umask (old);
    cr_assert_eq (rc, 0, "%s", err);
    cr_assert_eq (now, 077, "umask not restored");
    cr_assert_eq (s_mode (s_path ("broker/broker.crt")), 0644);
    cr_assert_eq (s_mode (s_path ("allow/nodes/node1.crt")), 0644);
    cr_assert_eq (s_mode (s_path ("allow")), 0755);
}

Test (keys, certs_carry_name_role_and_created_metadata)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    zcert_t *broker = sw_cert_load_public (s_path ("broker/broker.crt"), err, sizeof err);
    zcert_t *node = sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err);
    zcert_t *admin = sw_cert_load_public (s_path ("allow/admins/admin.crt"), err, sizeof err);
    cr_assert (broker && node && admin, "%s", err);
    cr_assert_str_eq (zcert_meta (broker, "role"), "broker");
    cr_assert_str_eq (zcert_meta (node, "name"), "node1");
    cr_assert_str_eq (zcert_meta (node, "role"), "node");
    cr_assert_str_eq (zcert_meta (admin, "role"), "admin");
    const char *created = zcert_meta (node, "created");
    cr_assert_not_null (created);
    cr_assert_eq (strlen (created), 20, "created=%s", created);
    cr_assert_eq (created[10], 'T');
    cr_assert_eq (created[19], 'Z');
    sw_cert_destroy (&broker);
    sw_cert_destroy (&node);
    sw_cert_destroy (&admin);
}

Test (keys, files_are_readable_by_czmq_zcert_load)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    zcert_t *ours = sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err);
    zcert_t *theirs = zcert_load (s_path ("id/node1.crt"));
    cr_assert (ours && theirs);
    cr_assert (zcert_eq (ours, theirs), "zcert_load and sw_cert_load_secret disagree");
    cr_assert_str_eq (zcert_meta (theirs, "name"), "node1");
    sw_cert_destroy (&ours);
    sw_cert_destroy (&theirs);
}

Test (keys, init_refuses_an_existing_key_directory_and_keeps_it)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    zcert_t *before = sw_cert_load_public (s_path ("broker/broker.crt"), err, sizeof err);
    cr_assert_not_null (before);
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), -1);
    cr_assert (strstr (err, "broker.crt") && strstr (err, "already exists"), "%s", err);
    zcert_t *after = sw_cert_load_public (s_path ("broker/broker.crt"), err, sizeof err);
    cr_assert_not_null (after);
    cr_assert_str_eq (zcert_public_txt (before), zcert_public_txt (after));
    sw_cert_destroy (&before);
    sw_cert_destroy (&after);
}

Test (keys, init_rolls_back_what_it_created_when_it_fails)
{
    //  A stray node2 allow cert makes init fail half-way
    cr_assert_eq (mkdir (s_dir, 0700), 0);
    cr_assert_eq (mkdir (s_path ("allow"), 0755), 0);
    cr_assert_eq (mkdir (s_path ("allow/nodes"), 0755), 0);
    FILE *f = fopen (s_path ("allow/nodes/node2.crt"), "w");
    cr_assert_not_null (f);
    fclose (f);
    cr_assert_eq (sw_keys_init (s_dir, 3, err, sizeof err), -1);
    cr_assert (strstr (err, "node2"), "%s", err);
    cr_assert_not (s_exists (s_path ("broker/broker.crt")));
    cr_assert_not (s_exists (s_path ("broker")));
    cr_assert_not (s_exists (s_path ("id/node1.crt_secret")));
    cr_assert_not (s_exists (s_path ("allow/nodes/node1.crt")));
    cr_assert (s_exists (s_path ("allow/nodes/node2.crt")), "pre-existing file was removed");
    //  And once the stray file is gone, init works
    unlink (s_path ("allow/nodes/node2.crt"));
    cr_assert_eq (sw_keys_init (s_dir, 3, err, sizeof err), 0, "%s", err);
}

Test (keys, init_refuses_negative_node_count)
{
    cr_assert_eq (sw_keys_init (s_dir, -1, err, sizeof err), -1);
    cr_assert_not (s_exists (s_dir));
}

Test (keys, load_secret_refuses_world_readable_secret_naming_file_and_mode)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    const char *secret = s_path ("id/node1.crt_secret");
    cr_assert_eq (chmod (secret, 0644), 0);
    cr_assert_null (sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err));
    cr_assert (strstr (err, secret), "%s", err);
    cr_assert (strstr (err, "mode 0644"), "%s", err);
    cr_assert (strstr (err, "chmod 600"), "%s", err);
}

Test (keys, load_secret_refuses_group_readable_secret)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq (chmod (s_path ("id/node1.crt_secret"), 0640), 0);
    cr_assert_null (sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err));
    cr_assert (strstr (err, "mode 0640") && strstr (err, "group/world-readable"), "%s", err);
}

Test (keys, load_secret_refuses_any_group_or_other_bit)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq (chmod (s_path ("id/node1.crt_secret"), 0601), 0);
    cr_assert_null (sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err));
    cr_assert (strstr (err, "mode 0601"), "%s", err);
    cr_assert_eq (chmod (s_path ("id/node1.crt_secret"), 0620), 0);
    cr_assert_null (sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err));
    cr_assert (strstr (err, "mode 0620"), "%s", err);
}

Test (keys, load_secret_loads_a_private_cert_with_matching_keys)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    zcert_t *full = sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err);
    cr_assert_not_null (full, "%s", err);
    zcert_t *pub = sw_cert_load_public (s_path ("allow/nodes/node1.crt"), err, sizeof err);
    cr_assert_not_null (pub, "%s", err);
    cr_assert_str_eq (zcert_public_txt (full), zcert_public_txt (pub));
    byte derived[32];
    cr_assert_eq (crypto_scalarmult_base (derived, zcert_secret_key (full)), 0);
    cr_assert_eq (memcmp (derived, zcert_public_key (full), 32), 0);
    //  A public cert carries no secret
    static const byte zero[32];
    cr_assert_eq (memcmp (zcert_secret_key (pub), zero, 32), 0);
    //  The _secret path itself is accepted too
    zcert_t *again = sw_cert_load_secret (s_path ("id/node1.crt_secret"), err, sizeof err);
    cr_assert_not_null (again, "%s", err);
    cr_assert (zcert_eq (full, again));
    sw_cert_destroy (&full);
    sw_cert_destroy (&pub);
    sw_cert_destroy (&again);
    cr_assert_null (full);
    sw_cert_destroy (&full);
    sw_cert_destroy (NULL);
}

Test (keys, load_secret_refuses_symlink_and_non_regular_files)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq (symlink (s_path ("id/node1.crt_secret"), s_path ("id/link.crt_secret")), 0);
    cr_assert_null (sw_cert_load_secret (s_path ("id/link.crt"), err, sizeof err));
    cr_assert (strstr (err, "symbolic link"), "%s", err);
    //  A FIFO must be refused, not block the loader
    cr_assert_eq (mkfifo (s_path ("id/fifo.crt_secret"), 0600), 0);
    cr_assert_null (sw_cert_load_secret (s_path ("id/fifo.crt"), err, sizeof err));
    cr_assert (strstr (err, "not a regular file"), "%s", err);
    cr_assert_null (sw_cert_load_secret (s_path ("id/missing.crt"), err, sizeof err));
    cr_assert (strstr (err, "missing.crt_secret"), "%s", err);
}

Test (keys, load_secret_refuses_a_secret_key_that_does_not_match)
{
    cr_assert_eq (sw_keys_init (s_dir, 2, err, sizeof err), 0, "%s", err);
    zcert_t *other = sw_cert_load_secret (s_path ("id/node2.crt"), err, sizeof err);
    zcert_t *mine = sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err);
    cr_assert (other && mine, "%s", err);
    s_replace_in_file (s_path ("id/node1.crt_secret"), zcert_secret_txt (mine),
                       zcert_secret_txt (other));
    sw_cert_destroy (&other);
    sw_cert_destroy (&mine);
    cr_assert_null (sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err));
    cr_assert (strstr (err, "does not match"), "%s", err);
}

Test (keys, load_public_refuses_a_file_holding_a_secret)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    cr_assert_null (sw_cert_load_public (s_path ("id/node1.crt_secret"), err, sizeof err));
    cr_assert (strstr (err, "secret"), "%s", err);
    cr_assert_null (sw_cert_load_public (s_path ("nope.crt"), err, sizeof err));
    cr_assert (strstr (err, "nope.crt"), "%s", err);
}

Test (keys, load_public_refuses_garbage)
{
    cr_assert_eq (mkdir (s_dir, 0700), 0);
    FILE *f = fopen (s_path ("bad.crt"), "w");
    fputs ("curve\n    public-key = \"tooshort\"\n", f);
    fclose (f);
    cr_assert_null (sw_cert_load_public (s_path ("bad.crt"), err, sizeof err));
    cr_assert (strstr (err, "bad.crt:2"), "%s", err);
    f = fopen (s_path ("bad.crt"), "w");
    //  40 characters, but '"' is not Z85
    fputs ("curve\n    public-key = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"'\n", f);
    fclose (f);
    cr_assert_null (sw_cert_load_public (s_path ("bad.crt"), err, sizeof err));
    cr_assert (strstr (err, "invalid public-key"), "%s", err);
}

Test (keys, add_creates_identity_and_allow_entry_for_role)
{
    cr_assert_eq (sw_keys_init (s_dir, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_keys_add (s_dir, "node", "edge-7.eu_w", err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_keys_add (s_dir, "admin", "ops", err, sizeof err), 0, "%s", err);
    cr_assert_eq (s_mode (s_path ("id/edge-7.eu_w.crt_secret")), 0600);
    cr_assert_eq (s_mode (s_path ("allow/nodes/edge-7.eu_w.crt")), 0644);
    cr_assert_eq (s_mode (s_path ("allow/admins/ops.crt")), 0644);
    cr_assert_not (s_exists (s_path ("allow/nodes/ops.crt")));
    zcert_t *cert = sw_cert_load_secret (s_path ("id/ops.crt"), err, sizeof err);
    cr_assert_not_null (cert, "%s", err);
    cr_assert_str_eq (zcert_meta (cert, "role"), "admin");
    sw_cert_destroy (&cert);
}

Test (keys, add_refuses_existing_names_in_either_role)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    zcert_t *before = sw_cert_load_public (s_path ("allow/nodes/node1.crt"), err, sizeof err);
    cr_assert_eq (sw_keys_add (s_dir, "node", "node1", err, sizeof err), -1);
    cr_assert (strstr (err, "already exists"), "%s", err);
    cr_assert_eq (sw_keys_add (s_dir, "admin", "node1", err, sizeof err), -1);
    cr_assert_not (s_exists (s_path ("allow/admins/node1.crt")));
    zcert_t *after = sw_cert_load_public (s_path ("allow/nodes/node1.crt"), err, sizeof err);
    cr_assert_str_eq (zcert_public_txt (before), zcert_public_txt (after));
    sw_cert_destroy (&before);
    sw_cert_destroy (&after);
}

Test (keys, add_refuses_unknown_role)
{
    cr_assert_eq (sw_keys_init (s_dir, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_keys_add (s_dir, "broker", "b2", err, sizeof err), -1);
    cr_assert (strstr (err, "role"), "%s", err);
    cr_assert_not (s_exists (s_path ("id/b2.crt")));
}

Test (keys, names_are_validated)
{
    char longest[65], too_long[66];
    memset (longest, 'a', 64);
    longest[64] = 0;
    memset (too_long, 'b', 65);
    too_long[65] = 0;
    cr_assert (sw_keys_name_valid ("a"));
    cr_assert (sw_keys_name_valid ("Node-1.eu_west"));
    cr_assert (sw_keys_name_valid ("9lives"));
    cr_assert (sw_keys_name_valid (longest));
    const char *bad[] = {"",    ".hidden",     "-dash", "_under", "a/b",    "../x", "a b",
                         "a\n", "caf\xc3\xa9", "x:y",   "a\\b",   too_long, NULL};
    for (size_t i = 0; bad[i]; i++)
        cr_assert_not (sw_keys_name_valid (bad[i]), "accepted \"%s\"", bad[i]);
    cr_assert_not (sw_keys_name_valid (NULL));

    cr_assert_eq (sw_keys_init (s_dir, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_keys_add (s_dir, "node", "../escape", err, sizeof err), -1);
    cr_assert (strstr (err, "invalid name"), "%s", err);
    cr_assert_not (s_exists (s_path ("escape.crt")));
    cr_assert_eq (sw_keys_add (s_dir, "node", too_long, err, sizeof err), -1);
    cr_assert_eq (sw_keys_add (s_dir, "node", longest, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_keys_revoke (s_dir, "a/b", err, sizeof err), -1);
    cr_assert (strstr (err, "invalid name"), "%s", err);
}

Test (keys, revoke_removes_allow_entry_and_retires_identity)
{
    cr_assert_eq (sw_keys_init (s_dir, 2, err, sizeof err), 0, "%s", err);
    zcert_t *node2 = sw_cert_load_public (s_path ("id/node2.crt"), err, sizeof err);
    cr_assert_not_null (node2);
    cr_assert_eq (sw_keys_revoke (s_dir, "node2", err, sizeof err), 0, "%s", err);
    cr_assert_not (s_exists (s_path ("allow/nodes/node2.crt")));
    cr_assert_not (s_exists (s_path ("id/node2.crt")));
    cr_assert_not (s_exists (s_path ("id/node2.crt_secret")));
    cr_assert (s_exists (s_path ("id/node2.crt.revoked")));
    cr_assert (s_exists (s_path ("allow/nodes/node1.crt")), "revoked the wrong node");

    //  The log names the node and its key, and zauth's loader ignores it
    FILE *f = fopen (s_path ("allow/revoked.log"), "r");
    cr_assert_not_null (f);
    char text[4096];
    text[fread (text, 1, sizeof text - 1, f)] = 0;
    fclose (f);
    cr_assert (strstr (text, "node2 = \"node "), "%s", text);
    cr_assert (strstr (text, zcert_public_txt (node2)), "%s", text);
    zcert_t *as_cert = zcert_load (s_path ("allow/revoked.log"));
    cr_assert_null (as_cert, "zcert_load took the revocation log for a cert");
    zconfig_t *config = zconfig_load (s_path ("allow/revoked.log"));
    cr_assert_not_null (config, "revocation log is not valid ZPL");
    zconfig_destroy (&config);

    zhash_t *nodes = sw_keys_load_dir (s_path ("allow/nodes"), err, sizeof err);
    cr_assert_not_null (nodes, "%s", err);
    cr_assert_eq (zhash_size (nodes), 1);
    cr_assert_null (zhash_lookup (nodes, zcert_public_txt (node2)));
    zhash_destroy (&nodes);
    sw_cert_destroy (&node2);

    cr_assert_eq (sw_keys_revoke (s_dir, "node2", err, sizeof err), -1);
    cr_assert (strstr (err, "already revoked"), "%s", err);
    cr_assert_eq (sw_keys_add (s_dir, "node", "node2", err, sizeof err), -1);
    cr_assert (strstr (err, "revoked"), "%s", err);
}

Test (keys, revoke_works_without_identity_files)
{
    //  On the broker host the node's own cert normally does not exist
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    unlink (s_path ("id/admin.crt"));
    unlink (s_path ("id/admin.crt_secret"));
    cr_assert_eq (sw_keys_revoke (s_dir, "admin", err, sizeof err), 0, "%s", err);
    cr_assert_not (s_exists (s_path ("allow/admins/admin.crt")));
}

Test (keys, revoke_of_unknown_name_fails)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_keys_revoke (s_dir, "node9", err, sizeof err), -1);
    cr_assert (strstr (err, "node9"), "%s", err);
    cr_assert (s_exists (s_path ("allow/nodes/node1.crt")));
    cr_assert_not (s_exists (s_path ("allow/revoked.log")));
}

Test (keys, load_dir_maps_public_key_to_name)
{
    cr_assert_eq (sw_keys_init (s_dir, 3, err, sizeof err), 0, "%s", err);
    //  Non-.crt and hidden files are not certs
    FILE *f = fopen (s_path ("allow/nodes/README"), "w");
    fclose (f);
    f = fopen (s_path ("allow/nodes/.x.crt"), "w");
    fclose (f);
    zhash_t *nodes = sw_keys_load_dir (s_path ("allow/nodes"), err, sizeof err);
    cr_assert_not_null (nodes, "%s", err);
    cr_assert_eq (zhash_size (nodes), 3);
    for (int i = 1; i <= 3; i++) {
        zcert_t *cert = sw_cert_load_secret (s_path ("id/node%d.crt", i), err, sizeof err);
        cr_assert_not_null (cert, "%s", err);
        char expect[16];
        snprintf (expect, sizeof expect, "node%d", i);
        const char *name = zhash_lookup (nodes, zcert_public_txt (cert));
        cr_assert_not_null (name, "node%d missing", i);
        cr_assert_str_eq (name, expect);
        sw_cert_destroy (&cert);
    }
    zhash_destroy (&nodes);

    zhash_t *admins = sw_keys_load_dir (s_path ("allow/admins"), err, sizeof err);
    cr_assert_not_null (admins, "%s", err);
    cr_assert_eq (zhash_size (admins), 1);
    zcert_t *admin = sw_cert_load_public (s_path ("id/admin.crt"), err, sizeof err);
    cr_assert_str_eq (zhash_lookup (admins, zcert_public_txt (admin)), "admin");
    sw_cert_destroy (&admin);
    zhash_destroy (&admins);
}

Test (keys, load_dir_refuses_duplicates_missing_dirs_and_secrets)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    cr_assert_null (sw_keys_load_dir (s_path ("nowhere"), err, sizeof err));
    cr_assert (strstr (err, "nowhere"), "%s", err);

    //  The same key under two file names: both are left out (ambiguous).
    cr_assert_eq (link (s_path ("allow/nodes/node1.crt"), s_path ("allow/nodes/copy.crt")), 0);
    zhash_t *keys = sw_keys_load_dir (s_path ("allow/nodes"), err, sizeof err);
    cr_assert_not_null (keys);
    cr_assert_eq (zhash_size (keys), 0, "an ambiguous key was let in");
    cr_assert (strstr (err, "already used"), "%s", err);
    zhash_destroy (&keys);
    unlink (s_path ("allow/nodes/copy.crt"));

    //  A secret cert dropped into the allow-list is an operator mistake to
    //  flag; it is left out and the others still load.
    cr_assert_eq (link (s_path ("id/node1.crt_secret"), s_path ("allow/nodes/oops.crt")), 0);
    keys = sw_keys_load_dir (s_path ("allow/nodes"), err, sizeof err);
    cr_assert_not_null (keys);
    cr_assert_eq (zhash_size (keys), 1);
    cr_assert (strstr (err, "secret"), "%s", err);
    zhash_destroy (&keys);
}

Test (keys, load_dir_reports_nothing_for_a_clean_directory)
{
    cr_assert_eq (sw_keys_init (s_dir, 2, err, sizeof err), 0, "%s", err);
    strcpy (err, "stale");
    zhash_t *keys = sw_keys_load_dir (s_path ("allow/nodes"), err, sizeof err);
    cr_assert_not_null (keys);
    cr_assert_eq (zhash_size (keys), 2);
    cr_assert_str_eq (err, "");
    zhash_destroy (&keys);
}

Test (keys, load_dir_refuses_two_keys_with_one_name)
{
    //  Leases belong to a node by name, so a name must map to one key.
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    zcert_t *twin = zcert_new ();
    zcert_set_meta (twin, "name", "%s", "node1");
    cr_assert_eq (zcert_save_public (twin, s_path ("allow/nodes/twin.crt")), 0);
    zcert_destroy (&twin);
    zhash_t *keys = sw_keys_load_dir (s_path ("allow/nodes"), err, sizeof err);
    cr_assert_not_null (keys);
    cr_assert_eq (zhash_size (keys), 0, "either holder of the name was let in");
    cr_assert (strstr (err, "name \"node1\" or its public key already used"), "%s", err);
    zhash_destroy (&keys);
}

//  Connects a DEALER with cert to the server; true if the server got a message
//  from it within timeout, with User-Id set to the cert's public key.
static bool s_connects (zsock_t *server, const char *endpoint, zcert_t *server_cert, zcert_t *cert)
{
    zsock_t *client = zsock_new (ZMQ_DEALER);
    cr_assert_not_null (client);
    zsock_set_linger (client, 0);
    zcert_apply (cert, client);
    zsock_set_curve_serverkey (client, zcert_public_txt (server_cert));
    cr_assert_eq (zsock_connect (client, "%s", endpoint), 0);
    zstr_send (client, "hello");
    zpoller_t *poller = zpoller_new (server, NULL);
    bool got = zpoller_wait (poller, 700) == server;
    if (got) {
        zmsg_t *msg = zmsg_recv (server);
        zframe_t *body = zmsg_last (msg);
        const char *user_id = zframe_meta (body, "User-Id");
        cr_assert_not_null (user_id);
        cr_assert_str_eq (user_id, zcert_public_txt (cert));
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&client);
    return got;
}

Test (keys, zauth_refuses_a_revoked_node_without_restart_even_within_one_second, .timeout = 30)
{
    cr_assert_eq (sw_keys_init (s_dir, 2, err, sizeof err), 0, "%s", err);
    zcert_t *server_cert = sw_cert_load_secret (s_path ("broker/broker.crt"), err, sizeof err);
    zcert_t *node1 = sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err);
    cr_assert (server_cert && node1, "%s", err);

    zactor_t *auth = zactor_new (zauth, NULL);
    cr_assert_not_null (auth);
    zstr_sendx (auth, "CURVE", s_path ("allow"), NULL);
    zsock_wait (auth);
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zcert_apply (server_cert, server);
    zsock_set_curve_server (server, 1);
    zsock_set_zap_domain (server, "global");
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    cr_assert_gt (port, 0);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);

    cr_assert (s_connects (server, endpoint, server_cert, node1), "node1 refused before revoke");
    //  Same-length name, so the allow-list keeps its file count and size
    cr_assert_eq (sw_keys_revoke (s_dir, "node1", err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_keys_add (s_dir, "node", "node3", err, sizeof err), 0, "%s", err);
    zcert_t *node3 = sw_cert_load_secret (s_path ("id/node3.crt"), err, sizeof err);
    cr_assert_not_null (node3, "%s", err);
    cr_assert_not (s_connects (server, endpoint, server_cert, node1), "revoked node1 accepted");
    cr_assert (s_connects (server, endpoint, server_cert, node3), "new node3 refused");

    zsock_destroy (&server);
    zactor_destroy (&auth);
    sw_cert_destroy (&node1);
    sw_cert_destroy (&node3);
    sw_cert_destroy (&server_cert);
}

//  A ROUTER with the broker's cert on an ephemeral port, in a ZAP domain.
static zsock_t *s_server (zcert_t *cert, const char *domain, char *endpoint, size_t len)
{
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zcert_apply (cert, server);
    zsock_set_curve_server (server, 1);
    zsock_set_zap_domain (server, domain);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    cr_assert_gt (port, 0);
    snprintf (endpoint, len, "tcp://127.0.0.1:%d", port);
    return server;
}

//  No .timeout here: Criterion 2.4's runner leaks (LeakSanitizer sees it)
//  when two tests with timeouts run at once, and the zauth test has one.
Test (keys, zap_handler_admits_by_domain_enrolment_and_revocation)
{
    cr_assert_eq (sw_keys_init (s_dir, 2, err, sizeof err), 0, "%s", err);
    char rogue_dir[256];
    snprintf (rogue_dir, sizeof rogue_dir, "%s/rogue", s_tmp);
    cr_assert_eq (sw_keys_init (rogue_dir, 1, err, sizeof err), 0, "%s", err);
    char path[300];
    zcert_t *broker = sw_cert_load_secret (s_path ("broker/broker.crt"), err, sizeof err);
    zcert_t *node1 = sw_cert_load_secret (s_path ("id/node1.crt"), err, sizeof err);
    zcert_t *admin = sw_cert_load_secret (s_path ("id/admin.crt"), err, sizeof err);
    snprintf (path, sizeof path, "%s/id/node1.crt", rogue_dir);
    zcert_t *rogue = sw_cert_load_secret (path, err, sizeof err);
    cr_assert (broker && node1 && admin && rogue, "%s", err);

    for (int open = 0; open < 2; open++) {
        zactor_t *zap = sw_zap_new (&(sw_zap_args_t){s_dir, open == 1});
        cr_assert_not_null (zap);
        char admin_ep[64], nodes_ep[64];
        zsock_t *admins = s_server (broker, SW_ZAP_DOMAIN_ADMIN, admin_ep, sizeof admin_ep);
        zsock_t *nodes = s_server (broker, SW_ZAP_DOMAIN_NODES, nodes_ep, sizeof nodes_ep);
        //  Known keys pass on both endpoints (the broker checks roles)
        cr_assert (s_connects (admins, admin_ep, broker, admin));
        cr_assert (s_connects (admins, admin_ep, broker, node1));
        cr_assert (s_connects (nodes, nodes_ep, broker, node1));
        cr_assert (s_connects (nodes, nodes_ep, broker, admin));
        //  An unknown key: never on admin; on nodes only while enrolment is open
        cr_assert_not (s_connects (admins, admin_ep, broker, rogue), "unknown key on admin");
        cr_assert_eq (s_connects (nodes, nodes_ep, broker, rogue), open == 1,
                      "unknown key on nodes with enrolment %s", open ? "open" : "closed");
        zsock_destroy (&admins);
        zsock_destroy (&nodes);
        zactor_destroy (&zap);
    }
    //  A rejected key and a revoked one are refused even with enrolment open
    cr_assert_eq (sw_keys_reject (s_dir, "node1", zcert_public_txt (rogue), err, sizeof err), 0,
                  "%s", err);
    cr_assert_eq (sw_keys_revoke (s_dir, "node1", err, sizeof err), 0, "%s", err);
    zactor_t *zap = sw_zap_new (&(sw_zap_args_t){s_dir, true});
    char nodes_ep[64];
    zsock_t *nodes = s_server (broker, SW_ZAP_DOMAIN_NODES, nodes_ep, sizeof nodes_ep);
    cr_assert_not (s_connects (nodes, nodes_ep, broker, rogue), "rejected key admitted");
    cr_assert_not (s_connects (nodes, nodes_ep, broker, node1), "revoked key admitted");
    zsock_destroy (&nodes);
    zactor_destroy (&zap);
    sw_cert_destroy (&broker);
    sw_cert_destroy (&node1);
    sw_cert_destroy (&admin);
    sw_cert_destroy (&rogue);
}

Test (keys, zap_decide_refuses_other_mechanisms_and_domains)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    zcert_t *node1 = sw_cert_load_public (s_path ("id/node1.crt"), err, sizeof err);
    cr_assert_not_null (node1, "%s", err);
    sw_zap_lists_t *lists = sw_zap_lists_new (s_dir);
    const char *why;
    const char *key = zcert_public_txt (node1);
    cr_assert_eq (sw_zap_decide (lists, true, "nodes", "CURVE", key, &why), 200);
    cr_assert_eq (sw_zap_decide (lists, true, "nodes", "PLAIN", key, &why), 400);
    cr_assert_str_eq (why, "only CURVE is accepted");
    cr_assert_eq (sw_zap_decide (lists, true, "global", "CURVE", key, &why), 400);
    cr_assert_eq (sw_zap_decide (lists, true, NULL, "CURVE", key, &why), 400);
    cr_assert_eq (sw_zap_decide (lists, true, "nodes", "CURVE", NULL, &why), 400);
    sw_zap_lists_destroy (&lists);
    zcert_destroy (&node1);
}

Test (keys, approve_writes_a_public_node_cert_once)
{
    cr_assert_eq (sw_keys_init (s_dir, 0, err, sizeof err), 0, "%s", err);
    zcert_t *made = zcert_new ();
    const char *key = zcert_public_txt (made);
    cr_assert_eq (sw_keys_approve (s_dir, "vm-7", key, false, err, sizeof err), 0, "%s", err);
    const char *crt = s_path ("allow/nodes/vm-7.crt");
    cr_assert_eq (s_mode (crt), 0644);
    zcert_t *back = sw_cert_load_public (crt, err, sizeof err);
    cr_assert_not_null (back, "%s", err);
    cr_assert_str_eq (zcert_public_txt (back), key);
    cr_assert_str_eq (zcert_meta (back, "name"), "vm-7");
    cr_assert_str_eq (zcert_meta (back, "role"), "node");
    cr_assert_not_null (zcert_meta (back, "approved"));
    zcert_destroy (&back);
    zhash_t *keys = sw_keys_load_dir (s_path ("allow/nodes"), err, sizeof err);
    cr_assert_str_eq (zhash_lookup (keys, key), "vm-7");
    zhash_destroy (&keys);

    //  The same name again, the same key under another name, the admin's name
    zcert_t *other = zcert_new ();
    cr_assert_eq (sw_keys_approve (s_dir, "vm-7", zcert_public_txt (other), false, err, sizeof err),
                  -1);
    zcert_destroy (&other);
    cr_assert (strstr (err, "already taken"), "%s", err);
    cr_assert_eq (sw_keys_approve (s_dir, "vm-8", key, false, err, sizeof err), -1);
    cr_assert (strstr (err, "already allowed (as \"vm-7\""), "%s", err);
    cr_assert_eq (sw_keys_approve (s_dir, "admin", zcert_public_txt (made), false, err, sizeof err),
                  -1);
    //  Bad names and keys
    cr_assert_eq (sw_keys_approve (s_dir, "../x", key, false, err, sizeof err), -1);
    cr_assert (strstr (err, "invalid name"), "%s", err);
    cr_assert_eq (sw_keys_approve (s_dir, "vm-9", "short", false, err, sizeof err), -1);
    cr_assert (strstr (err, "not a public key"), "%s", err);
    cr_assert_eq (sw_keys_approve (s_dir, "vm-9", "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~", false,
                                   err, sizeof err),
                  -1);
    zcert_destroy (&made);
}

Test (keys, approve_refuses_revoked_names_and_rejected_keys_but_frees_rejected_names)
{
    cr_assert_eq (sw_keys_init (s_dir, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_keys_revoke (s_dir, "node1", err, sizeof err), 0, "%s", err);
    zcert_t *fresh = zcert_new ();
    cr_assert_eq (
        sw_keys_approve (s_dir, "node1", zcert_public_txt (fresh), false, err, sizeof err), -1);
    cr_assert (strstr (err, "was revoked"), "%s", err);

    zcert_t *impostor = zcert_new ();
    cr_assert_eq (sw_keys_reject (s_dir, "web-1", zcert_public_txt (impostor), err, sizeof err), 0,
                  "%s", err);
    zhash_t *gone = sw_keys_load_revoked (s_path ("allow/revoked.log"), err, sizeof err);
    cr_assert_not_null (gone, "%s", err);
    cr_assert_str_eq (zhash_lookup (gone, zcert_public_txt (impostor)), "rejected web-1");
    cr_assert_eq (zhash_size (gone), 2); //  node1 revoked, web-1 rejected
    zhash_destroy (&gone);
    //  The rejected key stays out under any name; its name is free for a real node
    cr_assert_eq (
        sw_keys_approve (s_dir, "web-2", zcert_public_txt (impostor), false, err, sizeof err), -1);
    cr_assert (strstr (err, "revocation log (rejected web-1)"), "%s", err);
    cr_assert_eq (
        sw_keys_approve (s_dir, "web-1", zcert_public_txt (fresh), false, err, sizeof err), 0, "%s",
        err);
    zcert_destroy (&fresh);
    zcert_destroy (&impostor);
}

Test (keys, revoked_log_reader_skips_damage_and_reports_a_missing_log_as_empty)
{
    cr_assert_eq (sw_keys_init (s_dir, 0, err, sizeof err), 0, "%s", err);
    zhash_t *gone = sw_keys_load_revoked (s_path ("allow/revoked.log"), err, sizeof err);
    cr_assert_not_null (gone);
    cr_assert_eq (zhash_size (gone), 0);
    zhash_destroy (&gone);
    FILE *f = fopen (s_path ("allow/revoked.log"), "w");
    fprintf (f, "revoked\n    a = \"node 2026-01-01T00:00:00Z tooshort\"\n    b = \"node\n"
                "garbage\n");
    fclose (f);
    gone = sw_keys_load_revoked (s_path ("allow/revoked.log"), err, sizeof err);
    cr_assert_not_null (gone);
    cr_assert_eq (zhash_size (gone), 0);
    cr_assert (strstr (err, "revoked.log:2: entry for \"a\" has no valid key"), "%s", err);
    zhash_destroy (&gone);
    cr_assert_null (sw_keys_load_revoked (s_tmp, err, sizeof err)); //  a directory
}

Test (keys, approve_with_replace_rotates_a_node_key_and_retires_the_old_one)
{
    cr_assert_eq (sw_keys_init (s_dir, 0, err, sizeof err), 0, "%s", err);
    zcert_t *first = zcert_new (), *second = zcert_new ();
    cr_assert_eq (sw_keys_approve (s_dir, "vm-1", zcert_public_txt (first), false, err, sizeof err),
                  0, "%s", err);
    cr_assert_eq (
        sw_keys_approve (s_dir, "vm-1", zcert_public_txt (second), false, err, sizeof err), -1);
    cr_assert (strstr (err, "replace it"), "%s", err);
    cr_assert_eq (sw_keys_approve (s_dir, "vm-1", zcert_public_txt (first), true, err, sizeof err),
                  -1);
    cr_assert (strstr (err, "already has this key"), "%s", err);
    cr_assert_eq (sw_keys_approve (s_dir, "vm-1", zcert_public_txt (second), true, err, sizeof err),
                  0, "%s", err);
    zhash_t *keys = sw_keys_load_dir (s_path ("allow/nodes"), err, sizeof err);
    cr_assert_eq (zhash_size (keys), 1);
    cr_assert_str_eq (zhash_lookup (keys, zcert_public_txt (second)), "vm-1");
    zhash_destroy (&keys);
    zhash_t *gone = sw_keys_load_revoked (s_path ("allow/revoked.log"), err, sizeof err);
    cr_assert_str_eq (zhash_lookup (gone, zcert_public_txt (first)), "replaced vm-1");
    zhash_destroy (&gone);
    //  The old key cannot come back, not even under a new name
    cr_assert_eq (sw_keys_approve (s_dir, "vm-2", zcert_public_txt (first), false, err, sizeof err),
                  -1);
    zcert_destroy (&first);
    zcert_destroy (&second);
}
