/*  sw_upload - posture inputs and rule bundles as blobs. */
#include "sw_upload.h"

#include <czmq.h>
#include <sodium.h>

#include "sw_archive.h"
#include "sw_check.h"
#include "sw_docload.h"
#include "sw_gitscan.h"
#include "sw_posture.h"
#include "sw_proto.h"
#include "sw_secrets.h"

#define EXIT_USAGE 2

//  Asks the broker which of these blobs it lacks; missing[i] says.
static int s_have (sw_call_fn *call, void *ctx, char **hashes, size_t n, bool *missing)
{
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 1);
    sw_pack_str (&p.pk, "hashes");
    msgpack_pack_array (&p.pk, n);
    for (size_t i = 0; i < n; i++)
        sw_pack_str (&p.pk, hashes[i]);
    sw_mpdoc_t doc;
    int rc = call (ctx, "BLOB-HAVE", &p.sbuf, &doc);
    sw_packer_destroy (&p);
    if (rc)
        return rc;
    const sw_mpv_t *list = sw_mpv_get (doc.root, "missing");
    for (size_t i = 0; i < n; i++) {
        missing[i] = false;
        for (uint32_t j = 0; list && list->type == SW_MPV_ARRAY && j < list->len; j++) {
            const char *h = sw_mpv_str (&list->v.items[j]);
            if (h && strcmp (h, hashes[i]) == 0)
                missing[i] = true;
        }
    }
    sw_mpdoc_free (&doc);
    return 0;
}

static int s_put (sw_call_fn *call, void *ctx, const uint8_t *data, size_t len, const char *hash)
{
    size_t offset = 0;
    do {
        size_t n = len - offset < SW_BLOB_CHUNK ? len - offset : SW_BLOB_CHUNK;
        sw_packer_t p;
        sw_packer_init (&p);
        msgpack_pack_map (&p.pk, 4);
        sw_pack_kv_str (&p.pk, "hash", hash);
        sw_pack_kv_uint (&p.pk, "size", len);
        sw_pack_kv_uint (&p.pk, "offset", offset);
        sw_pack_str (&p.pk, "data");
        msgpack_pack_bin (&p.pk, n);
        msgpack_pack_bin_body (&p.pk, data + offset, n);
        sw_mpdoc_t doc;
        int rc = call (ctx, "BLOB-PUT", &p.sbuf, &doc);
        sw_packer_destroy (&p);
        if (rc)
            return rc;
        sw_mpdoc_free (&doc);
        offset += n;
    } while (offset < len);
    return 0;
}

int sw_upload_blob (sw_call_fn *call, void *ctx, const void *data, size_t len, const char *hash)
{
    bool missing;
    char *h = (char *)hash;
    int rc = s_have (call, ctx, &h, 1, &missing);
    return rc ? rc : missing ? s_put (call, ctx, data, len, hash) : 0;
}

//  Reads base_dir/name.
static char *s_read (const char *base_dir, const char *name, size_t *len)
{
    char path[4096], err[512];
    if (name[0] == '/' || !base_dir || !*base_dir)
        snprintf (path, sizeof path, "%s", name);
    else
        snprintf (path, sizeof path, "%s/%s", base_dir, name);
    char *data = sw_file_read (path, SW_BLOB_MAX_SIZE, len, err, sizeof err);
    if (!data)
        fprintf (stderr, "sweepctl: %s\n", err);
    return data;
}

//  Gives t the files of a walk, with their hashes and sizes.
static int s_name_files (sw_job_target_t *t, const char *base_dir, const sw_filelist_t *in,
                         size_t index)
{
    t->files = calloc (in->n ? in->n : 1, sizeof (sw_job_file_t));
    for (size_t i = 0; i < in->n; i++) {
        size_t len;
        char *data = s_read (base_dir, in->names[i], &len);
        if (!data)
            return EXIT_USAGE;
        t->files[i].name = strdup (in->names[i]);
        t->files[i].size = len;
        sw_blob_hash (data, len, t->files[i].hash);
        t->nfiles = i + 1;
        free (data);
    }
    if (t->nfiles == 0) {
        fprintf (stderr, "sweepctl: targets[%zu]: the paths hold no files\n", index);
        return EXIT_USAGE;
    }
    return 0;
}

//  Collects a target's files (named as the job wrote its paths) and their
//  hashes and sizes.
static int s_target_files (sw_job_target_t *t, const char *base_dir, size_t index)
{
    char err[1024], cwd[4096];
    //  Secrets targets read hidden files too (.env files are where
    //  secrets hide) and files up to SW_SECRETS_MAX_FILE; larger ones are
    //  skipped and counted (a node would skip them anyway)
    bool secrets = strcmp (t->scanner, "secrets") == 0;
    sw_filelist_t in = {.hidden = secrets};
    //  Walk from the job file's folder so names stay as the job wrote them.
    if (!getcwd (cwd, sizeof cwd) || (base_dir && *base_dir && chdir (base_dir))) {
        fprintf (stderr, "sweepctl: cannot enter %s\n", base_dir);
        return EXIT_USAGE;
    }
    int rc = 0;
    for (size_t i = 0; i < t->npaths && rc == 0; i++)
        rc = sw_filelist_add (
            &in, t->paths[i], NULL, secrets ? SW_SECRETS_MAX_FILE : SW_DOC_MAX_BYTES,
            secrets ? SW_JOBFILE_MAX_FILES : SW_POSTURE_MAX_FILES, err, sizeof err);
    sw_filelist_finish (&in);
    if (chdir (cwd) || rc) {
        fprintf (stderr, "sweepctl: targets[%zu]: %s\n", index, rc ? err : "cannot return");
        sw_filelist_clear (&in);
        return EXIT_USAGE;
    }
    if (secrets && in.skipped)
        fprintf (stderr,
                 "sweepctl: targets[%zu]: %zu files skipped (over %u MiB, special, or too deep)\n",
                 index, in.skipped, SW_SECRETS_MAX_FILE >> 20);
    rc = s_name_files (t, base_dir, &in, index);
    sw_filelist_clear (&in);
    return rc;
}

//  A secrets history target: each repository's git folder goes packed
//  (a tar of its objects and references) as one blob, named as the job
//  names the repository.
static int s_history_files (sw_call_fn *call, void *ctx, sw_job_target_t *t, const char *base_dir,
                            size_t index)
{
    t->files = calloc (t->npaths ? t->npaths : 1, sizeof (sw_job_file_t));
    for (size_t i = 0; i < t->npaths; i++) {
        char path[4096], gitdir[4096], err[1024];
        if (t->paths[i][0] == '/' || !base_dir || !*base_dir)
            snprintf (path, sizeof path, "%s", t->paths[i]);
        else
            snprintf (path, sizeof path, "%s/%s", base_dir, t->paths[i]);
        char *tar = NULL;
        size_t len = 0;
        if (sw_git_dir (path, gitdir, sizeof gitdir, err, sizeof err) ||
            sw_archive_pack (gitdir, SW_BLOB_MAX_SIZE, &tar, &len, err, sizeof err)) {
            fprintf (stderr, "sweepctl: targets[%zu]: %s\n", index, err);
            return EXIT_USAGE;
        }
        if (len > SW_BLOB_MAX_SIZE) {
            fprintf (stderr, "sweepctl: targets[%zu]: %s packs to %zu bytes, over %u\n", index,
                     t->paths[i], len, SW_BLOB_MAX_SIZE);
            free (tar);
            return EXIT_USAGE;
        }
        sw_job_file_t *f = &t->files[t->nfiles++];
        size_t n = strlen (t->paths[i]);
        while (n > 1 && t->paths[i][n - 1] == '/')
            n--;
        f->name = strndup (t->paths[i], n);
        f->size = len;
        sw_blob_hash (tar, len, f->hash);
        int rc = sw_upload_blob (call, ctx, tar, len, f->hash);
        free (tar);
        if (rc)
            return rc;
    }
    return 0;
}

//  Uploads the files of t the broker lacks.
static int s_upload_target (sw_call_fn *call, void *ctx, sw_job_target_t *t, const char *base_dir)
{
    char **hashes = calloc (t->nfiles, sizeof (char *));
    bool *missing = calloc (t->nfiles, sizeof (bool));
    for (size_t i = 0; i < t->nfiles; i++)
        hashes[i] = t->files[i].hash;
    int rc = s_have (call, ctx, hashes, t->nfiles, missing);
    for (size_t i = 0; rc == 0 && i < t->nfiles; i++) {
        bool again = false; //  the same content under two names goes once
        for (size_t j = 0; j < i && !again; j++)
            again = missing[j] && strcmp (hashes[j], hashes[i]) == 0;
        if (!missing[i] || again)
            continue;
        size_t len;
        char *data = s_read (base_dir, t->files[i].name, &len);
        char hash[SW_BLOB_HEX_LEN + 1] = "";
        if (data)
            sw_blob_hash (data, len, hash);
        if (!data || strcmp (hash, t->files[i].hash) != 0) {
            fprintf (stderr, "sweepctl: %s changed while it was being submitted\n",
                     t->files[i].name);
            rc = EXIT_USAGE;
        } else
            rc = s_put (call, ctx, (const uint8_t *)data, len, hash);
        free (data);
    }
    free (hashes);
    free (missing);
    return rc;
}

int sw_upload_job_inputs (sw_call_fn *call, void *ctx, sw_jobfile_t *job, const char *base_dir)
{
    for (size_t i = 0; i < job->ntargets; i++) {
        sw_job_target_t *t = &job->targets[i];
        if (!sw_scanner_takes_files (t->scanner) || !t->paths || t->files)
            continue;
        bool secrets = strcmp (t->scanner, "secrets") == 0;
        if (secrets && t->history) {
            int rc = s_history_files (call, ctx, t, base_dir, i);
            if (rc)
                return rc;
            continue;
        }
        int rc = s_target_files (t, base_dir, i);
        if (rc == 0)
            rc = s_upload_target (call, ctx, t, base_dir);
        if (rc)
            return rc;
    }
    return 0;
}
