"""helpers.teardown on the local endpoint: the kit's whole set of resources for a prefix goes, another prefix's stays.

Each test builds what the notebooks build, with the kit's own helpers: streams, a versioned bucket with
several object versions and delete markers, the Glue job's and the crawler's roles (inline policies and an
attached managed policy), a catalog database with a crawled table, a crawler, a job with a RUNNING run (a
script that sleeps: no Spark), an Athena work group with a query and a named query, a QuickSight data
source, data sets, a dashboard and an analysis, log streams in Glue's shared groups and a tagged log group.
The checks look at every service directly, not through helpers.teardown.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import time
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from support import ROOT, start, stop_quietly

from helpers import athena, catalog, glue, iam, kinesis, teardown
from helpers import quicksight as qs
from helpers import s3 as s3h
from helpers.config import PROJECT_TAG, Config

SLEEPER = b"""import signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
print("sleeping until stopped", flush=True)
time.sleep(900)
"""
QUICK = b"print('done')\n"


def for_prefix(cfg: Config, prefix: str) -> Config:
    return dataclasses.replace(cfg, prefix=prefix, tags={"project": PROJECT_TAG, "prefix": prefix})


def parquet(day: int) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"device_id": ["d1", "d2"], "reading": [20.5 + day, 21.0]}), buffer)
    return buffer.getvalue()


def build_kit(c: Config, running: bool = True) -> dict:
    """The notebooks' resources for ``c.prefix``, made with the kit's helpers; returns the names to check."""
    account = c.account_id()
    db = c.prefix.replace("-", "_") + "_analytics"
    stream = kinesis.ensure_stream(c.name("sensor-stream"), shard_count=1, tags=c.tags, verbose=False)
    kinesis.ensure_stream(c.name("throttle-demo"), shard_count=1, tags=c.tags, verbose=False)

    bucket = s3h.data_bucket_name(c.prefix, account, c.region)
    s3h.ensure_bucket(bucket, c.region, tags=c.tags, verbose=False)
    s3 = c.client("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for day in range(3):  # three versions of one object
        s3.put_object(Bucket=bucket, Key="curated/readings/dt=2026-01-01/part-0.parquet", Body=parquet(day))
    s3.put_object(Bucket=bucket, Key="quarantine/x.json", Body=b"{}")
    s3.delete_object(Bucket=bucket, Key="quarantine/x.json")  # a delete marker over a version
    s3.delete_object(Bucket=bucket, Key="never/existed.json")  # a delete marker alone
    s3.put_object(Bucket=bucket, Key="scripts/sleeper.py", Body=SLEEPER if running else QUICK)
    s3.create_multipart_upload(Bucket=bucket, Key="tmp/unfinished.bin")

    policy = iam.glue_job_policy(stream["StreamARN"], bucket, db, account, c.region)
    role_arn = iam.ensure_role(c.name("glue-etl-role"), iam.GLUE_TRUST_POLICY, policy, tags=c.tags, verbose=False)
    crawler_role = iam.ensure_role(c.name("glue-crawler-role"), iam.GLUE_TRUST_POLICY,
                                   catalog.crawler_policy(bucket, ["curated/"], db, account, c.region), tags=c.tags,
                                   verbose=False)
    iam_client = c.client("iam")
    managed = iam_client.create_policy(PolicyName=c.name("extra"), Tags=c.tag_list(), PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}]}))
    iam_client.attach_role_policy(RoleName=c.name("glue-etl-role"), PolicyArn=managed["Policy"]["Arn"])

    catalog.ensure_database(db, verbose=False)
    crawler = c.name("curated-crawler")
    catalog.ensure_crawler(crawler, crawler_role, db, [f"s3://{bucket}/curated/"], tags=c.tags, verbose=False)
    catalog.run_crawler(crawler, verbose=False)  # a table, and the crawler's log stream in the shared group
    job = c.name("sensor-etl")
    glue.ensure_streaming_job(job, role_arn, f"s3://{bucket}/scripts/sleeper.py", timeout_minutes=30, tags=c.tags,
                              verbose=False)
    run_id = glue.start_run(job)
    glue.wait_for_run(job, run_id, ("RUNNING",) if running else ("SUCCEEDED",), timeout=120, poll=0.2)

    workgroup = c.name("workgroup")
    athena.ensure_workgroup(workgroup, f"s3://{bucket}/athena-results/", tags=c.tags, verbose=False)
    athena.run_query("SELECT 1 AS one", workgroup=workgroup)
    c.client("athena").create_named_query(Name=c.name("query"), Database=db, QueryString="SELECT 1", WorkGroup=workgroup)

    source = qs.ensure_athena_data_source(c.name("athena"), workgroup=workgroup, account_id=account, verbose=False)
    readings = qs.ensure_data_set(c.name("readings"), source["Arn"], database=db, table="readings",
                                  columns=qs.READING_COLUMNS, account_id=account, verbose=False)
    low = qs.ensure_data_set(c.name("low-battery"), source["Arn"], sql=qs.low_battery_sql(db, table="readings"),
                             columns=qs.LOW_BATTERY_COLUMNS, account_id=account, verbose=False)
    definition = qs.kit_definition(readings["Arn"], low["Arn"])
    qs.ensure_dashboard(c.name("dashboard"), "Sensor fleet", definition, account_id=account, verbose=False)
    console_analysis = str(uuid.uuid4())  # made in the console: an id of no prefix, built on the kit's data sets
    c.client("quicksight").create_analysis(AwsAccountId=account, AnalysisId=console_analysis, Name="mine",
                                           Definition=definition, ValidationStrategy={"Mode": "LENIENT"})

    log_group = f"/dsca/{c.prefix}/notes"
    c.client("logs").create_log_group(logGroupName=log_group, tags=c.tags)
    return {"bucket": bucket, "db": db, "job": job, "run": run_id, "crawler": crawler, "analysis": console_analysis,
            "log_group": log_group, "workgroup": workgroup}


# --- looking at every service directly ------------------------------------------------------------------------


def _tags(pairs) -> dict:
    return {t["Key"]: t["Value"] for t in pairs}


def inventory(c: Config) -> set[tuple]:
    """Everything on the endpoint in the kit's services, with the tags and object versions that matter."""
    account, region = c.account_id(), c.region
    found: set[tuple] = set()
    k = c.client("kinesis")
    for name in k.list_streams()["StreamNames"]:
        found.add(("stream", name, json.dumps(_tags(k.list_tags_for_stream(StreamName=name)["Tags"]), sort_keys=True)))
    s3 = c.client("s3")
    for b in s3.list_buckets()["Buckets"]:
        found.add(("bucket", b["Name"], json.dumps(s3h.bucket_tags(b["Name"], s3), sort_keys=True)))
        page = s3.list_object_versions(Bucket=b["Name"])
        for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
            found.add(("object", b["Name"], v["Key"], v["VersionId"]))
        for u in s3.list_multipart_uploads(Bucket=b["Name"]).get("Uploads", []):
            found.add(("upload", b["Name"], u["Key"]))
    i = c.client("iam")
    for role in i.list_roles()["Roles"]:
        name = role["RoleName"]
        found.add(("role", name, json.dumps(_tags(i.list_role_tags(RoleName=name)["Tags"]), sort_keys=True)))
        found |= {("inline", name, p) for p in i.list_role_policies(RoleName=name)["PolicyNames"]}
        found |= {("attached", name, p["PolicyArn"]) for p in i.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    for p in i.list_policies(Scope="Local")["Policies"]:
        found.add(("policy", p["PolicyName"], json.dumps(_tags(i.list_policy_tags(PolicyArn=p["Arn"])["Tags"]), sort_keys=True)))
    g = c.client("glue")

    def glue_tags(kind, name):
        return json.dumps(g.get_tags(ResourceArn=f"arn:aws:glue:{region}:{account}:{kind}/{name}")["Tags"], sort_keys=True)

    for job in g.get_jobs()["Jobs"]:
        found.add(("job", job["Name"], glue_tags("job", job["Name"])))
        for run in g.get_job_runs(JobName=job["Name"])["JobRuns"]:
            found.add(("run", job["Name"], run["Id"], run["JobRunState"] in teardown.ACTIVE_RUN_STATES))
    for crawler in g.get_crawlers()["Crawlers"]:
        found.add(("crawler", crawler["Name"], glue_tags("crawler", crawler["Name"])))
    for db in g.get_databases()["DatabaseList"]:
        found.add(("database", db["Name"], glue_tags("database", db["Name"])))
        found |= {("table", db["Name"], t["Name"]) for t in g.get_tables(DatabaseName=db["Name"])["TableList"]}
    a = c.client("athena")
    for wg in a.list_work_groups()["WorkGroups"]:
        arn = f"arn:aws:athena:{region}:{account}:workgroup/{wg['Name']}"
        found.add(("workgroup", wg["Name"], json.dumps(_tags(a.list_tags_for_resource(ResourceARN=arn)["Tags"]), sort_keys=True)))
        found |= {("named query", wg["Name"], q) for q in a.list_named_queries(WorkGroup=wg["Name"])["NamedQueryIds"]}
    q = c.client("quicksight")
    for kind, op, key, ident in teardown._QUICKSIGHT:
        for item in getattr(q, op)(AwsAccountId=account)[key]:
            tags = _tags(q.list_tags_for_resource(ResourceArn=item["Arn"])["Tags"])
            found.add((kind, item[ident], json.dumps(tags, sort_keys=True)))
    logs = c.client("logs")
    for group in logs.describe_log_groups()["logGroups"]:
        name = group["logGroupName"]
        tags = logs.list_tags_for_resource(resourceArn=f"arn:aws:logs:{region}:{account}:log-group:{name}")["tags"]
        found.add(("log group", name, json.dumps(tags, sort_keys=True)))
        found |= {("log stream", name, s["logStreamName"])
                  for s in logs.describe_log_streams(logGroupName=name)["logStreams"]}
    return found


def belongs(item: tuple, prefix: str, built: dict, others: tuple[str, ...] = ()) -> bool:
    """Whether an inventory item is of ``prefix``: its kit tag, a name on the prefix's boundary that no longer
    prefix of ``others`` claims, or its job run / console analysis."""

    def owner(value: str) -> str | None:
        stems = {p: (p + "-", p.replace("-", "_") + "_", f"/dsca/{p}/") for p in (prefix, *others)}
        return max((p for p, s in stems.items() if value.startswith(s)), key=len, default=None)

    for value in item[1:]:
        if not isinstance(value, str):
            continue
        if value.startswith("{"):
            if json.loads(value).get("prefix") == prefix:
                return True
        elif owner(value) == prefix or value in (built["run"], built["analysis"]):
            return True
    return False


def of_prefixes(items: set[tuple], kits: dict[str, dict]) -> set[tuple]:
    """The inventory items of these prefixes (prefix -> what build_kit returned), so that other tests' resources
    on the shared endpoint, which may change meanwhile, are left out of a comparison."""
    return {i for i in items for p, built in kits.items() if belongs(i, p, built, tuple(q for q in kits if q != p))}


def tagged_with(c: Config, prefix: str) -> list[str]:
    """ARNs the Resource Groups Tagging API knows with the prefix's kit tags (a second, independent look)."""
    rg = c.client("resourcegroupstaggingapi")
    pages = rg.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "project", "Values": [PROJECT_TAG]}, {"Key": "prefix", "Values": [prefix]}])
    return [m["ResourceARN"] for page in pages for m in page["ResourceTagMappingList"]]


# --- the main scenario ----------------------------------------------------------------------------------------


@pytest.fixture
def two_kits(cfg):
    """The full set for cfg.prefix, an identical set for the longer prefix '<prefix>-b' (whose names start with
    '<prefix>-'), and a few resources of the sibling '<prefix>x'. Whatever the test leaves is torn down."""
    mine = build_kit(cfg)
    other_cfg = for_prefix(cfg, cfg.prefix + "-b")
    other = build_kit(other_cfg)
    sibling = for_prefix(cfg, cfg.prefix + "x")
    kinesis.ensure_stream(sibling.name("sensor-stream"), tags=sibling.tags, verbose=False)
    catalog.ensure_database(sibling.prefix.replace("-", "_") + "_analytics", verbose=False)
    qs.ensure_athena_data_source(sibling.name("athena"), verbose=False)
    yield cfg, mine, other_cfg, other, sibling
    for c in (cfg, other_cfg, sibling):
        teardown.teardown(c, verbose=False, wait_timeout=120)


def test_teardown_deletes_the_whole_set_of_its_prefix_and_nothing_else(two_kits, capsys):
    cfg, mine, other_cfg, other, sibling = two_kits
    kits = {cfg.prefix: mine, other_cfg.prefix: other, sibling.prefix: {"run": None, "analysis": None}}
    theirs = {p: b for p, b in kits.items() if p != cfg.prefix}
    before = inventory(cfg)
    assert tagged_with(cfg, cfg.prefix) and any(belongs(i, cfg.prefix, mine) for i in before)

    found = teardown.find_kit_resources(cfg)
    kinds = {r.kind for r in found}
    assert kinds >= {"job run", "job log stream", "job", "crawler", "crawler log stream", "table", "database",
                     "workgroup", "dashboard", "analysis", "data set", "data source", "stream", "bucket", "role",
                     "policy", "log group"}
    assert {r.prefix for r in found} == {cfg.prefix}
    assert not any(other_cfg.prefix in r.name or sibling.prefix in r.name or r.name == other["run"] for r in found)
    assert [r.kind for r in found] == sorted((r.kind for r in found), key=teardown.ORDER.index)
    by_name = {r.name: r for r in found}
    assert by_name[mine["db"]].note == "untagged, matched by name"
    assert by_name[mine["analysis"]].note.startswith("untagged, built on data set")
    assert by_name[cfg.name("sensor-stream")].note == "tagged"

    # A dry run lists all of it and changes nothing.
    dry = teardown.teardown(cfg, dry_run=True, verbose=False)
    assert dry.ok and {o.resource for o in dry.outcomes} == set(found)
    assert {o.result for o in dry.outcomes} == {teardown.WOULD_DELETE, teardown.WOULD_STOP}
    assert "nothing was changed" in dry.summary()
    assert of_prefixes(inventory(cfg), kits) == of_prefixes(before, kits)

    report = teardown.teardown(cfg, verbose=True, wait_timeout=120)
    assert report.ok, str(report)
    assert report.count(teardown.STOPPED) == 1 and report.count(teardown.DELETED) == len(found) - 1
    printed = capsys.readouterr().out
    assert f"stopped  glue job run {mine['job']}:{mine['run']}" in printed
    assert printed.rstrip().endswith(report.summary())

    after = inventory(cfg)
    assert not [i for i in after if belongs(i, cfg.prefix, mine, (other_cfg.prefix,))]  # zero of the prefix, tagged or not, anywhere
    assert tagged_with(cfg, cfg.prefix) == []
    # The run was stopped (it is gone with its job); the other prefixes' sets are exactly as they were.
    assert of_prefixes(after, theirs) == of_prefixes(before, theirs) and len(of_prefixes(before, theirs)) > 30
    assert ("run", other["job"], other["run"], True) in after
    # Glue's shared log groups stay, with the other prefix's streams in them.
    assert ("log stream", "/aws-glue/crawlers", other["crawler"]) in after
    assert ("log stream", "/aws-glue/jobs/output", other["run"]) in after

    again = teardown.teardown(cfg, verbose=False)
    assert again.ok and again.outcomes == [] and "Nothing was found for prefix" in again.summary()
    assert teardown.find_kit_resources(cfg) == []


def test_every_prefix_is_found_for_the_teacher_and_each_resource_has_its_own(two_kits):
    cfg, mine, other_cfg, other, sibling = two_kits
    everything = teardown.find_kit_resources(cfg, prefix=None)
    prefixes = {r.prefix for r in everything}
    assert {cfg.prefix, other_cfg.prefix, sibling.prefix} <= prefixes
    owner = {(r.kind, r.name): r.prefix for r in everything}
    assert owner[("database", mine["db"])] == cfg.prefix
    assert owner[("database", other["db"])] == other_cfg.prefix  # not cfg.prefix, although it starts with it
    assert owner[("database", sibling.prefix.replace("-", "_") + "_analytics")] == sibling.prefix
    assert owner[("data source", other_cfg.name("athena"))] == other_cfg.prefix
    assert owner[("analysis", other["analysis"])] == other_cfg.prefix
    assert owner[("crawler log stream", other["crawler"])] == other_cfg.prefix
    mine_only = teardown.find_kit_resources(cfg)
    assert set(mine_only) == {r for r in everything if r.prefix == cfg.prefix}


def test_still_billing_shows_shards_runs_and_storage_until_the_teardown(two_kits):
    cfg, mine, *_ = two_kits
    frame = teardown.still_billing(cfg)
    rows = {(r.kind, r.name): r for r in frame.itertuples()}
    assert rows[("stream", cfg.name("sensor-stream"))].hourly_usd == pytest.approx(0.015)
    assert rows[("job run", f"{mine['job']}:{mine['run']}")].hourly_usd == pytest.approx(2 * 0.44)
    assert rows[("bucket", mine["bucket"])].hourly_usd > 0
    assert ("dashboard", cfg.name("dashboard")) in rows
    assert frame.attrs["hourly_usd"] == pytest.approx(frame["hourly_usd"].sum()) and frame.attrs["hourly_usd"] > 0.9
    assert "still exist that can bill" in teardown.billing_summary(frame)
    assert set(frame["prefix"]) == {cfg.prefix}
    teardown.teardown(cfg, verbose=False, wait_timeout=120)
    after = teardown.still_billing(cfg)
    assert len(after) == 0 and teardown.billing_summary(after) == "Nothing of this prefix is running or billing."


# --- half-deleted, failing, empty -----------------------------------------------------------------------------


def test_a_half_deleted_set_is_finished(cfg):
    built = build_kit(cfg, running=False)
    # Someone already deleted a few things by hand, in no particular order.
    kinesis.delete_stream(cfg.name("sensor-stream"), verbose=False)
    glue_client = cfg.client("glue")
    (table,) = glue_client.get_tables(DatabaseName=built["db"])["TableList"]  # what the crawl made
    glue_client.delete_table(DatabaseName=built["db"], Name=table["Name"])
    cfg.client("iam").delete_role_policy(RoleName=cfg.name("glue-crawler-role"), PolicyName=cfg.name("glue-crawler-role") + "-access")
    s3h.delete_prefix(f"s3://{built['bucket']}/curated/")
    qs.delete_dashboard(cfg.name("dashboard"), verbose=False)
    report = teardown.teardown(cfg, verbose=False)
    assert report.ok, str(report)
    assert not [i for i in inventory(cfg) if belongs(i, cfg.prefix, built)]
    assert teardown.find_kit_resources(cfg) == []


def test_a_failure_is_reported_in_one_sentence_and_a_second_run_finishes(cfg, monkeypatch):
    built = build_kit(cfg)
    real = teardown._DELETERS["bucket"]

    def refuse(scan, resource, timeout):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied. Really."}}, "DeleteBucket")

    def fail_log_stream(scan, resource, timeout):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "DeleteLogStream")

    monkeypatch.setitem(teardown._DELETERS, "bucket", refuse)
    monkeypatch.setitem(teardown._DELETERS, "job log stream", fail_log_stream)
    first = teardown.teardown(cfg, verbose=False, wait_timeout=120)
    assert not first.ok
    failed = {o.resource.kind: o.detail for o in first.failures}
    assert failed["bucket"] == "AccessDenied: Access Denied."
    assert failed["job log stream"] == "ThrottlingException: Rate exceeded."
    assert failed["job"].startswith("kept, so that a second teardown finds")  # its runs' log streams are found through it
    assert {o.resource.kind for o in first.outcomes if o.result == teardown.DELETED} >= {"stream", "role", "database"}
    assert "could not" in first.summary()

    monkeypatch.setitem(teardown._DELETERS, "bucket", real)
    monkeypatch.undo()
    left = teardown.find_kit_resources(cfg)
    assert {r.kind for r in left} == {"job", "job log stream", "bucket"}
    second = teardown.teardown(cfg, verbose=False)
    assert second.ok and second.count(teardown.DELETED) == len(left)
    assert not [i for i in inventory(cfg) if belongs(i, cfg.prefix, built)]


def test_resources_already_gone_are_reported_so(cfg):
    kinesis.ensure_stream(cfg.name("sensor-stream"), tags=cfg.tags, verbose=False)
    s3h.ensure_bucket(cfg.name("data-x"), cfg.region, tags=cfg.tags, verbose=False)
    found = teardown.find_kit_resources(cfg)
    assert {r.kind for r in found} == {"stream", "bucket"}
    kinesis.delete_stream(cfg.name("sensor-stream"), verbose=False)
    cfg.client("s3").delete_bucket(Bucket=cfg.name("data-x"))
    report = teardown.teardown(cfg, resources=found, verbose=False)
    assert report.ok and report.count(teardown.GONE) == 2


def test_a_prefix_with_nothing(cfg):
    report = teardown.teardown(cfg, verbose=False)
    assert report.ok and report.outcomes == [] and report.problems == []
    assert str(report) == f"Nothing was found for prefix {cfg.prefix}: nothing to delete."
    assert len(teardown.still_billing(cfg)) == 0


def test_an_endpoint_with_nothing_at_all(cfg, tmp_path, monkeypatch):
    home = tmp_path / "home"
    url = start(home)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        assert teardown.find_kit_resources(cfg, prefix=None) == []
        report = teardown.teardown(cfg, prefix=None, verbose=False)
        assert report.ok and report.outcomes == []
        assert report.summary() == "Nothing was found for any kit prefix: nothing to delete."
    finally:
        stop_quietly(home)


def test_untagged_names_of_a_longer_prefix_in_use_are_left_alone(cfg):
    """'<prefix>-c' has only untagged things, but two names of the kit's shape make it a prefix in use."""
    longer = for_prefix(cfg, cfg.prefix + "-c")
    source = qs.ensure_athena_data_source(longer.name("athena"), verbose=False)
    qs.ensure_data_set(longer.name("readings"), source["Arn"], database="d", table="readings",
                       columns=qs.READING_COLUMNS, verbose=False)
    one_off = qs.ensure_athena_data_source(cfg.name("my-athena"), verbose=False)  # the learner's own, one name
    try:
        assert [r.name for r in teardown.find_kit_resources(cfg)] == [one_off["DataSourceId"]]
        assert {r.name for r in teardown.find_kit_resources(longer)} == {longer.name("athena"), longer.name("readings")}
    finally:
        teardown.teardown(longer, verbose=False)
        teardown.teardown(cfg, verbose=False)


def test_iam_and_buckets_not_named_the_kit_way_are_taken_only_with_the_kit_tags(cfg):
    iam_client, s3 = cfg.client("iam"), cfg.client("s3")
    trust = json.dumps(iam.GLUE_TRUST_POLICY)
    iam_client.create_role(RoleName=cfg.name("admin"), AssumeRolePolicyDocument=trust)  # a person's, untagged
    s3.create_bucket(Bucket=cfg.name("backup"))  # someone's data, untagged
    kit_shaped = s3h.data_bucket_name(cfg.prefix, cfg.account_id(), cfg.region, purpose="extra")
    s3.create_bucket(Bucket=kit_shaped)  # named as the kit names buckets: taken even untagged
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets",
                                                                   "Resource": "*"}]})
    policy = iam_client.create_policy(PolicyName=cfg.name("learner"), PolicyDocument=document,
                                      Tags=cfg.tag_list())["Policy"]["Arn"]
    iam_client.create_user(UserName=cfg.name("someone"))
    iam_client.attach_user_policy(UserName=cfg.name("someone"), PolicyArn=policy)
    try:
        report = teardown.teardown(cfg, verbose=False)
        assert {(o.resource.kind, o.resource.name): o.result for o in report.outcomes} == {
            ("bucket", kit_shaped): teardown.DELETED, ("policy", cfg.name("learner")): teardown.FAILED}
        assert report.failures[0].detail == (f"it is attached to user {cfg.name('someone')}; "
                                             "detach it there first if it should go.")
        attached = iam_client.list_attached_user_policies(UserName=cfg.name("someone"))["AttachedPolicies"]
        assert [a["PolicyArn"] for a in attached] == [policy]
        iam_client.get_role(RoleName=cfg.name("admin"))
        s3.head_bucket(Bucket=cfg.name("backup"))
    finally:
        iam_client.detach_user_policy(UserName=cfg.name("someone"), PolicyArn=policy)
        iam_client.delete_user(UserName=cfg.name("someone"))
        iam_client.delete_role(RoleName=cfg.name("admin"))
        s3.delete_bucket(Bucket=cfg.name("backup"))
    assert teardown.teardown(cfg, verbose=False).count(teardown.DELETED) == 1  # the policy, now free


def test_a_bad_prefix_is_refused_before_anything_is_looked_at(cfg):
    with pytest.raises(teardown.KitError, match="not a kit prefix"):
        teardown.find_kit_resources(cfg, prefix="")
    with pytest.raises(teardown.KitError, match="not a kit prefix"):
        teardown.teardown(cfg, prefix="Dsca_A")


def test_describe_error_is_one_sentence():
    exc = ClientError({"Error": {"Code": "BucketNotEmpty", "Message": "The bucket you tried to delete is not empty. "
                                 "You must delete all versions in the bucket."}}, "DeleteBucket")
    assert teardown.describe_error(exc) == "BucketNotEmpty: The bucket you tried to delete is not empty."


# --- the command line ---------------------------------------------------------------------------------------


def run_cli(*args: str, prefix: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DSCA_TARGET": "local"}
    if prefix:
        env["DSCA_PREFIX"] = prefix
    return subprocess.run([sys.executable, "-m", "helpers.teardown", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300, stdin=subprocess.DEVNULL, check=False)


@pytest.mark.parametrize("args, message", [
    (["--prefix", "Bad_Prefix"], "'Bad_Prefix' is not a kit prefix"),
    (["--prefix", "dsca-a", "--all-prefixes"], "not allowed with argument"),
    (["--bogus"], "Unrecognized arguments: --bogus"),
    (["--wait", "0"], "--wait must be a positive number"),
])
def test_cli_usage_errors_exit_2_with_one_sentence(args, message):
    done = run_cli(*args)
    assert done.returncode == 2, done
    assert done.stdout == "" and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_cli_lists_dry_runs_and_deletes(cfg):
    kinesis.ensure_stream(cfg.name("sensor-stream"), tags=cfg.tags, verbose=False)
    qs.ensure_athena_data_source(cfg.name("athena"), verbose=False)
    listed = run_cli("--list", prefix=cfg.prefix)
    assert listed.returncode == 0, listed.stderr
    assert f"{cfg.prefix}  kinesis     stream       {cfg.name('sensor-stream')}" in listed.stdout
    assert f"2 resource(s) of 1 prefix(es): {cfg.prefix}." in listed.stdout

    everyone = run_cli("--list", "--all-prefixes", prefix=cfg.prefix)
    assert everyone.returncode == 0 and cfg.name("sensor-stream") in everyone.stdout
    assert "Looking for the resources of every kit prefix" in everyone.stdout

    dry = run_cli("--dry-run", "--prefix", cfg.prefix)
    assert dry.returncode == 0 and "would delete  kinesis stream" in dry.stdout and "nothing was changed" in dry.stdout
    assert kinesis.stream_summary(cfg.name("sensor-stream")) is not None

    done = run_cli(prefix=cfg.prefix)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"deleted  kinesis stream {cfg.name('sensor-stream')}" in done.stdout
    assert f"Teardown of prefix {cfg.prefix}: 2 deleted." in done.stdout
    assert kinesis.stream_summary(cfg.name("sensor-stream")) is None

    again = run_cli(prefix=cfg.prefix)
    assert again.returncode == 0 and f"Nothing was found for prefix {cfg.prefix}: nothing to delete." in again.stdout


def test_cli_exits_1_when_something_could_not_be_deleted(cfg, monkeypatch, capsys):
    kinesis.ensure_stream(cfg.name("sensor-stream"), tags=cfg.tags, verbose=False)

    def refuse(scan, resource, timeout):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Not you"}}, "DeleteStream")

    monkeypatch.setitem(teardown._DELETERS, "stream", refuse)
    assert teardown.main(["--prefix", cfg.prefix]) == 1
    out = capsys.readouterr().out
    assert f"could not  kinesis stream {cfg.name('sensor-stream')}  (AccessDenied: Not you.)" in out
    monkeypatch.undo()
    assert teardown.main(["--prefix", cfg.prefix]) == 0


def test_on_aws_deleting_asks_for_the_prefix_typed(cfg, monkeypatch, capsys):
    """Target aws (here: a Config saying so, still talking to the local endpoint)."""
    import helpers.config

    kinesis.ensure_stream(cfg.name("sensor-stream"), tags=cfg.tags, verbose=False)
    monkeypatch.setattr(helpers.config, "setup", lambda quiet=False: dataclasses.replace(cfg, target="aws"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert teardown.main([]) == 2  # no terminal to type in
    assert "needs a typed confirmation" in capsys.readouterr().err

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    assert teardown.main([]) == 1
    out = capsys.readouterr().out
    assert "Not confirmed: nothing was deleted." in out and cfg.name("sensor-stream") in out
    assert kinesis.stream_summary(cfg.name("sensor-stream")) is not None

    assert teardown.main(["--dry-run"]) == 0  # a dry run or a list never asks
    monkeypatch.setattr("builtins.input", lambda prompt: cfg.prefix)
    assert teardown.main([]) == 0
    assert kinesis.stream_summary(cfg.name("sensor-stream")) is None

    kinesis.ensure_stream(cfg.name("sensor-stream"), tags=cfg.tags, verbose=False)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("--yes must not ask"))
    assert teardown.main(["--yes"]) == 0


# --- what the local endpoint gained for it ----------------------------------------------------------------------


def test_local_quicksight_analyses_and_tags(cfg):
    q = cfg.client("quicksight")
    account = cfg.account_id()
    source = qs.ensure_athena_data_source(cfg.name("athena"), verbose=False)
    data_set = qs.ensure_data_set(cfg.name("readings"), source["Arn"], database="d", table="t",
                                  columns=qs.READING_COLUMNS, verbose=False)
    definition = {"DataSetIdentifierDeclarations": [{"Identifier": "r", "DataSetArn": data_set["Arn"]}],
                  "Sheets": [{"SheetId": "s", "Name": "S", "Visuals": []}]}
    arn = q.create_analysis(AwsAccountId=account, AnalysisId=cfg.name("analysis"), Name="A", Definition=definition,
                            Tags=cfg.tag_list())["Arn"]
    described = q.describe_analysis(AwsAccountId=account, AnalysisId=cfg.name("analysis"))["Analysis"]
    assert described["DataSetArns"] == [data_set["Arn"]] and described["Status"] == "CREATION_SUCCESSFUL"
    assert _tags(q.list_tags_for_resource(ResourceArn=arn)["Tags"]) == cfg.tags

    q.tag_resource(ResourceArn=source["Arn"], Tags=[{"Key": "team", "Value": "a"}])
    q.tag_resource(ResourceArn=source["Arn"], Tags=[{"Key": "team", "Value": "b"}, {"Key": "x", "Value": "1"}])
    q.untag_resource(ResourceArn=source["Arn"], TagKeys=["x"])
    assert _tags(q.list_tags_for_resource(ResourceArn=source["Arn"])["Tags"]) == {"team": "b"}

    deleted = q.delete_analysis(AwsAccountId=account, AnalysisId=cfg.name("analysis"))  # 30-day recovery window
    assert deleted["DeletionTime"].timestamp() > time.time() + 29 * 86400
    listed = {a["AnalysisId"]: a["Status"] for a in q.list_analyses(AwsAccountId=account)["AnalysisSummaryList"]}
    assert listed[cfg.name("analysis")] == "DELETED"
    q.delete_analysis(AwsAccountId=account, AnalysisId=cfg.name("analysis"), ForceDeleteWithoutRecovery=True)
    assert cfg.name("analysis") not in {a["AnalysisId"] for a in q.list_analyses(AwsAccountId=account)["AnalysisSummaryList"]}
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        q.list_tags_for_resource(ResourceArn=arn)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        q.delete_analysis(AwsAccountId=account, AnalysisId=cfg.name("analysis"), ForceDeleteWithoutRecovery=True)

    # Users and groups stay moto's, tags included.
    q.register_user(AwsAccountId=account, Namespace="default", IdentityType="QUICKSIGHT", Email="a@example.com",
                    UserRole="READER", UserName=cfg.name("reader"))
    user = f"arn:aws:quicksight:{cfg.region}:{account}:user/default/{cfg.name('reader')}"
    q.tag_resource(ResourceArn=user, Tags=[{"Key": "k", "Value": "v"}])
    assert _tags(q.list_tags_for_resource(ResourceArn=user)["Tags"]) == {"k": "v"}
    q.delete_user(AwsAccountId=account, Namespace="default", UserName=cfg.name("reader"))
    assert teardown.teardown(cfg, verbose=False).count(teardown.DELETED) == 2  # the data set and its source


def test_glue_forgets_the_tags_of_what_it_deleted(cfg):
    g = cfg.client("glue")
    arn = f"arn:aws:glue:{cfg.region}:{cfg.account_id()}"
    g.create_job(Name=cfg.name("job"), Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://b/x.py"},
                 Tags=cfg.tags)
    g.create_crawler(Name=cfg.name("crawler"), Role="r", Targets={"S3Targets": [{"Path": "s3://b/x/"}]}, Tags=cfg.tags)
    g.create_database(DatabaseInput={"Name": cfg.prefix.replace("-", "_") + "_db"}, Tags=cfg.tags)
    assert len(tagged_with(cfg, cfg.prefix)) == 3
    g.delete_job(JobName=cfg.name("job"))
    g.delete_crawler(Name=cfg.name("crawler"))
    g.delete_database(Name=cfg.prefix.replace("-", "_") + "_db")
    assert tagged_with(cfg, cfg.prefix) == []
    assert g.get_tags(ResourceArn=f"{arn}:job/{cfg.name('job')}")["Tags"] == {}
    g.create_job(Name=cfg.name("job"), Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://b/x.py"})
    assert g.get_tags(ResourceArn=f"{arn}:job/{cfg.name('job')}")["Tags"] == {}  # nothing inherited
    g.delete_job(JobName=cfg.name("job"))


def test_the_local_endpoint_additions_survive_a_crash(tmp_path):
    from support import client, kill_9

    home = tmp_path / "home"
    url = start(home)
    try:
        q = client("quicksight", url)
        account = "123456789012"
        source = q.create_data_source(AwsAccountId=account, DataSourceId="src", Name="src", Type="ATHENA",
                                      DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}})["Arn"]
        q.create_data_set(AwsAccountId=account, DataSetId="ds", Name="ds", ImportMode="DIRECT_QUERY",
                          PhysicalTableMap={"t": {"CustomSql": {"DataSourceArn": source, "Name": "q", "SqlQuery": "SELECT 1",
                                                               "Columns": [{"Name": "a", "Type": "INTEGER"}]}}})
        definition = {"DataSetIdentifierDeclarations": [
            {"Identifier": "d", "DataSetArn": f"arn:aws:quicksight:us-east-1:{account}:dataset/ds"}], "Sheets": []}
        q.create_analysis(AwsAccountId=account, AnalysisId="kept", Name="k", Definition=definition)
        q.create_analysis(AwsAccountId=account, AnalysisId="gone", Name="g", Definition=definition)
        q.delete_analysis(AwsAccountId=account, AnalysisId="gone", ForceDeleteWithoutRecovery=True)
        q.tag_resource(ResourceArn=source, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        q.untag_resource(ResourceArn=source, TagKeys=["a"])
        g = client("glue", url)
        g.create_job(Name="j", Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://b/x.py"}, Tags={"a": "1"})
        g.delete_job(JobName="j")
        kill_9(home)
        url = start(home)
        q = client("quicksight", url)
        assert [a["AnalysisId"] for a in q.list_analyses(AwsAccountId=account)["AnalysisSummaryList"]] == ["kept"]
        assert q.list_tags_for_resource(ResourceArn=source)["Tags"] == [{"Key": "b", "Value": "2"}]
        job = f"arn:aws:glue:us-east-1:{account}:job/j"
        assert client("glue", url).get_tags(ResourceArn=job)["Tags"] == {}
    finally:
        stop_quietly(home)

