#!/usr/bin/env python3
"""Generates a synthetic estate for the posture benchmark.

AWS snapshots (one folder per account, regions below it) in the layout of
docs/aws-snapshot.md, and Kubernetes manifests (multi-document YAML), with a
deterministic mix of good and bad settings so that rules fire.

Usage: gen_posture.py OUTDIR [--accounts N] [--regions N] [--per-region N]
                              [--k8s-objects N]
"""
import argparse
import base64
import json
import os
import random

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1",
           "ap-northeast-1", "sa-east-1", "ca-central-1"]


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=4)


def region_files(rng, account, region, n):
    """n resources split over instances, groups, volumes, snapshots, vpcs."""
    k = max(1, n // 5)
    groups, instances, volumes, snaps, vpcs = [], [], [], [], []
    for i in range(k):
        gid = f"sg-{account[-4:]}{i:06x}"
        open_world = rng.random() < 0.1
        groups.append({
            "GroupId": gid, "GroupName": "default" if i == 0 else f"g{i}",
            "OwnerId": account, "VpcId": f"vpc-{i % 50:04x}", "Description": "bench",
            "IpPermissions": [{
                "IpProtocol": "tcp", "FromPort": 22 if open_world else 443,
                "ToPort": 22 if open_world else 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0" if open_world else "10.0.0.0/8"}],
                "Ipv6Ranges": [], "UserIdGroupPairs": [], "PrefixListIds": []}],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        })
        instances.append({
            "InstanceId": f"i-{account[-4:]}{i:09x}", "InstanceType": "t3.micro",
            "ImageId": "ami-0abc", "State": {"Name": "running"},
            "MetadataOptions": {"HttpTokens": "required" if rng.random() < 0.7 else "optional",
                                "HttpEndpoint": "enabled"},
            "SecurityGroups": [{"GroupId": groups[rng.randrange(len(groups))]["GroupId"],
                                "GroupName": "g"}],
            "PrivateIpAddress": f"10.{i % 250}.{i // 250 % 250}.10",
        })
        volumes.append({"VolumeId": f"vol-{account[-4:]}{i:09x}", "Size": 8,
                        "Encrypted": rng.random() < 0.8, "State": "in-use",
                        "AvailabilityZone": region + "a"})
        snaps.append({"SnapshotId": f"snap-{account[-4:]}{i:09x}", "OwnerId": account,
                      "Encrypted": rng.random() < 0.8, "VolumeSize": 8,
                      "StartTime": "2025-06-01T00:00:00.000Z"})
        vpcs.append({"VpcId": f"vpc-{account[-4:]}{i:06x}", "CidrBlock": "10.0.0.0/16",
                     "IsDefault": i == 0, "OwnerId": account})
    d = f"{region}/"
    return {
        d + "ec2-describe-security-groups.json": {"SecurityGroups": groups},
        d + "ec2-describe-instances.json": {"Reservations": [
            {"ReservationId": f"r-{j}", "OwnerId": account, "Instances": instances[j:j + 10]}
            for j in range(0, len(instances), 10)]},
        d + "ec2-describe-volumes.json": {"Volumes": volumes},
        d + "ec2-describe-snapshots.json": {"Snapshots": snaps},
        d + "ec2-describe-vpcs.json": {"Vpcs": vpcs},
        d + "ec2-describe-flow-logs.json": {"FlowLogs": [
            {"FlowLogId": f"fl-{j}", "ResourceId": vpcs[j]["VpcId"]} for j in range(0, k, 2)]},
        d + "ec2-get-ebs-encryption-by-default.json": {"EbsEncryptionByDefault": False},
    }


def global_files(rng, account, n):
    users, buckets, files = [], [], {}
    rows = ["user,arn,user_creation_time,password_enabled,password_last_used,mfa_active,"
            "access_key_1_active,access_key_1_last_rotated,access_key_2_active"]
    rows.append(f"<root_account>,arn:aws:iam::{account}:root,2020-01-01T00:00:00+00:00,"
                "not_supported,2025-01-01T00:00:00+00:00,true,false,N/A,false")
    for i in range(n // 2):
        name = f"user{i}"
        users.append({"UserName": name, "UserId": f"AID{account}{i}",
                      "Arn": f"arn:aws:iam::{account}:user/{name}",
                      "CreateDate": "2024-01-01T00:00:00Z", "UserPolicyList": [],
                      "AttachedManagedPolicies": [], "GroupList": []})
        mfa = "true" if rng.random() < 0.8 else "false"
        rows.append(f"{name},arn:aws:iam::{account}:user/{name},2024-01-01T00:00:00+00:00,"
                    f"true,2025-12-01T00:00:00+00:00,{mfa},true,2024-02-01T00:00:00+00:00,false")
    for i in range(n - n // 2):
        b = f"bench-{account}-{i}"
        buckets.append({"Name": b, "CreationDate": "2024-01-01T00:00:00+00:00"})
        if rng.random() < 0.7:
            files[f"global/s3-get-bucket-encryption/{b}.json"] = {
                "ServerSideEncryptionConfiguration": {"Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}
        files[f"global/s3-get-bucket-versioning/{b}.json"] = (
            {"Status": "Enabled"} if rng.random() < 0.5 else {})
    report = base64.b64encode("\n".join(rows).encode()).decode()
    files["global/iam-get-account-authorization-details.json"] = {
        "UserDetailList": users, "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    files["global/iam-get-credential-report.json"] = {
        "Content": report, "ReportFormat": "text/csv",
        "GeneratedTime": "2026-01-01T00:00:00+00:00"}
    files["global/iam-get-account-summary.json"] = {"SummaryMap": {"AccountMFAEnabled": 1}}
    files["global/s3-list-buckets.json"] = {"Buckets": buckets,
                                            "Owner": {"ID": "abc"}}
    return files


def k8s(rng, outdir, total):
    per_file, per_dir = 100, 1000
    for start in range(0, total, per_file):
        folder = os.path.join(outdir, "k8s", f"ns{start // per_dir:03d}")
        os.makedirs(folder, exist_ok=True)
        docs = []
        for i in range(start, min(start + per_file, total)):
            priv = "true" if rng.random() < 0.05 else "false"
            if i % 4 == 3:
                docs.append(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n"
                            f"  namespace: ns{start // per_dir}\nspec:\n  type: ClusterIP\n"
                            f"  selector:\n    app: a{i - 1}\n  ports:\n  - port: 80\n")
                continue
            docs.append(
                f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{i}\n"
                f"  namespace: ns{start // per_dir}\nspec:\n  replicas: 2\n  selector:\n"
                f"    matchLabels:\n      app: a{i}\n  template:\n    metadata:\n"
                f"      labels:\n        app: a{i}\n    spec:\n      containers:\n"
                f"      - name: app\n        image: registry.example/app:1.{i % 9}\n"
                f"        securityContext:\n          privileged: {priv}\n"
                f"          runAsNonRoot: true\n          allowPrivilegeEscalation: false\n"
                f"        resources:\n          limits:\n            cpu: 500m\n"
                f"            memory: 256Mi\n")
        with open(os.path.join(folder, f"objects{start:06d}.yaml"), "w") as f:
            f.write("---\n".join(docs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--regions", type=int, default=4)
    ap.add_argument("--per-region", type=int, default=1150)
    ap.add_argument("--global", dest="per_global", type=int, default=400)
    ap.add_argument("--k8s-objects", type=int, default=50000)
    a = ap.parse_args()
    rng = random.Random(42)
    for n in range(a.accounts):
        account = f"{100000000000 + n * 7919:012d}"
        root = os.path.join(a.outdir, "aws", account)
        write(os.path.join(root, "sts-get-caller-identity.json"),
              {"UserId": "AIDBENCH", "Account": account, "Arn": f"arn:aws:iam::{account}:user/b"})
        write(os.path.join(root, "snapshot.json"), {"collected_at": "2026-01-01T00:00:00Z"})
        files = global_files(rng, account, a.per_global)
        for region in REGIONS[:a.regions]:
            files.update(region_files(rng, account, region, a.per_region))
        for rel, obj in files.items():
            write(os.path.join(root, rel), obj)
    k8s(rng, a.outdir, a.k8s_objects)


if __name__ == "__main__":
    main()
