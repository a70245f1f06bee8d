"""helpers.s3, helpers.iam and helpers.glue against the session's local endpoint, with AWS-shaped parameters."""

from __future__ import annotations

import json

import boto3
import pytest

from helpers import glue as glue_helpers
from helpers import iam as iam_helpers
from helpers import s3 as s3_helpers
from helpers.errors import KitError





def test_ensure_bucket_creates_a_safe_tagged_bucket_idempotently(cfg, capsys):
    name = s3_helpers.data_bucket_name(cfg.prefix, "123456789012", cfg.region)
    assert name == f"{cfg.prefix}-data-123456789012-us-east-1"
    assert s3_helpers.ensure_bucket(name, cfg.region, tags=cfg.tags) == f"s3://{name}"
    assert s3_helpers.ensure_bucket(name, cfg.region, tags={"extra": "yes"}) == f"s3://{name}"
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"Created s3://{name}") and out[1].startswith(f"Bucket already exists: s3://{name}")
    s3 = boto3.client("s3")
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert s3_helpers.bucket_tags(name) == {**cfg.tags, "extra": "yes"}


def test_ensure_bucket_outside_us_east_1_sets_the_location(cfg):
    s3 = boto3.client("s3", region_name="eu-west-1")
    name = f"{cfg.prefix}-eu-bucket"
    s3_helpers.ensure_bucket(name, "eu-west-1", s3=s3, verbose=False)
    s3_helpers.ensure_bucket(name, "eu-west-1", s3=s3, verbose=False)  # BucketAlreadyOwnedByYou is fine
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"


@pytest.mark.parametrize("name", ["UPPER", "a", "under_score", "ends-", "192.168.1.1", "a..b"])
def test_invalid_bucket_names_are_refused(name):
    with pytest.raises(KitError, match="is not a valid bucket name"):
        s3_helpers.ensure_bucket(name, "us-east-1")


def test_the_glue_role_is_least_privilege_and_idempotent(cfg):
    stream_arn = f"arn:aws:kinesis:us-east-1:123456789012:stream/{cfg.name('sensor-stream')}"
    policy = iam_helpers.glue_job_policy(stream_arn, "the-bucket", "the_db", "123456789012", "us-east-1")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReadTheStream"]["Resource"] == stream_arn
    assert all(r.startswith("arn:aws:s3:::the-bucket/") for r in statements["WriteOutputs"]["Resource"])
    assert "arn:aws:glue:us-east-1:123456789012:database/the_db" in statements["UseTheCatalogDatabase"]["Resource"]
    assert not any(s.get("Resource") == "*" and s.get("Condition") is None for s in policy["Statement"])
    name = cfg.name("glue-role")
    arn = iam_helpers.ensure_role(name, iam_helpers.GLUE_TRUST_POLICY, policy, tags=cfg.tags, verbose=False)
    assert arn == iam_helpers.ensure_role(name, iam_helpers.GLUE_TRUST_POLICY, policy, tags=cfg.tags, verbose=False)
    iam = boto3.client("iam")
    stored = iam.get_role_policy(RoleName=name, PolicyName=f"{name}-access")["PolicyDocument"]
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert stored == policy
    role = iam.get_role(RoleName=name)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}
    assert {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]} == cfg.tags


def _deploy(cfg, script: str) -> str:
    bucket = f"{cfg.prefix}-jobs"
    s3_helpers.ensure_bucket(bucket, cfg.region, verbose=False)
    boto3.client("s3").put_object(Bucket=bucket, Key="scripts/job.py", Body=script.encode())
    return f"s3://{bucket}/scripts/job.py"


def test_ensure_streaming_job_creates_then_updates_the_definition(cfg, capsys):
    uri = _deploy(cfg, "print('hi')\n")
    name = cfg.name("etl")
    job = glue_helpers.ensure_streaming_job(name, "arn:aws:iam::123456789012:role/r", uri, {"--window_size": "10 seconds"},
                                            tags=cfg.tags)
    assert job["Command"] == {"Name": "gluestreaming", "ScriptLocation": uri, "PythonVersion": "3"}
    assert job["Timeout"] == 60 and job["DefaultArguments"] == {"--window_size": "10 seconds"}
    job = glue_helpers.ensure_streaming_job(name, "arn:aws:iam::123456789012:role/r", uri, workers=3, timeout_minutes=30)
    assert (job["NumberOfWorkers"], job["Timeout"]) == (3, 30)
    assert capsys.readouterr().out.splitlines()[1].startswith(f"Updated job {name}")
    with pytest.raises(KitError, match="timeout_minutes=0 is not valid"):
        glue_helpers.ensure_streaming_job(name, "r", uri, timeout_minutes=0)


LOOP = ("import signal, time\nstop = []\nsignal.signal(signal.SIGTERM, lambda *a: stop.append(1))\n"
        "print('batch 0 done', flush=True)\nwhile not stop:\n    time.sleep(0.1)\nprint('checkpointed', flush=True)\n")


def test_run_wait_stop_and_read_the_log(cfg):
    name = cfg.name("runner")
    glue_helpers.ensure_streaming_job(name, "arn:aws:iam::123456789012:role/r", _deploy(cfg, LOOP), verbose=False)
    run_id = glue_helpers.start_run(name)
    assert glue_helpers.start_run(name) == run_id  # already running: the same run, not an error
    glue_helpers.wait_for_run(name, run_id, ("RUNNING",), timeout=120, poll=0.2)
    import time

    deadline = time.monotonic() + 60
    while "batch 0 done" not in glue_helpers.run_log(run_id):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    run = glue_helpers.stop_run(name, run_id)
    assert run["JobRunState"] == "STOPPED"
    assert glue_helpers.run_log(run_id)[-1] == "checkpointed"
    assert glue_helpers.stop_run(name, run_id)["JobRunState"] == "STOPPED"  # stopping twice is fine
    assert glue_helpers.active_runs(name) == []


def test_a_failed_run_is_reported_with_its_error(cfg):
    name = cfg.name("failing")
    glue_helpers.ensure_streaming_job(name, "r", _deploy(cfg, "raise RuntimeError('no stream named x')\n"), verbose=False)
    run_id = glue_helpers.start_run(name)
    with pytest.raises(KitError, match="ended FAILED: RuntimeError: no stream named x"):
        glue_helpers.wait_for_run(name, run_id, ("SUCCEEDED",), timeout=120, poll=0.2)
    assert glue_helpers.run_log("jr_unknown") == []


def test_starting_a_missing_job_is_one_sentence(cfg):
    with pytest.raises(KitError, match="does not exist; create it with ensure_streaming_job"):
        glue_helpers.start_run(cfg.name("absent"))


def test_bucket_policies_deny_what_they_deny_and_nothing_more(cfg):
    """The endpoint evaluates a conditional Deny as AWS does (moto alone denies every request)."""
    name = f"{cfg.prefix}-policy"
    s3_helpers.ensure_bucket(name, cfg.region, verbose=False)  # TLS-only: HTTPS-equivalent loopback passes
    s3 = boto3.client("s3")
    s3.put_object(Bucket=name, Key="public/ok.txt", Body=b"ok")
    deny_private = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/private/*"}]}
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(deny_private))
    s3.put_object(Bucket=name, Key="public/still-ok.txt", Body=b"ok")
    with pytest.raises(s3.exceptions.ClientError) as caught:
        s3.put_object(Bucket=name, Key="private/secret.txt", Body=b"no")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
