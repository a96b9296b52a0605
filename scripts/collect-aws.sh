#!/usr/bin/env bash
# Collects a read-only AWS inventory snapshot of one account in the layout
# of docs/aws-snapshot.md, with the AWS CLI. `collect-aws.sh --help` prints
# the usage and every call it makes: describe/get/list calls only, plus
# `iam generate-credential-report`, which only asks IAM to build the report.
# A call that fails (NoSuchEntity, AccessDenied, a service not enabled in a
# region, ...) logs one warning line and leaves its file absent.
set -euo pipefail

prog=$(basename "$0")
profile=""
regions_arg=""
outdir=""
listing=0        # 1 while --help lists the calls instead of making them
account="<account>"
errlog=""
aws_opts=()

usage() {
  cat <<EOF
Usage: $prog [-p PROFILE] [-r REGION,...] -o OUTDIR

Writes a snapshot of the account that PROFILE (or the default credentials)
reaches into OUTDIR, which must not exist yet or be empty: one JSON file per
AWS CLI call, as docs/aws-snapshot.md describes.

  -p PROFILE     AWS CLI profile to use
  -r REGIONS     comma-separated regions (default: every region enabled for
                 the account, from ec2 describe-regions; AWS_REGION alone if
                 that call fails)
  -o OUTDIR      snapshot folder to create
  -h, --help     this help

Calls made, all read-only (<region> is each region; a call under a list of
names is made once per name):
EOF
}

warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

# one_line TEXT: TEXT with its line breaks and runs of blanks made one space.
one_line() {
  local text
  text=$(tr -s '[:space:]' ' ' <<<"$1")
  text=${text# }
  printf '%s' "${text% }"
}

# words TEXT: the words of TEXT, one a line, without the CLI's "None".
words() {
  tr -s '[:space:]' '\n' <<<"$1" | grep -vx -e '' -e None || true
}

aws_run() {
  aws ${aws_opts[@]+"${aws_opts[@]}"} "$@" </dev/null
}

# call REGION FILE AWS-ARGS...: writes `aws AWS-ARGS --output json` to
# OUTDIR/FILE, or warns and leaves the file absent when the call fails.
call() {
  local region=$1 file=$2 err
  shift 2
  if [ "$listing" -eq 1 ]; then
    printf '  aws %s\n      -> %s\n' "$*" "$file" >&3
    return 0
  fi
  mkdir -p "$(dirname "$outdir/$file")"
  if err=$(aws_run --region "$region" "$@" --output json 2>&1 >"$outdir/$file.part"); then
    mv -f "$outdir/$file.part" "$outdir/$file"
  else
    rm -f "$outdir/$file.part"
    rmdir "$(dirname "$outdir/$file")" 2>/dev/null || true
    warn "$region: aws $*: $(one_line "$err")"
  fi
}

# names REGION FILE PLACEHOLDER AWS-ARGS...: the words that `aws AWS-ARGS
# --output text` prints (AWS-ARGS repeats the list call that wrote FILE, with
# a --query picking names), one a line; none when FILE is absent (the list
# call failed). Listing, prints the words of PLACEHOLDER instead.
names() {
  local region=$1 file=$2 placeholder=$3 out
  shift 3
  if [ "$listing" -eq 1 ]; then
    printf '  aws %s --output text\n      -> names for the calls below\n' "$*" >&3
    tr ' ' '\n' <<<"$placeholder"
    return 0
  fi
  [ -f "$outdir/$file" ] || return 0
  if ! out=$(aws_run --region "$region" "$@" --output text 2>"$errlog"); then
    warn "$region: aws $*: $(one_line "$(cat "$errlog")")"
    return 0
  fi
  words "$out"
}

# sub FOLDER NAME: the file of resource NAME in FOLDER ('/' written %2F).
sub() {
  printf '%s/%s.json' "$1" "${2//\//%2F}"
}

# Asks IAM to build the credential report and waits (20 s at most) until it
# is complete; then gets it.
credential_report() {
  local region=$1 state="" tries=0
  if [ "$listing" -eq 1 ]; then
    printf '  aws iam generate-credential-report --query State --output text\n' >&3
    printf '      -> nothing kept: starts building the report, repeated until COMPLETE\n' >&3
  else
    while [ "$tries" -lt 10 ] && [ "$state" != COMPLETE ]; do
      [ "$tries" -eq 0 ] || sleep 2
      if ! state=$(aws_run --region "$region" iam generate-credential-report --query State \
        --output text 2>"$errlog"); then
        warn "$region: aws iam generate-credential-report: $(one_line "$(cat "$errlog")")"
        break
      fi
      tries=$((tries + 1))
    done
  fi
  call "$region" global/iam-get-credential-report.json iam get-credential-report
}

collect_global() {
  local r=$1 g=global user bucket op
  call "$r" $g/iam-get-account-authorization-details.json iam get-account-authorization-details
  call "$r" $g/iam-get-account-password-policy.json iam get-account-password-policy
  call "$r" $g/iam-get-account-summary.json iam get-account-summary
  credential_report "$r"
  while read -r user; do
    call "$r" "$(sub $g/iam-list-access-keys "$user")" iam list-access-keys --user-name "$user"
    call "$r" "$(sub $g/iam-list-mfa-devices "$user")" iam list-mfa-devices --user-name "$user"
  done < <(names "$r" $g/iam-get-account-authorization-details.json '<user>' \
    iam get-account-authorization-details --filter User --query 'UserDetailList[].UserName')
  call "$r" $g/s3-list-buckets.json s3api list-buckets
  while read -r bucket; do
    for op in get-bucket-acl get-bucket-policy get-bucket-policy-status get-bucket-encryption \
      get-bucket-versioning get-bucket-logging get-public-access-block get-bucket-location; do
      call "$r" "$(sub "$g/s3-$op" "$bucket")" s3api "$op" --bucket "$bucket"
    done
  done < <(names "$r" $g/s3-list-buckets.json '<bucket>' \
    s3api list-buckets --query 'Buckets[].Name')
  call "$r" $g/s3control-get-public-access-block.json \
    s3control get-public-access-block --account-id "$account"
}

collect_ec2() {
  local r=$1 id
  call "$r" "$r/ec2-describe-instances.json" ec2 describe-instances
  call "$r" "$r/ec2-describe-security-groups.json" ec2 describe-security-groups
  call "$r" "$r/ec2-describe-volumes.json" ec2 describe-volumes
  call "$r" "$r/ec2-describe-snapshots.json" ec2 describe-snapshots --owner-ids self
  while read -r id; do
    call "$r" "$(sub "$r/ec2-describe-snapshot-attribute" "$id")" \
      ec2 describe-snapshot-attribute --snapshot-id "$id" --attribute createVolumePermission
  done < <(names "$r" "$r/ec2-describe-snapshots.json" '<snapshot-id>' \
    ec2 describe-snapshots --owner-ids self --query 'Snapshots[].SnapshotId')
  call "$r" "$r/ec2-describe-images.json" ec2 describe-images --owners self
  call "$r" "$r/ec2-describe-vpcs.json" ec2 describe-vpcs
  call "$r" "$r/ec2-describe-flow-logs.json" ec2 describe-flow-logs
  call "$r" "$r/ec2-describe-network-acls.json" ec2 describe-network-acls
  call "$r" "$r/ec2-get-ebs-encryption-by-default.json" ec2 get-ebs-encryption-by-default
}

collect_logging() {
  local r=$1 name arn id
  call "$r" "$r/cloudtrail-describe-trails.json" cloudtrail describe-trails
  while read -r name && read -r arn; do
    call "$r" "$(sub "$r/cloudtrail-get-trail-status" "$name")" \
      cloudtrail get-trail-status --name "$arn"
    call "$r" "$(sub "$r/cloudtrail-get-event-selectors" "$name")" \
      cloudtrail get-event-selectors --trail-name "$arn"
  done < <(names "$r" "$r/cloudtrail-describe-trails.json" '<trail-name> <trail-arn>' \
    cloudtrail describe-trails --query 'trailList[].[Name,TrailARN]')
  call "$r" "$r/guardduty-list-detectors.json" guardduty list-detectors
  while read -r id; do
    call "$r" "$(sub "$r/guardduty-get-detector" "$id")" guardduty get-detector --detector-id "$id"
  done < <(names "$r" "$r/guardduty-list-detectors.json" '<detector-id>' \
    guardduty list-detectors --query 'DetectorIds[]')
  call "$r" "$r/configservice-describe-configuration-recorders.json" \
    configservice describe-configuration-recorders
  call "$r" "$r/configservice-describe-configuration-recorder-status.json" \
    configservice describe-configuration-recorder-status
}

collect_data() {
  local r=$1 id name
  call "$r" "$r/kms-list-keys.json" kms list-keys
  while read -r id; do
    call "$r" "$(sub "$r/kms-describe-key" "$id")" kms describe-key --key-id "$id"
    call "$r" "$(sub "$r/kms-get-key-rotation-status" "$id")" \
      kms get-key-rotation-status --key-id "$id"
    call "$r" "$(sub "$r/kms-get-key-policy" "$id")" \
      kms get-key-policy --key-id "$id" --policy-name default
  done < <(names "$r" "$r/kms-list-keys.json" '<key-id>' \
    kms list-keys --query 'Keys[].KeyId')
  call "$r" "$r/rds-describe-db-instances.json" rds describe-db-instances
  call "$r" "$r/redshift-describe-clusters.json" redshift describe-clusters
  call "$r" "$r/opensearch-list-domain-names.json" opensearch list-domain-names
  while read -r name; do
    call "$r" "$(sub "$r/opensearch-describe-domain" "$name")" \
      opensearch describe-domain --domain-name "$name"
  done < <(names "$r" "$r/opensearch-list-domain-names.json" '<domain-name>' \
    opensearch list-domain-names --query 'DomainNames[].DomainName')
}

collect_apps() {
  local r=$1 name arn url
  call "$r" "$r/lambda-list-functions.json" lambda list-functions
  while read -r name; do
    call "$r" "$(sub "$r/lambda-get-policy" "$name")" lambda get-policy --function-name "$name"
  done < <(names "$r" "$r/lambda-list-functions.json" '<function-name>' \
    lambda list-functions --query 'Functions[].FunctionName')
  call "$r" "$r/sns-list-topics.json" sns list-topics
  while read -r arn; do
    call "$r" "$(sub "$r/sns-get-topic-attributes" "${arn##*:}")" \
      sns get-topic-attributes --topic-arn "$arn"
  done < <(names "$r" "$r/sns-list-topics.json" 'arn:aws:sns:<region>:<account>:<topic-name>' \
    sns list-topics --query 'Topics[].TopicArn')
  call "$r" "$r/sqs-list-queues.json" sqs list-queues
  while read -r url; do
    call "$r" "$(sub "$r/sqs-get-queue-attributes" "${url##*/}")" \
      sqs get-queue-attributes --queue-url "$url" --attribute-names All
  done < <(names "$r" "$r/sqs-list-queues.json" \
    'https://sqs.<region>.amazonaws.com/<account>/<queue-name>' \
    sqs list-queues --query 'QueueUrls[]')
  call "$r" "$r/ecr-describe-repositories.json" ecr describe-repositories
  while read -r name; do
    call "$r" "$(sub "$r/ecr-get-repository-policy" "$name")" \
      ecr get-repository-policy --repository-name "$name"
  done < <(names "$r" "$r/ecr-describe-repositories.json" '<repository-name>' \
    ecr describe-repositories --query 'repositories[].repositoryName')
  call "$r" "$r/elbv2-describe-load-balancers.json" elbv2 describe-load-balancers
  while read -r name && read -r arn; do
    call "$r" "$(sub "$r/elbv2-describe-listeners" "$name")" \
      elbv2 describe-listeners --load-balancer-arn "$arn"
  done < <(names "$r" "$r/elbv2-describe-load-balancers.json" \
    '<load-balancer-name> <load-balancer-arn>' \
    elbv2 describe-load-balancers --query 'LoadBalancers[].[LoadBalancerName,LoadBalancerArn]')
  call "$r" "$r/elb-describe-load-balancers.json" elb describe-load-balancers
}

collect_region() {
  collect_ec2 "$1"
  collect_logging "$1"
  collect_data "$1"
  collect_apps "$1"
}

# Lists every call, as --help shows them.
list_calls() {
  listing=1
  exec 3>&1
  printf 'account (into OUTDIR):\n'
  printf '  aws sts get-caller-identity\n      -> sts-get-caller-identity.json\n'
  printf '  aws sts get-caller-identity --query Account --output text\n'
  printf '      -> the account id for the s3control call\n'
  printf '  (no call) -> snapshot.json: {"collected_at": <UTC time the run started>}\n'
  printf '  aws ec2 describe-regions --query Regions[].RegionName --output text\n'
  printf '      -> the regions, when -r is not given\n'
  printf '\naccount-wide services (in the first region):\n'
  collect_global '<region>'
  printf '\neach region:\n'
  collect_region '<region>'
}

# The regions to collect, one a line.
regions() {
  local home=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}} out
  if [ -n "$regions_arg" ]; then
    tr ',' '\n' <<<"$regions_arg" | grep -v '^$' || true
  elif out=$(aws_run --region "$home" ec2 describe-regions --query 'Regions[].RegionName' \
    --output text 2>"$errlog"); then
    words "$out"
  elif [ -n "${AWS_REGION:-}" ]; then
    warn "aws ec2 describe-regions: $(one_line "$(cat "$errlog")"); collecting $AWS_REGION only"
    printf '%s\n' "$AWS_REGION"
  else
    die "aws ec2 describe-regions: $(one_line "$(cat "$errlog")"); give the regions with -r"
  fi
}

main() {
  for arg in "$@"; do
    if [ "$arg" = --help ]; then
      usage
      list_calls
      exit 0
    fi
  done
  while getopts 'p:r:o:h' opt; do
    case $opt in
      p) profile=$OPTARG ;;
      r) regions_arg=$OPTARG ;;
      o) outdir=$OPTARG ;;
      h) usage; list_calls; exit 0 ;;
      *) usage >&2; exit 2 ;;
    esac
  done
  shift $((OPTIND - 1))
  [ $# -eq 0 ] || die "unexpected argument '$1' (see --help)"
  [ -n "$outdir" ] || die "-o OUTDIR is required (see --help)"
  command -v aws >/dev/null || die "the AWS CLI (aws) is not installed"
  if [ -e "$outdir" ] && [ -n "$(ls -A "$outdir" 2>/dev/null || echo x)" ]; then
    die "$outdir already exists and is not empty"
  fi
  [ -z "$profile" ] || aws_opts=(--profile "$profile")
  export AWS_PAGER=""
  errlog=$(mktemp)
  trap 'rm -f "$errlog"' EXIT

  local regions_list=() region started text
  text=$(regions)
  mapfile -t regions_list <<<"$text"
  [ -n "$text" ] || die "no regions to collect"
  for region in "${regions_list[@]}"; do
    [[ $region =~ ^[a-z0-9-]+$ ]] || die "'$region' is not a region name"
  done
  umask 022
  mkdir -p "$outdir"
  started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  call "${regions_list[0]}" sts-get-caller-identity.json sts get-caller-identity
  [ -f "$outdir/sts-get-caller-identity.json" ] || die "aws sts get-caller-identity failed"
  account=$(aws_run --region "${regions_list[0]}" sts get-caller-identity --query Account \
    --output text)
  printf '{"collected_at": "%s"}\n' "$started" >"$outdir/snapshot.json"

  printf '%s: account %s: global\n' "$prog" "$account" >&2
  collect_global "${regions_list[0]}"
  for region in "${regions_list[@]}"; do
    printf '%s: account %s: %s\n' "$prog" "$account" "$region" >&2
    collect_region "$region"
  done
  printf '%s: snapshot written to %s\n' "$prog" "$outdir" >&2
}

main "$@"
