/*  Tests for sw_inventory: Kubernetes objects and Lists, CloudFormation
    templates and Terraform plans become resources; input errors name the
    file and position, and the other files still load. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_docload.h"
#include "sw_inventory.h"

//  For errors in JSON input, whose values may carry no position.
#define ANY_LINE UINT32_MAX

static sw_resset_t *set;

static void s_setup (void)
{
    set = sw_resset_new ();
    cr_assert_not_null (set);
}

static void s_teardown (void)
{
    sw_resset_destroy (&set);
}

TestSuite (inventory, .init = s_setup, .fini = s_teardown);

static void s_load (const char *name, const char *text)
{
    sw_input_file_t file = {name, text, strlen (text)};
    sw_inventory_load_files (set, &file, 1);
}

static void s_no_errors (void)
{
    cr_assert_eq (set->nerrors, 0, "unexpected error: %s:%u:%u: %s",
                  set->nerrors ? set->errors[0].file : "", set->nerrors ? set->errors[0].line : 0,
                  set->nerrors ? set->errors[0].col : 0,
                  set->nerrors ? set->errors[0].message : "");
}

//  The resource of that id; fails the test when there is none.
static sw_resource_t *s_find (const char *id)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp (set->items[i].id, id) == 0)
            return &set->items[i];
    cr_assert_fail ("no resource %s among %zu", id, set->n);
    return NULL;
}

static bool s_has (const char *id)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp (set->items[i].id, id) == 0)
            return true;
    return false;
}

static const char *s_str (const sw_resource_t *res, const char *dotted)
{
    return sw_val_cstr (sw_val_dig (res->doc, dotted));
}

static void s_assert_json (const sw_val_t *v, const char *expected)
{
    char *json = sw_val_to_json (v, 4096);
    cr_assert_not_null (json);
    cr_assert_str_eq (json, expected);
    free (json);
}

//  Asserts that some input error has this file, line and message text.
static void s_assert_error (const char *file, uint32_t line, const char *message)
{
    for (size_t i = 0; i < set->nerrors; i++)
        if (strcmp (set->errors[i].file, file) == 0 &&
            (line == ANY_LINE || set->errors[i].line == line) &&
            strstr (set->errors[i].message, message))
            return;
    cr_assert_fail ("no error %s:%u: %s among %zu (first: %s:%u: %s)", file, line, message,
                    set->nerrors, set->nerrors ? set->errors[0].file : "",
                    set->nerrors ? set->errors[0].line : 0,
                    set->nerrors ? set->errors[0].message : "");
}

//  ---------------------------------------------------------------------------
//  Kubernetes

Test (inventory, deployment_is_a_workload_with_pod_and_pod_meta_from_template)
{
    s_load ("k8s/web.yaml", "apiVersion: apps/v1\n"
                            "kind: Deployment\n"
                            "metadata:\n"
                            "  name: web\n"
                            "  namespace: shop\n"
                            "spec:\n"
                            "  replicas: 2\n"
                            "  template:\n"
                            "    metadata:\n"
                            "      labels: {app: web}\n"
                            "    spec:\n"
                            "      containers:\n"
                            "        - name: app\n"
                            "          image: nginx:1.25\n");
    s_no_errors ();
    cr_assert_eq (set->n, 1);
    sw_resource_t *r = s_find ("k8s:shop/Deployment/web");
    cr_assert_str_eq (r->type, "k8s.Deployment");
    cr_assert_str_eq (r->type2, "k8s.workload");
    cr_assert_str_eq (r->file, "k8s/web.yaml");
    cr_assert_eq (r->line, 1);
    cr_assert_eq (sw_val_get (r->doc, "_pod"), sw_val_dig (r->doc, "spec.template.spec"));
    cr_assert_eq (sw_val_count (sw_val_dig (r->doc, "_pod.containers")), 1);
    cr_assert_str_eq (s_str (r, "_podMeta.labels.app"), "web");
    cr_assert_str_eq (s_str (r, "_namespace"), "shop");
    cr_assert_str_eq (s_str (r, "kind"), "Deployment", "the object's own keys are kept");
}

Test (inventory, cronjob_pod_comes_from_its_job_template)
{
    s_load ("cron.yaml", "apiVersion: batch/v1\n"
                         "kind: CronJob\n"
                         "metadata: {name: backup, namespace: ops}\n"
                         "spec:\n"
                         "  schedule: '0 3 * * *'\n"
                         "  jobTemplate:\n"
                         "    spec:\n"
                         "      template:\n"
                         "        metadata: {labels: {job: backup}}\n"
                         "        spec:\n"
                         "          restartPolicy: OnFailure\n"
                         "          containers: [{name: b, image: backup:1}]\n");
    s_no_errors ();
    sw_resource_t *r = s_find ("k8s:ops/CronJob/backup");
    cr_assert_str_eq (r->type2, "k8s.workload");
    cr_assert_str_eq (s_str (r, "_pod.restartPolicy"), "OnFailure");
    cr_assert_str_eq (s_str (r, "_podMeta.labels.job"), "backup");
}

Test (inventory, pod_is_its_own_pod_spec_and_metadata)
{
    s_load ("pod.yaml", "apiVersion: v1\n"
                        "kind: Pod\n"
                        "metadata:\n"
                        "  name: debug\n"
                        "  labels: {role: debug}\n"
                        "spec:\n"
                        "  hostNetwork: true\n"
                        "  containers: [{name: sh, image: busybox}]\n");
    s_no_errors ();
    sw_resource_t *r = s_find ("k8s:default/Pod/debug");
    cr_assert_str_eq (r->type, "k8s.Pod");
    cr_assert_str_eq (r->type2, "k8s.workload");
    cr_assert_eq (sw_val_get (r->doc, "_pod"), sw_val_get (r->doc, "spec"));
    cr_assert_eq (sw_val_get (r->doc, "_podMeta"), sw_val_get (r->doc, "metadata"));
    cr_assert_str_eq (s_str (r, "_podMeta.labels.role"), "debug");
}

Test (inventory, list_is_unwrapped_into_its_items)
{
    s_load ("dump.yaml", "apiVersion: v1\n"
                         "kind: List\n"
                         "items:\n"
                         "  - apiVersion: v1\n"
                         "    kind: ConfigMap\n"
                         "    metadata: {name: cfg, namespace: a}\n"
                         "  - apiVersion: v1\n"
                         "    kind: Service\n"
                         "    metadata: {name: svc, namespace: b}\n"
                         "metadata: {resourceVersion: ''}\n");
    s_no_errors ();
    cr_assert_eq (set->n, 2, "the List itself is not a resource");
    cr_assert_str_eq (s_find ("k8s:a/ConfigMap/cfg")->type, "k8s.ConfigMap");
    cr_assert_null (s_find ("k8s:a/ConfigMap/cfg")->type2);
    cr_assert_eq (s_find ("k8s:a/ConfigMap/cfg")->line, 4, "an item's own line");
    cr_assert_str_eq (s_find ("k8s:b/Service/svc")->type, "k8s.Service");
}

Test (inventory, typed_list_names_the_kind_of_items_without_one)
{
    s_load ("deps.json",
            "{\"apiVersion\": \"apps/v1\", \"kind\": \"DeploymentList\", \"items\": [\n"
            " {\"metadata\": {\"name\": \"api\"},\n"
            "  \"spec\": {\"template\": {\"spec\": {\"containers\": []}}}}]}\n");
    s_no_errors ();
    sw_resource_t *r = s_find ("k8s:default/Deployment/api");
    cr_assert_str_eq (r->type, "k8s.Deployment");
    cr_assert_str_eq (r->type2, "k8s.workload");
    cr_assert_not_null (sw_val_get (r->doc, "_pod"));
}

Test (inventory, cluster_scoped_kind_has_no_namespace_in_id)
{
    s_load ("rbac.yaml", "apiVersion: rbac.authorization.k8s.io/v1\n"
                         "kind: ClusterRole\n"
                         "metadata: {name: view-all, namespace: ignored}\n"
                         "rules: []\n"
                         "---\n"
                         "apiVersion: v1\n"
                         "kind: Namespace\n"
                         "metadata: {name: shop}\n");
    s_no_errors ();
    sw_resource_t *r = s_find ("k8s:ClusterRole/view-all");
    cr_assert_null (sw_val_get (r->doc, "_namespace"));
    cr_assert_null (r->type2);
    cr_assert_str_eq (s_find ("k8s:Namespace/shop")->type, "k8s.Namespace");
}

Test (inventory, namespace_defaults_to_default)
{
    s_load ("cm.yaml", "apiVersion: v1\n"
                       "kind: ConfigMap\n"
                       "metadata: {name: settings}\n"
                       "data: {a: b}\n");
    s_no_errors ();
    sw_resource_t *r = s_find ("k8s:default/ConfigMap/settings");
    cr_assert_str_eq (s_str (r, "_namespace"), "default");
    cr_assert_null (sw_val_get (r->doc, "_pod"), "not a workload");
}

Test (inventory, generate_name_stands_in_for_a_missing_name)
{
    s_load ("job.yaml", "apiVersion: batch/v1\n"
                        "kind: Job\n"
                        "metadata: {generateName: migrate-}\n"
                        "spec: {template: {spec: {containers: []}}}\n");
    s_no_errors ();
    cr_assert_str_eq (s_find ("k8s:default/Job/migrate-")->type2, "k8s.workload");
}

Test (inventory, multi_document_yaml_gives_one_resource_per_document)
{
    s_load ("app.yaml", "apiVersion: v1\n"
                        "kind: Service\n"
                        "metadata: {name: web}\n"
                        "spec: {type: LoadBalancer}\n"
                        "---\n"
                        "apiVersion: apps/v1\n"
                        "kind: StatefulSet\n"
                        "metadata: {name: db}\n"
                        "spec: {template: {spec: {containers: []}}}\n"
                        "---\n");
    s_no_errors ();
    cr_assert_eq (set->n, 2, "the empty last document is skipped");
    cr_assert_eq (s_find ("k8s:default/Service/web")->line, 1);
    sw_resource_t *db = s_find ("k8s:default/StatefulSet/db");
    cr_assert_eq (db->line, 6);
    cr_assert_str_eq (db->type2, "k8s.workload");
}

Test (inventory, shared_alias_subtrees_are_not_written_into)
{
    s_load ("twins.yaml", "apiVersion: v1\n"
                          "kind: List\n"
                          "items:\n"
                          "  - &pod\n"
                          "    apiVersion: v1\n"
                          "    kind: Pod\n"
                          "    metadata: {name: one}\n"
                          "    spec: {containers: []}\n"
                          "  - *pod\n");
    cr_assert_eq (set->n, 2);
    sw_resource_t *a = &set->items[0], *b = &set->items[1];
    cr_assert_neq (a->doc, b->doc, "each resource has its own top-level copy");
    cr_assert_null (sw_val_get (sw_val_get (a->doc, "_pod"), "_namespace"));
    cr_assert_null (sw_val_get (sw_val_get (a->doc, "metadata"), "_namespace"));
}

Test (inventory, normalizing_leaves_the_source_document_unchanged)
{
    sw_arena_t *arena = set->arena;
    sw_val_t *doc = sw_val_map (arena);
    sw_val_t *meta = sw_val_map (arena);
    sw_val_set (arena, meta, "name", sw_val_str (arena, "p"));
    sw_val_set (arena, doc, "apiVersion", sw_val_str (arena, "v1"));
    sw_val_set (arena, doc, "kind", sw_val_str (arena, "Pod"));
    sw_val_set (arena, doc, "metadata", meta);
    sw_val_set (arena, doc, "spec", sw_val_map (arena));
    sw_inventory_add_k8s (set, "built", doc);
    s_no_errors ();
    cr_assert_eq (sw_val_count (doc), 4);
    cr_assert_eq (sw_val_count (s_find ("k8s:default/Pod/p")->doc), 7);
}

Test (inventory, object_without_name_is_an_error)
{
    s_load ("anon.yaml", "apiVersion: v1\n"
                         "kind: Secret\n"
                         "metadata: {labels: {a: b}}\n");
    cr_assert_eq (set->n, 0);
    s_assert_error ("anon.yaml", 1, "object without metadata.name");
}

//  ---------------------------------------------------------------------------
//  CloudFormation

Test (inventory, cfn_yaml_short_forms_become_resources_with_logical_ids)
{
    s_load ("cfn/site.yaml", "AWSTemplateFormatVersion: '2010-09-09'\n"
                             "Parameters:\n"
                             "  Env: {Type: String}\n"
                             "Resources:\n"
                             "  Bucket:\n"
                             "    Type: AWS::S3::Bucket\n"
                             "    Properties:\n"
                             "      BucketName: !Sub 'logs-${Env}'\n"
                             "  Policy:\n"
                             "    Type: AWS::S3::BucketPolicy\n"
                             "    Properties:\n"
                             "      Bucket: !Ref Bucket\n"
                             "      PolicyDocument:\n"
                             "        Statement:\n"
                             "          - Effect: Allow\n"
                             "            Resource: !GetAtt Bucket.Arn\n");
    s_no_errors ();
    cr_assert_eq (set->n, 3);
    sw_resource_t *bucket = s_find ("cfn:cfn/site.yaml#Bucket");
    cr_assert_str_eq (bucket->type, "cfn.AWS::S3::Bucket");
    cr_assert_null (bucket->type2);
    cr_assert_str_eq (s_str (bucket, "_logicalId"), "Bucket");
    cr_assert_eq (bucket->line, 6, "the line of the resource's map");
    sw_resource_t *policy = s_find ("cfn:cfn/site.yaml#Policy");
    cr_assert_str_eq (policy->type, "cfn.AWS::S3::BucketPolicy");
    s_assert_json (sw_val_dig (policy->doc, "Properties.Bucket"), "{\"Ref\":\"Bucket\"}");
    sw_val_t *statement = sw_val_dig (policy->doc, "Properties.PolicyDocument.Statement");
    s_assert_json (sw_val_get (statement->arr.items[0], "Resource"),
                   "{\"Fn::GetAtt\":[\"Bucket\",\"Arn\"]}");
    sw_resource_t *tpl = s_find ("cfn:cfn/site.yaml");
    cr_assert_str_eq (tpl->type, "cfn.template");
    cr_assert_str_eq (s_str (tpl, "Parameters.Env.Type"), "String");
    cr_assert_null (sw_val_dig (tpl->doc, "Resources.Bucket._logicalId"),
                    "the template's own resources are not written into");
}

Test (inventory, cfn_json_is_recognised_by_its_resource_types)
{
    s_load ("stack.json", "{\n"
                          "  \"Resources\": {\n"
                          "    \"Topic\": {\"Type\": \"AWS::SNS::Topic\",\n"
                          "              \"Properties\": {\"TopicName\": \"alerts\"}},\n"
                          "    \"Hook\": {\"Type\": \"Custom::Notifier\"}\n"
                          "  }\n"
                          "}\n");
    s_no_errors ();
    cr_assert_eq (set->n, 3);
    sw_resource_t *topic = s_find ("cfn:stack.json#Topic");
    cr_assert_str_eq (topic->type, "cfn.AWS::SNS::Topic");
    cr_assert_str_eq (s_str (topic, "Properties.TopicName"), "alerts");
    cr_assert_str_eq (s_find ("cfn:stack.json#Hook")->type, "cfn.Custom::Notifier");
    cr_assert_str_eq (s_find ("cfn:stack.json")->type, "cfn.template");
}

Test (inventory, cfn_resource_without_type_is_an_error_at_its_position)
{
    s_load ("t.yaml", "AWSTemplateFormatVersion: '2010-09-09'\n"
                      "Resources:\n"
                      "  Good:\n"
                      "    Type: AWS::SQS::Queue\n"
                      "  Broken:\n"
                      "    Properties: {}\n"
                      "  Scalar: nothing\n");
    cr_assert_eq (set->n, 2, "Good and the template");
    cr_assert (s_has ("cfn:t.yaml#Good"));
    s_assert_error ("t.yaml", 6, "resource Broken without a string Type");
    s_assert_error ("t.yaml", 7, "Scalar: expected map, found string");
}

//  ---------------------------------------------------------------------------
//  Terraform

//  A plan of a bucket and its encryption configuration, which refers to
//  the bucket twice (Terraform lists the attribute and the resource).
static const char *s_plan_sse =
    "{\"format_version\": \"1.2\", \"terraform_version\": \"1.6.0\",\n"
    " \"planned_values\": {\"root_module\": {\"resources\": [\n"
    "  {\"address\": \"aws_s3_bucket.b\", \"mode\": \"managed\", \"type\": \"aws_s3_bucket\",\n"
    "   \"name\": \"b\", \"provider_name\": \"registry.terraform.io/hashicorp/aws\",\n"
    "   \"values\": {\"bucket\": \"logs\"}},\n"
    "  {\"address\": \"aws_s3_bucket_server_side_encryption_configuration.e\",\n"
    "   \"mode\": \"managed\", \"type\": \"aws_s3_bucket_server_side_encryption_configuration\",\n"
    "   \"name\": \"e\", \"values\": {\"rule\": [{\"apply_server_side_encryption_by_default\":\n"
    "     [{\"sse_algorithm\": \"aws:kms\"}]}]}}]}},\n"
    " \"configuration\": {\"root_module\": {\"resources\": [\n"
    "  {\"address\": \"aws_s3_bucket.b\", \"mode\": \"managed\", \"type\": \"aws_s3_bucket\",\n"
    "   \"name\": \"b\", \"expressions\": {\"bucket\": {\"constant_value\": \"logs\"}}},\n"
    "  {\"address\": \"aws_s3_bucket_server_side_encryption_configuration.e\",\n"
    "   \"mode\": \"managed\", \"type\": \"aws_s3_bucket_server_side_encryption_configuration\",\n"
    "   \"name\": \"e\", \"expressions\": {\n"
    "     \"bucket\": {\"references\": [\"aws_s3_bucket.b.id\", \"aws_s3_bucket.b\"]},\n"
    "     \"rule\": [{\"apply_server_side_encryption_by_default\": [\n"
    "       {\"sse_algorithm\": {\"constant_value\": \"aws:kms\"}}]}]}}]}}}\n";

Test (inventory, tf_encryption_config_refers_to_its_bucket)
{
    s_load ("plan.json", s_plan_sse);
    s_no_errors ();
    cr_assert_eq (set->n, 2);
    sw_resource_t *b = s_find ("tf:plan.json#aws_s3_bucket.b");
    cr_assert_str_eq (b->type, "tf.aws_s3_bucket");
    cr_assert_str_eq (s_str (b, "values.bucket"), "logs");
    cr_assert_str_eq (s_str (b, "_config_address"), "aws_s3_bucket.b");
    s_assert_json (sw_val_get (b->doc, "_refs"), "[]");
    sw_resource_t *e = s_find ("tf:plan.json#aws_s3_bucket_server_side_encryption_configuration.e");
    cr_assert_str_eq (e->type, "tf.aws_s3_bucket_server_side_encryption_configuration");
    s_assert_json (sw_val_get (e->doc, "_refs"), "[\"aws_s3_bucket.b\"]");
}

Test (inventory, tf_child_module_resources_have_full_addresses_and_relative_refs)
{
    s_load (
        "mod.json",
        "{\"format_version\": \"1.2\",\n"
        " \"planned_values\": {\"root_module\": {\n"
        "  \"resources\": [{\"address\": \"aws_sns_topic.root\", \"mode\": \"managed\",\n"
        "    \"type\": \"aws_sns_topic\", \"name\": \"root\", \"values\": {}}],\n"
        "  \"child_modules\": [{\"address\": \"module.logs\", \"resources\": [\n"
        "    {\"address\": \"module.logs.aws_kms_key.k\", \"mode\": \"managed\",\n"
        "     \"type\": \"aws_kms_key\", \"name\": \"k\", \"values\": {}},\n"
        "    {\"address\": \"module.logs.aws_s3_bucket.b\", \"mode\": \"managed\",\n"
        "     \"type\": \"aws_s3_bucket\", \"name\": \"b\", \"values\": {}}],\n"
        "   \"child_modules\": [{\"address\": \"module.logs.module.inner\", \"resources\": [\n"
        "    {\"address\": \"module.logs.module.inner.aws_sqs_queue.q\", \"mode\": \"managed\",\n"
        "     \"type\": \"aws_sqs_queue\", \"name\": \"q\", \"values\": {}}]}]}]}},\n"
        " \"configuration\": {\"root_module\": {\n"
        "  \"resources\": [{\"address\": \"aws_sns_topic.root\", \"mode\": \"managed\",\n"
        "    \"type\": \"aws_sns_topic\", \"name\": \"root\", \"expressions\": {\n"
        "      \"kms_master_key_id\": {\"references\": [\"aws_kms_key.k.arn\"]},\n"
        "      \"name\": {\"references\": [\"module.logs.aws_s3_bucket.b.id\"]}}}],\n"
        "  \"module_calls\": {\"logs\": {\"source\": \"./logs\", \"module\": {\n"
        "   \"resources\": [\n"
        "    {\"address\": \"aws_kms_key.k\", \"mode\": \"managed\", \"type\": \"aws_kms_key\",\n"
        "     \"name\": \"k\", \"expressions\": {}},\n"
        "    {\"address\": \"aws_s3_bucket.b\", \"mode\": \"managed\", \"type\": "
        "\"aws_s3_bucket\",\n"
        "     \"name\": \"b\", \"expressions\": {\"server_side_encryption_configuration\": [\n"
        "      {\"rule\": [{\"kms_master_key_id\": {\"references\":\n"
        "        [\"aws_kms_key.k.arn\", \"aws_kms_key.k\", \"var.key\"]}}]}]}}],\n"
        "   \"module_calls\": {\"inner\": {\"module\": {\"resources\": [\n"
        "    {\"address\": \"aws_sqs_queue.q\", \"mode\": \"managed\", \"type\": "
        "\"aws_sqs_queue\",\n"
        "     \"name\": \"q\", \"expressions\": {\n"
        "      \"kms\": {\"references\": [\"aws_kms_key.k.arn\"]}}}]}}}}}}}}}\n");
    s_no_errors ();
    cr_assert_eq (set->n, 4);
    sw_resource_t *b = s_find ("tf:mod.json#module.logs.aws_s3_bucket.b");
    cr_assert_str_eq (b->type, "tf.aws_s3_bucket");
    cr_assert_str_eq (s_str (b, "_config_address"), "module.logs.aws_s3_bucket.b");
    s_assert_json (sw_val_get (b->doc, "_refs"), "[\"module.logs.aws_kms_key.k\"]");
    sw_resource_t *q = s_find ("tf:mod.json#module.logs.module.inner.aws_sqs_queue.q");
    s_assert_json (sw_val_get (q->doc, "_refs"), "[]");
    sw_resource_t *root = s_find ("tf:mod.json#aws_sns_topic.root");
    s_assert_json (sw_val_get (root->doc, "_refs"), "[\"module.logs.aws_s3_bucket.b\"]");
}

Test (inventory, tf_counted_instances_map_to_one_block_and_are_all_referenced)
{
    s_load ("count.json",
            "{\"format_version\": \"1.2\",\n"
            " \"planned_values\": {\"root_module\": {\"resources\": [\n"
            "  {\"address\": \"aws_s3_bucket.b[0]\", \"mode\": \"managed\", \"type\": "
            "\"aws_s3_bucket\",\n"
            "   \"name\": \"b\", \"index\": 0, \"values\": {}},\n"
            "  {\"address\": \"aws_s3_bucket.b[1]\", \"mode\": \"managed\", \"type\": "
            "\"aws_s3_bucket\",\n"
            "   \"name\": \"b\", \"index\": 1, \"values\": {}},\n"
            "  {\"address\": \"aws_s3_bucket_versioning.v[\\\"x.y]\\\"]\", \"mode\": \"managed\",\n"
            "   \"type\": \"aws_s3_bucket_versioning\", \"name\": \"v\", \"values\": {}}]}},\n"
            " \"configuration\": {\"root_module\": {\"resources\": [\n"
            "  {\"address\": \"aws_s3_bucket.b\", \"mode\": \"managed\", \"type\": "
            "\"aws_s3_bucket\",\n"
            "   \"name\": \"b\", \"count_expression\": {\"constant_value\": 2}},\n"
            "  {\"address\": \"aws_s3_bucket_versioning.v\", \"mode\": \"managed\",\n"
            "   \"type\": \"aws_s3_bucket_versioning\", \"name\": \"v\", \"expressions\": {\n"
            "     \"bucket\": {\"references\": [\"aws_s3_bucket.b[0].id\"]}}}]}}}\n");
    s_no_errors ();
    cr_assert_eq (set->n, 3);
    sw_resource_t *b1 = s_find ("tf:count.json#aws_s3_bucket.b[1]");
    cr_assert_str_eq (s_str (b1, "_config_address"), "aws_s3_bucket.b");
    sw_resource_t *v = s_find ("tf:count.json#aws_s3_bucket_versioning.v[\"x.y]\"]");
    cr_assert_str_eq (s_str (v, "_config_address"), "aws_s3_bucket_versioning.v");
    s_assert_json (sw_val_get (v->doc, "_refs"), "[\"aws_s3_bucket.b[0]\",\"aws_s3_bucket.b[1]\"]");
}

Test (inventory, tf_data_sources_are_skipped)
{
    s_load ("data.json",
            "{\"format_version\": \"1.2\",\n"
            " \"planned_values\": {\"root_module\": {\"resources\": [\n"
            "  {\"address\": \"data.aws_iam_policy_document.p\", \"mode\": \"data\",\n"
            "   \"type\": \"aws_iam_policy_document\", \"name\": \"p\", \"values\": {}},\n"
            "  {\"address\": \"aws_iam_policy.p\", \"mode\": \"managed\", \"type\": "
            "\"aws_iam_policy\",\n"
            "   \"name\": \"p\", \"values\": {}}]}},\n"
            " \"configuration\": {\"root_module\": {\"resources\": [\n"
            "  {\"address\": \"data.aws_iam_policy_document.p\", \"mode\": \"data\",\n"
            "   \"type\": \"aws_iam_policy_document\", \"name\": \"p\"},\n"
            "  {\"address\": \"aws_iam_policy.p\", \"mode\": \"managed\", \"type\": "
            "\"aws_iam_policy\",\n"
            "   \"name\": \"p\", \"expressions\": {\"policy\": {\"references\":\n"
            "     [\"data.aws_iam_policy_document.p.json\", "
            "\"data.aws_iam_policy_document.p\"]}}}]}}}\n");
    s_no_errors ();
    cr_assert_eq (set->n, 1);
    sw_resource_t *p = s_find ("tf:data.json#aws_iam_policy.p");
    s_assert_json (sw_val_get (p->doc, "_refs"), "[]");
}

Test (inventory, tf_resource_changes_stand_in_for_missing_planned_values)
{
    s_load ("changes.json",
            "{\"format_version\": \"1.2\", \"resource_changes\": [\n"
            "  {\"address\": \"aws_s3_bucket.new\", \"mode\": \"managed\", \"type\": "
            "\"aws_s3_bucket\",\n"
            "   \"name\": \"new\", \"change\": {\"actions\": [\"create\"], \"before\": null,\n"
            "   \"after\": {\"bucket\": \"fresh\"}}},\n"
            "  {\"address\": \"aws_s3_bucket.old\", \"mode\": \"managed\", \"type\": "
            "\"aws_s3_bucket\",\n"
            "   \"name\": \"old\", \"change\": {\"actions\": [\"delete\"],\n"
            "   \"before\": {\"bucket\": \"gone\"}, \"after\": null}},\n"
            "  {\"address\": \"aws_instance.web\", \"mode\": \"managed\", \"type\": "
            "\"aws_instance\",\n"
            "   \"name\": \"web\", \"change\": {\"actions\": [\"delete\", \"create\"],\n"
            "   \"before\": {\"ami\": \"a\"}, \"after\": {\"ami\": \"b\"}}}]}\n");
    s_no_errors ();
    cr_assert_eq (set->n, 2);
    cr_assert_str_eq (s_str (s_find ("tf:changes.json#aws_s3_bucket.new"), "values.bucket"),
                      "fresh");
    cr_assert_str_eq (s_str (s_find ("tf:changes.json#aws_instance.web"), "values.ami"), "b");
    cr_assert_not (s_has ("tf:changes.json#aws_s3_bucket.old"));
}

//  Builds planned_values whose modules nest `levels` deep, each holding
//  one resource; by hand, since a loader refuses documents this deep.
static sw_val_t *s_nested_plan (int levels)
{
    sw_arena_t *arena = set->arena;
    sw_val_t *module = NULL;
    for (int level = levels; level >= 0; level--) {
        sw_val_t *res = sw_val_map (arena);
        sw_val_set (arena, res, "address",
                    sw_val_str (arena, sw_arena_printf (arena, "r%d", level)));
        sw_val_set (arena, res, "mode", sw_val_str (arena, "managed"));
        sw_val_set (arena, res, "type", sw_val_str (arena, "null_resource"));
        sw_val_t *resources = sw_val_arr (arena);
        sw_val_push (arena, resources, res);
        sw_val_t *parent = sw_val_map (arena);
        sw_val_set (arena, parent, "resources", resources);
        if (module) {
            sw_val_t *children = sw_val_arr (arena);
            sw_val_push (arena, children, module);
            sw_val_set (arena, parent, "child_modules", children);
        }
        module = parent;
    }
    sw_val_t *values = sw_val_map (arena);
    sw_val_set (arena, values, "root_module", module);
    sw_val_t *plan = sw_val_map (arena);
    sw_val_set (arena, plan, "format_version", sw_val_str (arena, "1.2"));
    sw_val_set (arena, plan, "planned_values", values);
    return plan;
}

Test (inventory, tf_module_nesting_is_bounded)
{
    sw_val_t *plan = s_nested_plan (40);
    cr_assert_str_eq (sw_inventory_kind (plan), "tf");
    sw_inventory_add_tf (set, "deep.json", plan);
    cr_assert_eq (set->n, 33, "root and 32 levels of modules");
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].message, "modules nested deeper than 32");
}

//  ---------------------------------------------------------------------------
//  Recognition and input errors

Test (inventory, kind_is_recognised_from_content)
{
    static const struct {
        const char *text;
        const char *kind;
    } cases[] = {
        {"apiVersion: v1\nkind: Pod\n", "k8s"},
        {"AWSTemplateFormatVersion: '2010-09-09'\n", "cfn"},
        {"Resources: {Q: {Type: 'AWS::SQS::Queue'}, Bad: 1}\n", "cfn"},
        {"Resources: {H: {Type: 'Custom::Hook'}}\n", "cfn"},
        {"format_version: '1.2'\nplanned_values: {}\n", "tf"},
        {"format_version: '1.2'\nresource_changes: []\n", "tf"},
        {"format_version: '1.2'\n", NULL},
        {"Resources: {S: {Type: 'OS::Nova::Server'}}\n", NULL},
        {"kind: Pod\n", NULL},
        {"apiVersion: v1\nkind: 3\n", NULL},
        {"just text\n", NULL},
        {"[1, 2]\n", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sw_doclist_t docs = {NULL, 0, 0};
        char err[256] = "";
        int rc = sw_doc_load (set->arena, "k.yaml", cases[i].text, strlen (cases[i].text),
                              SW_FMT_YAML, &docs, err, sizeof err);
        cr_assert_eq (rc, 0, "%s", err);
        cr_assert_eq (docs.n, 1);
        const char *kind = sw_inventory_kind (docs.docs[0]);
        if (cases[i].kind)
            cr_assert_str_eq (kind, cases[i].kind, "%s", cases[i].text);
        else
            cr_assert_null (kind, "%s is %s", cases[i].text, kind);
    }
    cr_assert_null (sw_inventory_kind (NULL));
}

Test (inventory, unknown_document_is_an_error_naming_file_and_line)
{
    s_load ("misc/notes.yaml", "apiVersion: v1\n"
                               "kind: ConfigMap\n"
                               "metadata: {name: ok}\n"
                               "---\n"
                               "# a note\n"
                               "greeting: hello\n");
    cr_assert_eq (set->n, 1, "the known document still loads");
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].file, "misc/notes.yaml");
    cr_assert_eq (set->errors[0].line, 6);
    cr_assert_str_eq (set->errors[0].message,
                      "not a Kubernetes object, CloudFormation template or Terraform plan");
}

Test (inventory, bad_yaml_is_reported_and_the_next_file_still_loads)
{
    const char *bad = "apiVersion: v1\n"
                      "kind: ConfigMap\n"
                      "metadata: {name: before}\n"
                      "---\n"
                      "key: [unclosed\n";
    const char *good = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n";
    sw_input_file_t files[] = {{"bad.yaml", bad, strlen (bad)}, {"good.yaml", good, strlen (good)}};
    sw_inventory_load_files (set, files, 2);
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].file, "bad.yaml");
    cr_assert_geq (set->errors[0].line, 5, "the error's position is kept apart");
    cr_assert (s_has ("k8s:default/ConfigMap/before"), "documents before the error are kept");
    cr_assert_str_eq (s_find ("k8s:default/ConfigMap/after")->file, "good.yaml");
}

Test (inventory, wrong_shapes_in_a_plan_are_errors_not_crashes)
{
    s_load ("shapes.json",
            "{\"format_version\": \"1.2\",\n"
            " \"planned_values\": {\"root_module\": {\"resources\": [7,\n"
            "   {\"address\": \"a.b\", \"mode\": \"managed\"},\n"
            "   {\"address\": \"a.c\", \"mode\": \"managed\", \"type\": \"a\"}],\n"
            "   \"child_modules\": [\"x\", {\"resources\": \"none\"}]}},\n"
            " \"configuration\": {\"root_module\": {\"module_calls\": [],\n"
            "   \"resources\": [null, {\"type\": \"a\"}, {\"type\": \"a\", \"name\": \"c\",\n"
            "     \"expressions\": {\"references\": 3, \"x\": {\"references\": [1, "
            "\"a.c.id\"]}}}]}}}\n");
    cr_assert_eq (set->n, 1);
    //  The reference scan goes on past references of the wrong shape.
    s_assert_json (sw_val_get (s_find ("tf:shapes.json#a.c")->doc, "_refs"), "[\"a.c\"]");
    s_assert_error ("shapes.json", ANY_LINE, "plan resource: expected map, found int");
    s_assert_error ("shapes.json", ANY_LINE, "type is missing");
    s_assert_error ("shapes.json", ANY_LINE, "child module: expected map, found string");
    s_assert_error ("shapes.json", ANY_LINE, "resources: expected array, found string");
    s_assert_error ("shapes.json", ANY_LINE, "module_calls: expected map, found array");
    s_assert_error ("shapes.json", ANY_LINE, "configuration resource: expected map, found null");
    s_assert_error ("shapes.json", ANY_LINE, "name is missing");
    cr_assert_eq (set->nerrors, 7);
}

Test (inventory, wrong_shapes_in_manifests_are_errors_with_positions)
{
    s_load ("list.yaml", "apiVersion: v1\nkind: List\nitems:\n  - 3\n  - {kind: Pod}\n");
    s_load ("cfn.yaml", "AWSTemplateFormatVersion: x\nResources: [1]\n");
    s_load ("dep.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
                        "spec:\n  template:\n    spec: oops\n");
    cr_assert_eq (set->n, 2, "the template and the Deployment");
    cr_assert_str_eq (s_find ("cfn:cfn.yaml")->type, "cfn.template");
    cr_assert_null (sw_val_get (s_find ("k8s:default/Deployment/d")->doc, "_pod"));
    s_assert_error ("list.yaml", 4, "Kubernetes object: expected map, found int");
    s_assert_error ("list.yaml", 5, "object without metadata.name");
    s_assert_error ("cfn.yaml", 2, "Resources: expected map, found array");
    s_assert_error ("dep.yaml", 6, "spec.template.spec: expected map, found string");
    cr_assert_eq (set->nerrors, 4);
}
