/*  libFuzzer harness for the normalizers and the rule engine.

    The input is one file of a posture group: first as a manifest
    (Kubernetes, CloudFormation, Terraform plan, whichever it looks like),
    then as one of the AWS CLI outputs of a snapshot region (the first byte
    picks which), and the resources it yields are evaluated by a small rule
    set that exercises each, join, selectors, regexes and CIDRs. Nothing
    may crash, leak or trip a sanitizer, whatever the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_inventory.h"
#include "sw_rule.h"

static const char *s_rules =
    "id: f.each\ntitle: t\nseverity: low\ndescription: d\nremediation: r\n"
    "resource_types: [k8s.workload, aws.ec2.instance, tf.aws_s3_bucket, cfn.AWS::S3::Bucket]\n"
    "fail_if:\n  any:\n"
    "    - {each: \"_pod.containers[*]\", some: {path: securityContext.privileged, eq: true}}\n"
    "    - {path: \"values.*\", matches: \"(?i)^a.*z$\"}\n"
    "    - {path: \"Properties.*.*\", older_than_days: 1}\n"
    "    - join: {type: aws.ec2.security_group, on: [{local: \"SecurityGroups[*].GroupId\", "
    "remote: GroupId}]}\n"
    "      some: {each: \"IpPermissions[*]\", some: {path: \"IpRanges[*].CidrIp\", "
    "open_to_world: true}}\n"
    "evidence: metadata.name\n"
    "---\n"
    "id: f.join\ntitle: t\nseverity: low\ndescription: d\nremediation: r\n"
    "resource_types: [k8s.Service, aws.s3.bucket, aws.iam.user]\n"
    "fail_if:\n  any:\n"
    "    - join: {type: k8s.workload, on: [{local: _namespace, remote: _namespace}], selector: "
    "{local: spec.selector, remote: _podMeta.labels}}\n"
    "      some: {path: _pod.hostNetwork, eq: true}\n"
    "    - {path: \"Acl.Grants[*].Grantee.URI\", cidr_in: [10.0.0.0/8, \"::/0\"]}\n"
    "    - {path: \"Policy.Statement[*].Principal.*[*]\", in: [\"*\", 1, true]}\n"
    "    - {path: CredentialReport.password_last_used, newer_than_days: 90}\n";

static const char *s_aws_names[] = {"ec2-describe-instances.json",
                                    "ec2-describe-security-groups.json",
                                    "s3-list-buckets.json",
                                    "iam-get-account-authorization-details.json",
                                    "iam-get-credential-report.json",
                                    "s3-get-bucket-policy/b.json",
                                    "kms-list-keys.json",
                                    "ec2-describe-flow-logs.json"};

static sw_ruleset_t *s_ruleset;

static void s_ignore (void *arg, const sw_rule_t *rule, const sw_resource_t *res,
                      const char *evidence)
{
    (void)rule;
    (void)res;
    (void)evidence;
    (*(size_t *)arg)++;
}

static void s_evaluate (sw_resset_t *set)
{
    size_t found = 0;
    sw_resset_sort (set);
    sw_ruleset_eval (s_ruleset, NULL, set, s_ignore, &found);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_ruleset) {
        char err[512];
        s_ruleset = sw_ruleset_new ();
        if (sw_ruleset_add_text (s_ruleset, "fuzz-rules.yaml", s_rules, strlen (s_rules), err,
                                 sizeof err)) {
            fprintf (stderr, "%s\n", err);
            abort ();
        }
    }
    sw_resset_t *set = sw_resset_new ();
    sw_input_file_t manifest = {"fuzz.yaml", (const char *)data, size};
    sw_inventory_load_files (set, &manifest, 1);
    s_evaluate (set);
    sw_resset_destroy (&set);

    char name[128];
    snprintf (name, sizeof name, "snap/us-east-1/%s",
              s_aws_names[size ? data[0] % (sizeof s_aws_names / sizeof s_aws_names[0]) : 0]);
    static const char *sts = "{\"Account\": \"123456789012\", \"Arn\": "
                             "\"arn:aws:iam::123456789012:user/f\"}";
    sw_input_file_t files[] = {{"snap/sts-get-caller-identity.json", sts, strlen (sts)},
                               {name, (const char *)data, size}};
    set = sw_resset_new ();
    sw_inventory_load_aws (set, files, 2);
    s_evaluate (set);
    sw_resset_destroy (&set);
    return 0;
}
