/*  sw_aws - AWS snapshot groups into resources. See sw_inventory.h and
    docs/aws-snapshot.md, which this file implements.

    A group is one region folder (or the global folder) of one snapshot,
    plus the snapshot's sts-get-caller-identity.json. Every known file is
    parsed once (unknown ones are skipped, for forward compatibility) and
    its policy documents are decoded. Three tables then drive the work:
    s_lists makes resources from list outputs, s_joins joins the
    per-resource subfolders (and the account and region singletons' files)
    into them; the credential report, flow logs and GuardDuty detectors
    have a function each. */
#include "sw_docload.h"
#include "sw_inventory.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AWS_MAX_NAME  1024    //  bytes of a file name, a resource name or an ARN
#define AWS_MAX_IDENT 64      //  bytes of an account id, region or partition
#define AWS_MAX_ITEMS 1000000 //  resources made from one list
#define AWS_MAX_DEPTH 128     //  nesting walked when decoding policies
#define CSV_MAX_COLS  64      //  credential report columns
#define CSV_MAX_ROWS  100000  //  credential report rows

#define STS_FILE      "sts-get-caller-identity.json"
#define SNAPSHOT_FILE "snapshot.json"
#define GLOBAL_FOLDER "global"
#define ACCOUNT_TYPE  "aws.account"
#define REGION_TYPE   "aws.region"

typedef struct aws_t aws_t;

//  How an entry's name (what per-resource files are named after) is read
//  from its key field.
typedef enum {
    KEY_FIELD,       //  the field as is
    KEY_AFTER_COLON, //  the part after the last ':' (an SNS topic ARN)
    KEY_AFTER_SLASH  //  the part after the last '/' (an SQS queue URL)
} keyhow_t;

//  What a built ARN carries: region and account, account only, neither.
typedef enum { ARN_REGIONAL, ARN_ACCOUNT, ARN_BARE } arnscope_t;

//  One resource type made from the entries of a list output.
typedef struct {
    const char *op;    //  <op>.json, or each <op>/<name>.json when per_file
    bool per_file;     //  one entry per file of the <op>/ subfolder
    bool global;       //  in the global folder, else in region folders
    const char *array; //  key of the entries' array (per_file: of the entry)
    const char *inner; //  key of a nested array in each entry, or NULL
    const char *wrap;  //  entries are strings: the document is {wrap: entry}
    const char *type;
    const char *key; //  field that names the entry
    keyhow_t how;
    const char *arn;     //  dotted path of the entry's own ARN, or NULL
    const char *service; //  built ARNs: arn:<p>:<service>:<region>:<account>:<kind><name>
    const char *kind;
    arnscope_t scope;
    //  Completes an entry's document; false drops the entry.
    bool (*fix) (aws_t *self, const char *file, sw_val_t *doc);
} list_t;

//  One file, or subfolder of per-resource files, joined into resources.
//  For the aws.account and aws.region singletons the file is <op>.json,
//  else each <op>/<name>.json joins the resources of that name.
typedef struct {
    const char *op;
    const char *type; //  resource type joined into
    const char *src;  //  key of the file's object taken, NULL for the whole
    const char *dest; //  key set in the resource's document
} join_t;

//  Files that the special cases below read.
typedef struct {
    const char *op;
    bool per_file, global;
} other_t;

static bool s_iam_policy (aws_t *self, const char *file, sw_val_t *doc);

//  LIST (op, array, type, name field, own ARN field, ARN service, ARN kind,
//        then any of the other fields, designated)
#define LIST(op_, array_, type_, key_, arn_, service_, kind_, ...)                                 \
    {                                                                                              \
        .op = op_, .array = array_, .type = type_, .key = key_, .arn = arn_, .service = service_,  \
        .kind = kind_, __VA_ARGS__                                                                 \
    }
#define IAM_DETAILS "iam-get-account-authorization-details"
#define IAM         .global = true, .scope = ARN_ACCOUNT

static const list_t s_lists[] = {
    LIST (IAM_DETAILS, "UserDetailList", "aws.iam.user", "UserName", "Arn", "iam", "user/", IAM),
    LIST (IAM_DETAILS, "RoleDetailList", "aws.iam.role", "RoleName", "Arn", "iam", "role/", IAM),
    LIST (IAM_DETAILS, "GroupDetailList", "aws.iam.group", "GroupName", "Arn", "iam", "group/",
          IAM),
    LIST (IAM_DETAILS, "Policies", "aws.iam.policy", "PolicyName", "Arn", "iam", "policy/", IAM,
          .fix = s_iam_policy),
    LIST ("s3-list-buckets", "Buckets", "aws.s3.bucket", "Name", "BucketArn", "s3", "",
          .global = true, .scope = ARN_BARE),
    LIST ("ec2-describe-instances", "Reservations", "aws.ec2.instance", "InstanceId", NULL, "ec2",
          "instance/", .inner = "Instances"),
    LIST ("ec2-describe-security-groups", "SecurityGroups", "aws.ec2.security_group", "GroupId",
          "SecurityGroupArn", "ec2", "security-group/"),
    LIST ("ec2-describe-volumes", "Volumes", "aws.ec2.volume", "VolumeId", NULL, "ec2", "volume/"),
    LIST ("ec2-describe-snapshots", "Snapshots", "aws.ec2.snapshot", "SnapshotId", NULL, "ec2",
          "snapshot/"),
    LIST ("ec2-describe-images", "Images", "aws.ec2.image", "ImageId", NULL, "ec2", "image/"),
    LIST ("ec2-describe-vpcs", "Vpcs", "aws.ec2.vpc", "VpcId", NULL, "ec2", "vpc/"),
    LIST ("ec2-describe-network-acls", "NetworkAcls", "aws.ec2.network_acl", "NetworkAclId", NULL,
          "ec2", "network-acl/"),
    LIST ("cloudtrail-describe-trails", "trailList", "aws.cloudtrail.trail", "Name", "TrailARN",
          "cloudtrail", "trail/"),
    LIST ("kms-list-keys", "Keys", "aws.kms.key", "KeyId", "KeyArn", "kms", "key/"),
    LIST ("rds-describe-db-instances", "DBInstances", "aws.rds.instance", "DBInstanceIdentifier",
          "DBInstanceArn", "rds", "db:"),
    LIST ("lambda-list-functions", "Functions", "aws.lambda.function", "FunctionName",
          "FunctionArn", "lambda", "function:"),
    LIST ("sns-list-topics", "Topics", "aws.sns.topic", "TopicArn", "TopicArn", "sns", "",
          .how = KEY_AFTER_COLON),
    LIST ("sqs-list-queues", "QueueUrls", "aws.sqs.queue", "QueueUrl", "Attributes.QueueArn", "sqs",
          "", .how = KEY_AFTER_SLASH, .wrap = "QueueUrl"),
    LIST ("ecr-describe-repositories", "repositories", "aws.ecr.repository", "repositoryName",
          "repositoryArn", "ecr", "repository/"),
    LIST ("elbv2-describe-load-balancers", "LoadBalancers", "aws.elbv2.load_balancer",
          "LoadBalancerName", "LoadBalancerArn", "elasticloadbalancing", "loadbalancer/"),
    LIST ("elb-describe-load-balancers", "LoadBalancerDescriptions", "aws.elb.load_balancer",
          "LoadBalancerName", NULL, "elasticloadbalancing", "loadbalancer/"),
    LIST ("redshift-describe-clusters", "Clusters", "aws.redshift.cluster", "ClusterIdentifier",
          "ClusterArn", "redshift", "cluster:"),
    LIST ("opensearch-describe-domain", "DomainStatus", "aws.opensearch.domain", "DomainName",
          "ARN", "es", "domain/", .per_file = true),
};
#define NLISTS (sizeof s_lists / sizeof s_lists[0])

static const join_t s_joins[] = {
    {"iam-get-account-password-policy", ACCOUNT_TYPE, "PasswordPolicy", "PasswordPolicy"},
    {"iam-get-account-summary", ACCOUNT_TYPE, "SummaryMap", "Summary"},
    {"s3control-get-public-access-block", ACCOUNT_TYPE, "PublicAccessBlockConfiguration",
     "S3PublicAccessBlock"},
    {"ec2-get-ebs-encryption-by-default", REGION_TYPE, "EbsEncryptionByDefault",
     "EbsEncryptionByDefault"},
    {"configservice-describe-configuration-recorders", REGION_TYPE, "ConfigurationRecorders",
     "ConfigRecorders"},
    {"configservice-describe-configuration-recorder-status", REGION_TYPE,
     "ConfigurationRecordersStatus", "ConfigRecorderStatus"},
    {"iam-list-access-keys", "aws.iam.user", "AccessKeyMetadata", "AccessKeys"},
    {"iam-list-mfa-devices", "aws.iam.user", "MFADevices", "MFADevices"},
    {"s3-get-bucket-acl", "aws.s3.bucket", NULL, "Acl"},
    {"s3-get-bucket-policy", "aws.s3.bucket", "Policy", "Policy"},
    {"s3-get-bucket-policy-status", "aws.s3.bucket", "PolicyStatus", "PolicyStatus"},
    {"s3-get-bucket-encryption", "aws.s3.bucket", "ServerSideEncryptionConfiguration",
     "Encryption"},
    {"s3-get-bucket-versioning", "aws.s3.bucket", NULL, "Versioning"},
    {"s3-get-bucket-logging", "aws.s3.bucket", "LoggingEnabled", "Logging"},
    {"s3-get-public-access-block", "aws.s3.bucket", "PublicAccessBlockConfiguration",
     "PublicAccessBlock"},
    {"s3-get-bucket-location", "aws.s3.bucket", "LocationConstraint", "Location"},
    {"ec2-describe-snapshot-attribute", "aws.ec2.snapshot", "CreateVolumePermissions",
     "CreateVolumePermissions"},
    {"cloudtrail-get-trail-status", "aws.cloudtrail.trail", NULL, "Status"},
    {"cloudtrail-get-event-selectors", "aws.cloudtrail.trail", NULL, "EventSelectors"},
    {"kms-describe-key", "aws.kms.key", "KeyMetadata", "Metadata"},
    {"kms-get-key-rotation-status", "aws.kms.key", "KeyRotationEnabled", "RotationEnabled"},
    {"kms-get-key-policy", "aws.kms.key", "Policy", "Policy"},
    {"lambda-get-policy", "aws.lambda.function", "Policy", "Policy"},
    {"sns-get-topic-attributes", "aws.sns.topic", "Attributes", "Attributes"},
    {"sqs-get-queue-attributes", "aws.sqs.queue", "Attributes", "Attributes"},
    {"ecr-get-repository-policy", "aws.ecr.repository", "policyText", "Policy"},
    {"elbv2-describe-listeners", "aws.elbv2.load_balancer", "Listeners", "Listeners"},
};
#define NJOINS (sizeof s_joins / sizeof s_joins[0])

static const other_t s_others[] = {
    {"iam-get-credential-report", false, true},     {"ec2-describe-flow-logs", false, false},
    {"guardduty-list-detectors", false, false},     {"guardduty-get-detector", true, false},
    {"opensearch-list-domain-names", false, false},
};
#define NOTHERS (sizeof s_others / sizeof s_others[0])

//  Keys whose value is a policy document (or its JSON text).
static const char *const s_policy_keys[] = {
    "Policy", "PolicyDocument", "AssumeRolePolicyDocument", "AccessPolicies", "policyText", NULL};
static const char *const s_list_keys[] = {"Action", "NotAction", "Resource", "NotResource", NULL};
static const char *const s_principal_keys[] = {"Principal", "NotPrincipal", NULL};

//  One parsed file of the group.
typedef struct {
    const char *op;   //  operation: the file's or its subfolder's base name
    const char *name; //  resource name of a per-resource file, else NULL
    const char *file; //  the file's name as the job gave it
    sw_val_t *doc;    //  a map
} entry_t;

//  One resource made from a list, by name.
typedef struct {
    const char *key;
    const char *file;
    sw_val_t *doc;
    const char *id; //  set once joined
} item_t;

typedef struct {
    item_t *items;
    size_t n, cap;
    bool full; //  AWS_MAX_ITEMS reached (reported once)
} items_t;

struct aws_t {
    sw_resset_t *set;
    sw_arena_t *arena;
    const char *account;
    const char *partition;
    const char *region; //  folder name, "global" for the global folder
    bool global;
    const char *root; //  "<snapshot>/", the prefix of every name of the group
    size_t rootlen;
    const char *sts_file;
    entry_t *entries; //  sorted by (op, name), NULL names first
    size_t nentries;
    items_t lists[NLISTS];
    sw_val_t *single; //  the aws.account or aws.region document
};

//  --------------------------------------------------------------------
//  Small helpers

static bool s_streq (const char *a, const char *b)
{
    return a && b && strcmp (a, b) == 0;
}

static bool s_in (const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp (s, *list) == 0)
            return true;
    return false;
}

static bool s_ends_with (const char *s, size_t len, const char *suffix)
{
    size_t n = strlen (suffix);
    return len >= n && memcmp (s + len - n, suffix, n) == 0;
}

//  True when s is 1..AWS_MAX_IDENT bytes of letters, digits, '-' and '_'.
static bool s_ident_ok (const char *s)
{
    size_t len = s ? strlen (s) : 0;
    if (len == 0 || len > AWS_MAX_IDENT)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

static void s_error (aws_t *self, const char *file, const sw_val_t *at, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Records an input error of file at the position of value `at`.
static void s_error (aws_t *self, const char *file, const sw_val_t *at, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    sw_resset_error (self->set, file, at ? at->line : 0, at ? at->col : 0, "%s", msg);
}

//  Percent-decodes len bytes of s into a malloc'd buffer (RFC 3986: '+'
//  stays '+'). When only_slash, decodes %2F alone (file names).
static char *s_urldecode (const char *s, size_t len, bool only_slash, size_t *outlen)
{
    char *out = malloc (len + 1);
    if (!out)
        abort ();
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi = s[i] == '%' && i + 2 < len ? sw_hex_digit (s[i + 1]) : -1;
        int lo = hi >= 0 ? sw_hex_digit (s[i + 2]) : -1;
        if (lo >= 0 && (!only_slash || hi * 16 + lo == '/')) {
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else
            out[n++] = s[i];
    }
    out[n] = 0;
    *outlen = n;
    return out;
}

//  Skips the leading white space of the len bytes at s.
static const char *s_trim (const char *s, size_t *len)
{
    while (*len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
        s++;
        (*len)--;
    }
    return s;
}

//  Generic lower bound: index of the first of the n sorted elements at
//  base not before probe.
static size_t s_lower (const void *base, size_t n, size_t size, const void *probe,
                       int (*cmp) (const void *, const void *))
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp ((const char *)base + mid * size, probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

//  --------------------------------------------------------------------
//  Policy documents

static sw_val_t *s_wrap (aws_t *self, sw_val_t *v)
{
    sw_val_t *arr = sw_val_arr (self->arena);
    sw_val_push (self->arena, arr, v);
    return arr;
}

//  A string becomes a one-string array.
static sw_val_t *s_as_array (aws_t *self, sw_val_t *v)
{
    return v && v->type == SW_VSTR ? s_wrap (self, v) : v;
}

//  "*" (or any string) becomes {"AWS": [it]}; a map's values become arrays.
static sw_val_t *s_principal (aws_t *self, sw_val_t *v)
{
    if (v && v->type == SW_VSTR) {
        sw_val_t *map = sw_val_map (self->arena);
        sw_val_set (self->arena, map, "AWS", s_as_array (self, v));
        return map;
    }
    if (v && v->type == SW_VMAP)
        for (uint32_t i = 0; i < v->map.n; i++)
            v->map.kv[i].val = s_as_array (self, v->map.kv[i].val);
    return v;
}

//  Gives a policy document's statements their one shape.
static void s_normalise (aws_t *self, sw_val_t *policy)
{
    sw_val_t *statements = sw_val_get (policy, "Statement");
    if (statements && statements->type == SW_VMAP) {
        statements = s_wrap (self, statements);
        sw_val_set (self->arena, policy, "Statement", statements);
    }
    if (!statements || statements->type != SW_VARR)
        return;
    for (uint32_t i = 0; i < statements->arr.n; i++) {
        sw_val_t *st = statements->arr.items[i];
        if (st->type != SW_VMAP)
            continue;
        for (uint32_t k = 0; k < st->map.n; k++) {
            sw_kv_t *kv = &st->map.kv[k];
            if (s_in (kv->key, s_list_keys))
                kv->val = s_as_array (self, kv->val);
            else if (s_in (kv->key, s_principal_keys))
                kv->val = s_principal (self, kv->val);
        }
    }
}

//  Parses a policy's JSON text (URL-encoded as IAM gives it, or plain).
//  Text that is not JSON stays as it is; JSON that does not parse is an
//  error of file.
static sw_val_t *s_policy_text (aws_t *self, const char *file, const char *key, sw_val_t *v)
{
    const char *s = v->str.s;
    size_t len = v->str.len;
    char *decoded = NULL;
    s = s_trim (s, &len);
    if (len && *s == '%') {
        decoded = s_urldecode (s, len, false, &len);
        s = s_trim (decoded, &len);
    }
    sw_val_t *out = v;
    if (len && *s == '{') {
        sw_doclist_t docs = {0};
        char err[256] = "not a JSON object";
        if (sw_doc_load (self->arena, key, s, len, SW_FMT_JSON, &docs, err, sizeof err) == 0 &&
            docs.n == 1 && docs.docs[0]->type == SW_VMAP)
            out = docs.docs[0];
        else
            s_error (self, file, v, "%s is not a valid JSON policy (%s)", key, err);
    }
    free (decoded);
    return out;
}

//  A policy value as rules see it: decoded and normalised.
static sw_val_t *s_policy (aws_t *self, const char *file, const char *key, sw_val_t *v)
{
    if (v && v->type == SW_VSTR)
        v = s_policy_text (self, file, key, v);
    if (v && v->type == SW_VMAP)
        s_normalise (self, v);
    return v;
}

//  Decodes every policy found under the policy keys of v.
static void s_decode_policies (aws_t *self, const char *file, sw_val_t *v, int depth)
{
    if (!v || depth > AWS_MAX_DEPTH)
        return;
    if (v->type == SW_VARR)
        for (uint32_t i = 0; i < v->arr.n; i++)
            s_decode_policies (self, file, v->arr.items[i], depth + 1);
    else if (v->type == SW_VMAP)
        for (uint32_t i = 0; i < v->map.n; i++) {
            sw_kv_t *kv = &v->map.kv[i];
            if (s_in (kv->key, s_policy_keys))
                kv->val = s_policy (self, file, kv->key, kv->val);
            else
                s_decode_policies (self, file, kv->val, depth + 1);
        }
}

//  aws.iam.policy: customer-managed only, with the default version's
//  document as Document.
static bool s_iam_policy (aws_t *self, const char *file, sw_val_t *doc)
{
    const char *arn = sw_val_cstr (sw_val_get (doc, "Arn"));
    if (arn && strstr (arn, ":iam::aws:policy/"))
        return false;
    const char *deflt = sw_val_cstr (sw_val_get (doc, "DefaultVersionId"));
    sw_val_t *versions = sw_val_get (doc, "PolicyVersionList");
    for (uint32_t i = 0; versions && versions->type == SW_VARR && i < versions->arr.n; i++) {
        sw_val_t *version = versions->arr.items[i];
        sw_val_t *document = sw_val_get (version, "Document");
        if (!document)
            continue;
        document = s_policy (self, file, "Document", document);
        sw_val_set (self->arena, version, "Document", document);
        sw_val_t *is_default = sw_val_get (version, "IsDefaultVersion");
        if ((is_default && is_default->type == SW_VBOOL && is_default->b) ||
            s_streq (sw_val_cstr (sw_val_get (version, "VersionId")), deflt))
            sw_val_set (self->arena, doc, "Document", document);
    }
    return true;
}

//  --------------------------------------------------------------------
//  Files of the group

//  Parses a file into a map. An empty file (the CLI prints nothing when an
//  answer is empty, e.g. versioning never enabled) is an empty map. On
//  error records it and returns NULL.
static sw_val_t *s_parse (aws_t *self, const sw_input_file_t *f)
{
    size_t len = f->len;
    if (!f->data || (s_trim (f->data, &len), len == 0))
        return sw_val_map (self->arena);
    sw_doclist_t docs = {0};
    char err[512];
    if (sw_doc_load (self->arena, f->name, f->data, f->len, SW_FMT_JSON, &docs, err, sizeof err) !=
        0) {
        sw_resset_error_text (self->set, f->name, err);
        return NULL;
    }
    if (docs.n != 1 || docs.docs[0]->type != SW_VMAP) {
        s_error (self, f->name, docs.n ? docs.docs[0] : NULL, "expected one JSON object");
        return NULL;
    }
    return docs.docs[0];
}

static size_t s_list_of (const char *type)
{
    for (size_t i = 0; i < NLISTS; i++)
        if (strcmp (s_lists[i].type, type) == 0)
            return i;
    abort (); //  the tables name only listed types
}

//  True for the aws.account and aws.region singletons.
static bool s_is_single (const char *type)
{
    return strcmp (type, ACCOUNT_TYPE) == 0 || strcmp (type, REGION_TYPE) == 0;
}

//  True when resources of type come from the global folder.
static bool s_type_global (const char *type)
{
    if (s_is_single (type))
        return strcmp (type, ACCOUNT_TYPE) == 0;
    return s_lists[s_list_of (type)].global;
}

//  True when the group's folder holds <op>.json (or <op>/<name>.json when
//  per_file) and something reads it.
static bool s_known (const aws_t *self, const char *op, bool per_file)
{
    for (size_t i = 0; i < NLISTS; i++)
        if (s_streq (s_lists[i].op, op) && s_lists[i].per_file == per_file &&
            s_lists[i].global == self->global)
            return true;
    for (size_t i = 0; i < NJOINS; i++) {
        if (s_streq (s_joins[i].op, op) && s_is_single (s_joins[i].type) != per_file &&
            s_type_global (s_joins[i].type) == self->global)
            return true;
    }
    for (size_t i = 0; i < NOTHERS; i++)
        if (s_streq (s_others[i].op, op) && s_others[i].per_file == per_file &&
            s_others[i].global == self->global)
            return true;
    return false;
}

static int s_entry_order (const char *op1, const char *name1, const char *op2, const char *name2)
{
    int c = strcmp (op1, op2);
    if (c || name1 == name2)
        return c;
    if (!name1 || !name2)
        return name1 ? 1 : -1;
    return strcmp (name1, name2);
}

static int s_entry_cmp (const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    return s_entry_order (x->op, x->name, y->op, y->name);
}

//  Index of the first entry not before (op, name).
static size_t s_entry_lower (const aws_t *self, const char *op, const char *name)
{
    entry_t probe = {op, name, NULL, NULL};
    return s_lower (self->entries, self->nentries, sizeof (entry_t), &probe, s_entry_cmp);
}

//  The entries of <op>.json (at most one) or of the <op>/ subfolder.
static entry_t *s_entries (const aws_t *self, const char *op, bool per_file, size_t *count)
{
    size_t i = s_entry_lower (self, op, NULL);
    if (per_file && i < self->nentries && !self->entries[i].name &&
        strcmp (self->entries[i].op, op) == 0)
        i++;
    size_t end = i;
    while (end < self->nentries && strcmp (self->entries[end].op, op) == 0 &&
           (self->entries[end].name != NULL) == per_file)
        end++;
    *count = end - i;
    return self->entries + i;
}

//  The file <op>/<name>.json, or NULL.
static entry_t *s_entry_named (const aws_t *self, const char *op, const char *name)
{
    size_t i = s_entry_lower (self, op, name);
    if (i < self->nentries &&
        s_entry_order (self->entries[i].op, self->entries[i].name, op, name) == 0)
        return &self->entries[i];
    return NULL;
}

//  Matches s against shape ('d' is a digit, 'T' is 'T', 't' or ' ', any
//  other character itself); each run of digits is the next number of f.
//  Returns the length of shape, or 0 when s does not match.
static size_t s_shape (const char *s, const char *shape, int *f)
{
    size_t i = 0;
    for (; shape[i]; i++)
        if (shape[i] == 'd' && s[i] >= '0' && s[i] <= '9') {
            *f = *f * 10 + (s[i] - '0');
            f += shape[i + 1] != 'd';
        } else if (shape[i] == 'd' ||
                   (shape[i] == 'T' ? !strchr ("Tt ", s[i]) || !s[i] : s[i] != shape[i]))
            return 0;
    return i;
}

//  Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" into unix seconds.
static int s_rfc3339 (const char *s, int64_t *out)
{
    int f[6] = {0}, zone[2] = {0}, sign = 0;
    size_t n = s_shape (s, "dddd-dd-ddTdd:dd:dd", f);
    if (!n)
        return -1;
    s += n;
    if (*s == '.' && s[1] >= '0' && s[1] <= '9')
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    if ((*s == '+' || *s == '-') && s_shape (s + 1, "dd:dd", zone) && !s[6])
        sign = *s == '-' ? -1 : 1;
    else if (!((*s == 'Z' || *s == 'z') && !s[1]))
        return -1;
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60 ||
        zone[0] > 23 || zone[1] > 59)
        return -1;
    struct tm tm = {.tm_year = f[0] - 1900,
                    .tm_mon = f[1] - 1,
                    .tm_mday = f[2],
                    .tm_hour = f[3],
                    .tm_min = f[4],
                    .tm_sec = f[5]};
    *out = (int64_t)timegm (&tm) - sign * (zone[0] * 3600 + zone[1] * 60);
    return 0;
}

//  snapshot.json: collected_at becomes the set's reference time.
static void s_snapshot (aws_t *self, const sw_input_file_t *f)
{
    sw_val_t *doc = s_parse (self, f);
    sw_val_t *at = sw_val_get (doc, "collected_at");
    int64_t t;
    if (!at)
        return;
    if (!sw_val_cstr (at) || at->str.len > AWS_MAX_IDENT || s_rfc3339 (at->str.s, &t) != 0)
        s_error (self, f->name, at, "collected_at is not an RFC 3339 time");
    else
        self->set->now = t;
}

//  Sets the group's region from the first region folder met; a file of
//  another folder is an error.
static bool s_region (aws_t *self, const char *file, const char *folder, size_t len)
{
    if (!self->region) {
        char *region = sw_arena_strndup (self->arena, folder, len);
        if (!s_ident_ok (region)) {
            s_error (self, file, NULL, "the region folder's name is not valid");
            return false;
        }
        self->region = region;
        self->global = strcmp (region, GLOBAL_FOLDER) == 0;
    }
    if (strlen (self->region) != len || memcmp (self->region, folder, len) != 0) {
        s_error (self, file, NULL, "not in this group's folder '%s'", self->region);
        return false;
    }
    return true;
}

//  Files under the region folder: <op>.json or <op>/<name>.json, parsed
//  when some table reads them.
static void s_region_file (aws_t *self, const sw_input_file_t *f, const char *rel)
{
    const char *slash = strchr (rel, '/');
    if (!s_region (self, f->name, rel, (size_t)(slash - rel)))
        return;
    const char *rest = slash + 1;
    const char *sub = strchr (rest, '/');
    size_t len = strlen (rest);
    if ((sub && strchr (sub + 1, '/')) || !s_ends_with (rest, len, ".json"))
        return;
    entry_t e = {NULL, NULL, f->name, NULL};
    size_t namelen;
    if (sub) {
        e.op = sw_arena_strndup (self->arena, rest, (size_t)(sub - rest));
        char *name = s_urldecode (sub + 1, len - (size_t)(sub + 1 - rest) - 5, true, &namelen);
        e.name = sw_arena_strndup (self->arena, name, namelen);
        free (name);
    } else
        e.op = sw_arena_strndup (self->arena, rest, len - 5);
    if (!s_known (self, e.op, sub != NULL) || !(e.doc = s_parse (self, f)))
        return;
    s_decode_policies (self, f->name, e.doc, 0);
    self->entries[self->nentries++] = e;
}

//  Sorts the group's files out: snapshot.json and the region folder's.
static void s_scan (aws_t *self, const sw_input_file_t *files, size_t n)
{
    self->entries = calloc (n ? n : 1, sizeof (entry_t));
    if (!self->entries)
        abort ();
    for (size_t i = 0; i < n; i++) {
        const sw_input_file_t *f = &files[i];
        if (s_streq (f->name, self->sts_file))
            continue;
        if (strlen (f->name) > AWS_MAX_NAME) {
            s_error (self, f->name, NULL, "file name longer than %d bytes", AWS_MAX_NAME);
            continue;
        }
        if (strncmp (f->name, self->root, self->rootlen) != 0) {
            s_error (self, f->name, NULL, "not in the snapshot folder '%s'", self->root);
            continue;
        }
        const char *rel = f->name + self->rootlen;
        if (strchr (rel, '/'))
            s_region_file (self, f, rel);
        else if (strcmp (rel, SNAPSHOT_FILE) == 0)
            s_snapshot (self, f);
    }
    qsort (self->entries, self->nentries, sizeof (entry_t), s_entry_cmp);
}

//  Reads sts-get-caller-identity.json: the snapshot's root folder, account
//  id and partition. Without it the group is not a snapshot.
static int s_identity (aws_t *self, const sw_input_file_t *files, size_t n)
{
    const sw_input_file_t *sts = NULL;
    size_t stslen = strlen (STS_FILE);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen (files[i].name);
        if (len <= AWS_MAX_NAME && s_ends_with (files[i].name, len, STS_FILE) &&
            (len == stslen || files[i].name[len - stslen - 1] == '/') &&
            (!sts || len < strlen (sts->name)))
            sts = &files[i];
    }
    if (!sts) {
        if (n)
            s_error (self, files[0].name, NULL,
                     "no " STS_FILE " in this AWS snapshot group: nothing loaded");
        return -1;
    }
    self->sts_file = sts->name;
    self->rootlen = strlen (sts->name) - stslen;
    self->root = sw_arena_strndup (self->arena, sts->name, self->rootlen);
    sw_val_t *doc = s_parse (self, sts);
    if (!doc)
        return -1;
    sw_val_t *account = sw_val_get (doc, "Account");
    if (!s_ident_ok (sw_val_cstr (account))) {
        s_error (self, sts->name, account ? account : doc,
                 "no valid Account id: the group is not loaded");
        return -1;
    }
    self->account = account->str.s;
    self->partition = "aws";
    const char *arn = sw_val_cstr (sw_val_get (doc, "Arn"));
    const char *colon = arn && strncmp (arn, "arn:", 4) == 0 ? strchr (arn + 4, ':') : NULL;
    if (colon) {
        char *partition = sw_arena_strndup (self->arena, arn + 4, (size_t)(colon - arn - 4));
        if (s_ident_ok (partition))
            self->partition = partition;
    }
    return 0;
}

//  --------------------------------------------------------------------
//  Resources from lists

//  The name of an entry, or NULL.
static const char *s_key (const list_t *row, const sw_val_t *doc)
{
    const char *key = sw_val_cstr (sw_val_get (doc, row->key));
    if (key && row->how != KEY_FIELD) {
        const char *sep = strrchr (key, row->how == KEY_AFTER_COLON ? ':' : '/');
        if (sep)
            key = sep + 1;
    }
    return key && *key && strlen (key) <= AWS_MAX_NAME ? key : NULL;
}

static void s_add_item (aws_t *self, size_t r, const char *file, sw_val_t *v, const char *what)
{
    const list_t *row = &s_lists[r];
    items_t *list = &self->lists[r];
    if (row->wrap && v && v->type == SW_VSTR) {
        sw_val_t *map = sw_val_map (self->arena);
        sw_val_set (self->arena, map, row->wrap, v);
        v = map;
    }
    const char *key = v && v->type == SW_VMAP ? s_key (row, v) : NULL;
    if (!v || v->type != SW_VMAP)
        s_error (self, file, v, "an entry of %s is not an object", what);
    else if (!key)
        s_error (self, file, v, "an entry of %s has no valid %s", what, row->key);
    else if (list->n >= AWS_MAX_ITEMS) {
        if (!list->full)
            s_error (self, file, v, "more than %d entries of %s: the rest are ignored",
                     AWS_MAX_ITEMS, what);
        list->full = true;
    } else if (!row->fix || row->fix (self, file, v)) {
        if (list->n == list->cap) {
            list->cap = list->cap ? list->cap * 2 : 16;
            list->items = realloc (list->items, list->cap * sizeof (item_t));
            if (!list->items)
                abort ();
        }
        list->items[list->n++] = (item_t){key, file, v, NULL};
    }
}

//  Adds the entries of array arr (of each entry's `inner` array when set).
static void s_add_array (aws_t *self, size_t r, const char *file, sw_val_t *arr, const char *what,
                         const char *inner)
{
    if (!arr || arr->type == SW_VNULL)
        return;
    if (arr->type != SW_VARR) {
        s_error (self, file, arr, "%s is not an array", what);
        return;
    }
    for (uint32_t i = 0; i < arr->arr.n; i++) {
        sw_val_t *item = arr->arr.items[i];
        if (!inner)
            s_add_item (self, r, file, item, what);
        else if (item->type != SW_VMAP)
            s_error (self, file, item, "an entry of %s is not an object", what);
        else
            s_add_array (self, r, file, sw_val_get (item, inner), inner, NULL);
    }
}

static int s_item_cmp (const void *a, const void *b)
{
    return strcmp (((const item_t *)a)->key, ((const item_t *)b)->key);
}

static void s_load_list (aws_t *self, size_t r)
{
    const list_t *row = &s_lists[r];
    size_t count;
    entry_t *e = s_entries (self, row->op, row->per_file, &count);
    for (size_t i = 0; i < count; i++) {
        sw_val_t *v = sw_val_get (e[i].doc, row->array);
        if (row->per_file)
            s_add_item (self, r, e[i].file, v, row->array);
        else
            s_add_array (self, r, e[i].file, v, row->array, row->inner);
    }
    if (self->lists[r].n > 1)
        qsort (self->lists[r].items, self->lists[r].n, sizeof (item_t), s_item_cmp);
}

//  The resources of type named key: *count of them from the returned one.
static item_t *s_match (aws_t *self, const char *type, const char *key, size_t *count)
{
    items_t *list = &self->lists[s_list_of (type)];
    item_t probe = {key, NULL, NULL, NULL};
    size_t lo = s_lower (list->items, list->n, sizeof (item_t), &probe, s_item_cmp);
    size_t end = lo;
    while (end < list->n && strcmp (list->items[end].key, key) == 0)
        end++;
    *count = end - lo;
    return list->items + lo;
}

//  --------------------------------------------------------------------
//  Joins

static void s_join (aws_t *self, const join_t *join)
{
    bool single = s_is_single (join->type);
    if (s_type_global (join->type) != self->global)
        return;
    size_t count;
    entry_t *e = s_entries (self, join->op, !single, &count);
    for (size_t i = 0; i < count; i++) {
        sw_val_t *v = join->src ? sw_val_get (e[i].doc, join->src) : e[i].doc;
        if (!v)
            continue;
        if (single) {
            sw_val_set (self->arena, self->single, join->dest, v);
            continue;
        }
        size_t n;
        item_t *items = s_match (self, join->type, e[i].name, &n);
        for (size_t k = 0; k < n; k++)
            sw_val_set (self->arena, items[k].doc, join->dest, v);
    }
}

//  The array under key of the single file <op>.json; NULL when the file is
//  absent or the value is not an array (an error).
static sw_val_t *s_top_array (aws_t *self, const char *op, const char *key)
{
    size_t count;
    entry_t *e = s_entries (self, op, false, &count);
    if (!count)
        return NULL;
    sw_val_t *arr = sw_val_get (e->doc, key);
    if (!arr || arr->type == SW_VNULL)
        return sw_val_arr (self->arena);
    if (arr->type != SW_VARR) {
        s_error (self, e->file, arr, "%s is not an array", key);
        return NULL;
    }
    return arr;
}

//  Each VPC's FlowLogs: the flow logs whose ResourceId is the VPC.
static void s_flow_logs (aws_t *self)
{
    sw_val_t *logs = s_top_array (self, "ec2-describe-flow-logs", "FlowLogs");
    if (!logs)
        return;
    items_t *vpcs = &self->lists[s_list_of ("aws.ec2.vpc")];
    for (size_t i = 0; i < vpcs->n; i++)
        sw_val_set (self->arena, vpcs->items[i].doc, "FlowLogs", sw_val_arr (self->arena));
    for (uint32_t i = 0; i < logs->arr.n; i++) {
        const char *vpc = sw_val_cstr (sw_val_get (logs->arr.items[i], "ResourceId"));
        size_t n = 0;
        item_t *items = vpc ? s_match (self, "aws.ec2.vpc", vpc, &n) : NULL;
        for (size_t k = 0; k < n; k++)
            sw_val_push (self->arena, sw_val_get (items[k].doc, "FlowLogs"), logs->arr.items[i]);
    }
}

//  The region's GuardDutyDetectors: each listed detector's get-detector
//  output (just its DetectorId when that call is missing).
static void s_guardduty (aws_t *self)
{
    sw_val_t *ids = s_top_array (self, "guardduty-list-detectors", "DetectorIds");
    if (!ids)
        return;
    sw_val_t *detectors = sw_val_arr (self->arena);
    for (uint32_t i = 0; i < ids->arr.n; i++) {
        const char *id = sw_val_cstr (ids->arr.items[i]);
        if (!id)
            continue;
        entry_t *e = s_entry_named (self, "guardduty-get-detector", id);
        sw_val_t *detector = e ? e->doc : sw_val_map (self->arena);
        sw_val_set (self->arena, detector, "DetectorId", ids->arr.items[i]);
        sw_val_push (self->arena, detectors, detector);
    }
    sw_val_set (self->arena, self->single, "GuardDutyDetectors", detectors);
}

//  --------------------------------------------------------------------
//  Credential report

//  Copies the CSV field at s (unquoted) into out; returns where the next
//  field starts and tells whether this one ended its row.
static const char *s_csv_field (const char *s, const char *end, char *out, size_t *outlen,
                                bool *eor)
{
    size_t n = 0;
    bool quoted = s < end && *s == '"';
    if (quoted)
        s++;
    while (s < end && (quoted || (*s != ',' && *s != '\n' && *s != '\r'))) {
        if (quoted && *s == '"' && s + 1 < end && s[1] == '"')
            s++;
        else if (quoted && *s == '"') {
            quoted = false;
            s++;
            continue;
        }
        out[n++] = *s++;
    }
    *outlen = n;
    *eor = s >= end || *s != ',';
    if (s < end && *s == '\r')
        s++;
    if (s < end && (*s == '\n' || (!*eor && *s == ',')))
        s++;
    return s;
}

//  Reads one CSV row at *p into an array of strings (CSV_MAX_COLS at most).
static sw_val_t *s_csv_row (aws_t *self, const char **p, const char *end, char *buf)
{
    sw_val_t *row = sw_val_arr (self->arena);
    bool eor = false;
    while (!eor) {
        size_t n;
        *p = s_csv_field (*p, end, buf, &n, &eor);
        if (row->arr.n < CSV_MAX_COLS)
            sw_val_push (self->arena, row, sw_val_strn (self->arena, buf, n));
    }
    return row;
}

//  One report row: <root_account> is the account's Root, else the
//  CredentialReport of the user of that name.
static void s_credential_row (aws_t *self, sw_val_t *header, sw_val_t *fields)
{
    sw_val_t *row = sw_val_map (self->arena);
    for (uint32_t i = 0; i < fields->arr.n && i < header->arr.n; i++)
        sw_val_set (self->arena, row, header->arr.items[i]->str.s, fields->arr.items[i]);
    const char *user = sw_val_cstr (sw_val_get (row, "user"));
    if (!user)
        return;
    if (strcmp (user, "<root_account>") == 0) {
        sw_val_set (self->arena, self->single, "Root", row);
        return;
    }
    size_t n;
    item_t *items = s_match (self, "aws.iam.user", user, &n);
    for (size_t k = 0; k < n; k++)
        sw_val_set (self->arena, items[k].doc, "CredentialReport", row);
}

static void s_credential_csv (aws_t *self, const char *file, const char *csv, size_t len)
{
    const char *p = csv, *end = csv + len;
    char *buf = malloc (len + 1);
    if (!buf)
        abort ();
    sw_val_t *header = s_csv_row (self, &p, end, buf);
    size_t rows = 0;
    while (p < end) {
        sw_val_t *fields = s_csv_row (self, &p, end, buf);
        if (++rows > CSV_MAX_ROWS) {
            s_error (self, file, NULL,
                     "credential report has more than %d rows: the rest are ignored", CSV_MAX_ROWS);
            break;
        }
        s_credential_row (self, header, fields);
    }
    free (buf);
}

static void s_credential_report (aws_t *self)
{
    size_t count;
    entry_t *e = s_entries (self, "iam-get-credential-report", false, &count);
    if (!count)
        return;
    sw_val_t *content = sw_val_get (e->doc, "Content");
    if (!sw_val_cstr (content)) {
        s_error (self, e->file, content ? content : e->doc, "no Content string");
        return;
    }
    size_t cap = content->str.len / 4 * 3 + 3, len = 0;
    unsigned char *csv = malloc (cap);
    if (!csv)
        abort ();
    if (sodium_base642bin (csv, cap, content->str.s, content->str.len, " \t\r\n", &len, NULL,
                           sodium_base64_VARIANT_ORIGINAL) != 0)
        s_error (self, e->file, content, "Content is not base64");
    else
        s_credential_csv (self, e->file, (const char *)csv, len);
    free (csv);
}

//  --------------------------------------------------------------------
//  Resources

static void s_add (aws_t *self, const char *type, const char *id, const char *file, sw_val_t *doc)
{
    sw_val_set (self->arena, doc, "_account", sw_val_str (self->arena, self->account));
    sw_val_set (self->arena, doc, "_region", sw_val_str (self->arena, self->region));
    sw_resset_add (self->set, type, NULL, id, file, 0, doc);
}

//  The resource's own ARN, else one built as docs/aws-snapshot.md says.
static const char *s_id (aws_t *self, const list_t *row, const item_t *item)
{
    const char *arn = row->arn ? sw_val_cstr (sw_val_dig (item->doc, row->arn)) : NULL;
    if (arn && *arn && strlen (arn) <= AWS_MAX_NAME)
        return arn;
    return sw_arena_printf (self->arena, "arn:%s:%s:%s:%s:%s%s", self->partition, row->service,
                            row->scope == ARN_REGIONAL ? self->region : "",
                            row->scope == ARN_BARE ? "" : self->account, row->kind, item->key);
}

static int s_item_id_cmp (const void *a, const void *b)
{
    return strcmp (((const item_t *)a)->id, ((const item_t *)b)->id);
}

//  Adds the resources of list r, in id order; an id met twice (the same
//  entry listed twice) is an error and the copy is dropped.
static void s_emit_list (aws_t *self, size_t r)
{
    items_t *list = &self->lists[r];
    for (size_t i = 0; i < list->n; i++)
        list->items[i].id = s_id (self, &s_lists[r], &list->items[i]);
    if (list->n > 1)
        qsort (list->items, list->n, sizeof (item_t), s_item_id_cmp);
    for (size_t i = 0; i < list->n; i++) {
        item_t *item = &list->items[i];
        if (i && strcmp (item->id, list->items[i - 1].id) == 0)
            s_error (self, item->file, item->doc, "%s is listed twice", item->key);
        else
            s_add (self, s_lists[r].type, item->id, item->file, item->doc);
    }
}

static void s_emit (aws_t *self)
{
    if (self->global)
        s_add (self, ACCOUNT_TYPE,
               sw_arena_printf (self->arena, "arn:%s:iam::%s:root", self->partition, self->account),
               self->sts_file, self->single);
    else
        s_add (self, REGION_TYPE,
               sw_arena_printf (self->arena, "arn:%s:ec2:%s:%s:region", self->partition,
                                self->region, self->account),
               self->sts_file, self->single);
    for (size_t r = 0; r < NLISTS; r++)
        s_emit_list (self, r);
}

static void s_load (aws_t *self)
{
    self->single = sw_val_map (self->arena);
    sw_val_t *name = sw_val_str (self->arena, self->global ? self->account : self->region);
    sw_val_set (self->arena, self->single, self->global ? "AccountId" : "Region", name);
    for (size_t r = 0; r < NLISTS; r++)
        if (s_lists[r].global == self->global)
            s_load_list (self, r);
    for (size_t j = 0; j < NJOINS; j++)
        s_join (self, &s_joins[j]);
    if (self->global)
        s_credential_report (self);
    else {
        s_flow_logs (self);
        s_guardduty (self);
    }
    s_emit (self);
}

void sw_inventory_load_aws (sw_resset_t *set, const sw_input_file_t *files, size_t n)
{
    aws_t self = {.set = set, .arena = set->arena};
    if (s_identity (&self, files, n) == 0) {
        s_scan (&self, files, n);
        if (self.region)
            s_load (&self);
    }
    for (size_t r = 0; r < NLISTS; r++)
        free (self.lists[r].items);
    free (self.entries);
}
