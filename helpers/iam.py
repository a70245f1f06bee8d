"""IAM: the Glue job's service role, with a least-privilege inline policy.

The role may read exactly one stream, use a few prefixes of one bucket, change
one catalog database and write Glue's own log groups -- nothing else.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .config import RETRY_CONFIG

GLUE_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def glue_job_policy(stream_arn: str, bucket: str, database: str, account: str, region: str,
                    write_prefixes: tuple[str, ...] = ("curated/", "quarantine/", "metrics/", "checkpoints/", "tmp/"),
                    read_prefixes: tuple[str, ...] = ("scripts/",)) -> dict[str, Any]:
    """The permissions the streaming job needs, scoped to its own resources."""
    catalog = f"arn:aws:glue:{region}:{account}"
    prefixes = list(read_prefixes + write_prefixes)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadTheStream", "Effect": "Allow",
             "Action": ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                        "kinesis:GetShardIterator", "kinesis:ListShards"],
             "Resource": stream_arn},
            {"Sid": "ListTheBucketPrefixes", "Effect": "Allow", "Action": "s3:ListBucket",
             "Resource": f"arn:aws:s3:::{bucket}",
             "Condition": {"StringLike": {"s3:prefix": [p + "*" for p in prefixes]}}},
            {"Sid": "ReadScripts", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": [f"arn:aws:s3:::{bucket}/{p}*" for p in read_prefixes]},
            {"Sid": "WriteOutputs", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": [f"arn:aws:s3:::{bucket}/{p}*" for p in write_prefixes]},
            {"Sid": "UseTheCatalogDatabase", "Effect": "Allow",
             "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions",
                        "glue:CreateTable", "glue:UpdateTable", "glue:BatchCreatePartition", "glue:CreatePartition",
                        "glue:UpdatePartition"],
             "Resource": [f"{catalog}:catalog", f"{catalog}:database/{database}", f"{catalog}:table/{database}/*"]},
            {"Sid": "WriteGlueLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"arn:aws:logs:{region}:{account}:log-group:/aws-glue/*"},
            {"Sid": "PublishJobMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
             "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}}},
        ],
    }


def ensure_role(name: str, trust_policy: dict[str, Any], inline_policy: dict[str, Any], tags: dict[str, str] | None = None,
                iam=None, verbose: bool = True) -> str:
    """Create the role unless it exists; (re)apply its inline policy and tags; return its ARN. Idempotent."""
    iam = iam or boto3.client("iam", config=RETRY_CONFIG)
    created = False
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust_policy))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy),
                              Description="Data Stream Cloud Analytics: Glue streaming job",
                              Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])["Role"]["Arn"]
        created = True
        iam.get_waiter("role_exists").wait(RoleName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 30})
    iam.put_role_policy(RoleName=name, PolicyName=f"{name}-access", PolicyDocument=json.dumps(inline_policy))
    if tags and not created:
        iam.tag_role(RoleName=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    if verbose:
        print(f"{'Created' if created else 'Role already exists:'} {name} (inline policy {name}-access)")
    return arn
