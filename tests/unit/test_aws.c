/*  Tests for sw_inventory_load_aws: AWS snapshot groups (docs/aws-snapshot.md)
    built in memory in the shape the AWS CLI prints, checked resource by
    resource. JSON is written with ' for " (see s_json) to stay readable. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_inventory.h"

#define ROOT    "snap/123456789012/"
#define ACCOUNT "123456789012"
#define STS                                                                                        \
    "{'UserId': 'AIDAEXAMPLE', 'Account': '123456789012', "                                        \
    "'Arn': 'arn:aws:iam::123456789012:user/auditor'}"
#define MAX_FILES 32

static sw_resset_t *set;
static sw_input_file_t files[MAX_FILES];
static size_t nfiles;

static void s_teardown (void)
{
    for (size_t i = 0; i < nfiles; i++) {
        free ((char *)files[i].name);
        free ((char *)files[i].data);
    }
    nfiles = 0;
    sw_resset_destroy (&set);
}

TestSuite (aws, .fini = s_teardown);

//  Adds a file named ROOT + name whose text is json with every ' made ".
static void s_file (const char *name, const char *json)
{
    cr_assert_lt (nfiles, MAX_FILES);
    char *path = malloc (strlen (ROOT) + strlen (name) + 1);
    char *text = strdup (json);
    sprintf (path, "%s%s", ROOT, name);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    files[nfiles++] = (sw_input_file_t){path, text, strlen (text)};
}

//  Loads the files added so far (with the snapshot's sts file when
//  with_sts) as one group.
static void s_load (bool with_sts)
{
    if (with_sts)
        s_file ("sts-get-caller-identity.json", STS);
    set = sw_resset_new ();
    cr_assert_not_null (set);
    sw_inventory_load_aws (set, files, nfiles);
}

//  The only resource of type named id (or the only one of type when id is
//  NULL).
static sw_val_t *s_resource (const char *type, const char *id)
{
    sw_resource_t *found = NULL;
    for (size_t i = 0; i < set->n; i++)
        if (strcmp (set->items[i].type, type) == 0 && (!id || strcmp (set->items[i].id, id) == 0)) {
            cr_assert_null (found, "two %s resources %s", type, id ? id : "");
            found = &set->items[i];
        }
    cr_assert_not_null (found, "no %s resource %s", type, id ? id : "");
    cr_assert_eq (found->line, 0);
    return found->doc;
}

static size_t s_count (const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++)
        n += strcmp (set->items[i].type, type) == 0;
    return n;
}

static const char *s_str (const sw_val_t *doc, const char *path)
{
    const char *s = sw_val_cstr (sw_val_dig (doc, path));
    cr_assert_not_null (s, "%s is not a string", path);
    return s;
}

//  Item i of the array at path.
static sw_val_t *s_item (const sw_val_t *doc, const char *path, uint32_t i)
{
    sw_val_t *arr = sw_val_dig (doc, path);
    cr_assert (arr && arr->type == SW_VARR, "%s is not an array", path);
    cr_assert_lt (i, arr->arr.n, "%s has %u items", path, arr->arr.n);
    return arr->arr.items[i];
}

//  Asserts that v is exactly the JSON text expected (' for ").
static void s_json_eq (const sw_val_t *v, const char *expected)
{
    char *want = strdup (expected);
    for (char *p = want; *p; p++)
        if (*p == '\'')
            *p = '"';
    char *got = sw_val_to_json (v, 4096);
    cr_assert_str_eq (got, want);
    free (got);
    free (want);
}

static void s_no_errors (void)
{
    for (size_t i = 0; i < set->nerrors; i++)
        cr_log_error ("%s:%u:%u: %s", set->errors[i].file, set->errors[i].line, set->errors[i].col,
                      set->errors[i].message);
    cr_assert_eq (set->nerrors, 0);
}

//  A credential report as the CLI prints it: Content is base64 CSV.
static void s_credential_report (const char *csv)
{
    size_t cap = sodium_base64_ENCODED_LEN (strlen (csv), sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc (cap);
    sodium_bin2base64 (b64, cap, (const unsigned char *)csv, strlen (csv),
                       sodium_base64_VARIANT_ORIGINAL);
    char *json = malloc (cap + 128);
    sprintf (json,
             "{'Content': '%s', 'ReportFormat': 'text/csv', "
             "'GeneratedTime': '2026-11-26T09:00:00+00:00'}",
             b64);
    s_file ("global/iam-get-credential-report.json", json);
    free (json);
    free (b64);
}

#define REPORT_HEADER                                                                              \
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"       \
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"             \
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"    \
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"                   \
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"                  \
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"

#define ALICE                                                                                      \
    "{'Path': '/', 'UserName': 'alice', 'UserId': 'AIDAALICE', "                                   \
    "'Arn': 'arn:aws:iam::123456789012:user/alice', "                                              \
    "'CreateDate': '2024-01-01T00:00:00+00:00', 'UserPolicyList': [], 'GroupList': [], "           \
    "'AttachedManagedPolicies': [], 'Tags': []}"

static void s_authorization_details (const char *users, const char *roles, const char *policies)
{
    char json[8192];
    snprintf (json, sizeof json,
              "{'UserDetailList': [%s], 'GroupDetailList': [], 'RoleDetailList': [%s], "
              "'Policies': [%s]}",
              users, roles, policies);
    s_file ("global/iam-get-account-authorization-details.json", json);
}

Test (aws, account_id_comes_from_sts)
{
    s_file ("global/iam-get-account-summary.json",
            "{'SummaryMap': {'Users': 3, 'AccountMFAEnabled': 1}}");
    s_load (true);
    s_no_errors ();
    sw_val_t *account = s_resource ("aws.account", "arn:aws:iam::123456789012:root");
    cr_assert_str_eq (s_str (account, "AccountId"), ACCOUNT);
    cr_assert_str_eq (s_str (account, "_account"), ACCOUNT);
    cr_assert_str_eq (s_str (account, "_region"), "global");
    cr_assert_eq (sw_val_dig (account, "Summary.AccountMFAEnabled")->i, 1);
    cr_assert_eq (s_count ("aws.region"), 0, "the global folder is no region");
}

Test (aws, security_group_id_is_built_arn_with_region)
{
    s_file ("us-east-1/ec2-describe-security-groups.json",
            "{'SecurityGroups': [{'Description': 'web', 'GroupName': 'web', "
            "'IpPermissions': [{'FromPort': 22, 'IpProtocol': 'tcp', "
            "'IpRanges': [{'CidrIp': '0.0.0.0/0'}], 'ToPort': 22}], "
            "'OwnerId': '123456789012', 'GroupId': 'sg-0abc', 'IpPermissionsEgress': [], "
            "'VpcId': 'vpc-1'}]}");
    s_load (true);
    s_no_errors ();
    sw_val_t *sg = s_resource ("aws.ec2.security_group",
                               "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0abc");
    cr_assert_str_eq (s_str (sg, "_region"), "us-east-1");
    cr_assert_str_eq (s_str (sg, "_account"), ACCOUNT);
    cr_assert_str_eq (s_str (s_item (sg, "IpPermissions", 0), "IpProtocol"), "tcp");
}

Test (aws, own_arn_field_is_the_id)
{
    s_file ("eu-west-1/ec2-describe-security-groups.json",
            "{'SecurityGroups': [{'GroupName': 'db', 'GroupId': 'sg-0def', "
            "'SecurityGroupArn': 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0def', "
            "'IpPermissions': []}]}");
    s_file ("eu-west-1/lambda-list-functions.json",
            "{'Functions': [{'FunctionName': 'resize', "
            "'FunctionArn': 'arn:aws:lambda:eu-west-1:123456789012:function:resize', "
            "'Runtime': 'python3.12'}]}");
    s_load (true);
    s_no_errors ();
    s_resource ("aws.ec2.security_group",
                "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0def");
    s_resource ("aws.lambda.function", "arn:aws:lambda:eu-west-1:123456789012:function:resize");
}

Test (aws, instances_come_from_every_reservation)
{
    s_file ("us-east-1/ec2-describe-instances.json",
            "{'Reservations': [{'ReservationId': 'r-1', 'OwnerId': '123456789012', "
            "'Instances': [{'InstanceId': 'i-1', 'InstanceType': 't3.micro', "
            "'MetadataOptions': {'HttpTokens': 'optional'}}, {'InstanceId': 'i-2'}]}, "
            "{'ReservationId': 'r-2', 'Instances': [{'InstanceId': 'i-3', "
            "'PublicIpAddress': '203.0.113.7'}]}]}");
    s_load (true);
    s_no_errors ();
    cr_assert_eq (s_count ("aws.ec2.instance"), 3);
    sw_val_t *i1 =
        s_resource ("aws.ec2.instance", "arn:aws:ec2:us-east-1:123456789012:instance/i-1");
    cr_assert_str_eq (s_str (i1, "MetadataOptions.HttpTokens"), "optional");
    sw_val_t *i3 =
        s_resource ("aws.ec2.instance", "arn:aws:ec2:us-east-1:123456789012:instance/i-3");
    cr_assert_str_eq (s_str (i3, "PublicIpAddress"), "203.0.113.7");
}

Test (aws, bucket_joins_acl_encryption_versioning_and_public_access_block)
{
    s_file ("global/s3-list-buckets.json",
            "{'Buckets': [{'Name': 'logs', 'CreationDate': '2024-01-01T00:00:00+00:00'}], "
            "'Owner': {'DisplayName': 'ops', 'ID': 'abc'}}");
    s_file ("global/s3-get-bucket-acl/logs.json",
            "{'Owner': {'ID': 'abc'}, 'Grants': [{'Grantee': {'Type': 'Group', "
            "'URI': 'http://acs.amazonaws.com/groups/global/AllUsers'}, 'Permission': 'READ'}]}");
    s_file ("global/s3-get-bucket-encryption/logs.json",
            "{'ServerSideEncryptionConfiguration': {'Rules': [{"
            "'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'aws:kms'}, "
            "'BucketKeyEnabled': true}]}}");
    s_file ("global/s3-get-bucket-versioning/logs.json",
            "{'Status': 'Enabled', 'MFADelete': 'Disabled'}");
    s_file ("global/s3-get-public-access-block/logs.json",
            "{'PublicAccessBlockConfiguration': {'BlockPublicAcls': true, 'IgnorePublicAcls': "
            "true, 'BlockPublicPolicy': false, 'RestrictPublicBuckets': true}}");
    s_file ("global/s3-get-bucket-policy-status/logs.json",
            "{'PolicyStatus': {'IsPublic': false}}");
    s_file ("global/s3-get-bucket-logging/logs.json",
            "{'LoggingEnabled': {'TargetBucket': 'audit', 'TargetPrefix': 'logs/'}}");
    s_file ("global/s3-get-bucket-location/logs.json", "{'LocationConstraint': 'eu-west-1'}");
    s_load (true);
    s_no_errors ();
    sw_val_t *b = s_resource ("aws.s3.bucket", "arn:aws:s3:::logs");
    cr_assert_str_eq (s_str (b, "_region"), "global");
    cr_assert_str_eq (s_str (s_item (b, "Acl.Grants", 0), "Permission"), "READ");
    cr_assert_str_eq (s_str (b, "Acl.Owner.ID"), "abc");
    cr_assert_str_eq (s_str (s_item (b, "Encryption.Rules", 0),
                             "ApplyServerSideEncryptionByDefault.SSEAlgorithm"),
                      "aws:kms");
    cr_assert_str_eq (s_str (b, "Versioning.Status"), "Enabled");
    cr_assert_eq (sw_val_dig (b, "PublicAccessBlock.BlockPublicPolicy")->b, false);
    cr_assert_eq (sw_val_dig (b, "PolicyStatus.IsPublic")->type, SW_VBOOL);
    cr_assert_str_eq (s_str (b, "Logging.TargetBucket"), "audit");
    cr_assert_str_eq (s_str (b, "Location"), "eu-west-1");
}

Test (aws, empty_versioning_and_logging_outputs_mean_never_enabled)
{
    s_file ("global/s3-list-buckets.json", "{'Buckets': [{'Name': 'tmp'}]}");
    s_file ("global/s3-get-bucket-versioning/tmp.json", "");
    s_file ("global/s3-get-bucket-logging/tmp.json", "\n");
    s_load (true);
    s_no_errors ();
    sw_val_t *b = s_resource ("aws.s3.bucket", NULL);
    s_json_eq (sw_val_get (b, "Versioning"), "{}");
    cr_assert_null (sw_val_get (b, "Logging"));
    cr_assert_null (sw_val_get (b, "Encryption"), "a missing file joins nothing");
}

Test (aws, url_encoded_bucket_policy_is_decoded_and_normalised)
{
    //  {"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",
    //   "Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}}
    s_file ("global/s3-list-buckets.json", "{'Buckets': [{'Name': 'site'}]}");
    s_file ("global/s3-get-bucket-policy/site.json",
            "{'Policy': '%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%"
            "3A%22Allow%22%2C%22Principal%22%3A%22%2A%22%2C%22Action%22%3A%22s3%3AGetObject%22%"
            "2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Asite%2F%2A%22%7D%7D'}");
    s_load (true);
    s_no_errors ();
    sw_val_t *b = s_resource ("aws.s3.bucket", NULL);
    s_json_eq (sw_val_get (b, "Policy"), "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
                                         "'Principal':{'AWS':['*']},'Action':['s3:GetObject'],"
                                         "'Resource':['arn:aws:s3:::site/*']}]}");
}

Test (aws, json_string_bucket_policy_is_decoded_and_normalised)
{
    s_file ("global/s3-list-buckets.json", "{'Buckets': [{'Name': 'site'}]}");
    s_file ("global/s3-get-bucket-policy/site.json",
            "{'Policy': '{\\'Version\\':\\'2012-10-17\\',\\'Statement\\':[{\\'Sid\\':\\'a\\',"
            "\\'Effect\\':\\'Deny\\',\\'Principal\\':{\\'AWS\\':\\'arn:aws:iam::1:root\\',"
            "\\'Service\\':[\\'s3.amazonaws.com\\']},\\'NotAction\\':\\'s3:*\\',"
            "\\'NotResource\\':[\\'arn:aws:s3:::site\\']}]}'}");
    s_load (true);
    s_no_errors ();
    sw_val_t *b = s_resource ("aws.s3.bucket", NULL);
    s_json_eq (sw_val_get (b, "Policy"),
               "{'Version':'2012-10-17','Statement':[{'Sid':'a','Effect':'Deny',"
               "'Principal':{'AWS':['arn:aws:iam::1:root'],'Service':['s3.amazonaws.com']},"
               "'NotAction':['s3:*'],'NotResource':['arn:aws:s3:::site']}]}");
}

Test (aws, policy_json_that_does_not_parse_is_an_error_of_its_file)
{
    s_file ("global/s3-list-buckets.json", "{'Buckets': [{'Name': 'site'}]}");
    s_file ("global/s3-get-bucket-policy/site.json", "{'Policy': '{\\'Version\\': '}");
    s_load (true);
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].file, ROOT "global/s3-get-bucket-policy/site.json");
    cr_assert (strstr (set->errors[0].message, "Policy"), "%s", set->errors[0].message);
    s_resource ("aws.s3.bucket", NULL);
}

Test (aws, users_join_credential_report_access_keys_and_mfa)
{
    s_authorization_details (ALICE, "", "");
    s_credential_report (REPORT_HEADER
                         "alice,arn:aws:iam::123456789012:user/alice,2024-01-01T00:00:00+00:00,"
                         "true,2026-11-01T08:00:00+00:00,2024-01-01T00:00:00+00:00,N/A,false,"
                         "true,2025-01-01T00:00:00+00:00,2026-11-20T00:00:00+00:00,us-east-1,s3,"
                         "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n");
    s_file ("global/iam-list-access-keys/alice.json",
            "{'AccessKeyMetadata': [{'UserName': 'alice', 'AccessKeyId': 'AKIAEXAMPLE', "
            "'Status': 'Active', 'CreateDate': '2025-01-01T00:00:00+00:00'}]}");
    s_file ("global/iam-list-mfa-devices/alice.json", "{'MFADevices': []}");
    s_load (true);
    s_no_errors ();
    sw_val_t *u = s_resource ("aws.iam.user", "arn:aws:iam::123456789012:user/alice");
    cr_assert_str_eq (s_str (u, "CredentialReport.password_enabled"), "true");
    cr_assert_str_eq (s_str (u, "CredentialReport.mfa_active"), "false");
    cr_assert_str_eq (s_str (u, "CredentialReport.access_key_1_last_rotated"),
                      "2025-01-01T00:00:00+00:00");
    cr_assert_str_eq (s_str (u, "CredentialReport.cert_2_last_rotated"), "N/A");
    cr_assert_str_eq (s_str (s_item (u, "AccessKeys", 0), "Status"), "Active");
    s_json_eq (sw_val_get (u, "MFADevices"), "[]");
    cr_assert_str_eq (s_str (u, "_region"), "global");
}

Test (aws, root_row_of_credential_report_goes_to_account)
{
    s_credential_report (REPORT_HEADER
                         "<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,"
                         "not_supported,2026-11-25T00:00:00+00:00,not_supported,not_supported,"
                         "true,true,2020-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
                         "false,N/A,false,N/A\n");
    s_load (true);
    s_no_errors ();
    sw_val_t *account = s_resource ("aws.account", NULL);
    cr_assert_str_eq (s_str (account, "Root.mfa_active"), "true");
    cr_assert_str_eq (s_str (account, "Root.access_key_1_active"), "true");
    cr_assert_eq (s_count ("aws.iam.user"), 0);
}

Test (aws, missing_password_policy_leaves_no_key)
{
    s_file ("global/iam-get-account-summary.json", "{'SummaryMap': {'Users': 1}}");
    s_load (true);
    s_no_errors ();
    cr_assert_null (sw_val_get (s_resource ("aws.account", NULL), "PasswordPolicy"));
}

Test (aws, password_policy_and_account_public_access_block_join_the_account)
{
    s_file ("global/iam-get-account-password-policy.json",
            "{'PasswordPolicy': {'MinimumPasswordLength': 14, 'RequireSymbols': true, "
            "'ExpirePasswords': false, 'PasswordReusePrevention': 24}}");
    s_file ("global/s3control-get-public-access-block.json",
            "{'PublicAccessBlockConfiguration': {'BlockPublicAcls': true}}");
    s_load (true);
    s_no_errors ();
    sw_val_t *account = s_resource ("aws.account", NULL);
    cr_assert_eq (sw_val_dig (account, "PasswordPolicy.MinimumPasswordLength")->i, 14);
    cr_assert_eq (sw_val_dig (account, "S3PublicAccessBlock.BlockPublicAcls")->b, true);
}

Test (aws, region_has_ebs_default_guardduty_and_config)
{
    s_file ("eu-west-1/ec2-get-ebs-encryption-by-default.json", "{'EbsEncryptionByDefault': true}");
    s_file ("eu-west-1/guardduty-list-detectors.json", "{'DetectorIds': ['d1', 'd2']}");
    s_file ("eu-west-1/guardduty-get-detector/d1.json",
            "{'CreatedAt': '2024-01-01T00:00:00.000Z', 'FindingPublishingFrequency': "
            "'SIX_HOURS', 'ServiceRole': 'arn:aws:iam::123456789012:role/aws-service-role', "
            "'Status': 'ENABLED'}");
    s_file ("eu-west-1/configservice-describe-configuration-recorders.json",
            "{'ConfigurationRecorders': [{'name': 'default', 'recordingGroup': "
            "{'allSupported': true, 'includeGlobalResourceTypes': true}}]}");
    s_file ("eu-west-1/configservice-describe-configuration-recorder-status.json",
            "{'ConfigurationRecordersStatus': [{'name': 'default', 'recording': true}]}");
    s_load (true);
    s_no_errors ();
    sw_val_t *r = s_resource ("aws.region", "arn:aws:ec2:eu-west-1:123456789012:region");
    cr_assert_str_eq (s_str (r, "Region"), "eu-west-1");
    cr_assert_str_eq (s_str (r, "_region"), "eu-west-1");
    cr_assert_eq (sw_val_get (r, "EbsEncryptionByDefault")->b, true);
    cr_assert_eq (sw_val_count (sw_val_get (r, "GuardDutyDetectors")), 2);
    sw_val_t *d1 = s_item (r, "GuardDutyDetectors", 0);
    cr_assert_str_eq (s_str (d1, "DetectorId"), "d1");
    cr_assert_str_eq (s_str (d1, "Status"), "ENABLED");
    s_json_eq (s_item (r, "GuardDutyDetectors", 1), "{'DetectorId':'d2'}");
    cr_assert_eq (sw_val_dig (s_item (r, "ConfigRecorderStatus", 0), "recording")->b, true);
    cr_assert_str_eq (s_str (s_item (r, "ConfigRecorders", 0), "name"), "default");
    cr_assert_eq (s_count ("aws.account"), 0, "only the global folder is the account");
}

Test (aws, region_without_guardduty_list_has_no_detectors_key)
{
    s_file ("eu-west-1/ec2-get-ebs-encryption-by-default.json",
            "{'EbsEncryptionByDefault': false}");
    s_load (true);
    s_no_errors ();
    sw_val_t *r = s_resource ("aws.region", NULL);
    cr_assert_eq (sw_val_get (r, "EbsEncryptionByDefault")->b, false);
    cr_assert_null (sw_val_get (r, "GuardDutyDetectors"));
}

Test (aws, kms_key_joins_metadata_rotation_and_policy)
{
    s_file ("us-east-1/kms-list-keys.json",
            "{'Keys': [{'KeyId': '1234abcd-12ab-34cd-56ef-1234567890ab', "
            "'KeyArn': "
            "'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'}]}");
    s_file ("us-east-1/kms-describe-key/1234abcd-12ab-34cd-56ef-1234567890ab.json",
            "{'KeyMetadata': {'KeyId': '1234abcd-12ab-34cd-56ef-1234567890ab', "
            "'KeyManager': 'CUSTOMER', 'KeyState': 'Enabled', 'KeySpec': 'SYMMETRIC_DEFAULT'}}");
    s_file ("us-east-1/kms-get-key-rotation-status/1234abcd-12ab-34cd-56ef-1234567890ab.json",
            "{'KeyRotationEnabled': false, 'KeyId': '1234abcd-12ab-34cd-56ef-1234567890ab'}");
    s_file (
        "us-east-1/kms-get-key-policy/1234abcd-12ab-34cd-56ef-1234567890ab.json",
        "{'Policy': '{\\n  \\'Version\\' : \\'2012-10-17\\',\\n  \\'Id\\' : \\'key-default-1\\',"
        "\\n  \\'Statement\\' : [ {\\n    \\'Effect\\' : \\'Allow\\',\\n    \\'Principal\\' : "
        "{\\n      \\'AWS\\' : \\'arn:aws:iam::123456789012:root\\'\\n    },\\n    "
        "\\'Action\\' : \\'kms:*\\',\\n    \\'Resource\\' : \\'*\\'\\n  } ]\\n}', "
        "'PolicyName': 'default'}");
    s_load (true);
    s_no_errors ();
    sw_val_t *k =
        s_resource ("aws.kms.key",
                    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    cr_assert_str_eq (s_str (k, "Metadata.KeyManager"), "CUSTOMER");
    cr_assert_eq (sw_val_get (k, "RotationEnabled")->type, SW_VBOOL);
    cr_assert_eq (sw_val_get (k, "RotationEnabled")->b, false);
    sw_val_t *st = s_item (k, "Policy.Statement", 0);
    s_json_eq (sw_val_get (st, "Principal"), "{'AWS':['arn:aws:iam::123456789012:root']}");
    s_json_eq (sw_val_get (st, "Action"), "['kms:*']");
}

Test (aws, malformed_file_is_an_error_and_the_others_still_load)
{
    s_file ("us-east-1/ec2-describe-volumes.json",
            "{'Volumes': [{'VolumeId': 'vol-1',\n 'Encrypted': }");
    s_file ("us-east-1/ec2-describe-vpcs.json",
            "{'Vpcs': [{'VpcId': 'vpc-1', 'IsDefault': true}]}");
    s_load (true);
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].file, ROOT "us-east-1/ec2-describe-volumes.json");
    cr_assert_gt (set->errors[0].line, 0, "the parse error has its position");
    cr_assert_eq (s_count ("aws.ec2.volume"), 0);
    s_resource ("aws.ec2.vpc", "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1");
    s_resource ("aws.region", NULL);
}

Test (aws, wrong_shape_is_an_error_naming_the_file)
{
    s_file ("us-east-1/ec2-describe-security-groups.json",
            "{'SecurityGroups': {'GroupId': 'sg-1'}}");
    s_file ("us-east-1/ec2-describe-volumes.json",
            "{'Volumes': [{'VolumeId': 'vol-1'}, 'vol-2', {'Size': 8}]}");
    s_load (true);
    cr_assert_eq (set->nerrors, 3);
    cr_assert_str_eq (set->errors[0].file, ROOT "us-east-1/ec2-describe-security-groups.json");
    cr_assert_str_eq (set->errors[0].message, "SecurityGroups is not an array");
    cr_assert_str_eq (set->errors[1].file, ROOT "us-east-1/ec2-describe-volumes.json");
    cr_assert_str_eq (set->errors[1].message, "an entry of Volumes is not an object");
    cr_assert_str_eq (set->errors[2].message, "an entry of Volumes has no valid VolumeId");
    cr_assert_eq (s_count ("aws.ec2.security_group"), 0);
    s_resource ("aws.ec2.volume", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1");
}

Test (aws, missing_sts_is_a_group_error)
{
    s_file ("us-east-1/ec2-describe-vpcs.json", "{'Vpcs': [{'VpcId': 'vpc-1'}]}");
    s_load (false);
    cr_assert_eq (set->nerrors, 1);
    cr_assert (strstr (set->errors[0].message, "sts-get-caller-identity.json"), "%s",
               set->errors[0].message);
    cr_assert_eq (set->n, 0);
}

Test (aws, malformed_sts_is_a_group_error)
{
    s_file ("sts-get-caller-identity.json", "{'UserId': 'x', 'Account': 123}");
    s_file ("us-east-1/ec2-describe-vpcs.json", "{'Vpcs': [{'VpcId': 'vpc-1'}]}");
    s_load (false);
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].file, ROOT "sts-get-caller-identity.json");
    cr_assert_eq (set->n, 0);
}

Test (aws, unknown_files_are_ignored)
{
    s_file ("us-east-1/ec2-describe-vpcs.json", "{'Vpcs': [{'VpcId': 'vpc-1'}]}");
    s_file ("us-east-1/ec2-describe-future-things.json", "not even json");
    s_file ("us-east-1/iam-get-account-summary.json", "{'SummaryMap': 'not in a region'}");
    s_file ("us-east-1/notes/readme.txt", "hello");
    s_file ("us-east-1/ec2-describe-vpcs/vpc-1.json", "{]");
    s_load (true);
    s_no_errors ();
    cr_assert_eq (set->n, 2);
    s_resource ("aws.ec2.vpc", NULL);
}

Test (aws, collected_at_is_the_reference_time)
{
    s_file ("snapshot.json", "{'collected_at': '2026-11-26T10:00:00Z'}");
    s_file ("us-east-1/ec2-describe-vpcs.json", "{'Vpcs': []}");
    s_load (true);
    s_no_errors ();
    cr_assert_eq (set->now, 1795687200);
}

Test (aws, collected_at_with_offset_and_fraction_is_understood)
{
    s_file ("snapshot.json", "{'collected_at': '2026-11-26T12:00:00.250+02:00'}");
    s_file ("us-east-1/ec2-describe-vpcs.json", "{'Vpcs': []}");
    s_load (true);
    s_no_errors ();
    cr_assert_eq (set->now, 1795687200);
}

Test (aws, bad_collected_at_is_an_error_and_keeps_run_time)
{
    s_file ("snapshot.json", "{'collected_at': 'yesterday'}");
    s_file ("us-east-1/ec2-describe-vpcs.json", "{'Vpcs': []}");
    s_load (true);
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].file, ROOT "snapshot.json");
    cr_assert_gt (set->now, 1700000000);
}

Test (aws, slash_in_resource_names_is_decoded_from_file_names)
{
    s_file ("ap-south-1/ecr-describe-repositories.json",
            "{'repositories': [{'repositoryArn': "
            "'arn:aws:ecr:ap-south-1:123456789012:repository/team/app', 'registryId': "
            "'123456789012', 'repositoryName': 'team/app', 'imageTagMutability': 'MUTABLE'}]}");
    s_file ("ap-south-1/ecr-get-repository-policy/team%2Fapp.json",
            "{'registryId': '123456789012', 'repositoryName': 'team/app', 'policyText': "
            "'{\\'Version\\':\\'2012-10-17\\',\\'Statement\\':[{\\'Effect\\':\\'Allow\\',"
            "\\'Principal\\':\\'*\\',\\'Action\\':[\\'ecr:BatchGetImage\\']}]}'}");
    s_load (true);
    s_no_errors ();
    sw_val_t *repo = s_resource ("aws.ecr.repository", NULL);
    s_json_eq (sw_val_dig (s_item (repo, "Policy.Statement", 0), "Principal"), "{'AWS':['*']}");
}

Test (aws, only_customer_managed_policies_with_default_document)
{
    s_authorization_details (
        "", "",
        "{'PolicyName': 'ReadOnlyAccess', 'Arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess', "
        "'DefaultVersionId': 'v1', 'PolicyVersionList': []}, "
        "{'PolicyName': 'admin', 'PolicyId': 'ANPA1', 'Arn': "
        "'arn:aws:iam::123456789012:policy/admin', 'DefaultVersionId': 'v2', "
        "'AttachmentCount': 1, 'PolicyVersionList': ["
        "{'Document': '%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%"
        "22%2C%22Resource%22%3A%22%2A%22%7D%7D', 'VersionId': 'v2', 'IsDefaultVersion': true}, "
        "{'Document': {'Statement': []}, 'VersionId': 'v1', 'IsDefaultVersion': false}]}");
    s_load (true);
    s_no_errors ();
    cr_assert_eq (s_count ("aws.iam.policy"), 1);
    sw_val_t *p = s_resource ("aws.iam.policy", "arn:aws:iam::123456789012:policy/admin");
    s_json_eq (sw_val_get (p, "Document"),
               "{'Statement':[{'Effect':'Allow','Action':['*'],'Resource':['*']}]}");
}

Test (aws, role_trust_and_inline_policies_are_decoded)
{
    s_authorization_details (
        "",
        "{'Path': '/', 'RoleName': 'ec2', 'Arn': 'arn:aws:iam::123456789012:role/ec2', "
        "'AssumeRolePolicyDocument': '%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%"
        "5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws"
        ".com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D', "
        "'RolePolicyList': [{'PolicyName': 'inline', 'PolicyDocument': {'Statement': "
        "{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}}}]}",
        "");
    s_load (true);
    s_no_errors ();
    sw_val_t *role = s_resource ("aws.iam.role", "arn:aws:iam::123456789012:role/ec2");
    sw_val_t *trust = s_item (role, "AssumeRolePolicyDocument.Statement", 0);
    s_json_eq (sw_val_get (trust, "Principal"), "{'Service':['ec2.amazonaws.com']}");
    s_json_eq (sw_val_get (trust, "Action"), "['sts:AssumeRole']");
    sw_val_t *inline_policy = s_item (role, "RolePolicyList", 0);
    s_json_eq (sw_val_get (inline_policy, "PolicyDocument"),
               "{'Statement':[{'Effect':'Allow','Action':['s3:*'],'Resource':['*']}]}");
}

Test (aws, vpc_flow_logs_are_joined_by_resource_id)
{
    s_file ("us-east-1/ec2-describe-vpcs.json",
            "{'Vpcs': [{'VpcId': 'vpc-1'}, {'VpcId': 'vpc-2'}]}");
    s_file ("us-east-1/ec2-describe-flow-logs.json",
            "{'FlowLogs': [{'FlowLogId': 'fl-1', 'ResourceId': 'vpc-2', "
            "'FlowLogStatus': 'ACTIVE', 'TrafficType': 'ALL'}, {'FlowLogId': 'fl-2', "
            "'ResourceId': 'subnet-9'}]}");
    s_load (true);
    s_no_errors ();
    sw_val_t *v1 = s_resource ("aws.ec2.vpc", "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1");
    sw_val_t *v2 = s_resource ("aws.ec2.vpc", "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-2");
    s_json_eq (sw_val_get (v1, "FlowLogs"), "[]");
    cr_assert_str_eq (s_str (s_item (v2, "FlowLogs", 0), "FlowLogId"), "fl-1");
    cr_assert_eq (sw_val_count (sw_val_get (v2, "FlowLogs")), 1);
}

Test (aws, sqs_queue_is_named_by_url_and_identified_by_its_arn)
{
    s_file ("us-east-1/sqs-list-queues.json",
            "{'QueueUrls': ['https://sqs.us-east-1.amazonaws.com/123456789012/jobs', "
            "'https://sqs.us-east-1.amazonaws.com/123456789012/dead']}");
    s_file ("us-east-1/sqs-get-queue-attributes/jobs.json",
            "{'Attributes': {'QueueArn': 'arn:aws:sqs:us-east-1:123456789012:jobs', "
            "'SqsManagedSseEnabled': 'true', 'Policy': '{\\'Statement\\':[{\\'Effect\\':"
            "\\'Allow\\',\\'Principal\\':\\'*\\',\\'Action\\':\\'sqs:SendMessage\\'}]}'}}");
    s_load (true);
    s_no_errors ();
    sw_val_t *q = s_resource ("aws.sqs.queue", "arn:aws:sqs:us-east-1:123456789012:jobs");
    cr_assert_str_eq (s_str (q, "QueueUrl"),
                      "https://sqs.us-east-1.amazonaws.com/123456789012/jobs");
    s_json_eq (sw_val_dig (s_item (q, "Attributes.Policy.Statement", 0), "Principal"),
               "{'AWS':['*']}");
    s_resource ("aws.sqs.queue", "arn:aws:sqs:us-east-1:123456789012:dead");
}

Test (aws, sns_topic_attributes_are_joined_by_topic_name)
{
    s_file ("us-east-1/sns-list-topics.json",
            "{'Topics': [{'TopicArn': 'arn:aws:sns:us-east-1:123456789012:alerts'}]}");
    s_file ("us-east-1/sns-get-topic-attributes/alerts.json",
            "{'Attributes': {'TopicArn': 'arn:aws:sns:us-east-1:123456789012:alerts', "
            "'KmsMasterKeyId': 'alias/aws/sns', 'Policy': '{\\'Statement\\':{\\'Effect\\':"
            "\\'Allow\\',\\'Principal\\':{\\'AWS\\':\\'*\\'},\\'Action\\':\\'SNS:Publish\\'}}'}}");
    s_load (true);
    s_no_errors ();
    sw_val_t *t = s_resource ("aws.sns.topic", "arn:aws:sns:us-east-1:123456789012:alerts");
    cr_assert_str_eq (s_str (t, "Attributes.KmsMasterKeyId"), "alias/aws/sns");
    s_json_eq (sw_val_dig (s_item (t, "Attributes.Policy.Statement", 0), "Action"),
               "['SNS:Publish']");
}

Test (aws, opensearch_domain_comes_from_describe_domain)
{
    s_file ("us-east-1/opensearch-list-domain-names.json",
            "{'DomainNames': [{'DomainName': 'search', 'EngineType': 'OpenSearch'}]}");
    s_file ("us-east-1/opensearch-describe-domain/search.json",
            "{'DomainStatus': {'DomainId': '123456789012/search', 'DomainName': 'search', "
            "'ARN': 'arn:aws:es:us-east-1:123456789012:domain/search', "
            "'EncryptionAtRestOptions': {'Enabled': true}, 'AccessPolicies': "
            "'{\\'Version\\':\\'2012-10-17\\',\\'Statement\\':[{\\'Effect\\':\\'Allow\\',"
            "\\'Principal\\':{\\'AWS\\':\\'*\\'},\\'Action\\':\\'es:*\\',\\'Resource\\':"
            "\\'arn:aws:es:us-east-1:123456789012:domain/search/*\\'}]}'}}");
    s_load (true);
    s_no_errors ();
    sw_val_t *d =
        s_resource ("aws.opensearch.domain", "arn:aws:es:us-east-1:123456789012:domain/search");
    cr_assert_eq (sw_val_dig (d, "EncryptionAtRestOptions.Enabled")->b, true);
    s_json_eq (sw_val_dig (s_item (d, "AccessPolicies.Statement", 0), "Resource"),
               "['arn:aws:es:us-east-1:123456789012:domain/search/*']");
}

Test (aws, trail_joins_status_and_event_selectors)
{
    s_file ("us-east-1/cloudtrail-describe-trails.json",
            "{'trailList': [{'Name': 'main', 'S3BucketName': 'trail-logs', "
            "'IsMultiRegionTrail': true, 'HomeRegion': 'us-east-1', "
            "'TrailARN': 'arn:aws:cloudtrail:us-east-1:123456789012:trail/main', "
            "'LogFileValidationEnabled': true}]}");
    s_file ("us-east-1/cloudtrail-get-trail-status/main.json", "{'IsLogging': true}");
    s_file ("us-east-1/cloudtrail-get-event-selectors/main.json",
            "{'TrailARN': 'arn:aws:cloudtrail:us-east-1:123456789012:trail/main', "
            "'EventSelectors': [{'ReadWriteType': 'All', 'IncludeManagementEvents': true}]}");
    s_load (true);
    s_no_errors ();
    sw_val_t *t =
        s_resource ("aws.cloudtrail.trail", "arn:aws:cloudtrail:us-east-1:123456789012:trail/main");
    cr_assert_eq (sw_val_dig (t, "Status.IsLogging")->b, true);
    cr_assert_str_eq (s_str (s_item (t, "EventSelectors.EventSelectors", 0), "ReadWriteType"),
                      "All");
}

Test (aws, snapshot_joins_create_volume_permissions)
{
    s_file ("us-east-1/ec2-describe-snapshots.json",
            "{'Snapshots': [{'SnapshotId': 'snap-1', 'Encrypted': false, 'OwnerId': "
            "'123456789012', 'VolumeId': 'vol-1'}]}");
    s_file ("us-east-1/ec2-describe-snapshot-attribute/snap-1.json",
            "{'CreateVolumePermissions': [{'Group': 'all'}], 'SnapshotId': 'snap-1'}");
    s_load (true);
    s_no_errors ();
    sw_val_t *s =
        s_resource ("aws.ec2.snapshot", "arn:aws:ec2:us-east-1:123456789012:snapshot/snap-1");
    cr_assert_str_eq (s_str (s_item (s, "CreateVolumePermissions", 0), "Group"), "all");
}

Test (aws, load_balancers_of_both_generations)
{
    s_file ("us-east-1/elbv2-describe-load-balancers.json",
            "{'LoadBalancers': [{'LoadBalancerArn': "
            "'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/"
            "50dc6c495c0c9188', "
            "'LoadBalancerName': 'web', 'Scheme': 'internet-facing', 'Type': 'application'}]}");
    s_file ("us-east-1/elbv2-describe-listeners/web.json",
            "{'Listeners': [{'Port': 80, 'Protocol': 'HTTP'}]}");
    s_file ("us-east-1/elb-describe-load-balancers.json",
            "{'LoadBalancerDescriptions': [{'LoadBalancerName': 'classic', "
            "'ListenerDescriptions': [], 'Scheme': 'internet-facing'}]}");
    s_load (true);
    s_no_errors ();
    sw_val_t *lb = s_resource ("aws.elbv2.load_balancer", NULL);
    cr_assert_str_eq (s_str (s_item (lb, "Listeners", 0), "Protocol"), "HTTP");
    s_resource ("aws.elb.load_balancer",
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/classic");
}

Test (aws, remaining_regional_lists_make_their_resources)
{
    s_file ("us-east-1/ec2-describe-images.json",
            "{'Images': [{'ImageId': 'ami-1', 'Public': true, 'OwnerId': '123456789012'}]}");
    s_file ("us-east-1/ec2-describe-network-acls.json",
            "{'NetworkAcls': [{'NetworkAclId': 'acl-1', 'Entries': [], 'IsDefault': true}]}");
    s_file ("us-east-1/rds-describe-db-instances.json",
            "{'DBInstances': [{'DBInstanceIdentifier': 'db1', 'PubliclyAccessible': false, "
            "'DBInstanceArn': 'arn:aws:rds:us-east-1:123456789012:db:db1'}]}");
    s_file ("us-east-1/redshift-describe-clusters.json",
            "{'Clusters': [{'ClusterIdentifier': 'dw', 'Encrypted': true}]}");
    s_load (true);
    s_no_errors ();
    s_resource ("aws.ec2.image", "arn:aws:ec2:us-east-1:123456789012:image/ami-1");
    s_resource ("aws.ec2.network_acl", "arn:aws:ec2:us-east-1:123456789012:network-acl/acl-1");
    s_resource ("aws.rds.instance", "arn:aws:rds:us-east-1:123456789012:db:db1");
    s_resource ("aws.redshift.cluster", "arn:aws:redshift:us-east-1:123456789012:cluster:dw");
    cr_assert_eq (set->n, 5);
}

Test (aws, file_of_another_region_folder_is_an_error)
{
    s_file ("us-east-1/ec2-describe-vpcs.json", "{'Vpcs': [{'VpcId': 'vpc-1'}]}");
    s_file ("us-west-2/ec2-describe-vpcs.json", "{'Vpcs': [{'VpcId': 'vpc-2'}]}");
    s_load (true);
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].file, ROOT "us-west-2/ec2-describe-vpcs.json");
    cr_assert_eq (s_count ("aws.ec2.vpc"), 1);
}

Test (aws, sts_that_is_not_json_is_a_group_error)
{
    s_file ("sts-get-caller-identity.json", "{'Account': '123456789012'");
    s_file ("global/iam-get-account-summary.json", "{'SummaryMap': {}}");
    s_load (false);
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].file, ROOT "sts-get-caller-identity.json");
    cr_assert_eq (set->n, 0);
}

Test (aws, entry_listed_twice_is_an_error_and_loads_once)
{
    s_file ("us-east-1/ec2-describe-volumes.json",
            "{'Volumes': [{'VolumeId': 'vol-1', 'Size': 8}, {'VolumeId': 'vol-1', 'Size': 8}]}");
    s_load (true);
    cr_assert_eq (set->nerrors, 1);
    cr_assert_str_eq (set->errors[0].message, "vol-1 is listed twice");
    cr_assert_eq (s_count ("aws.ec2.volume"), 1);
}
