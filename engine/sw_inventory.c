/*  sw_inventory - normalizers for manifest files: Kubernetes objects and
    Lists, CloudFormation templates and Terraform plans become resources.

    Every normalizer works on a shallow copy of the map it describes and
    adds its own keys (_namespace, _pod, _logicalId, _refs, ...) to that
    copy only: documents may share subtrees (YAML aliases, List items),
    and a key written into a shared map would show up in other resources.

    Input is untrusted: a value of the wrong shape is an input error with
    its position, and loading goes on with the next value. */
#include "sw_inventory.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sw_docload.h"

//  Terraform nests modules as deep as the user likes; a plan that nests
//  deeper than this is refused rather than followed down the stack.
#define TF_MODULE_DEPTH 32
//  Bounds the walk of one resource's configuration expressions: nodes
//  visited, and nesting (blocks within blocks).
#define TF_SCAN_NODES 100000
#define TF_SCAN_DEPTH 64
//  Longest reference we resolve (module prefix plus reference text).
#define TF_REF_MAX 1024
//  How much of an untrusted key we quote in an error message.
#define QUOTE_MAX 60

static const char *s_unknown_doc =
    "not a Kubernetes object, CloudFormation template or Terraform plan";

//  --------------------------------------------------------------------------
//  Shared helpers

typedef struct {
    const char *key;
    sw_val_t *val; //  NULL: the key is not added
} extra_t;

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))

//  Returns a shallow copy of map (same entries, same positions) with the
//  extra keys set, replacing entries of the same key.
static sw_val_t *s_copy_with (sw_arena_t *arena, const sw_val_t *map, const extra_t *extras,
                              size_t nextras)
{
    sw_val_t *copy = sw_val_map (arena);
    copy->line = map->line;
    copy->col = map->col;
    uint32_t cap = map->map.n + (uint32_t)nextras;
    copy->map.kv = sw_arena_alloc (arena, cap * sizeof (sw_kv_t));
    copy->map.cap = cap;
    if (map->map.n)
        memcpy (copy->map.kv, map->map.kv, map->map.n * sizeof (sw_kv_t));
    copy->map.n = map->map.n;
    for (size_t i = 0; i < nextras; i++)
        if (extras[i].val)
            sw_val_set (arena, copy, extras[i].key, extras[i].val);
    return copy;
}

//  Copies untrusted text for a message: bounded, and with control and
//  non-ASCII bytes replaced so that a key cannot forge report lines.
static const char *s_quote (const char *text, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; text[i] && o + 4 < outlen; i++) {
        unsigned char c = (unsigned char)text[i];
        if (i == QUOTE_MAX) {
            memcpy (out + o, "...", 3);
            o += 3;
            break;
        }
        out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    out[o] = 0;
    return out;
}

static void s_error_at (sw_resset_t *set, const char *file, const sw_val_t *at, const char *fmt,
                        ...) __attribute__ ((format (printf, 4, 5)));

//  Records an input error at the position of `at` (0:0 when unknown).
static void s_error_at (sw_resset_t *set, const char *file, const sw_val_t *at, const char *fmt,
                        ...)
{
    char message[512];
    va_list args;
    va_start (args, fmt);
    vsnprintf (message, sizeof message, fmt, args);
    va_end (args);
    sw_resset_error (set, file, at ? at->line : 0, at ? at->col : 0, "%s", message);
}

//  True when v has the wanted type; otherwise an input error names what
//  was expected where v is.
static bool s_expect (sw_resset_t *set, const char *file, const sw_val_t *v, sw_vtype_t type,
                      const char *what)
{
    if (v && v->type == type)
        return true;
    s_error_at (set, file, v, "%s: expected %s, found %s", what, sw_vtype_name (type),
                v ? sw_vtype_name (v->type) : "nothing");
    return false;
}

//  The value of key in map when it has the wanted type, else NULL. A
//  value of another type is an input error, and so is a missing value
//  the caller requires (reported at the map).
static sw_val_t *s_field (sw_resset_t *set, const char *file, const sw_val_t *map, const char *key,
                          sw_vtype_t type, bool required)
{
    sw_val_t *v = sw_val_get (map, key);
    if (v && v->type == type)
        return v;
    if (v)
        s_expect (set, file, v, type, key);
    else if (required)
        s_error_at (set, file, map, "%s is missing", key);
    return NULL;
}

static bool s_ends_with (const char *s, const char *suffix)
{
    size_t len = strlen (s), slen = strlen (suffix);
    return len >= slen && strcmp (s + len - slen, suffix) == 0;
}

static bool s_in (const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (s, list[i]) == 0)
            return true;
    return false;
}

//  Makes room for one more item in an arena vector. The old block stays
//  in the arena (it is never freed one by one); doubling bounds the waste.
static void *s_reserve (sw_arena_t *arena, void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t grown_cap = *cap ? *cap * 2 : 16;
    void *grown = sw_arena_alloc (arena, grown_cap * size);
    if (n)
        memcpy (grown, items, n * size);
    *cap = grown_cap;
    return grown;
}

//  --------------------------------------------------------------------------
//  Recognising documents and loading files

//  True when Resources holds at least one entry typed like a
//  CloudFormation resource. One is enough: an entry with a bad Type is
//  then reported by the normalizer instead of hiding the whole template.
static bool s_has_cfn_resources (const sw_val_t *doc)
{
    const sw_val_t *resources = sw_val_get (doc, "Resources");
    if (!resources || resources->type != SW_VMAP)
        return false;
    for (uint32_t i = 0; i < resources->map.n; i++) {
        const char *type = sw_val_cstr (sw_val_get (resources->map.kv[i].val, "Type"));
        if (type && (strncmp (type, "AWS::", 5) == 0 || strncmp (type, "Custom::", 8) == 0))
            return true;
    }
    return false;
}

const char *sw_inventory_kind (const sw_val_t *doc)
{
    if (!doc || doc->type != SW_VMAP)
        return NULL;
    if (sw_val_cstr (sw_val_get (doc, "apiVersion")) && sw_val_cstr (sw_val_get (doc, "kind")))
        return "k8s";
    if (sw_val_get (doc, "AWSTemplateFormatVersion") || s_has_cfn_resources (doc))
        return "cfn";
    if (sw_val_get (doc, "format_version") &&
        (sw_val_get (doc, "planned_values") || sw_val_get (doc, "resource_changes")))
        return "tf";
    return NULL;
}

typedef struct {
    const char *kind;
    void (*add) (sw_resset_t *set, const char *file, sw_val_t *doc);
} normalizer_t;

static const normalizer_t s_normalizers[] = {
    {"k8s", sw_inventory_add_k8s},
    {"cfn", sw_inventory_add_cfn},
    {"tf", sw_inventory_add_tf},
};

static void s_add_doc (sw_resset_t *set, const char *file, sw_val_t *doc)
{
    if (!doc || doc->type == SW_VNULL)
        return; //  an empty YAML document ("---" with nothing after it)
    const char *kind = sw_inventory_kind (doc);
    for (size_t i = 0; kind && i < COUNT (s_normalizers); i++)
        if (strcmp (kind, s_normalizers[i].kind) == 0) {
            s_normalizers[i].add (set, file, doc);
            return;
        }
    s_error_at (set, file, doc, "%s", s_unknown_doc);
}

static void s_load_file (sw_resset_t *set, const sw_input_file_t *file)
{
    sw_doclist_t docs = {NULL, 0, 0};
    char err[512] = "";
    //  Documents parsed before an error are still used: one bad document
    //  late in a long stream should not hide the good ones before it.
    if (sw_doc_load (set->arena, file->name, file->data, file->len, SW_FMT_AUTO, &docs, err,
                     sizeof err) != 0)
        sw_resset_error_text (set, file->name, err);
    for (size_t i = 0; i < docs.n; i++)
        s_add_doc (set, file->name, docs.docs[i]);
}

void sw_inventory_load_files (sw_resset_t *set, const sw_input_file_t *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_load_file (set, &files[i]);
}

//  --------------------------------------------------------------------------
//  Kubernetes

static const char *const s_cluster_kinds[] = {
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CustomResourceDefinition",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "CSIDriver",
    "IngressClass",
    "RuntimeClass",
    "PodSecurityPolicy",
};

//  Where each workload kind keeps the pod it runs, so that pod rules
//  are written once against _pod and _podMeta.
typedef struct {
    const char *kind;
    const char *pod;  //  dotted path of the pod spec
    const char *meta; //  dotted path of the pod's metadata
} workload_t;

static const workload_t s_workloads[] = {
    {"Pod", "spec", "metadata"},
    {"Deployment", "spec.template.spec", "spec.template.metadata"},
    {"StatefulSet", "spec.template.spec", "spec.template.metadata"},
    {"DaemonSet", "spec.template.spec", "spec.template.metadata"},
    {"ReplicaSet", "spec.template.spec", "spec.template.metadata"},
    {"ReplicationController", "spec.template.spec", "spec.template.metadata"},
    {"Job", "spec.template.spec", "spec.template.metadata"},
    {"CronJob", "spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.metadata"},
};

static const workload_t *s_workload (const char *kind)
{
    for (size_t i = 0; i < COUNT (s_workloads); i++)
        if (strcmp (kind, s_workloads[i].kind) == 0)
            return &s_workloads[i];
    return NULL;
}

//  The map at a dotted path, or NULL. A value there of another type is an
//  input error: rules would otherwise silently see no pod at all.
static sw_val_t *s_dig_map (sw_resset_t *set, const char *file, const sw_val_t *doc,
                            const char *path)
{
    sw_val_t *v = sw_val_dig (doc, path);
    if (v && !s_expect (set, file, v, SW_VMAP, path))
        return NULL;
    return v;
}

//  The object's name: metadata.name, or the generateName prefix of an
//  object that the API server names on creation.
static const char *s_k8s_name (const sw_val_t *meta)
{
    const char *name = sw_val_cstr (sw_val_get (meta, "name"));
    if (!name || !*name)
        name = sw_val_cstr (sw_val_get (meta, "generateName"));
    return name && *name ? name : NULL;
}

//  The namespace an object lives in, or NULL for a cluster-scoped kind.
//  Objects without one land where kubectl would apply them.
static sw_val_t *s_k8s_namespace (sw_resset_t *set, const char *file, const sw_val_t *meta,
                                  const char *kind)
{
    if (s_in (kind, s_cluster_kinds, COUNT (s_cluster_kinds)))
        return NULL;
    sw_val_t *ns = s_field (set, file, meta, "namespace", SW_VSTR, false);
    return ns && ns->str.len ? ns : sw_val_str (set->arena, "default");
}

//  Adds one object. fallback_kind names the kind of a List's items that
//  lack their own (NULL outside a List).
static void s_add_k8s_object (sw_resset_t *set, const char *file, sw_val_t *obj,
                              const char *fallback_kind)
{
    if (!s_expect (set, file, obj, SW_VMAP, "Kubernetes object"))
        return;
    const char *kind = sw_val_cstr (sw_val_get (obj, "kind"));
    kind = kind && *kind ? kind : fallback_kind;
    if (!kind || !*kind) {
        s_error_at (set, file, obj, "object without kind");
        return;
    }
    sw_val_t *meta = sw_val_get (obj, "metadata");
    const char *name = s_k8s_name (meta);
    if (!name) {
        s_error_at (set, file, obj, "object without metadata.name");
        return;
    }
    sw_val_t *ns = s_k8s_namespace (set, file, meta, kind);
    const workload_t *workload = s_workload (kind);
    //  An item of a typed List has no kind of its own; rules see the one
    //  it has as a resource.
    bool borrowed = !sw_val_cstr (sw_val_get (obj, "kind"));
    extra_t extras[] = {
        {"kind", borrowed ? sw_val_str (set->arena, kind) : NULL},
        {"_namespace", ns},
        {"_pod", workload ? s_dig_map (set, file, obj, workload->pod) : NULL},
        {"_podMeta", workload ? s_dig_map (set, file, obj, workload->meta) : NULL},
    };
    sw_val_t *doc = s_copy_with (set->arena, obj, extras, COUNT (extras));
    char *id = ns ? sw_arena_printf (set->arena, "k8s:%s/%s/%s", ns->str.s, kind, name)
                  : sw_arena_printf (set->arena, "k8s:%s/%s", kind, name);
    sw_resset_add (set, sw_arena_printf (set->arena, "k8s.%s", kind),
                   workload ? "k8s.workload" : NULL, id, file, obj->line, doc);
}

void sw_inventory_add_k8s (sw_resset_t *set, const char *file, sw_val_t *doc)
{
    const char *kind = sw_val_cstr (sw_val_get (doc, "kind"));
    sw_val_t *items = sw_val_get (doc, "items");
    if (!kind || !s_ends_with (kind, "List") || !items || items->type != SW_VARR) {
        s_add_k8s_object (set, file, doc, NULL);
        return;
    }
    //  kubectl's "get -o yaml" wraps objects in a List; its items are the
    //  resources. A typed list (DeploymentList) names its items' kind.
    const char *item_kind = sw_arena_strndup (set->arena, kind, strlen (kind) - 4);
    for (uint32_t i = 0; i < items->arr.n; i++)
        s_add_k8s_object (set, file, items->arr.items[i], item_kind);
}

//  --------------------------------------------------------------------------
//  CloudFormation

static void s_add_cfn_resource (sw_resset_t *set, const char *file, const char *logical_id,
                                sw_val_t *res)
{
    char quoted[QUOTE_MAX + 8];
    if (!s_expect (set, file, res, SW_VMAP, s_quote (logical_id, quoted, sizeof quoted)))
        return;
    const char *type = sw_val_cstr (sw_val_get (res, "Type"));
    if (!type) {
        s_error_at (set, file, res, "resource %s without a string Type",
                    s_quote (logical_id, quoted, sizeof quoted));
        return;
    }
    extra_t extras[] = {{"_logicalId", sw_val_str (set->arena, logical_id)}};
    sw_val_t *doc = s_copy_with (set->arena, res, extras, COUNT (extras));
    sw_resset_add (set, sw_arena_printf (set->arena, "cfn.%s", type), NULL,
                   sw_arena_printf (set->arena, "cfn:%s#%s", file, logical_id), file, res->line,
                   doc);
}

void sw_inventory_add_cfn (sw_resset_t *set, const char *file, sw_val_t *doc)
{
    if (!s_expect (set, file, doc, SW_VMAP, "CloudFormation template"))
        return;
    sw_val_t *resources = s_field (set, file, doc, "Resources", SW_VMAP, false);
    for (uint32_t i = 0; resources && i < resources->map.n; i++)
        s_add_cfn_resource (set, file, resources->map.kv[i].key, resources->map.kv[i].val);
    //  The template itself, for rules on Parameters, Outputs and the like.
    sw_resset_add (set, "cfn.template", NULL, sw_arena_printf (set->arena, "cfn:%s", file), file,
                   doc->line, doc);
}

//  --------------------------------------------------------------------------
//  Terraform plans

//  A resource block of the configuration: one per block, whatever its
//  count or for_each makes of it in the plan.
typedef struct {
    const char *address;         //  module-qualified, without index
    const char *prefix;          //  "" or "module.a.module.b."
    const sw_val_t *expressions; //  where its references are
    sw_val_t *instances;         //  planned addresses (strings), or NULL
    sw_val_t *refs;              //  _refs, computed once, shared by instances
    size_t stamp;                //  last reference scan that reached it
} tf_config_t;

//  A managed resource of the plan.
typedef struct {
    sw_val_t *res;    //  planned resource, or resource change
    sw_val_t *values; //  values to add (resource changes), or NULL
    const char *address;
    const char *config_address;
} tf_planned_t;

typedef struct {
    sw_resset_t *set;
    const char *file;
    tf_config_t *configs;
    size_t nconfigs, config_cap;
    tf_planned_t *planned;
    size_t nplanned, planned_cap;
    size_t *slots; //  hash of config addresses: config index + 1, 0 empty
    size_t mask;
    size_t stamp;
} tf_ctx_t;

//  "module.m[0].aws_s3_bucket.b[\"k\"]" -> "module.m.aws_s3_bucket.b": the
//  instances of one block differ only in bracketed keys, which may be
//  quoted strings holding brackets or dots.
static char *s_strip_indexes (sw_arena_t *arena, const char *address)
{
    char *out = sw_arena_alloc (arena, strlen (address) + 1);
    size_t o = 0, depth = 0;
    bool quoted = false;
    for (const char *p = address; *p; p++) {
        if (quoted) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = false;
        } else if (*p == '[')
            depth++;
        else if (depth && *p == ']')
            depth--;
        else if (depth)
            quoted = *p == '"';
        else
            out[o++] = *p;
    }
    out[o] = 0;
    return out;
}

static size_t s_hash (const char *s, size_t len)
{
    size_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

//  Index of the config whose address is s[0..len), or SIZE_MAX.
static size_t s_tf_find (const tf_ctx_t *ctx, const char *s, size_t len)
{
    for (size_t h = s_hash (s, len) & ctx->mask; ctx->slots[h]; h = (h + 1) & ctx->mask) {
        const char *address = ctx->configs[ctx->slots[h] - 1].address;
        if (strncmp (address, s, len) == 0 && address[len] == 0)
            return ctx->slots[h] - 1;
    }
    return SIZE_MAX;
}

//  Hashes config addresses: plans with thousands of resources make a
//  linear lookup per reference prefix quadratic.
static void s_tf_index (tf_ctx_t *ctx)
{
    size_t cap = 16;
    while (cap < ctx->nconfigs * 2)
        cap *= 2;
    ctx->slots = sw_arena_alloc (ctx->set->arena, cap * sizeof (size_t));
    ctx->mask = cap - 1;
    for (size_t i = 0; i < ctx->nconfigs; i++) {
        const char *address = ctx->configs[i].address;
        size_t h = s_hash (address, strlen (address)) & ctx->mask;
        while (ctx->slots[h] && strcmp (ctx->configs[ctx->slots[h] - 1].address, address) != 0)
            h = (h + 1) & ctx->mask;
        if (!ctx->slots[h])
            ctx->slots[h] = i + 1; //  a duplicate block keeps the first
    }
}

static bool s_tf_depth_ok (tf_ctx_t *ctx, const sw_val_t *module, int depth)
{
    if (depth <= TF_MODULE_DEPTH)
        return true;
    s_error_at (ctx->set, ctx->file, module, "modules nested deeper than %d", TF_MODULE_DEPTH);
    return false;
}

//  True for a data source: its plan entry reads, it creates nothing.
static bool s_tf_is_data (const sw_val_t *res)
{
    const char *mode = sw_val_cstr (sw_val_get (res, "mode"));
    return mode && strcmp (mode, "managed") != 0;
}

static void s_tf_config_resource (tf_ctx_t *ctx, const sw_val_t *res, const char *prefix)
{
    if (!s_expect (ctx->set, ctx->file, res, SW_VMAP, "configuration resource") ||
        s_tf_is_data (res))
        return;
    sw_val_t *type = s_field (ctx->set, ctx->file, res, "type", SW_VSTR, true);
    sw_val_t *name = s_field (ctx->set, ctx->file, res, "name", SW_VSTR, true);
    if (!type || !name)
        return;
    ctx->configs = s_reserve (ctx->set->arena, ctx->configs, ctx->nconfigs, &ctx->config_cap,
                              sizeof (tf_config_t));
    ctx->configs[ctx->nconfigs++] = (tf_config_t){
        .address = sw_arena_printf (ctx->set->arena, "%s%s.%s", prefix, type->str.s, name->str.s),
        .prefix = prefix,
        .expressions = sw_val_get (res, "expressions"),
    };
}

//  Collects a configuration module's resource blocks and its module calls'.
static void s_tf_config_module (tf_ctx_t *ctx, const sw_val_t *module, const char *prefix,
                                int depth)
{
    if (!s_tf_depth_ok (ctx, module, depth))
        return;
    sw_val_t *resources = s_field (ctx->set, ctx->file, module, "resources", SW_VARR, false);
    for (uint32_t i = 0; resources && i < resources->arr.n; i++)
        s_tf_config_resource (ctx, resources->arr.items[i], prefix);
    sw_val_t *calls = s_field (ctx->set, ctx->file, module, "module_calls", SW_VMAP, false);
    for (uint32_t i = 0; calls && i < calls->map.n; i++) {
        sw_kv_t *call = &calls->map.kv[i];
        if (!s_expect (ctx->set, ctx->file, call->val, SW_VMAP, "module call"))
            continue;
        sw_val_t *sub = s_field (ctx->set, ctx->file, call->val, "module", SW_VMAP, false);
        if (sub)
            s_tf_config_module (
                ctx, sub, sw_arena_printf (ctx->set->arena, "%smodule.%s.", prefix, call->key),
                depth + 1);
    }
}

static void s_tf_planned_add (tf_ctx_t *ctx, sw_val_t *res, sw_val_t *values)
{
    if (!s_expect (ctx->set, ctx->file, res, SW_VMAP, "plan resource") || s_tf_is_data (res))
        return;
    sw_val_t *address = s_field (ctx->set, ctx->file, res, "address", SW_VSTR, true);
    if (!address || !s_field (ctx->set, ctx->file, res, "type", SW_VSTR, true))
        return;
    ctx->planned = s_reserve (ctx->set->arena, ctx->planned, ctx->nplanned, &ctx->planned_cap,
                              sizeof (tf_planned_t));
    ctx->planned[ctx->nplanned++] = (tf_planned_t){
        .res = res,
        .values = values,
        .address = address->str.s,
        .config_address = s_strip_indexes (ctx->set->arena, address->str.s),
    };
}

//  Collects planned_values resources; child module entries carry full
//  addresses, so no prefix is needed here.
static void s_tf_planned_module (tf_ctx_t *ctx, const sw_val_t *module, int depth)
{
    if (!s_tf_depth_ok (ctx, module, depth))
        return;
    sw_val_t *resources = s_field (ctx->set, ctx->file, module, "resources", SW_VARR, false);
    for (uint32_t i = 0; resources && i < resources->arr.n; i++)
        s_tf_planned_add (ctx, resources->arr.items[i], NULL);
    sw_val_t *children = s_field (ctx->set, ctx->file, module, "child_modules", SW_VARR, false);
    for (uint32_t i = 0; children && i < children->arr.n; i++)
        if (s_expect (ctx->set, ctx->file, children->arr.items[i], SW_VMAP, "child module"))
            s_tf_planned_module (ctx, children->arr.items[i], depth + 1);
}

//  True when a change only deletes: nothing of it exists after the apply.
//  A replacement (delete and create) does.
static bool s_tf_deletes (const sw_val_t *change)
{
    const sw_val_t *actions = sw_val_get (change, "actions");
    bool deletes = false, creates = false;
    if (!actions || actions->type != SW_VARR)
        return false;
    for (uint32_t i = 0; i < actions->arr.n; i++) {
        const char *action = sw_val_cstr (actions->arr.items[i]);
        deletes = deletes || (action && strcmp (action, "delete") == 0);
        creates = creates || (action && strcmp (action, "create") == 0);
    }
    return deletes && !creates;
}

//  Without planned_values (older or filtered output) the resource changes
//  tell the same: each change's "after" is what the resource will be.
static void s_tf_changes (tf_ctx_t *ctx, const sw_val_t *changes)
{
    for (uint32_t i = 0; i < changes->arr.n; i++) {
        sw_val_t *rc = changes->arr.items[i];
        if (!s_expect (ctx->set, ctx->file, rc, SW_VMAP, "resource change"))
            continue;
        sw_val_t *change = s_field (ctx->set, ctx->file, rc, "change", SW_VMAP, true);
        sw_val_t *after = sw_val_get (change, "after");
        if (change && !s_tf_deletes (change) && after && after->type == SW_VMAP)
            s_tf_planned_add (ctx, rc, after);
    }
}

//  Adds every planned instance of the config block that ref names. A
//  reference is module-relative and may go on past the block's address
//  (an attribute, an index): the longest known prefix ending at a '.' or
//  '[' is the block.
static void s_tf_resolve (tf_ctx_t *ctx, tf_config_t *from, const char *ref)
{
    char full[TF_REF_MAX];
    int len = snprintf (full, sizeof full, "%s%s", from->prefix, ref);
    if (len < 0 || (size_t)len >= sizeof full)
        return;
    size_t found = SIZE_MAX;
    for (size_t i = 1; i <= (size_t)len; i++)
        if (full[i] == '.' || full[i] == '[' || full[i] == 0) {
            size_t c = s_tf_find (ctx, full, i);
            found = c != SIZE_MAX ? c : found;
        }
    if (found == SIZE_MAX || ctx->configs[found].stamp == ctx->stamp)
        return;
    tf_config_t *target = &ctx->configs[found];
    target->stamp = ctx->stamp; //  each block's instances are added once
    for (uint32_t i = 0; i < sw_val_count (target->instances); i++)
        sw_val_push (ctx->set->arena, from->refs, target->instances->arr.items[i]);
}

//  Walks expressions for "references" arrays, within a node budget.
static void s_tf_scan (tf_ctx_t *ctx, tf_config_t *from, const sw_val_t *v, int depth,
                       size_t *budget)
{
    if (!v || depth > TF_SCAN_DEPTH || *budget == 0)
        return;
    (*budget)--;
    for (uint32_t i = 0; v->type == SW_VARR && i < v->arr.n; i++)
        s_tf_scan (ctx, from, v->arr.items[i], depth + 1, budget);
    for (uint32_t i = 0; v->type == SW_VMAP && i < v->map.n; i++) {
        const sw_val_t *val = v->map.kv[i].val;
        if (!val || val->type != SW_VARR || strcmp (v->map.kv[i].key, "references") != 0) {
            s_tf_scan (ctx, from, val, depth + 1, budget);
            continue;
        }
        for (uint32_t r = 0; r < val->arr.n && *budget; r++, (*budget)--)
            if (sw_val_cstr (val->arr.items[r]))
                s_tf_resolve (ctx, from, val->arr.items[r]->str.s);
    }
}

static sw_val_t *s_tf_refs (tf_ctx_t *ctx, tf_config_t *config)
{
    if (config->refs)
        return config->refs;
    config->refs = sw_val_arr (ctx->set->arena);
    ctx->stamp++;
    size_t budget = TF_SCAN_NODES;
    s_tf_scan (ctx, config, config->expressions, 0, &budget);
    return config->refs;
}

static void s_tf_add_planned (tf_ctx_t *ctx, const tf_planned_t *planned)
{
    size_t c = s_tf_find (ctx, planned->config_address, strlen (planned->config_address));
    sw_arena_t *arena = ctx->set->arena;
    sw_val_t *refs = c != SIZE_MAX ? s_tf_refs (ctx, &ctx->configs[c]) : sw_val_arr (arena);
    extra_t extras[] = {
        {"values", planned->values},
        {"_refs", refs},
        {"_config_address", sw_val_str (arena, planned->config_address)},
    };
    sw_val_t *doc = s_copy_with (arena, planned->res, extras, COUNT (extras));
    const char *type = sw_val_cstr (sw_val_get (planned->res, "type"));
    sw_resset_add (ctx->set, sw_arena_printf (arena, "tf.%s", type), NULL,
                   sw_arena_printf (arena, "tf:%s#%s", ctx->file, planned->address), ctx->file,
                   planned->res->line, doc);
}

//  Gives each config block the addresses of its planned instances (a
//  planned resource without a block, in a plan without configuration,
//  simply has no references).
static void s_tf_link_instances (tf_ctx_t *ctx)
{
    sw_arena_t *arena = ctx->set->arena;
    for (size_t i = 0; i < ctx->nplanned; i++) {
        const char *address = ctx->planned[i].config_address;
        size_t c = s_tf_find (ctx, address, strlen (address));
        if (c == SIZE_MAX)
            continue;
        if (!ctx->configs[c].instances)
            ctx->configs[c].instances = sw_val_arr (arena);
        sw_val_push (arena, ctx->configs[c].instances, sw_val_str (arena, ctx->planned[i].address));
    }
}

void sw_inventory_add_tf (sw_resset_t *set, const char *file, sw_val_t *doc)
{
    if (!s_expect (set, file, doc, SW_VMAP, "Terraform plan"))
        return;
    tf_ctx_t ctx = {.set = set, .file = file};
    sw_val_t *config = s_field (set, file, doc, "configuration", SW_VMAP, false);
    sw_val_t *config_root = s_field (set, file, config, "root_module", SW_VMAP, false);
    if (config_root)
        s_tf_config_module (&ctx, config_root, "", 0);
    s_tf_index (&ctx);

    sw_val_t *values = s_field (set, file, doc, "planned_values", SW_VMAP, false);
    sw_val_t *changes = s_field (set, file, doc, "resource_changes", SW_VARR, false);
    sw_val_t *root = s_field (set, file, values, "root_module", SW_VMAP, false);
    if (root)
        s_tf_planned_module (&ctx, root, 0);
    else if (!values && changes)
        s_tf_changes (&ctx, changes);

    //  Instances first, so that every reference sees all of its target's.
    s_tf_link_instances (&ctx);
    for (size_t i = 0; i < ctx.nplanned; i++)
        s_tf_add_planned (&ctx, &ctx.planned[i]);
}
