"""Durable state: acknowledged changes survive stop/start, kill -9, and damaged files are handled.

Real processes: each test starts endpoints in its own home and kills them for real.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from support import cli, client, kill_9, start, stop_quietly

ACCOUNT = "123456789012"


@pytest.fixture
def home(tmp_path: Path):
    home = tmp_path / "home"
    yield home
    stop_quietly(home)


# --- one writer and one checker per service ---------------------------------------


def write_everything(url: str) -> dict:
    """Changes in every service the pipeline uses; returns what the checks need."""
    seen: dict = {}
    k = client("kinesis", url)
    k.create_stream(StreamName="dur", ShardCount=2)
    acked = []
    for batch in range(2):
        records = [{"Data": json.dumps({"n": batch * 400 + i}).encode(), "PartitionKey": str(i)} for i in range(400)]
        answer = k.put_records(StreamName="dur", Records=records)
        acked += [batch * 400 + i for i, r in enumerate(answer["Records"]) if "SequenceNumber" in r]
    seen["kinesis"] = sorted(acked)
    seen["last_sequence"] = max(int(r["SequenceNumber"]) for r in answer["Records"] if "SequenceNumber" in r)

    s3 = client("s3", url)
    s3.create_bucket(Bucket="dur-bucket")
    s3.put_bucket_tagging(Bucket="dur-bucket", Tagging={"TagSet": [{"Key": "project", "Value": "dsca"}]})
    for i in range(30):
        s3.put_object(Bucket="dur-bucket", Key=f"curated/part-{i:03d}.json", Body=f'{{"i": {i}}}'.encode(),
                      Metadata={"batch": str(i)}, ContentType="application/json")
    big = os.urandom(9 * 1024 * 1024)
    s3.put_object(Bucket="dur-bucket", Key="big.bin", Body=big)
    s3.put_object_tagging(Bucket="dur-bucket", Key="curated/part-001.json", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
    s3.delete_object(Bucket="dur-bucket", Key="curated/part-029.json")
    seen["big"] = big

    glue = client("glue", url)
    glue.create_database(DatabaseInput={"Name": "dur_db"})
    glue.create_table(DatabaseName="dur_db", TableInput={
        "Name": "readings", "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {"Columns": [{"Name": "reading", "Type": "double"}], "Location": "s3://dur-bucket/curated/"}})
    glue.batch_create_partition(DatabaseName="dur_db", TableName="readings", PartitionInputList=[
        {"Values": [f"2026-01-{d:02d}"], "StorageDescriptor": {"Location": f"s3://dur-bucket/curated/dt=2026-01-{d:02d}/"}}
        for d in range(1, 11)])
    glue.create_crawler(Name="dur-crawler", Role="arn:aws:iam::123456789012:role/r", DatabaseName="dur_db",
                        Targets={"S3Targets": [{"Path": "s3://dur-bucket/curated/"}]})
    glue.create_job(Name="dur-job", Role="r", Command={"Name": "gluestreaming", "ScriptLocation": "s3://dur-bucket/job.py"})
    seen["job_run"] = glue.start_job_run(JobName="dur-job")["JobRunId"]

    iam = client("iam", url)
    iam.create_role(RoleName="dur-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))

    athena = client("athena", url)
    athena.create_work_group(Name="dur-wg", Configuration={"ResultConfiguration": {"OutputLocation": "s3://dur-bucket/q/"}})
    seen["query"] = athena.start_query_execution(QueryString="SELECT 1", WorkGroup="dur-wg")["QueryExecutionId"]

    logs = client("logs", url)
    logs.create_log_group(logGroupName="/dsca/dur")
    logs.create_log_stream(logGroupName="/dsca/dur", logStreamName="run-1")
    logs.put_log_events(logGroupName="/dsca/dur", logStreamName="run-1",
                        logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": f"batch {i}"} for i in range(5)])

    qs = client("quicksight", url)
    qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="dur-ds", Name="dur-ds", Type="ATHENA",
                          DataSourceParameters={"AthenaParameters": {"WorkGroup": "dur-wg"}})
    return seen


def check_everything(url: str, seen: dict) -> None:
    k = client("kinesis", url)
    records = []
    for shard in k.list_shards(StreamName="dur")["Shards"]:
        iterator = k.get_shard_iterator(StreamName="dur", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records += k.get_records(ShardIterator=iterator, Limit=10_000)["Records"]
    payloads = [json.loads(r["Data"]) for r in records]
    assert sorted(p["n"] for p in payloads if "n" in p) == seen["kinesis"]
    # Sequence numbers carry on after a restart instead of starting again.
    after = k.put_record(StreamName="dur", Data=b'{"after": 1}', PartitionKey="0")
    used = {r["SequenceNumber"] for r in records if r["PartitionKey"] == "0"}
    assert after["SequenceNumber"] not in used and int(after["SequenceNumber"]) > max(int(s) for s in used)

    s3 = client("s3", url)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="dur-bucket")["Contents"]]
    # (q/ holds the Athena query's result files: the engine really runs the SELECT 1 above.)
    assert [k for k in keys if not k.startswith("q/")] == ["big.bin"] + [f"curated/part-{i:03d}.json" for i in range(29)]
    head = s3.head_object(Bucket="dur-bucket", Key="curated/part-007.json")
    assert head["Metadata"] == {"batch": "7"} and head["ContentType"] == "application/json"
    assert s3.get_object(Bucket="dur-bucket", Key="curated/part-007.json")["Body"].read() == b'{"i": 7}'
    assert s3.get_object(Bucket="dur-bucket", Key="big.bin")["Body"].read() == seen["big"]
    assert s3.get_object_tagging(Bucket="dur-bucket", Key="curated/part-001.json")["TagSet"] == [{"Key": "t", "Value": "v"}]
    assert s3.get_bucket_tagging(Bucket="dur-bucket")["TagSet"] == [{"Key": "project", "Value": "dsca"}]

    glue = client("glue", url)
    assert [t["Name"] for t in glue.get_tables(DatabaseName="dur_db")["TableList"]] == ["readings"]
    partitions = glue.get_partitions(DatabaseName="dur_db", TableName="readings")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == [f"2026-01-{d:02d}" for d in range(1, 11)]
    assert glue.get_crawler(Name="dur-crawler")["Crawler"]["Targets"]["S3Targets"][0]["Path"] == "s3://dur-bucket/curated/"
    run = glue.get_job_run(JobName="dur-job", RunId=seen["job_run"])["JobRun"]
    assert run["Id"] == seen["job_run"]

    assert client("iam", url).get_role(RoleName="dur-role")["Role"]["RoleName"] == "dur-role"
    athena = client("athena", url)
    assert athena.get_work_group(WorkGroup="dur-wg")["WorkGroup"]["Name"] == "dur-wg"
    assert athena.get_query_execution(QueryExecutionId=seen["query"])["QueryExecution"]["Query"] == "SELECT 1"

    events = client("logs", url).get_log_events(logGroupName="/dsca/dur", logStreamName="run-1")["events"]
    assert [e["message"] for e in events] == [f"batch {i}" for i in range(5)]
    qs = client("quicksight", url)
    assert qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="dur-ds")["DataSource"]["Name"] == "dur-ds"


@pytest.mark.parametrize("how", ["stop", "kill -9"])
def test_every_service_keeps_its_state_across_a_restart(home, how):
    url = start(home)
    seen = write_everything(url)
    if how == "stop":
        assert cli("stop", home=home).returncode == 0
        assert (home / "state" / "snapshot.pickle").exists()
        assert (home / "state" / "journal.log").stat().st_size == 0  # the snapshot holds it all
    else:
        kill_9(home)
    url = start(home)
    check_everything(url, seen)
    # And once more: state written after a restart is kept too.
    kill_9(home)
    check_everything(start(home), seen)


def test_status_shows_where_the_state_lives_and_its_size(home):
    url = start(home)
    client("s3", url).create_bucket(Bucket="sized")
    status = cli("status", home=home).stdout
    assert f"state:    {home.resolve() / 'state'}" in status and "kept across restarts" in status
    assert " 0 bytes" not in status


def test_ids_handed_out_before_a_crash_still_resolve_after_it(home):
    url = start(home)
    athena = client("athena", url)
    ids = [athena.start_query_execution(QueryString=f"SELECT {i}", ResultConfiguration={"OutputLocation": "s3://b/q/"})
           ["QueryExecutionId"] for i in range(5)]
    kill_9(home)
    athena = client("athena", start(home))
    assert [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids] == \
        [f"SELECT {i}" for i in range(5)]


def test_throttled_entries_are_not_brought_back_by_the_replay(home):
    url = start(home)
    k = client("kinesis", url, attempts=1)
    k.create_stream(StreamName="throttled", ShardCount=1)
    acked = []
    for batch in range(5):  # 2,500 records at once into one shard: some are refused
        answer = k.put_records(StreamName="throttled", Records=[
            {"Data": json.dumps({"n": batch * 500 + i}).encode(), "PartitionKey": str(i)} for i in range(500)])
        acked += [batch * 500 + i for i, r in enumerate(answer["Records"]) if "SequenceNumber" in r]
    assert len(acked) < 2500
    kill_9(home)
    k = client("kinesis", start(home))
    iterator = k.get_shard_iterator(StreamName="throttled", ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert sorted(json.loads(r["Data"])["n"] for r in k.get_records(ShardIterator=iterator, Limit=10_000)["Records"]) == acked


def test_parallel_clients_get_their_own_answers_and_lose_nothing(home):
    url = start(home)
    client("s3", url).create_bucket(Bucket="parallel")
    client("kinesis", url).create_stream(StreamName="parallel", ShardCount=2)
    client("glue", url).create_database(DatabaseInput={"Name": "parallel_db"})
    problems: list[str] = []
    acked_records: list[int] = []
    lock = threading.Lock()

    def s3_worker(w: int) -> None:
        s3 = client("s3", url)
        for i in range(40):
            key, body = f"w{w}/o{i}", f"worker {w} object {i}".encode()
            s3.put_object(Bucket="parallel", Key=key, Body=body)
            if s3.get_object(Bucket="parallel", Key=key)["Body"].read() != body:
                problems.append(f"{key} came back with other data")

    def kinesis_worker(w: int) -> None:
        k = client("kinesis", url, attempts=10)
        for b in range(5):
            records = [{"Data": json.dumps({"n": w * 10_000 + b * 100 + i}).encode(), "PartitionKey": f"{w}-{i}"}
                       for i in range(100)]
            answer = k.put_records(StreamName="parallel", Records=records)
            with lock:
                acked_records.extend(json.loads(r["Data"])["n"] for r, a in zip(records, answer["Records"]) if "SequenceNumber" in a)

    def glue_worker(w: int) -> None:
        glue = client("glue", url)
        for i in range(10):
            glue.create_table(DatabaseName="parallel_db", TableInput={"Name": f"t_{w}_{i}"})
            names = {t["Name"] for t in glue.get_tables(DatabaseName="parallel_db")["TableList"]}
            if f"t_{w}_{i}" not in names:
                problems.append(f"table t_{w}_{i} missing right after its creation")

    threads = [threading.Thread(target=f, args=(w,)) for f in (s3_worker, kinesis_worker, glue_worker) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client hung: deadlock?"
    assert problems == []
    kill_9(home)
    url = start(home)
    s3 = client("s3", url)
    assert s3.list_objects_v2(Bucket="parallel")["KeyCount"] == 120
    assert s3.get_object(Bucket="parallel", Key="w2/o39")["Body"].read() == b"worker 2 object 39"
    assert len(client("glue", url).get_tables(DatabaseName="parallel_db")["TableList"]) == 30
    k = client("kinesis", url)
    found = []
    for shard in ("shardId-000000000000", "shardId-000000000001"):
        iterator = k.get_shard_iterator(StreamName="parallel", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        found += [json.loads(r["Data"])["n"] for r in k.get_records(ShardIterator=iterator, Limit=10_000)["Records"]]
    assert sorted(found) == sorted(acked_records)


# --- damaged, foreign or unusable state ----------------------------------------------


def _crash_with_journal(home: Path, buckets: int = 3) -> None:
    url = start(home)
    s3 = client("s3", url)
    for i in range(buckets):
        s3.create_bucket(Bucket=f"bucket-{i}")
    kill_9(home)


def test_a_torn_last_record_is_dropped_and_the_rest_kept(home):
    _crash_with_journal(home)
    with open(home / "state" / "journal.log", "ab") as journal:
        journal.write(b"LJ\x00\x00\x01\x00\x00\x00")  # a crash in the middle of an append
    url = start(home)
    assert [b["Name"] for b in client("s3", url).list_buckets()["Buckets"]] == ["bucket-0", "bucket-1", "bucket-2"]
    client("s3", url).create_bucket(Bucket="bucket-3")  # appends follow the good records
    kill_9(home)
    assert len(client("s3", start(home)).list_buckets()["Buckets"]) == 4


def test_a_corrupt_journal_refuses_to_start_and_recover_keeps_the_good_part(home):
    _crash_with_journal(home)
    journal = home / "state" / "journal.log"
    data = bytearray(journal.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip a byte inside a middle record
    journal.write_bytes(bytes(data))
    refused = cli("start", "--port", "0", home=home)
    assert refused.returncode == 1
    assert "corrupt" in refused.stderr and "local_aws reset" in refused.stderr and "--recover" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (home / "endpoint.json").exists()
    url = start(home, "--recover")
    names = [b["Name"] for b in client("s3", url).list_buckets()["Buckets"]]
    assert names and names == [f"bucket-{i}" for i in range(len(names))] and len(names) < 3


def test_a_corrupt_snapshot_refuses_to_start_and_recover_uses_the_previous_one(home):
    url = start(home)
    client("s3", url).create_bucket(Bucket="first")
    cli("stop", home=home)
    url = start(home)
    client("s3", url).create_bucket(Bucket="second")
    cli("stop", home=home)  # snapshot.prev.pickle holds "first" only
    (home / "state" / "snapshot.pickle").write_bytes(b"\x80\x05 not a pickle")
    refused = cli("start", "--port", "0", home=home)
    assert refused.returncode == 1 and "cannot be read" in refused.stderr and "--recover" in refused.stderr
    url = start(home, "--recover")
    assert [b["Name"] for b in client("s3", url).list_buckets()["Buckets"]] == ["first"]


def test_state_from_a_newer_kit_is_refused_clearly(home):
    _crash_with_journal(home, buckets=1)
    (home / "state" / "FORMAT.json").write_text(json.dumps({"format": 99, "kit": "9.0.0", "moto": "9.9.9"}))
    refused = cli("start", "--port", "0", home=home)
    assert refused.returncode == 1
    assert "written by a newer local_aws (format 99, kit 9.0.0)" in refused.stderr


def test_reset_wipes_the_saved_state_too(home):
    url = start(home)
    client("s3", url).create_bucket(Bucket="gone-after-reset")
    assert cli("reset", home=home).returncode == 0
    kill_9(home)
    assert client("s3", start(home)).list_buckets()["Buckets"] == []


def test_no_persist_keeps_state_in_memory_only(home):
    url = start(home, "--no-persist")
    client("s3", url).create_bucket(Bucket="ephemeral")
    assert "in memory only" in cli("status", home=home).stdout
    cli("stop", home=home)
    assert not (home / "state" / "journal.log").exists()
    assert client("s3", start(home)).list_buckets()["Buckets"] == []


def test_a_state_path_that_is_not_a_directory_is_one_sentence(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "state").write_text("a file where the state directory should be")
    result = cli("start", "--port", "0", home=home)
    assert result.returncode == 1 and "is not usable" in result.stderr and "Traceback" not in result.stderr


# --- in-process: a full disk --------------------------------------------------------------


@pytest.fixture
def inprocess(tmp_path, monkeypatch):
    from werkzeug.serving import make_server

    from local_aws.dispatch import Registry
    from local_aws.home import Home
    from local_aws.server import build_app, open_state

    home = Home(tmp_path / "inproc")
    home.prepare()
    app = build_app(Registry(), {"started_at": time.time()})
    open_state(app, home, recover=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", app
    server.shutdown()
    app.persistence.journal.close()


def test_a_full_disk_refuses_changes_and_changes_nothing(inprocess, monkeypatch):
    url, app = inprocess
    s3 = client("s3", url, attempts=1)
    s3.create_bucket(Bucket="before-full")
    monkeypatch.setattr(app.persistence, "has_room_for", lambda size: False)
    with pytest.raises(Exception) as caught:
        s3.put_object(Bucket="before-full", Key="k", Body=b"x")
    assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert "is full" in caught.value.response["Error"]["Message"]
    assert s3.list_objects_v2(Bucket="before-full")["KeyCount"] == 0  # reads still work


def test_a_failed_journal_write_is_not_acknowledged(inprocess, monkeypatch):
    url, app = inprocess

    def disk_error(header, body):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(app.persistence.journal, "append", disk_error)
    with pytest.raises(Exception) as caught:
        client("s3", url, attempts=1).create_bucket(Bucket=f"b-{uuid.uuid4().hex[:8]}")
    assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert "could not save this change" in caught.value.response["Error"]["Message"]
