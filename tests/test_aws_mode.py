"""Target ``aws`` end to end, without AWS: every code path that only runs with DSCA_TARGET=aws, against the local endpoint.

``helpers.setup()`` on target aws refuses ``AWS_ENDPOINT_URL`` pointing at this machine (a learner who
forgot to restart the kernel). The tests reach the local endpoint anyway through botocore's
*service-specific* endpoint variables (``AWS_ENDPOINT_URL_STS``, ``..._KINESIS``, ...), which real AWS
set-ups do not use, with credentials that are neither real nor the local endpoint's dummy ones. So the
code under test is exactly the AWS path: the standard credential chain, STS for the account, the cost
guard asking for confirmation, and every request validated by botocore against AWS's service models.
A ``before-send`` hook fails the test if any request would leave the machine.

What cannot reach the endpoint (expired credentials, a missing QuickSight subscription) is simulated with
botocore's Stubber, which validates the parameters too.
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import time
import urllib.parse
from pathlib import Path
from typing import ClassVar

import boto3
import botocore.session
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

import helpers
from helpers import athena, catalog, costs, glue, iam, kinesis
from helpers import config as config_module
from helpers import quicksight as qs
from helpers import s3 as s3h
from helpers.config import LOCAL_ACCESS_KEY, PROJECT_TAG
from helpers.errors import KitError

ROOT = Path(__file__).resolve().parent.parent
LEARNER_POLICY = json.loads((ROOT / "docs" / "learner-iam-policy.json").read_text())
SERVICES = ("STS", "S3", "KINESIS", "GLUE", "IAM", "ATHENA", "QUICKSIGHT", "CLOUDWATCH_LOGS",
            "RESOURCE_GROUPS_TAGGING_API")
FAKE_KEY, FAKE_SECRET = "TESTKEYNOTREALDSCA01", "test-secret-not-a-real-key"  # not AWS-shaped, not the local dummy
_prefixes = iter(range(1_000_000))


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No AWS set-up at all: no variables, empty config files, no instance metadata; restored afterwards."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.startswith("DSCA_") and name != "DSCA_ENDPOINT_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "us-east-1")  # set here so that what setup() writes is undone after the test
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("DSCA_TARGET", "aws")
    monkeypatch.setenv("DSCA_PREFIX", f"dsca-aws{next(_prefixes)}")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", boto3.DEFAULT_SESSION)  # setup() replaces it: put it back after
    monkeypatch.setattr(costs, "_confirmed", set())
    return tmp_path


@pytest.fixture
def aws_env(clean_env, monkeypatch, endpoint_url):
    """Target aws with fake credentials, every service's requests routed to the local endpoint."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    for service in SERVICES:
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", endpoint_url)
    return endpoint_url


class Recorder:
    """Every operation the helpers call (as an IAM action), and a check that no request leaves the machine."""

    IAM_NAMES: ClassVar[dict[str, str]] = {  # operation -> IAM action, where they differ
        "s3:HeadBucket": "s3:ListBucket", "s3:ListObjectsV2": "s3:ListBucket", "s3:ListObjects": "s3:ListBucket",
        "s3:HeadObject": "s3:GetObject", "s3:DeleteObjects": "s3:DeleteObject",
        "s3:ListObjectVersions": "s3:ListBucketVersions", "s3:ListBuckets": "s3:ListAllMyBuckets",
        "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
        "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
        "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
        "s3:CreateMultipartUpload": "s3:PutObject", "s3:UploadPart": "s3:PutObject",
        "s3:CompleteMultipartUpload": "s3:PutObject", "s3:ListMultipartUploads": "s3:ListBucketMultipartUploads",
        "s3:ListParts": "s3:ListMultipartUploadParts",
    }
    PREFIXES: ClassVar[dict[str, str]] = {"tagging": "tag"}

    def __init__(self, session: boto3.Session):
        self.actions: list[str] = []
        self.hosts: set[str] = set()
        session.events.register("before-call", self.call)
        session.events.register("before-send", self.send)

    def call(self, model, **kwargs):
        prefix = model.service_model.endpoint_prefix
        action = f"{self.PREFIXES.get(prefix, prefix)}:{model.name}"
        self.actions.append(self.IAM_NAMES.get(action, action))

    def send(self, request, **kwargs):
        host = urllib.parse.urlparse(request.url).hostname
        self.hosts.add(host)
        assert host in ("127.0.0.1", "localhost"), f"a request to {request.url} would have left the machine"


def allowed_by_learner_policy(action: str) -> bool:
    for statement in LEARNER_POLICY["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions):
            return True
    return False


# --- setup() on target aws --------------------------------------------------------------------------------------


def test_setup_on_aws_uses_the_credential_chain_and_asks_sts_for_the_account(aws_env, capsys):
    cfg = helpers.setup()
    assert (cfg.target, cfg.region, cfg.endpoint_url, cfg.account) == ("aws", "us-east-1", None, "123456789012")
    assert cfg.tags == {"project": PROJECT_TAG, "prefix": cfg.prefix}
    assert capsys.readouterr().out.strip() == (f"target=aws  region=us-east-1  endpoint=AWS (default endpoints)  "
                                               f"prefix={cfg.prefix}  account=123456789012")
    assert cfg.account_id() == "123456789012"  # known from setup(): no second STS call
    assert "AWS_ENDPOINT_URL" not in os.environ and os.environ["AWS_ACCESS_KEY_ID"] == FAKE_KEY
    assert boto3.DEFAULT_SESSION.region_name == "us-east-1"


def test_setup_on_aws_takes_the_region_from_the_environment(aws_env, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    cfg = helpers.setup(quiet=True)
    assert cfg.region == "eu-west-1" and boto3.DEFAULT_SESSION.region_name == "eu-west-1"
    assert cfg.client("kinesis").meta.region_name == "eu-west-1"


def test_setup_on_aws_takes_credentials_from_a_profile(aws_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[learner]\naws_access_key_id = {FAKE_KEY}\naws_secret_access_key = {FAKE_SECRET}\n")
    monkeypatch.setenv("AWS_PROFILE", "learner")
    assert helpers.setup(quiet=True).account == "123456789012"


def test_no_credentials_is_one_sentence_saying_how_to_configure_them(clean_env):
    with pytest.raises(KitError, match=r"^DSCA_TARGET=aws but no AWS credentials were found: configure them "
                                       r"\(aws configure, AWS_PROFILE or SSO\), or use the local target\.$"):
        helpers.setup(quiet=True)


def test_the_local_endpoints_dummy_credentials_are_never_sent_to_aws(clean_env, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local-aws-dummy-secret-key")
    with pytest.raises(KitError, match="still holds the local endpoint's dummy credentials; restart the kernel"):
        helpers.setup(quiet=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1:4566", "http://localhost:4566", "http://[::1]:4566",
                                 "http://127.0.1.1:4566"])
def test_a_local_aws_endpoint_url_left_over_is_refused_on_aws(aws_env, monkeypatch, url):
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    with pytest.raises(KitError, match="points at a local endpoint; unset AWS_ENDPOINT_URL"):
        helpers.setup(quiet=True)


def _sts_answering(monkeypatch, **error):
    """setup()'s STS client answers GetCallerIdentity with ``error`` (Stubber: parameters validated, no network)."""
    real_session = boto3.Session

    class StubbedSession(real_session):
        def client(self, service_name, *args, **kwargs):
            client = super().client(service_name, *args, **kwargs)
            if service_name == "sts":
                stub = Stubber(client)
                stub.add_client_error("get_caller_identity", expected_params={}, **error)
                stub.activate()
            return client

    monkeypatch.setattr(config_module.boto3, "Session", StubbedSession)


@pytest.mark.parametrize("code, message, status", [
    ("ExpiredToken", "The security token included in the request is expired", 403),
    ("ExpiredTokenException", "The security token included in the request is expired", 400),
    ("InvalidClientTokenId", "The security token included in the request is invalid.", 403),
    ("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", 403),
])
def test_expired_or_rejected_credentials_are_one_clear_message(aws_env, monkeypatch, code, message, status):
    _sts_answering(monkeypatch, service_error_code=code, service_message=message, http_status_code=status)
    with pytest.raises(KitError) as refused:
        helpers.setup(quiet=True)
    text = str(refused.value)
    assert text.startswith("DSCA_TARGET=aws but AWS did not accept the credentials:")
    assert code in text and message in text
    assert refused.value.__cause__ is None and refused.value.__suppress_context__  # no chained traceback


def test_an_sso_profile_without_a_login_is_one_clear_message(clean_env, monkeypatch):
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        "[profile learner]\nsso_session = kit\nsso_account_id = 111122223333\nsso_role_name = Learner\n"
        "region = us-east-1\n[sso-session kit]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n")
    monkeypatch.setenv("AWS_PROFILE", "learner")
    monkeypatch.setenv("HOME", str(clean_env))  # no ~/.aws/sso/cache token
    with pytest.raises(KitError, match="aws sso login"):
        helpers.setup(quiet=True)


# --- the cost guard in a notebook run on aws ----------------------------------------------------------------------


def test_unattended_on_aws_without_confirmation_nothing_is_created(aws_env, monkeypatch):
    cfg = helpers.setup(quiet=True)
    stream = cfg.name("sensor-stream")
    with pytest.raises(KitError, match=r"^Nothing was created: .*set DSCA_CONFIRM_COSTS=yes\.$"):
        costs.confirm_cost(cfg, costs.kinesis_stream(stream, shards=1), f"the Kinesis stream {stream}")
        kinesis.ensure_stream(stream, shard_count=1, tags=cfg.tags)  # never reached
    assert kinesis.stream_summary(stream) is None


def test_a_typed_no_on_aws_creates_nothing(aws_env, monkeypatch):
    cfg = helpers.setup(quiet=True)
    job = cfg.name("sensor-etl")
    monkeypatch.setattr(costs, "_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": "no")
    with pytest.raises(KitError, match="you answered 'no', not yes"):
        costs.confirm_cost(cfg, costs.glue_streaming_job(job, "G.1X", 2, timeout_minutes=30), f"the Glue job {job}")
    with pytest.raises(ClientError):
        cfg.client("glue").get_job(JobName=job)


def _curated_parquet(s3, bucket: str) -> None:
    table = pa.table({"event_id": ["e1", "e2", "e3"], "device_id": ["d1", "d2", "d1"], "reading": [20.5, 21.0, 19.5]})
    body = io.BytesIO()
    pq.write_table(table, body)
    for key in ("curated/sensor_readings/dt=2026-01-01/hour=00/part-0.parquet",
                "curated/sensor_readings/dt=2026-01-01/hour=01/part-0.parquet"):
        s3.put_object(Bucket=bucket, Key=key, Body=body.getvalue())


LOOP = ("import signal, time\nstop = []\nsignal.signal(signal.SIGTERM, lambda *a: stop.append(1))\n"
        "print('batch 0 done', flush=True)\nwhile not stop:\n    time.sleep(0.1)\nprint('checkpointed', flush=True)\n")


def test_the_notebooks_aws_path_end_to_end_needs_only_the_learner_policy(aws_env, monkeypatch, capsys, tmp_path):
    """Notebooks 01-08's calls on target aws, each billable step behind the cost guard (confirmed by the variable);
    every request stays on this machine and every operation is one the learner policy allows."""
    monkeypatch.setenv("DSCA_CONFIRM_COSTS", "yes")
    cfg = helpers.setup(quiet=True)
    rec = Recorder(boto3.DEFAULT_SESSION)
    account = cfg.account_id()
    stream, job, wg = cfg.name("sensor-stream"), cfg.name("sensor-etl"), cfg.name("workgroup")
    bucket = s3h.data_bucket_name(cfg.prefix, account, cfg.region)
    database = cfg.prefix.replace("-", "_") + "_analytics"
    role_name, crawler_role_name, crawler = cfg.name("glue-etl-role"), cfg.name("glue-crawler-role"), cfg.name("crawler")

    # 01: the stream
    costs.confirm_cost(cfg, costs.kinesis_stream(stream, shards=1), f"the Kinesis stream {stream}")
    summary = kinesis.ensure_stream(stream, shard_count=1, tags=cfg.tags)
    receipt = kinesis.put_record(stream, {"device_id": "d1", "reading": 20.5}, partition_key="d1")
    assert kinesis.read_records(stream, position="AT_SEQUENCE_NUMBER", shard_id=receipt["ShardId"],
                                sequence_number=receipt["SequenceNumber"], limit=1)[0]["data"]["device_id"] == "d1"
    assert kinesis.list_stream_tags(stream) == cfg.tags

    # 03: bucket, scripts, role, job (with its timeout), one run started and stopped
    script = tmp_path / "job.py"
    script.write_text(LOOP)
    costs.confirm_cost(cfg, [costs.glue_streaming_job(job, "G.1X", 2, timeout_minutes=30), costs.s3_storage(bucket),
                             costs.free(f"IAM role {role_name}")], f"the Glue streaming job {job}")
    bucket_uri = s3h.ensure_bucket(bucket, cfg.region, tags=cfg.tags)
    (script_uri,) = glue.deploy_scripts([script], f"{bucket_uri}/scripts/")
    role_arn = iam.ensure_role(role_name, iam.GLUE_TRUST_POLICY,
                               iam.glue_job_policy(summary["StreamARN"], bucket, database, account, cfg.region),
                               tags=cfg.tags)
    definition = glue.ensure_streaming_job(job, role_arn, script_uri, {"--stream_arn": summary["StreamARN"]},
                                           timeout_minutes=30, tags=cfg.tags)
    assert definition["Timeout"] == 30 and definition["Command"]["Name"] == "gluestreaming"
    run_id = glue.start_run(job)
    glue.wait_for_run(job, run_id, ("RUNNING",), timeout=120, poll=0.2)
    deadline = time.monotonic() + 60
    while "batch 0 done" not in glue.run_log(run_id):
        assert time.monotonic() < deadline, "the job's first batch never showed in its log"
        time.sleep(0.3)
    assert glue.stop_run(job, run_id)["JobRunState"] == "STOPPED"
    assert "checkpointed" in glue.run_log(run_id)

    # 04/05: the catalog and a crawler with its own least-privilege role
    s3 = cfg.client("s3")
    _curated_parquet(s3, bucket)
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())  # 04's checks
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == s3h.tls_only_policy(bucket)
    first = next(o["Key"] for o in s3h.list_objects(f"s3://{bucket}/curated/"))
    assert pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=first)["Body"].read())).num_rows == 3
    catalog.ensure_database(database)
    crawler_role = iam.ensure_role(crawler_role_name, iam.GLUE_TRUST_POLICY,
                                   catalog.crawler_policy(bucket, ["curated/"], database, account, cfg.region),
                                   tags=cfg.tags)
    costs.confirm_cost(cfg, costs.glue_crawler(crawler), f"the crawler {crawler}")
    catalog.ensure_crawler(crawler, crawler_role, database, [f"s3://{bucket}/curated/sensor_readings/"], tags=cfg.tags)
    assert catalog.run_crawler(crawler, poll=0.2, verbose=False)["TablesCreated"] == 1
    assert list(catalog.partitions(database, "sensor_readings")["hour"]) == ["00", "01"]

    # 06: a work group with a scan cutoff, one query
    costs.confirm_cost(cfg, costs.athena_queries(wg, bytes_cutoff=10 * 1024**3), f"queries in the work group {wg}")
    athena.ensure_workgroup(wg, f"s3://{bucket}/athena-results/", bytes_cutoff=10 * 1024**3, tags=cfg.tags)
    result = athena.run_query("SELECT count(*) AS n FROM sensor_readings", database=database, workgroup=wg)
    assert result.df["n"][0] == 6

    # 07: QuickSight (the local endpoint has a subscription)
    assert qs.check_subscription() is True
    costs.confirm_cost(cfg, costs.quicksight_users(authors=1), "the QuickSight data source, data set and dashboard")
    source = qs.ensure_athena_data_source(cfg.name("athena"), workgroup=wg)
    data_set = qs.ensure_data_set(cfg.name("readings"), source["Arn"], database=database, table="sensor_readings",
                                  columns=[("event_id", "STRING"), ("device_id", "STRING"), ("reading", "DECIMAL")])
    kpi = {"KPIVisual": {"VisualId": "devices", "ChartConfiguration": {"FieldWells": {"Values": [
        {"CategoricalMeasureField": {"FieldId": "n", "AggregationFunction": "DISTINCT_COUNT",
                                     "Column": {"DataSetIdentifier": "r", "ColumnName": "device_id"}}}]}}}}
    qs.ensure_dashboard(cfg.name("dashboard"), "Sensor fleet",
                        {"DataSetIdentifierDeclarations": [{"Identifier": "r", "DataSetArn": data_set["Arn"]}],
                         "Sheets": [{"SheetId": "s", "Name": "Overview", "Visuals": [kpi]}]})
    assert cfg.name("dashboard") in [d["DashboardId"] for d in cfg.client("quicksight").list_dashboards(
        AwsAccountId=account)["DashboardSummaryList"]]

    # 08: what a teardown deletes
    assert qs.delete_dashboard(cfg.name("dashboard"))
    assert catalog.delete_crawler(crawler, verbose=False)
    glue_client, iam_client = cfg.client("glue"), cfg.client("iam")
    glue_client.delete_job(JobName=job)
    glue_client.delete_database(Name=database)
    cfg.client("athena").delete_work_group(WorkGroup=wg, RecursiveDeleteOption=True)
    for name in (role_name, crawler_role_name):
        iam_client.delete_role_policy(RoleName=name, PolicyName=f"{name}-access")
        iam_client.delete_role(RoleName=name)
    assert kinesis.delete_stream(stream)
    assert s3h.delete_prefix(f"s3://{bucket}/curated/") == 2
    for top in {obj["Key"].split("/")[0] for obj in s3h.list_objects(f"s3://{bucket}/")}:
        s3h.delete_prefix(f"s3://{bucket}/{top}/")
    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)

    out = capsys.readouterr().out
    assert out.count("Confirmed by DSCA_CONFIRM_COSTS=yes.") == 5
    assert rec.hosts <= {"127.0.0.1", "localhost"} and rec.actions
    missing = sorted({a for a in rec.actions if not allowed_by_learner_policy(a)})
    assert missing == [], f"the learner policy (docs/learner-iam-policy.json) does not allow {missing}"
    for action in ("kinesis:CreateStream", "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration",
                   "s3:PutBucketPolicy", "iam:PutRolePolicy", "glue:CreateJob", "glue:StartJobRun",
                   "glue:BatchStopJobRun", "glue:CreateCrawler", "athena:CreateWorkGroup", "athena:GetQueryResults",
                   "quicksight:DescribeAccountSubscription", "quicksight:CreateDashboard", "sts:GetCallerIdentity"):
        assert action in rec.actions


def test_teardown_on_aws_needs_only_the_learner_policy(aws_env, monkeypatch):
    """helpers.teardown (notebook 08, make teardown) on target aws: it finds and deletes the prefix's resources,
    a second run finds nothing, and every call it makes is one the learner policy allows."""
    teardown = pytest.importorskip("helpers.teardown")
    monkeypatch.setenv("DSCA_CONFIRM_COSTS", "yes")
    cfg = helpers.setup(quiet=True)
    rec = Recorder(boto3.DEFAULT_SESSION)
    account = cfg.account_id()
    bucket = s3h.data_bucket_name(cfg.prefix, account, cfg.region)
    database = cfg.prefix.replace("-", "_") + "_analytics"
    summary = kinesis.ensure_stream(cfg.name("sensor-stream"), shard_count=1, tags=cfg.tags, verbose=False)
    s3h.ensure_bucket(bucket, cfg.region, tags=cfg.tags, verbose=False)
    _curated_parquet(cfg.client("s3"), bucket)
    role = iam.ensure_role(cfg.name("glue-etl-role"), iam.GLUE_TRUST_POLICY,
                           iam.glue_job_policy(summary["StreamARN"], bucket, database, account, cfg.region),
                           tags=cfg.tags, verbose=False)
    glue.ensure_streaming_job(cfg.name("sensor-etl"), role, f"s3://{bucket}/scripts/job.py", timeout_minutes=30,
                              tags=cfg.tags, verbose=False)
    catalog.ensure_database(database, verbose=False)
    catalog.ensure_crawler(cfg.name("curated-crawler"), role, database, [f"s3://{bucket}/curated/sensor_readings/"],
                           tags=cfg.tags, verbose=False)
    athena.ensure_workgroup(cfg.name("workgroup"), f"s3://{bucket}/athena-results/", tags=cfg.tags, verbose=False)
    qs.ensure_athena_data_source(cfg.name("athena"), workgroup=cfg.name("workgroup"), verbose=False)

    report = teardown.teardown(cfg, verbose=False)
    assert report.ok, str(report)
    kinds = {o.resource.kind for o in report.outcomes}
    assert {"stream", "bucket", "role", "job", "crawler", "database", "workgroup", "data source"} <= kinds
    assert all(o.resource.prefix == cfg.prefix for o in report.outcomes)  # nothing of another prefix
    again = teardown.teardown(cfg, verbose=False)
    assert again.ok and again.outcomes == [], str(again)
    missing = sorted({a for a in rec.actions if not allowed_by_learner_policy(a)})
    assert missing == [], f"the learner policy (docs/learner-iam-policy.json) does not allow {missing}"


# --- S3 hardening on aws -----------------------------------------------------------------------------------------


def test_a_bucket_made_on_aws_is_hardened_and_a_weakened_one_is_hardened_again(aws_env):
    cfg = helpers.setup(quiet=True)
    bucket = s3h.data_bucket_name(cfg.prefix, cfg.account, cfg.region)
    s3h.ensure_bucket(bucket, cfg.region, tags=cfg.tags, verbose=False)
    s3 = cfg.client("s3")

    def hardening():
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        return block, rule, policy

    block, rule, policy = hardening()
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"} and rule["BucketKeyEnabled"]
    assert policy == s3h.tls_only_policy(bucket)
    assert policy["Statement"][0] == {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert s3h.bucket_tags(bucket) == cfg.tags

    # someone loosens it in the console; the next notebook run puts every setting back
    s3.delete_public_access_block(Bucket=bucket)
    s3.delete_bucket_policy(Bucket=bucket)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    s3h.ensure_bucket(bucket, cfg.region, tags=cfg.tags, verbose=False)
    assert hardening() == (block, rule, policy)
    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)


def test_ensure_bucket_sends_aws_exactly_these_hardening_calls():
    """Against AWS's own S3 endpoint shape (Stubber: botocore validates every parameter, nothing is sent)."""
    s3 = boto3.client("s3", region_name="eu-west-1", endpoint_url="https://s3.eu-west-1.amazonaws.com",
                      aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_SECRET)
    name = "dsca-ana-data-111122223333-eu-west-1"
    with Stubber(s3) as stub:
        stub.add_client_error("head_bucket", "404", http_status_code=404, expected_params={"Bucket": name})
        stub.add_response("create_bucket", {"Location": f"http://{name}.s3.amazonaws.com/"},
                          {"Bucket": name, "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}})
        stub.add_response("head_bucket", {"ResponseMetadata": {"HTTPStatusCode": 200}}, {"Bucket": name})  # the waiter
        stub.add_response("put_public_access_block", {}, {"Bucket": name, "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True}})
        stub.add_response("put_bucket_encryption", {}, {"Bucket": name, "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]}})
        stub.add_response("put_bucket_policy", {}, {"Bucket": name, "Policy": json.dumps(s3h.tls_only_policy(name))})
        stub.add_client_error("get_bucket_tagging", "NoSuchTagSet", http_status_code=404, expected_params={"Bucket": name})
        stub.add_response("put_bucket_tagging", {}, {"Bucket": name, "Tagging": {"TagSet": [
            {"Key": "project", "Value": PROJECT_TAG}, {"Key": "prefix", "Value": "dsca-ana"}]}})
        assert s3h.ensure_bucket(name, "eu-west-1", tags={"project": PROJECT_TAG, "prefix": "dsca-ana"}, s3=s3,
                                 verbose=False) == f"s3://{name}"
        stub.assert_no_pending_responses()


def test_a_bucket_name_owned_by_another_account_is_one_sentence():
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_SECRET)
    with Stubber(s3) as stub:
        stub.add_client_error("head_bucket", "403", http_status_code=403, expected_params={"Bucket": "dsca-taken"})
        with pytest.raises(KitError, match="^The bucket name dsca-taken is taken by another account; choose another prefix.$"):
            s3h.ensure_bucket("dsca-taken", "us-east-1", s3=s3)
    with Stubber(s3) as stub:
        stub.add_client_error("head_bucket", "404", http_status_code=404, expected_params={"Bucket": "dsca-taken"})
        stub.add_client_error("create_bucket", "BucketAlreadyExists", http_status_code=409,
                              expected_params={"Bucket": "dsca-taken"})
        with pytest.raises(KitError, match="is taken by another account"):
            s3h.ensure_bucket("dsca-taken", "us-east-1", s3=s3)


# --- Glue jobs always have a timeout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [None, 0, -5, 10081, 30.5, "60", True])
def test_a_streaming_job_without_a_valid_timeout_is_refused_before_any_call(timeout):
    with pytest.raises(KitError, match=r"timeout_minutes=.* is not valid: 1 to 10080 minutes\. A streaming job always "
                                       r"gets a timeout"):
        glue.ensure_streaming_job("dsca-ana-etl", "arn:aws:iam::111122223333:role/r", "s3://b/s.py",
                                  timeout_minutes=timeout, glue=object())  # no client call is made


@pytest.mark.parametrize("workers", [0, 1, None])
def test_a_streaming_job_below_glues_minimum_workers_is_refused(workers):
    with pytest.raises(KitError, match="at least 2 workers"):
        glue.ensure_streaming_job("dsca-ana-etl", "r", "s3://b/s.py", workers=workers, glue=object())


def _glue_stub():
    client = boto3.client("glue", region_name="us-east-1", aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_SECRET)
    return client, Stubber(client)


def test_create_job_on_aws_carries_the_timeout_and_the_tags():
    client, stub = _glue_stub()
    definition = {"Role": "arn:aws:iam::111122223333:role/dsca-ana-glue-etl-role",
                  "Command": {"Name": "gluestreaming", "ScriptLocation": "s3://b/scripts/etl.py", "PythonVersion": "3"},
                  "DefaultArguments": {"--bucket": "b"}, "GlueVersion": "5.0", "WorkerType": "G.025X",
                  "NumberOfWorkers": 2, "Timeout": 45, "ExecutionProperty": {"MaxConcurrentRuns": 1}}
    with stub:
        stub.add_client_error("get_job", "EntityNotFoundException", expected_params={"JobName": "dsca-ana-etl"})
        stub.add_response("create_job", {"Name": "dsca-ana-etl"},
                          {"Name": "dsca-ana-etl", "Tags": {"project": PROJECT_TAG}, **definition})
        stub.add_response("get_job", {"Job": {"Name": "dsca-ana-etl", **definition}}, {"JobName": "dsca-ana-etl"})
        job = glue.ensure_streaming_job("dsca-ana-etl", definition["Role"], "s3://b/scripts/etl.py", {"--bucket": "b"},
                                        worker_type="G.025X", timeout_minutes=45, tags={"project": PROJECT_TAG},
                                        glue=client, verbose=False)
        stub.assert_no_pending_responses()
    assert job["Timeout"] == 45


def test_a_job_that_comes_back_without_its_timeout_is_reported():
    client, stub = _glue_stub()
    with stub:
        stub.add_response("get_job", {"Job": {"Name": "j"}}, {"JobName": "j"})
        stub.add_response("update_job", {"JobName": "j"}, None)
        stub.add_response("get_job", {"Job": {"Name": "j", "Timeout": 2880}}, {"JobName": "j"})
        with pytest.raises(KitError, match=r"was saved with Timeout=2880 instead of 60 minutes"):
            glue.ensure_streaming_job("j", "arn:aws:iam::111122223333:role/r", "s3://b/s.py", glue=client,
                                      verbose=False)


# --- QuickSight on aws ---------------------------------------------------------------------------------------------


def _quicksight_on_aws():
    return boto3.client("quicksight", region_name="eu-west-1", endpoint_url="https://quicksight.eu-west-1.amazonaws.com",
                        aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_SECRET)


@pytest.mark.parametrize("code, says", [
    ("ResourceNotFoundException", "has no QuickSight subscription"),
    ("AccessDeniedException", "cannot be checked for a QuickSight subscription (AccessDeniedException)"),
])
def test_without_a_subscription_the_check_says_what_to_do_and_what_it_costs_and_goes_on(capsys, code, says):
    aws = _quicksight_on_aws()
    with Stubber(aws) as stub:
        stub.add_client_error("describe_account_subscription", service_error_code=code, http_status_code=404,
                              expected_params={"AwsAccountId": "111122223333"})
        assert qs.check_subscription(account_id="111122223333", quicksight=aws) is False
    out = capsys.readouterr().out
    assert says in out and "Enterprise edition" in out and "create_account_subscription" in out
    assert "Security & permissions" in out and "$24/month" in out and "$3/month" in out


def test_a_subscription_still_being_created_is_reported_not_used(capsys):
    aws = _quicksight_on_aws()
    with Stubber(aws) as stub:
        stub.add_response("describe_account_subscription", {"AccountInfo": {
            "AccountName": "dsca-class", "Edition": "ENTERPRISE", "AccountSubscriptionStatus": "SIGNUP_ATTEMPT_IN_PROGRESS"}},
            {"AwsAccountId": "111122223333"})
        assert qs.check_subscription(account_id="111122223333", quicksight=aws) is False
    assert "is SIGNUP_ATTEMPT_IN_PROGRESS; wait until it is ACCOUNT_CREATED" in capsys.readouterr().out


def test_other_quicksight_errors_are_not_hidden():
    aws = _quicksight_on_aws()
    with Stubber(aws) as stub:
        stub.add_client_error("describe_account_subscription", service_error_code="ThrottlingException",
                              http_status_code=429)
        with pytest.raises(ClientError, match="ThrottlingException"):
            qs.check_subscription(account_id="111122223333", quicksight=aws)


def test_on_aws_the_account_comes_from_sts_and_the_dashboard_lives_in_the_console(aws_env, capsys):
    helpers.setup(quiet=True)
    aws = _quicksight_on_aws()  # AWS's own endpoint: not local, so the account is asked of STS (env-routed here)
    with Stubber(aws) as stub:
        stub.add_client_error("describe_account_subscription", service_error_code="ResourceNotFoundException",
                              http_status_code=404, expected_params={"AwsAccountId": "123456789012"})
        assert qs.check_subscription(quicksight=aws) is False
    assert "Account 123456789012 has no QuickSight subscription" in capsys.readouterr().out
    assert qs.dashboard_url("dsca-ana-dashboard", quicksight=aws) == \
        "https://eu-west-1.quicksight.aws.amazon.com/sn/dashboards/dsca-ana-dashboard"
    assert qs.rendered_visuals("dsca-ana-dashboard", quicksight=aws) == []  # QuickSight renders it in the browser


def test_botocore_validates_the_kits_quicksight_requests_against_aws_models():
    """The data set and dashboard requests the helpers build are valid CreateDataSet/CreateDashboard input."""
    session = botocore.session.get_session()
    model = session.get_service_model("quicksight")
    from botocore.validate import validate_parameters

    arn = "arn:aws:quicksight:eu-west-1:111122223333:dataset/dsca-ana-readings"
    request = qs.data_set_request("dsca-ana-readings", "arn:aws:quicksight:eu-west-1:111122223333:datasource/x",
                                  database="dsca_ana_analytics", table="readings", columns=qs.READING_COLUMNS)
    validate_parameters({"AwsAccountId": "111122223333", **request}, model.operation_model("CreateDataSet").input_shape)
    validate_parameters({"AwsAccountId": "111122223333", "DashboardId": "dsca-ana-dashboard", "Name": "Sensor fleet",
                         "Definition": qs.kit_definition(arn, arn), "ValidationStrategy": {"Mode": "LENIENT"}},
                        model.operation_model("CreateDashboard").input_shape)
