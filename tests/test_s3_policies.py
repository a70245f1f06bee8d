"""Bucket policies on the local endpoint: a Deny reads as S3's AccessDenied error document."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def test_denied_object_request_is_access_denied(cfg):
    s3 = cfg.client("s3")
    bucket = cfg.name("policy-deny")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="kept.txt", Body=b"kept")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"],
                       "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }))
    for call in (lambda: s3.get_object(Bucket=bucket, Key="kept.txt"),
                 lambda: s3.put_object(Bucket=bucket, Key="new.txt", Body=b"x")):
        with pytest.raises(ClientError) as denied:
            call()
        error = denied.value.response["Error"]
        assert (error["Code"], error["Message"]) == ("AccessDenied", "Access Denied")
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Nothing was written, nothing lost.
    s3.delete_bucket_policy(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="kept.txt")["Body"].read() == b"kept"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="new.txt")


def test_tls_only_policy_allows_the_kits_requests(cfg):
    from helpers.s3 import tls_only_policy

    s3 = cfg.client("s3")
    bucket = cfg.name("policy-tls")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only_policy(bucket)))
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"a")
    assert s3.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"a"
