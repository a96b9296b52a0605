/*  sw_bundle - rule packs as signed bundles. */
#include "sw_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sw_docload.h"
#include "sw_mpv.h"
#include "sw_probetab.h"
#include "sw_proto.h"
#include "sw_secrets.h"

#define KEY_HEX_MAX (2 * crypto_sign_SECRETKEYBYTES + 2)

//  Writes hex of key to path with mode, refusing to replace a file.
static int s_write_key (const char *path, const uint8_t *key, size_t len, mode_t mode, char *err,
                        size_t errlen)
{
    char hex[KEY_HEX_MAX + 1];
    sodium_bin2hex (hex, sizeof hex, key, len);
    strcat (hex, "\n");
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 || fchmod (fd, mode) || write (fd, hex, strlen (hex)) != (ssize_t)strlen (hex) ||
        fsync (fd)) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        if (fd >= 0) {
            close (fd);
            unlink (path);
        }
        sodium_memzero (hex, sizeof hex);
        return -1;
    }
    close (fd);
    sodium_memzero (hex, sizeof hex);
    return 0;
}

int sw_bundle_keygen (const char *keys_dir, char *err, size_t errlen)
{
    char dir[4096], pub[4200], sec[4200];
    snprintf (dir, sizeof dir, "%s/content", keys_dir);
    snprintf (pub, sizeof pub, "%s/bundle.pub", dir);
    snprintf (sec, sizeof sec, "%s/bundle.key", dir);
    if (mkdir (dir, 0700) && errno != EEXIST) {
        snprintf (err, errlen, "%s: %s", dir, strerror (errno));
        return -1;
    }
    //  The secrets fingerprint key: made once, and kept when the content
    //  keys are there already (fingerprints stay comparable across runs).
    char fp[4200];
    snprintf (fp, sizeof fp, "%s/fingerprint.key", dir);
    if (access (fp, F_OK) != 0) {
        uint8_t key[32];
        randombytes_buf (key, sizeof key);
        int rc = s_write_key (fp, key, sizeof key, 0600, err, errlen);
        sodium_memzero (key, sizeof key);
        if (rc)
            return -1;
    }
    if (access (pub, F_OK) == 0)
        return 1;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair (pk, sk);
    int rc = s_write_key (sec, sk, sizeof sk, 0600, err, errlen);
    if (rc == 0 && (rc = s_write_key (pub, pk, sizeof pk, 0644, err, errlen)))
        unlink (sec);
    sodium_memzero (sk, sizeof sk);
    return rc;
}

int sw_bundle_read_key (const char *path, bool secret, uint8_t *key, size_t keylen, char *err,
                        size_t errlen)
{
    char hex[KEY_HEX_MAX + 2];
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat (fd, &st)) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    if (!S_ISREG (st.st_mode)) {
        snprintf (err, errlen, "%s: not a regular file", path);
        close (fd);
        return -1;
    }
    if (secret && (st.st_mode & 077)) {
        snprintf (err, errlen, "%s: secret key is readable by others (mode 0%03o); chmod 600 it",
                  path, (unsigned)(st.st_mode & 0777));
        close (fd);
        return -1;
    }
    ssize_t n = read (fd, hex, sizeof hex - 1);
    close (fd);
    size_t got = 0;
    int rc = -1;
    if (n > 0) {
        hex[n] = 0;
        rc = sodium_hex2bin (key, keylen, hex, (size_t)n, "\n", &got, NULL);
    }
    sodium_memzero (hex, sizeof hex);
    if (rc || got != keylen) {
        snprintf (err, errlen, "%s: not a %zu-byte hex key", path, keylen);
        return -1;
    }
    return 0;
}

//  The name of a rule file inside a bundle: its path below dir.
static const char *s_relative (const char *path, const char *dir)
{
    size_t dl = strlen (dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    return strncmp (path, dir, dl) == 0 && path[dl] == '/' ? path + dl + 1 : path;
}

//  Packs [name, text] pairs of the files at paths (names relative to dir).
static int s_pack_pairs (sw_packer_t *body, const char *dir, char **paths, long n, char *err,
                         size_t errlen)
{
    msgpack_pack_array (&body->pk, (size_t)n);
    for (long i = 0; i < n; i++) {
        size_t len;
        char *text = sw_file_read (paths[i], SW_DOC_MAX_BYTES, &len, err, errlen);
        if (!text)
            return -1;
        msgpack_pack_array (&body->pk, 2);
        sw_pack_str (&body->pk, s_relative (paths[i], dir));
        msgpack_pack_str (&body->pk, len);
        msgpack_pack_str_body (&body->pk, text, len);
        free (text);
    }
    return 0;
}

typedef struct {
    char **paths;
    long n;
} files_t;

//  The body: posture rule files, the secrets rules of dir/secrets/ and
//  the net scanner's probe table of dir/probes/, each when there is one.
static int s_pack_files (sw_packer_t *body, const char *dir, const files_t *rules,
                         const files_t *secrets, const files_t *probes, const char *version,
                         char *err, size_t errlen)
{
    msgpack_pack_map (&body->pk, 3 + (secrets->n > 0) + (probes->n > 0));
    sw_pack_kv_str (&body->pk, "version", version);
    sw_pack_kv_int (&body->pk, "created", (int64_t)time (NULL));
    sw_pack_str (&body->pk, "files");
    if (s_pack_pairs (body, dir, rules->paths, rules->n, err, errlen))
        return -1;
    if (secrets->n > 0) {
        sw_pack_str (&body->pk, "secrets");
        if (s_pack_pairs (body, dir, secrets->paths, secrets->n, err, errlen))
            return -1;
    }
    if (probes->n > 0) {
        sw_pack_str (&body->pk, "probes");
        if (s_pack_pairs (body, dir, probes->paths, probes->n, err, errlen))
            return -1;
    }
    return 0;
}

//  The probe table dir/probes/net.yaml, checked (it loads, its examples
//  are identified) before it is signed. Returns 1 with its path in
//  *paths, 0 when there is none, or -1 with err.
static long s_probe_files (const char *dir, char ***paths, char *err, size_t errlen)
{
    char path[4300];
    *paths = NULL;
    snprintf (path, sizeof path, "%s/" SW_PROBETAB_FILE, dir);
    bool absent;
    sw_probetab_t *tab = sw_probetab_load_rules (dir, &absent, err, errlen);
    if (!tab)
        return absent ? 0 : -1;
    sw_probetab_destroy (&tab);
    *paths = calloc (2, sizeof **paths);
    if (!*paths || !((*paths)[0] = strdup (path))) {
        free (*paths);
        *paths = NULL;
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    return 1;
}

//  The secrets rules under dir/secrets/, checked (they load and pass
//  their own examples) before they are signed. Returns their number (0:
//  no such folder), or -1 with err.
static long s_secrets_files (const char *dir, char ***paths, char *err, size_t errlen)
{
    char sdir[4200];
    struct stat st;
    *paths = NULL;
    snprintf (sdir, sizeof sdir, "%s/secrets", dir);
    if (stat (sdir, &st) != 0 || !S_ISDIR (st.st_mode))
        return 0;
    sw_secrets_t *set = sw_secrets_load (sdir, err, errlen);
    int failures = set ? sw_secrets_selftest (set, NULL, err, errlen) : -1;
    sw_secrets_destroy (&set);
    if (failures > 0)
        snprintf (err, errlen,
                  "%s: %d rule example(s) fail (sweepctl secrets --rules %s lists them)", sdir,
                  failures, sdir);
    if (failures)
        return -1;
    return sw_secrets_rule_files (sdir, paths, err, errlen);
}

//  "<UTC yyyymmddHHMMSS>-<12 hex>" of a body, for bundles built without a
//  version of their own.
static void s_default_version (const char *dir, const files_t *rules, const files_t *secrets,
                               const files_t *probes, char *out, size_t len)
{
    sw_packer_t probe;
    char err[256];
    sw_packer_init (&probe);
    s_pack_files (&probe, dir, rules, secrets, probes, "", err, sizeof err);
    uint8_t hash[6];
    crypto_generichash (hash, sizeof hash, (const uint8_t *)probe.sbuf.data, probe.sbuf.size, NULL,
                        0);
    sw_packer_destroy (&probe);
    char hex[13], stamp[20];
    sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
    snprintf (out, len, "%s-%s", stamp, hex);
}

int sw_bundle_build (const char *dir, const char *version,
                     const uint8_t secret_key[crypto_sign_SECRETKEYBYTES], uint8_t **out,
                     size_t *len, char *err, size_t errlen)
{
    sw_ruleset_t *check = sw_ruleset_new ();
    int rc = check ? sw_ruleset_add_dir (check, dir, err, errlen) : -1;
    sw_ruleset_destroy (&check);
    if (rc)
        return -1;
    files_t rules, secrets, probes = {0};
    rules.n = sw_rules_files (dir, &rules.paths, err, errlen);
    if (rules.n < 0)
        return -1;
    secrets.n = s_secrets_files (dir, &secrets.paths, err, errlen);
    if (secrets.n < 0 || (probes.n = s_probe_files (dir, &probes.paths, err, errlen)) < 0) {
        sw_rules_files_free (rules.paths, rules.n);
        sw_secrets_rule_files_free (secrets.paths, secrets.n);
        return -1;
    }
    char fallback[64];
    if (!version) {
        s_default_version (dir, &rules, &secrets, &probes, fallback, sizeof fallback);
        version = fallback;
    }
    sw_packer_t body;
    sw_packer_init (&body);
    if (strlen (version) > SW_BUNDLE_VERSION_MAX) {
        snprintf (err, errlen, "bundle version is longer than %d characters",
                  SW_BUNDLE_VERSION_MAX);
        rc = -1;
    } else
        rc = s_pack_files (&body, dir, &rules, &secrets, &probes, version, err, errlen);
    sw_rules_files_free (rules.paths, rules.n);
    sw_secrets_rule_files_free (secrets.paths, secrets.n);
    sw_rules_files_free (probes.paths, probes.n);
    if (rc == 0 && body.sbuf.size + SW_BUNDLE_HEAD > SW_BUNDLE_MAX) {
        snprintf (err, errlen, "rules make a bundle over %u bytes", SW_BUNDLE_MAX);
        rc = -1;
    }
    if (rc == 0) {
        *len = SW_BUNDLE_HEAD + body.sbuf.size;
        *out = malloc (*len);
        memcpy (*out, SW_BUNDLE_MAGIC, 6);
        crypto_sign_detached (*out + 6, NULL, (const uint8_t *)body.sbuf.data, body.sbuf.size,
                              secret_key);
        memcpy (*out + SW_BUNDLE_HEAD, body.sbuf.data, body.sbuf.size);
    }
    sw_packer_destroy (&body);
    return rc;
}

//  Checks magic and signature, then decodes the body into doc.
//  What the messages call each kind of bundle.
static const char *s_noun (const char *kind)
{
    return strcmp (kind, SW_BUNDLE_RULES) == 0 ? "rule" : "advisory";
}

//  Checks magic and signature, then decodes the body into doc and checks
//  it is a bundle of kind.
static int s_verify (const uint8_t *data, size_t len, const uint8_t *pk, const char *kind,
                     sw_mpdoc_t *doc, char version[SW_BUNDLE_VERSION_MAX + 1], char *err,
                     size_t errlen)
{
    const char *noun = s_noun (kind);
    if (len < SW_BUNDLE_HEAD || len > SW_BUNDLE_MAX || memcmp (data, SW_BUNDLE_MAGIC, 6)) {
        snprintf (err, errlen, "not a %s bundle (bad magic or size)", noun);
        return -1;
    }
    if (crypto_sign_verify_detached (data + 6, data + SW_BUNDLE_HEAD, len - SW_BUNDLE_HEAD, pk)) {
        snprintf (err, errlen, "%s bundle signature does not verify: refusing unverified %s", noun,
                  strcmp (kind, SW_BUNDLE_RULES) == 0 ? "rules" : "advisories");
        return -1;
    }
    char why[256];
    if (sw_mpdoc_decode (data + SW_BUNDLE_HEAD, len - SW_BUNDLE_HEAD, doc, why, sizeof why)) {
        snprintf (err, errlen, "%s bundle body: %s", noun, why);
        return -1;
    }
    const char *v = sw_mpv_str (sw_mpv_get (doc->root, "version"));
    const char *body_kind = sw_mpv_str (sw_mpv_get (doc->root, "kind"));
    const sw_mpv_t *files = sw_mpv_get (doc->root, "files");
    const sw_mpv_t *payload = sw_mpv_get (doc->root, "payload");
    bool rules = strcmp (kind, SW_BUNDLE_RULES) == 0;
    const char *why_not = NULL;
    if (strcmp (body_kind ? body_kind : SW_BUNDLE_RULES, kind) != 0)
        why_not = "is another kind of bundle";
    else if (!v || strlen (v) > SW_BUNDLE_VERSION_MAX)
        why_not = "lacks a version";
    else if (rules ? !files || files->type != SW_MPV_ARRAY
                   : !payload || payload->type != SW_MPV_BIN)
        why_not = rules ? "lacks its files" : "lacks its payload";
    if (why_not) {
        snprintf (err, errlen, "%s bundle body %s", noun, why_not);
        sw_mpdoc_free (doc);
        return -1;
    }
    snprintf (version, SW_BUNDLE_VERSION_MAX + 1, "%s", v);
    return 0;
}

int sw_bundle_verify (const uint8_t *data, size_t len,
                      const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                      char version[SW_BUNDLE_VERSION_MAX + 1], char *err, size_t errlen)
{
    return sw_bundle_verify_kind (data, len, public_key, SW_BUNDLE_RULES, version, err, errlen);
}

sw_ruleset_t *sw_bundle_open (const uint8_t *data, size_t len,
                              const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                              char version[SW_BUNDLE_VERSION_MAX + 1], char *err, size_t errlen)
{
    sw_mpdoc_t doc = {0};
    if (s_verify (data, len, public_key, SW_BUNDLE_RULES, &doc, version, err, errlen))
        return NULL;
    sw_ruleset_t *rules = sw_ruleset_new ();
    const sw_mpv_t *files = sw_mpv_get (doc.root, "files");
    for (uint32_t i = 0; rules && i < files->len; i++) {
        const sw_mpv_t *pair = &files->v.items[i];
        const char *name =
            pair->type == SW_MPV_ARRAY && pair->len == 2 ? sw_mpv_str (&pair->v.items[0]) : NULL;
        const sw_mpv_t *text = name ? &pair->v.items[1] : NULL;
        if (!text || text->type != SW_MPV_STR) {
            snprintf (err, errlen, "rule bundle %s: file %u is not [name, text]", version, i);
            sw_ruleset_destroy (&rules);
        } else if (sw_ruleset_add_text (rules, name, text->v.s, text->len, err, errlen))
            sw_ruleset_destroy (&rules);
    }
    sw_mpdoc_free (&doc);
    return rules;
}

//  Verifies a rule bundle and finds its list of [name, text] pairs under
//  key (doc keeps them). NULL with err when the signature fails, or when
//  the list is missing, empty or holds something else (what says what
//  the bundle lacks).
static const sw_mpv_t *s_open_pairs (const uint8_t *data, size_t len,
                                     const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                                     const char *key, const char *what, sw_mpdoc_t *doc,
                                     char version[SW_BUNDLE_VERSION_MAX + 1], char *err,
                                     size_t errlen)
{
    if (s_verify (data, len, public_key, SW_BUNDLE_RULES, doc, version, err, errlen))
        return NULL;
    const sw_mpv_t *files = sw_mpv_get (doc->root, key);
    bool ok = files && files->type == SW_MPV_ARRAY && files->len > 0;
    for (uint32_t i = 0; ok && i < files->len; i++) {
        const sw_mpv_t *pair = &files->v.items[i];
        ok = pair->type == SW_MPV_ARRAY && pair->len == 2 && pair->v.items[0].type == SW_MPV_STR &&
             pair->v.items[1].type == SW_MPV_STR;
    }
    if (ok)
        return files;
    snprintf (err, errlen, "rule bundle %s holds no %s", version, what);
    sw_mpdoc_free (doc);
    return NULL;
}

sw_secrets_t *sw_bundle_open_secrets (const uint8_t *data, size_t len,
                                      const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                                      char version[SW_BUNDLE_VERSION_MAX + 1], char *err,
                                      size_t errlen)
{
    sw_mpdoc_t doc = {0};
    const sw_mpv_t *files = s_open_pairs (
        data, len, public_key, "secrets",
        "secrets rules (build it from a rules folder with secrets/)", &doc, version, err, errlen);
    if (!files)
        return NULL;
    uint32_t n = files->len;
    const char **names = calloc (n + 1, sizeof *names), **texts = calloc (n + 1, sizeof *texts);
    size_t *lens = calloc (n + 1, sizeof *lens);
    sw_secrets_t *set = NULL;
    if (!names || !texts || !lens)
        snprintf (err, errlen, "out of memory");
    else {
        for (uint32_t i = 0; i < n; i++) {
            const sw_mpv_t *pair = &files->v.items[i];
            //  Names and texts are not NUL-terminated in the decoded body.
            names[i] = strndup (pair->v.items[0].v.s, pair->v.items[0].len);
            texts[i] = pair->v.items[1].v.s;
            lens[i] = pair->v.items[1].len;
        }
        set = sw_secrets_load_texts (n, names, texts, lens, err, errlen);
    }
    for (uint32_t i = 0; names && i < n; i++)
        free ((char *)names[i]);
    free (names);
    free (texts);
    free (lens);
    sw_mpdoc_free (&doc);
    return set;
}

sw_probetab_t *sw_bundle_open_probes (const uint8_t *data, size_t len,
                                      const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                                      char version[SW_BUNDLE_VERSION_MAX + 1], char *err,
                                      size_t errlen)
{
    sw_mpdoc_t doc = {0};
    const sw_mpv_t *files =
        s_open_pairs (data, len, public_key, "probes",
                      "probe table (build it from a rules folder with probes/net.yaml)", &doc,
                      version, err, errlen);
    if (!files)
        return NULL;
    const sw_mpv_t *pair = &files->v.items[0];
    char name[256];
    snprintf (name, sizeof name, "%.*s", (int)pair->v.items[0].len, pair->v.items[0].v.s);
    sw_probetab_t *tab =
        sw_probetab_load (name, pair->v.items[1].v.s, pair->v.items[1].len, err, errlen);
    sw_mpdoc_free (&doc);
    return tab;
}

int sw_bundle_build_payload (const char *kind, const char *version, const void *payload,
                             size_t plen, const uint8_t secret_key[crypto_sign_SECRETKEYBYTES],
                             uint8_t **out, size_t *len, char *err, size_t errlen)
{
    if (strlen (version) > SW_BUNDLE_VERSION_MAX || plen + 4096 > SW_BUNDLE_MAX) {
        snprintf (err, errlen, "%s bundle: version over %d characters or payload over %u bytes",
                  s_noun (kind), SW_BUNDLE_VERSION_MAX, SW_BUNDLE_MAX - 4096);
        return -1;
    }
    sw_packer_t body;
    sw_packer_init (&body);
    msgpack_pack_map (&body.pk, 4);
    sw_pack_kv_str (&body.pk, "version", version);
    sw_pack_kv_int (&body.pk, "created", (int64_t)time (NULL));
    sw_pack_kv_str (&body.pk, "kind", kind);
    sw_pack_str (&body.pk, "payload");
    msgpack_pack_bin (&body.pk, plen);
    msgpack_pack_bin_body (&body.pk, payload, plen);
    *len = SW_BUNDLE_HEAD + body.sbuf.size;
    *out = malloc (*len);
    memcpy (*out, SW_BUNDLE_MAGIC, 6);
    crypto_sign_detached (*out + 6, NULL, (const uint8_t *)body.sbuf.data, body.sbuf.size,
                          secret_key);
    memcpy (*out + SW_BUNDLE_HEAD, body.sbuf.data, body.sbuf.size);
    sw_packer_destroy (&body);
    return 0;
}

int sw_bundle_verify_kind (const uint8_t *data, size_t len,
                           const uint8_t public_key[crypto_sign_PUBLICKEYBYTES], const char *kind,
                           char version[SW_BUNDLE_VERSION_MAX + 1], char *err, size_t errlen)
{
    sw_mpdoc_t doc = {0};
    int rc = s_verify (data, len, public_key, kind, &doc, version, err, errlen);
    sw_mpdoc_free (&doc);
    return rc;
}

void *sw_bundle_open_payload (const uint8_t *data, size_t len,
                              const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                              const char *kind, char version[SW_BUNDLE_VERSION_MAX + 1],
                              size_t *plen, char *err, size_t errlen)
{
    sw_mpdoc_t doc = {0};
    if (s_verify (data, len, public_key, kind, &doc, version, err, errlen))
        return NULL;
    const sw_mpv_t *payload = sw_mpv_get (doc.root, "payload");
    void *copy = malloc (payload->len ? payload->len : 1);
    if (copy) {
        memcpy (copy, payload->v.s, payload->len);
        *plen = payload->len;
    }
    sw_mpdoc_free (&doc);
    return copy;
}
