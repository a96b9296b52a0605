/*  sw_keys - certificate files and the key directory.

    Certificates are written with zcert_save_public / zcert_save_secret so the
    files stay in CZMQ's format, but they are read back with a small ZPL reader
    of our own: zcert_load would go through zconfig, which leaves copies of the
    secret key in freed heap memory, and it silently falls back from NAME_secret
    to NAME, handing out a certificate whose secret key is all zeroes.

    Files are written to a hidden temporary name and then hard-linked into
    place: the link fails if the target exists (no overwrite, no race), and
    zauth's certificate store skips hidden files, so it never sees a half-written
    certificate. */
#include "sw_keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

//  zdir and zcertstore build paths in 1 KiB buffers; longer ones break zauth.
#define PATH_LEN      1000
#define CERT_FILE_MAX 65536
#define Z85_KEY_LEN   40
#define KEY_LEN       32
#define REVOKED_LOG   "revoked.log"

static int s_fail (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int s_fail (char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (err, errlen, fmt, args);
        va_end (args);
    }
    return -1;
}

//  Formats a path into buf (PATH_LEN + 1 bytes); -1 if it would not fit.
static int s_path (char *buf, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int s_path (char *buf, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    int n = vsnprintf (buf, PATH_LEN + 1, fmt, args);
    va_end (args);
    return (n < 0 || n > PATH_LEN) ? -1 : 0;
}

static bool s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

//  The current time as UTC ISO 8601 ("2026-11-27T02:14:15Z") into buf.
static const char *s_utc_now (char buf[32])
{
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool sw_keys_name_valid (const char *name)
{
    if (!name || !isalnum ((unsigned char)name[0]))
        return false;
    size_t len = 0;
    for (const char *p = name; *p; p++, len++) {
        unsigned char c = (unsigned char)*p;
        if (len >= SW_KEYS_NAME_MAX)
            return false;
        //  isalnum is locale-dependent; names must stay ASCII
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static const char *s_role_dir (const char *role)
{
    if (role && streq (role, "node"))
        return "nodes";
    if (role && streq (role, "admin"))
        return "admins";
    return NULL;
}

//  --------------------------------------------------------------------------
//  Z85 decoding of one 40-character key; ours, because libczmq's pkg-config
//  does not link libzmq, and zarmour would copy secrets to the heap.

static const char s_z85_chars[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

static int s_z85_decode (byte *dest, const char *text)
{
    for (size_t group = 0; group < KEY_LEN / 4; group++) {
        uint64_t value = 0;
        for (size_t i = 0; i < 5; i++) {
            const char *hit = memchr (s_z85_chars, text[group * 5 + i], 85);
            if (!hit || text[group * 5 + i] == 0)
                return -1;
            value = value * 85 + (uint64_t)(hit - s_z85_chars);
        }
        if (value > 0xFFFFFFFFu)
            return -1;
        for (size_t i = 0; i < 4; i++)
            dest[group * 4 + i] = (byte)(value >> (24 - 8 * i));
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Minimal ZPL reader for certificate files: sections "metadata" and "curve"
//  at level 0, "name = value" items at level 1 (4-space indent).

typedef struct {
    char public_txt[Z85_KEY_LEN + 1];
    char secret_txt[Z85_KEY_LEN + 1];
    bool has_public;
    bool has_secret;
    zhash_t *meta;
} s_certfile_t;

static void s_certfile_clear (s_certfile_t *self)
{
    sodium_memzero (self->secret_txt, sizeof self->secret_txt);
    zhash_destroy (&self->meta);
}

//  Parses the NUL-terminated text of a certificate file into self.
static int s_certfile_parse (s_certfile_t *self, char *text, const char *path, char *err,
                             size_t errlen)
{
    memset (self, 0, sizeof *self);
    self->meta = zhash_new ();
    if (!self->meta)
        return s_fail (err, errlen, "%s: out of memory", path);
    zhash_autofree (self->meta);

    char section[32] = "";
    int lineno = 0;
    char *line = text;
    while (line && *line) {
        lineno++;
        char *eol = strchr (line, '\n');
        char *next = eol ? eol + 1 : NULL;
        if (eol) {
            *eol = 0;
            if (eol > line && eol[-1] == '\r')
                eol[-1] = 0;
        }
        char *p = line;
        size_t indent = 0;
        while (*p == ' ') {
            p++;
            indent++;
        }
        if (*p == 0 || *p == '#') {
            line = next;
            continue;
        }
        if (indent % 4 != 0 || indent > 4 || *p == '\t')
            return s_fail (err, errlen, "%s:%d: bad indentation", path, lineno);

        char *name = p;
        while (*p && (isalnum ((unsigned char)*p) || strchr ("$-_@.&+/", *p)))
            p++;
        size_t name_len = (size_t)(p - name);
        if (name_len == 0 || name_len > 64)
            return s_fail (err, errlen, "%s:%d: expected a name", path, lineno);
        while (*p == ' ' || *p == '\t')
            *p++ = 0;
        char *value = NULL;
        if (*p == '=') {
            *p++ = 0;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '"' || *p == '\'') {
                char quote = *p++;
                value = p;
                while (*p && *p != quote)
                    p++;
                if (*p != quote)
                    return s_fail (err, errlen, "%s:%d: unterminated quote", path, lineno);
                *p++ = 0;
            } else {
                value = p;
                while (*p && *p != ' ' && *p != '\t' && *p != '#')
                    p++;
                if (*p == '#') {
                    *p = 0;
                    p++;
                    while (*p)
                        p++;
                } else if (*p)
                    *p++ = 0;
            }
            while (*p == ' ' || *p == '\t')
                p++;
        }
        if (*p && *p != '#')
            return s_fail (err, errlen, "%s:%d: unexpected text after value", path, lineno);
        name[name_len] = 0;

        if (indent == 0) {
            if (value || name_len >= sizeof section)
                return s_fail (err, errlen, "%s:%d: expected a section name", path, lineno);
            memcpy (section, name, name_len + 1);
        } else if (!value)
            return s_fail (err, errlen, "%s:%d: expected 'name = value'", path, lineno);
        else if (streq (section, "curve")) {
            bool is_public = streq (name, "public-key");
            bool is_secret = streq (name, "secret-key");
            if ((is_public || is_secret) && strlen (value) != Z85_KEY_LEN)
                return s_fail (err, errlen, "%s:%d: %s is not a 40-character Z85 key", path, lineno,
                               name);
            if (is_public) {
                memcpy (self->public_txt, value, Z85_KEY_LEN + 1);
                self->has_public = true;
            } else if (is_secret) {
                memcpy (self->secret_txt, value, Z85_KEY_LEN + 1);
                self->has_secret = true;
            }
        } else if (streq (section, "metadata")) {
            if (strlen (value) > 1024)
                return s_fail (err, errlen, "%s:%d: metadata value too long", path, lineno);
            zhash_update (self->meta, name, value);
        }
        line = next;
    }
    if (!self->has_public)
        return s_fail (err, errlen, "%s: no curve public-key", path);
    return 0;
}

//  Reads a certificate file. With secret set, the file must be private to us.
static int s_certfile_read (s_certfile_t *self, const char *path, bool secret, char *err,
                            size_t errlen)
{
    int rc = -1;
    char *text = NULL;
    size_t size = 0;
    memset (self, 0, sizeof *self);

    //  O_NONBLOCK so that a FIFO planted at the path cannot hang us before fstat
    int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (secret ? O_NOFOLLOW : 0);
    int fd = open (path, flags);
    if (fd < 0) {
        if (errno == ELOOP)
            return s_fail (err, errlen, "%s: is a symbolic link; refusing a secret file", path);
        return s_fail (err, errlen, "%s: %s", path, strerror (errno));
    }
    struct stat st;
    if (fstat (fd, &st) != 0) {
        s_fail (err, errlen, "%s: %s", path, strerror (errno));
        goto cleanup;
    }
    if (!S_ISREG (st.st_mode)) {
        s_fail (err, errlen, "%s: not a regular file", path);
        goto cleanup;
    }
    if (secret && st.st_uid != geteuid ()) {
        s_fail (err, errlen, "%s: owned by uid %u, not by the current user (uid %u)", path,
                (unsigned)st.st_uid, (unsigned)geteuid ());
        goto cleanup;
    }
    if (secret && (st.st_mode & 077)) {
        s_fail (err, errlen, "%s: mode 0%03o is %s; run chmod 600", path,
                (unsigned)(st.st_mode & 0777),
                (st.st_mode & 044) ? "group/world-readable" : "group/world-accessible");
        goto cleanup;
    }
    if (st.st_size <= 0 || st.st_size > CERT_FILE_MAX) {
        s_fail (err, errlen, "%s: size %lld is not that of a certificate", path,
                (long long)st.st_size);
        goto cleanup;
    }
    text = malloc ((size_t)st.st_size + 1);
    if (!text) {
        s_fail (err, errlen, "%s: out of memory", path);
        goto cleanup;
    }
    while (size < (size_t)st.st_size) {
        ssize_t n = read (fd, text + size, (size_t)st.st_size - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s_fail (err, errlen, "%s: %s", path, strerror (errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        size += (size_t)n;
    }
    text[size] = 0;
    if (memchr (text, 0, size)) {
        s_fail (err, errlen, "%s: contains NUL bytes; not a certificate", path);
        goto cleanup;
    }
    if (s_certfile_parse (self, text, path, err, errlen) != 0)
        goto cleanup;
    if (secret && !self->has_secret) {
        s_fail (err, errlen, "%s: no curve secret-key", path);
        goto cleanup;
    }
    if (!secret && self->has_secret) {
        s_fail (err, errlen, "%s: holds a secret key; expected a public certificate", path);
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (text) {
        sodium_memzero (text, size);
        free (text);
    }
    close (fd);
    if (rc != 0)
        s_certfile_clear (self);
    return rc;
}

//  Builds a zcert from a parsed file; verifies the keys decode and match.
static zcert_t *s_certfile_to_cert (s_certfile_t *self, const char *path, char *err, size_t errlen)
{
    zcert_t *cert = NULL;
    byte public_key[KEY_LEN] = {0};
    byte secret_key[KEY_LEN] = {0};
    byte derived[KEY_LEN];
    static const byte zero[KEY_LEN];

    if (s_z85_decode (public_key, self->public_txt) != 0 ||
        memcmp (public_key, zero, KEY_LEN) == 0) {
        s_fail (err, errlen, "%s: invalid public-key", path);
        goto cleanup;
    }
    if (self->has_secret) {
        //  A mismatched pair would pass loading and fail every handshake later
        if (s_z85_decode (secret_key, self->secret_txt) != 0 ||
            crypto_scalarmult_base (derived, secret_key) != 0 ||
            sodium_memcmp (derived, public_key, KEY_LEN) != 0) {
            s_fail (err, errlen, "%s: secret-key is invalid or does not match public-key", path);
            goto cleanup;
        }
    }
    cert = zcert_new_from (public_key, secret_key);
    if (!cert) {
        s_fail (err, errlen, "%s: out of memory", path);
        goto cleanup;
    }
    for (const char *value = zhash_first (self->meta); value; value = zhash_next (self->meta))
        zcert_set_meta (cert, zhash_cursor (self->meta), "%s", value);
cleanup:
    sodium_memzero (secret_key, sizeof secret_key);
    sodium_memzero (derived, sizeof derived);
    return cert;
}

zcert_t *sw_cert_load_secret (const char *path, char *err, size_t errlen)
{
    char secret_path[PATH_LEN + 1];
    size_t len = path ? strlen (path) : 0;
    bool has_suffix = len >= 7 && streq (path + len - 7, "_secret");
    if (!path || s_path (secret_path, has_suffix ? "%s" : "%s_secret", path) != 0) {
        s_fail (err, errlen, "%s: path too long", path ? path : "(null)");
        return NULL;
    }
    if (sodium_init () < 0) {
        s_fail (err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    s_certfile_t file;
    if (s_certfile_read (&file, secret_path, true, err, errlen) != 0)
        return NULL;
    zcert_t *cert = s_certfile_to_cert (&file, secret_path, err, errlen);
    s_certfile_clear (&file);
    return cert;
}

zcert_t *sw_cert_load_public (const char *path, char *err, size_t errlen)
{
    if (!path) {
        s_fail (err, errlen, "(null): no path");
        return NULL;
    }
    s_certfile_t file;
    if (s_certfile_read (&file, path, false, err, errlen) != 0)
        return NULL;
    zcert_t *cert = s_certfile_to_cert (&file, path, err, errlen);
    s_certfile_clear (&file);
    return cert;
}

void sw_cert_destroy (zcert_t **cert_p)
{
    if (!cert_p || !*cert_p)
        return;
    //  Both are arrays inside struct _zcert_t; the API only hands them out const
    sodium_memzero ((void *)zcert_secret_key (*cert_p), KEY_LEN);
    sodium_memzero ((void *)zcert_secret_txt (*cert_p), Z85_KEY_LEN);
    zcert_destroy (cert_p);
}

//  --------------------------------------------------------------------------
//  Writing

//  Creates a directory with exactly MODE; an existing directory is fine.
//  Records what it created in `created` (may be NULL).
static int s_mkdir (const char *path, mode_t mode, zlist_t *created, char *err, size_t errlen)
{
    if (mkdir (path, mode) == 0) {
        if (chmod (path, mode) != 0)
            return s_fail (err, errlen, "%s: chmod: %s", path, strerror (errno));
        if (created)
            zlist_push (created, (void *)path);
        return 0;
    }
    struct stat st;
    if (errno == EEXIST && stat (path, &st) == 0 && S_ISDIR (st.st_mode))
        return 0;
    return s_fail (err, errlen, "%s: cannot create directory: %s", path, strerror (errno));
}

static zcert_t *s_cert_new (const char *name, const char *role, char *err, size_t errlen)
{
    static const byte zero[KEY_LEN];
    zcert_t *cert = zcert_new ();
    if (!cert) {
        s_fail (err, errlen, "cannot generate a key pair");
        return NULL;
    }
    //  Without CURVE support zcert_new hands out all-zero keys
    if (memcmp (zcert_public_key (cert), zero, KEY_LEN) == 0) {
        sw_cert_destroy (&cert);
        s_fail (err, errlen, "libzmq has no CURVE support");
        return NULL;
    }
    char created[32];
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    zcert_set_meta (cert, "created", "%s", s_utc_now (created));
    return cert;
}

//  Writes the public (secret false) or secret file of cert to PATH; never
//  replaces an existing file. The secret file exists only with mode 0600.
static int s_cert_write (zcert_t *cert, const char *path, bool secret, zlist_t *created, char *err,
                         size_t errlen)
{
    int rc = -1;
    mode_t mode = secret ? 0600 : 0644;
    char tmp[PATH_LEN + 1];
    const char *slash = strrchr (path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    if (s_path (tmp, "%.*s.%s.tmp%ld", dir_len, path, path + dir_len, (long)getpid ()) != 0)
        return s_fail (err, errlen, "%s: path too long", path);
    if (s_exists (path))
        return s_fail (err, errlen, "%s: already exists; refusing to overwrite", path);

    //  Pre-create the file so its mode is right before any byte is written
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST && unlink (tmp) == 0)
        fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return s_fail (err, errlen, "%s: %s", tmp, strerror (errno));
    int chmod_rc = fchmod (fd, mode);
    close (fd);
    if (chmod_rc != 0) {
        s_fail (err, errlen, "%s: chmod: %s", tmp, strerror (errno));
        goto cleanup;
    }
    //  zconfig_save opens with fopen ("w"): if anything ever re-creates the
    //  file, the umask still keeps it private
    mode_t old_umask = umask (077);
    int save_rc = secret ? zcert_save_secret (cert, tmp) : zcert_save_public (cert, tmp);
    umask (old_umask);
    if (save_rc != 0) {
        s_fail (err, errlen, "%s: cannot write certificate", tmp);
        goto cleanup;
    }
    struct stat st;
    if (lstat (tmp, &st) != 0 || !S_ISREG (st.st_mode) || (st.st_mode & 07777) != mode ||
        st.st_size == 0) {
        s_fail (err, errlen, "%s: written file is not a 0%03o regular file", tmp, (unsigned)mode);
        goto cleanup;
    }
    //  zconfig_save does not check write errors; read it back to be sure
    s_certfile_t check;
    if (s_certfile_read (&check, tmp, secret, err, errlen) != 0)
        goto cleanup;
    bool same =
        streq (check.public_txt, zcert_public_txt (cert)) &&
        (!secret || sodium_memcmp (check.secret_txt, zcert_secret_txt (cert), Z85_KEY_LEN) == 0);
    s_certfile_clear (&check);
    if (!same) {
        s_fail (err, errlen, "%s: certificate did not read back intact", tmp);
        goto cleanup;
    }
    if (link (tmp, path) != 0) {
        if (errno == EEXIST)
            s_fail (err, errlen, "%s: already exists; refusing to overwrite", path);
        else
            s_fail (err, errlen, "%s: %s", path, strerror (errno));
        goto cleanup;
    }
    if (created)
        zlist_push (created, (void *)path);
    rc = 0;
cleanup:
    unlink (tmp);
    return rc;
}

//  Removes what an operation created, newest first, after a failure.
static void s_rollback (zlist_t *created)
{
    for (char *path = zlist_first (created); path; path = zlist_next (created))
        remove (path);
}

static int s_add (const char *dir, const char *role, const char *name, zlist_t *created, char *err,
                  size_t errlen)
{
    const char *role_dir = s_role_dir (role);
    if (!role_dir)
        return s_fail (err, errlen, "role must be \"node\" or \"admin\", not \"%s\"",
                       role ? role : "(null)");
    if (!sw_keys_name_valid (name))
        return s_fail (err, errlen,
                       "invalid name \"%.80s\": use 1-64 of [A-Za-z0-9._-], "
                       "starting with a letter or digit",
                       name ? name : "(null)");

    char id_dir[PATH_LEN + 1], allow_dir[PATH_LEN + 1], revoked[PATH_LEN + 1];
    char id_public[PATH_LEN + 1], id_secret[PATH_LEN + 1], allowed[PATH_LEN + 1];
    char other[PATH_LEN + 1];
    if (s_path (id_dir, "%s/id", dir) || s_path (allow_dir, "%s/allow/%s", dir, role_dir) ||
        s_path (revoked, "%s/id/%s.crt.revoked", dir, name) ||
        s_path (id_public, "%s/id/%s.crt", dir, name) ||
        s_path (id_secret, "%s/id/%s.crt_secret", dir, name) ||
        s_path (allowed, "%s/%s.crt", allow_dir, name) ||
        s_path (other, "%s/allow/%s/%s.crt", dir, streq (role_dir, "nodes") ? "admins" : "nodes",
                name))
        return s_fail (err, errlen, "%s: path too long", dir);

    if (s_exists (revoked))
        return s_fail (err, errlen, "name \"%s\" was revoked (%s); choose another name", name,
                       revoked);
    const char *taken[] = {id_public, id_secret, allowed, other};
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
        if (s_exists (taken[i]))
            return s_fail (err, errlen, "name \"%s\" already exists (%s)", name, taken[i]);

    if (s_mkdir (id_dir, 0700, created, err, errlen) ||
        s_mkdir (allow_dir, 0755, created, err, errlen))
        return -1;
    zcert_t *cert = s_cert_new (name, role, err, errlen);
    if (!cert)
        return -1;
    //  The allow-list entry goes last: the broker accepts the name only once
    //  its identity files are complete
    int rc = -1;
    if (s_cert_write (cert, id_secret, true, created, err, errlen) == 0 &&
        s_cert_write (cert, id_public, false, created, err, errlen) == 0 &&
        s_cert_write (cert, allowed, false, created, err, errlen) == 0)
        rc = 0;
    sw_cert_destroy (&cert);
    return rc;
}

int sw_keys_init (const char *dir, int nodes, char *err, size_t errlen)
{
    if (!dir || !*dir)
        return s_fail (err, errlen, "no key directory given");
    if (nodes < 0 || nodes > 9999)
        return s_fail (err, errlen, "node count %d out of range 0..9999", nodes);

    char broker_dir[PATH_LEN + 1], broker_public[PATH_LEN + 1], broker_secret[PATH_LEN + 1];
    char allow_dir[PATH_LEN + 1];
    if (s_path (broker_dir, "%s/broker", dir) ||
        s_path (broker_public, "%s/broker/broker.crt", dir) ||
        s_path (broker_secret, "%s/broker/broker.crt_secret", dir) ||
        s_path (allow_dir, "%s/allow", dir))
        return s_fail (err, errlen, "%s: path too long", dir);
    if (s_exists (broker_public) || s_exists (broker_secret))
        return s_fail (err, errlen, "%s: already exists; refusing to overwrite a key directory",
                       s_exists (broker_public) ? broker_public : broker_secret);

    int rc = -1;
    zcert_t *cert = NULL;
    zlist_t *created = zlist_new ();
    if (!created)
        return s_fail (err, errlen, "out of memory");
    zlist_autofree (created);

    if (s_mkdir (dir, 0700, created, err, errlen) ||
        s_mkdir (broker_dir, 0700, created, err, errlen) ||
        s_mkdir (allow_dir, 0755, created, err, errlen))
        goto cleanup;
    cert = s_cert_new ("broker", "broker", err, errlen);
    if (!cert || s_cert_write (cert, broker_secret, true, created, err, errlen) ||
        s_cert_write (cert, broker_public, false, created, err, errlen))
        goto cleanup;
    //  Both allow dirs exist even when empty, so the layout is predictable
    if (s_add (dir, "admin", "admin", created, err, errlen))
        goto cleanup;
    for (int i = 1; i <= nodes; i++) {
        char name[16];
        snprintf (name, sizeof name, "node%d", i);
        if (s_add (dir, "node", name, created, err, errlen))
            goto cleanup;
    }
    rc = 0;
cleanup:
    sw_cert_destroy (&cert);
    if (rc != 0)
        s_rollback (created);
    zlist_destroy (&created);
    return rc;
}

int sw_keys_add (const char *dir, const char *role, const char *name, char *err, size_t errlen)
{
    if (!dir || !*dir)
        return s_fail (err, errlen, "no key directory given");
    struct stat st;
    if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
        return s_fail (err, errlen, "%s: not a key directory (run init first)", dir);
    zlist_t *created = zlist_new ();
    if (!created)
        return s_fail (err, errlen, "out of memory");
    zlist_autofree (created);
    int rc = s_add (dir, role, name, created, err, errlen);
    if (rc != 0)
        s_rollback (created);
    zlist_destroy (&created);
    return rc;
}

//  --------------------------------------------------------------------------
//  Revocation
//
//  zauth's certificate store reloads only when the newest mtime (in whole
//  seconds), the file count or the total size of DIR/allow changes. Revoking
//  one cert and adding another of the same size within one second would leave
//  that signature unchanged, and zauth would keep accepting the revoked key
//  (seen with CZMQ 4.2.1). So a revocation always leaves a file whose mtime is
//  newer than every mtime zauth can have seen: it waits until the clock has
//  passed the newest mtime, then appends to DIR/allow/revoked.log (not hidden,
//  or zdir would skip it; valid ZPL without a curve section, so zcert_load
//  ignores it). Adds need no such care: they always raise the count.

//  Newest mtime under path, counting what zdir counts (non-hidden entries).
static time_t s_newest_mtime (const char *path, int depth)
{
    time_t newest = 0;
    DIR *handle = depth < 8 ? opendir (path) : NULL;
    if (!handle)
        return 0;
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        char child[PATH_LEN + 1];
        struct stat st;
        if (entry->d_name[0] == '.' || s_path (child, "%s/%s", path, entry->d_name) ||
            stat (child, &st) != 0)
            continue;
        time_t mtime = S_ISDIR (st.st_mode) ? s_newest_mtime (child, depth + 1) : st.st_mtime;
        if (mtime > newest)
            newest = mtime;
    }
    closedir (handle);
    return newest;
}

static int s_log_revocation (const char *log_path, const char *name, const char *role,
                             const char *public_txt, time_t after, char *err, size_t errlen)
{
    int fd = open (log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return s_fail (err, errlen, "%s: %s", log_path, strerror (errno));
    int rc = -1;
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        s_fail (err, errlen, "%s: not a regular file", log_path);
        goto cleanup;
    }
    char when[32];
    s_utc_now (when);
    char *text = zsys_sprintf (
        "%s    %s = \"%s %s %s\"\n",
        st.st_size == 0 ? "#   cloudsweep revocation log: certificates removed from this "
                          "allow-list.\n#   Not a certificate; it exists so that every "
                          "revocation changes what zauth sees.\nrevoked\n"
                        : "",
        name, role, when, public_txt);
    if (!text) {
        s_fail (err, errlen, "out of memory");
        goto cleanup;
    }
    size_t len = strlen (text);
    ssize_t n = write (fd, text, len);
    zstr_free (&text);
    if (n < 0 || (size_t)n != len) {
        s_fail (err, errlen, "%s: write failed", log_path);
        goto cleanup;
    }
    //  Normally the caller waited for the clock to pass `after`; on clock skew
    //  (a newest mtime in the future) push this file's mtime past it instead
    if (fstat (fd, &st) == 0 && st.st_mtime <= after) {
        struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = after + 1}};
        if (futimens (fd, times) != 0) {
            s_fail (err, errlen, "%s: cannot set mtime: %s", log_path, strerror (errno));
            goto cleanup;
        }
    }
    rc = 0;
cleanup:
    close (fd);
    return rc;
}

int sw_keys_revoke (const char *dir, const char *name, char *err, size_t errlen)
{
    if (!dir || !*dir)
        return s_fail (err, errlen, "no key directory given");
    if (!sw_keys_name_valid (name))
        return s_fail (err, errlen, "invalid name \"%.80s\"", name ? name : "(null)");

    char allow_dir[PATH_LEN + 1], log_path[PATH_LEN + 1], revoked[PATH_LEN + 1];
    char id_public[PATH_LEN + 1], id_secret[PATH_LEN + 1];
    char allowed[2][PATH_LEN + 1];
    const char *roles[2] = {"node", "admin"};
    if (s_path (allow_dir, "%s/allow", dir) || s_path (log_path, "%s/%s", allow_dir, REVOKED_LOG) ||
        s_path (revoked, "%s/id/%s.crt.revoked", dir, name) ||
        s_path (id_public, "%s/id/%s.crt", dir, name) ||
        s_path (id_secret, "%s/id/%s.crt_secret", dir, name) ||
        s_path (allowed[0], "%s/nodes/%s.crt", allow_dir, name) ||
        s_path (allowed[1], "%s/admins/%s.crt", allow_dir, name))
        return s_fail (err, errlen, "%s: path too long", dir);

    bool found[2] = {s_exists (allowed[0]), s_exists (allowed[1])};
    if (!found[0] && !found[1]) {
        if (s_exists (revoked))
            return s_fail (err, errlen, "\"%s\" is already revoked", name);
        return s_fail (err, errlen, "no node or admin named \"%s\" in %s", name, allow_dir);
    }

    time_t newest = s_newest_mtime (allow_dir, 0);
    //  Usually newest is this very second: wait for the next one (bounded, in
    //  case the clock is behind a file's mtime)
    for (int waited = 0; time (NULL) <= newest && waited < 1500; waited += 20)
        zclock_sleep (20);

    for (int i = 0; i < 2; i++) {
        if (!found[i])
            continue;
        //  The public key goes to the log for audit; a damaged file is still revoked
        zcert_t *cert = sw_cert_load_public (allowed[i], NULL, 0);
        char public_txt[Z85_KEY_LEN + 1] = "?";
        if (cert)
            snprintf (public_txt, sizeof public_txt, "%s", zcert_public_txt (cert));
        zcert_destroy (&cert);
        if (unlink (allowed[i]) != 0)
            return s_fail (err, errlen, "%s: cannot remove: %s", allowed[i], strerror (errno));
        if (s_log_revocation (log_path, name, roles[i], public_txt, newest, err, errlen) != 0)
            return -1;
    }
    //  The public cert stays for audit; the secret is of no use any more and
    //  only a liability. Both may be absent: in production they live on the node.
    if (s_exists (id_public) && rename (id_public, revoked) != 0)
        return s_fail (err, errlen, "%s: cannot rename: %s", id_public, strerror (errno));
    if (unlink (id_secret) != 0 && errno != ENOENT)
        return s_fail (err, errlen, "%s: cannot remove: %s", id_secret, strerror (errno));
    return 0;
}

//  --------------------------------------------------------------------------
//  Allow-list loading

typedef struct {
    char key[41];
    char name[SW_KEYS_NAME_MAX + 1];
    char path[PATH_LEN + 1];
} allow_entry_t;

//  Notes a problem in err unless one is noted already (the first one is
//  the one an operator reads).
static void s_note (char *err, size_t errlen, const char *what)
{
    if (err && errlen && !*err)
        snprintf (err, errlen, "%s", what);
}

static size_t s_count (zhash_t *counts, const char *item)
{
    return (size_t)(uintptr_t)zhash_lookup (counts, item);
}

static void s_count_up (zhash_t *counts, const char *item)
{
    zhash_update (counts, item, (void *)(uintptr_t)(s_count (counts, item) + 1));
}

zhash_t *sw_keys_load_dir (const char *dir, char *err, size_t errlen)
{
    if (err && errlen)
        *err = 0;
    DIR *handle = dir ? opendir (dir) : NULL;
    if (!handle) {
        s_fail (err, errlen, "%s: %s", dir ? dir : "(null)", dir ? strerror (errno) : "no path");
        return NULL;
    }
    zlistx_t *entries = zlistx_new ();
    zlistx_set_destructor (entries, (zlistx_destructor_fn *)zstr_free);
    zhash_t *names = zhash_new (), *keys_seen = zhash_new ();
    char why[PATH_LEN + 256];
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        size_t len = strlen (entry->d_name);
        allow_entry_t *e = calloc (1, sizeof *e);
        struct stat st;
        //  Hidden files are skipped because zauth skips them too
        if (entry->d_name[0] == '.' || len <= 4 || !streq (entry->d_name + len - 4, ".crt") ||
            s_path (e->path, "%s/%s", dir, entry->d_name) || stat (e->path, &st) != 0 ||
            !S_ISREG (st.st_mode)) {
            free (e);
            continue;
        }
        //  A bad file is left out, never fatal: one broken copy must not
        //  stop the broker from applying the rest (revocations above all).
        zcert_t *cert = sw_cert_load_public (e->path, why, sizeof why);
        if (!cert) {
            s_note (err, errlen, why);
            free (e);
            continue;
        }
        const char *name = zcert_meta (cert, "name");
        //  The name is the metadata, else the file name without .crt, whole:
        //  a name too long to be valid is refused, never cut to fit.
        char stem[PATH_LEN + 1];
        snprintf (stem, sizeof stem, "%.*s", (int)(len - 4), entry->d_name);
        const char *full = name ? name : stem;
        snprintf (e->key, sizeof e->key, "%s", zcert_public_txt (cert));
        //  Names end up in logs and reports, so they must be tame
        if (!sw_keys_name_valid (full)) {
            snprintf (why, sizeof why, "%s: invalid certificate name", e->path);
            s_note (err, errlen, why);
            free (e);
        } else {
            memcpy (e->name, full, strlen (full) + 1); //  valid, so it fits
            s_count_up (names, e->name);
            s_count_up (keys_seen, e->key);
            zlistx_add_end (entries, e);
        }
        zcert_destroy (&cert);
    }
    closedir (handle);
    zhash_t *keys = zhash_new ();
    zhash_autofree (keys);
    for (allow_entry_t *e = zlistx_first (entries); e; e = zlistx_next (entries)) {
        //  A name or key held twice is ambiguous: the broker gives leases
        //  by name, so every certificate involved is refused.
        if (s_count (names, e->name) > 1 || s_count (keys_seen, e->key) > 1) {
            snprintf (why, sizeof why,
                      "%s: name \"%s\" or its public key already used by another "
                      "certificate; all of them refused",
                      e->path, e->name);
            s_note (err, errlen, why);
        } else
            zhash_insert (keys, e->key, e->name);
    }
    zhash_destroy (&names);
    zhash_destroy (&keys_seen);
    zlistx_destroy (&entries);
    return keys;
}

//  --------------------------------------------------------------------------
//  The revocation log, read back

#define REVOKED_LOG_MAX (16 * 1024 * 1024)

zhash_t *sw_keys_load_revoked (const char *path, char *err, size_t errlen)
{
    if (err && errlen)
        *err = 0;
    zhash_t *keys = zhash_new ();
    zhash_autofree (keys);
    FILE *file = path ? fopen (path, "re") : NULL;
    if (!file) {
        if (path && errno == ENOENT)
            return keys; //  nothing revoked yet
        s_fail (err, errlen, "%s: %s", path ? path : "(null)", path ? strerror (errno) : "no path");
        zhash_destroy (&keys);
        return NULL;
    }
    struct stat st;
    if (fstat (fileno (file), &st) != 0 || !S_ISREG (st.st_mode)) {
        s_fail (err, errlen, "%s: not a regular file", path);
        fclose (file);
        zhash_destroy (&keys);
        return NULL;
    }
    //  Lines are `    NAME = "ROLE WHEN KEY"`; anything else (comments,
    //  the section line) is skipped, and so is a damaged entry.
    char line[512];
    size_t total = 0;
    int lineno = 0;
    while (fgets (line, sizeof line, file) && total < REVOKED_LOG_MAX) {
        total += strlen (line);
        lineno++;
        char name[SW_KEYS_NAME_MAX + 1], value[256], role[16];
        if (sscanf (line, "    %64[A-Za-z0-9._-] = \"%255[^\"]\"", name, value) != 2 ||
            sscanf (value, "%15s", role) != 1)
            continue;
        const char *key = strrchr (value, ' ');
        key = key ? key + 1 : value;
        byte raw[KEY_LEN];
        if (strlen (key) != Z85_KEY_LEN || s_z85_decode (raw, key) != 0) {
            char why[PATH_LEN + 64];
            snprintf (why, sizeof why, "%s:%d: entry for \"%s\" has no valid key", path, lineno,
                      name);
            s_note (err, errlen, why);
            continue;
        }
        char *entry = zsys_sprintf ("%s %s", role, name);
        if (entry)
            zhash_update (keys, key, entry);
        zstr_free (&entry);
    }
    fclose (file);
    return keys;
}

//  --------------------------------------------------------------------------
//  Approval of a public key the broker has seen

int sw_keys_approve (const char *dir, const char *name, const char *public_txt, bool replace,
                     char *err, size_t errlen)
{
    if (!dir || !*dir)
        return s_fail (err, errlen, "no key directory given");
    if (!sw_keys_name_valid (name))
        return s_fail (err, errlen,
                       "invalid name \"%.80s\": use 1-64 of [A-Za-z0-9._-], "
                       "starting with a letter or digit",
                       name ? name : "(null)");
    byte key[KEY_LEN];
    if (!public_txt || strlen (public_txt) != Z85_KEY_LEN || s_z85_decode (key, public_txt) != 0)
        return s_fail (err, errlen, "not a public key (40 Z85 characters)");

    char nodes_dir[PATH_LEN + 1], admins_dir[PATH_LEN + 1], log_path[PATH_LEN + 1];
    char allowed[PATH_LEN + 1], other[PATH_LEN + 1], revoked[PATH_LEN + 1];
    if (s_path (nodes_dir, "%s/allow/nodes", dir) || s_path (admins_dir, "%s/allow/admins", dir) ||
        s_path (log_path, "%s/allow/%s", dir, REVOKED_LOG) ||
        s_path (allowed, "%s/%s.crt", nodes_dir, name) ||
        s_path (other, "%s/%s.crt", admins_dir, name) ||
        s_path (revoked, "%s/id/%s.crt.revoked", dir, name))
        return s_fail (err, errlen, "%s: path too long", dir);

    if (s_exists (other) || (s_exists (allowed) && !replace))
        return s_fail (err, errlen, "name \"%s\" is already taken (%s)%s", name,
                       s_exists (other) ? other : allowed,
                       s_exists (other) ? "" : "; to give the node a new key, replace it");
    char old_key[Z85_KEY_LEN + 1] = "";
    if (s_exists (allowed)) {
        zcert_t *old = sw_cert_load_public (allowed, NULL, 0);
        if (old)
            snprintf (old_key, sizeof old_key, "%s", zcert_public_txt (old));
        zcert_destroy (&old);
    }
    zhash_t *gone = sw_keys_load_revoked (log_path, err, errlen);
    if (!gone)
        return -1;
    //  A revoked name stays retired; a name an impostor gave a rejected key,
    //  or whose old key was replaced, does not
    bool name_revoked = s_exists (revoked);
    for (const char *e = zhash_first (gone); e && !name_revoked; e = zhash_next (gone)) {
        const char *n = strchr (e, ' ');
        name_revoked = n && streq (n + 1, name) && strncmp (e, "rejected ", 9) != 0 &&
                       strncmp (e, "replaced ", 9) != 0;
    }
    const char *revoked_as = zhash_lookup (gone, public_txt);
    int rc = 0;
    if (name_revoked)
        rc = s_fail (err, errlen, "name \"%s\" was revoked; choose another name", name);
    else if (revoked_as)
        rc = s_fail (err, errlen,
                     "this key is in the revocation log (%s); the node must make a new one",
                     revoked_as);
    zhash_destroy (&gone);
    if (rc)
        return rc;
    const char *dirs[] = {nodes_dir, admins_dir};
    for (int i = 0; i < 2; i++) {
        zhash_t *listed = sw_keys_load_dir (dirs[i], NULL, 0);
        const char *as = listed ? zhash_lookup (listed, public_txt) : NULL;
        if (as && i == 0 && replace && streq (as, name))
            as = NULL; //  replacing a key with itself changes nothing: refused below
        if (as)
            rc = s_fail (err, errlen, "this key is already allowed (as \"%s\" in %s)", as, dirs[i]);
        zhash_destroy (&listed);
        if (rc)
            return rc;
    }
    static const byte no_secret[KEY_LEN];
    zcert_t *cert = zcert_new_from (key, no_secret);
    if (!cert)
        return s_fail (err, errlen, "out of memory");
    char when[32];
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "node");
    zcert_set_meta (cert, "approved", "%s", s_utc_now (when));
    if (*old_key) {
        //  The new certificate replaces the old one in one rename; then the
        //  old key goes into the revocation log, so it is never let in again
        char fresh[PATH_LEN + 1];
        if (streq (old_key, public_txt))
            rc = s_fail (err, errlen, "node \"%s\" already has this key", name);
        else if (s_path (fresh, "%s/.%s.crt.new", nodes_dir, name))
            rc = s_fail (err, errlen, "%s: path too long", dir);
        else {
            unlink (fresh);
            rc = s_cert_write (cert, fresh, false, NULL, err, errlen);
            if (rc == 0 && rename (fresh, allowed) != 0) {
                rc = s_fail (err, errlen, "%s: %s", allowed, strerror (errno));
                unlink (fresh);
            }
            if (rc == 0)
                rc = s_log_revocation (log_path, name, "replaced", old_key, 0, err, errlen);
        }
    } else
        rc = s_mkdir (nodes_dir, 0755, NULL, err, errlen) == 0 &&
                     s_cert_write (cert, allowed, false, NULL, err, errlen) == 0
                 ? 0
                 : -1;
    zcert_destroy (&cert);
    return rc;
}

//  --------------------------------------------------------------------------
//  An allow-list kept current

struct _sw_allow_t {
    char *path;
    bool is_log; //  the revocation log rather than a directory of certs
    zhash_t *keys;
    struct timespec mtime;
};

static sw_allow_t *s_allow_new (const char *path, bool is_log)
{
    sw_allow_t *self = calloc (1, sizeof *self);
    if (self && !(self->path = strdup (path))) {
        free (self);
        self = NULL;
    }
    if (self)
        self->is_log = is_log;
    return self;
}

sw_allow_t *sw_allow_new (const char *dir)
{
    return s_allow_new (dir, false);
}

sw_allow_t *sw_allow_new_revoked (const char *log_path)
{
    return s_allow_new (log_path, true);
}

void sw_allow_destroy (sw_allow_t **self_p)
{
    if (self_p && *self_p) {
        zhash_destroy (&(*self_p)->keys);
        free ((*self_p)->path);
        free (*self_p);
        *self_p = NULL;
    }
}

int sw_allow_refresh (sw_allow_t *self, char *err, size_t errlen)
{
    if (err && errlen)
        *err = 0;
    struct stat st;
    bool exists = stat (self->path, &st) == 0;
    struct timespec mtime = exists ? st.st_mtim : (struct timespec){0};
    if (self->keys && mtime.tv_sec == self->mtime.tv_sec && mtime.tv_nsec == self->mtime.tv_nsec)
        return 0;
    zhash_t *keys = self->is_log ? sw_keys_load_revoked (self->path, err, errlen)
                                 : sw_keys_load_dir (self->path, err, errlen);
    if (!keys)
        return -1;
    zhash_destroy (&self->keys);
    self->keys = keys;
    self->mtime = mtime;
    return 1;
}

const char *sw_allow_name (sw_allow_t *self, const char *key)
{
    return self && self->keys && key ? zhash_lookup (self->keys, key) : NULL;
}

int sw_keys_reject (const char *dir, const char *name, const char *public_txt, char *err,
                    size_t errlen)
{
    byte key[KEY_LEN];
    char log_path[PATH_LEN + 1];
    if (!dir || !*dir)
        return s_fail (err, errlen, "no key directory given");
    if (!sw_keys_name_valid (name))
        return s_fail (err, errlen, "invalid name \"%.80s\"", name ? name : "(null)");
    if (!public_txt || strlen (public_txt) != Z85_KEY_LEN || s_z85_decode (key, public_txt) != 0)
        return s_fail (err, errlen, "not a public key (40 Z85 characters)");
    if (s_path (log_path, "%s/allow/%s", dir, REVOKED_LOG))
        return s_fail (err, errlen, "%s: path too long", dir);
    return s_log_revocation (log_path, name, "rejected", public_txt, 0, err, errlen);
}
