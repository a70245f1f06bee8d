"""The endpoint's Kinesis write limits (1,000 records/s or 1 MiB/s per shard) and write safety."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from helpers import kinesis


def client(url: str, attempts: int = 1):
    return boto3.client(
        "kinesis", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y",
        config=botocore.config.Config(retries={"total_max_attempts": attempts, "mode": "standard"}),
    )


def set_limits(url: str, on: bool) -> dict:
    request = urllib.request.Request(url + "/_local_aws/config", data=json.dumps({"kinesis_limits": on}).encode(), method="POST")
    return json.loads(urllib.request.urlopen(request, timeout=10).read())


@pytest.fixture
def stream(endpoint_url):
    name = f"limits-{uuid.uuid4().hex[:8]}"
    client(endpoint_url).create_stream(StreamName=name, ShardCount=1)
    yield name
    client(endpoint_url).delete_stream(StreamName=name)


def entries(n: int, size: int = 20, start: int = 0) -> list[dict]:
    return [{"Data": json.dumps({"i": start + i, "pad": "x" * size}).encode(), "PartitionKey": str(start + i)} for i in range(n)]


def stored(url: str, name: str) -> list[dict]:
    return kinesis.read_records(name, limit=100_000, kinesis=client(url, 3))


def test_records_beyond_1000_per_second_are_throttled_per_entry(endpoint_url, stream):
    import time

    c = client(endpoint_url)
    started = time.monotonic()
    answers = [c.put_records(StreamName=stream, Records=entries(500, start=500 * i)) for i in range(5)]
    elapsed = time.monotonic() - started
    assert answers[0]["FailedRecordCount"] == 0 and answers[1]["FailedRecordCount"] == 0
    accepted = [(call * 500 + i) for call, a in enumerate(answers) for i, r in enumerate(a["Records"]) if "SequenceNumber" in r]
    # A full bucket (1,000) plus what refilled while the calls ran, and no more.
    assert 1000 <= len(accepted) <= 1000 + 1000 * elapsed + 1
    failed = [r for a in answers for r in a["Records"] if "ErrorCode" in r]
    assert len(failed) == sum(a["FailedRecordCount"] for a in answers) == 2500 - len(accepted)
    assert {r["ErrorCode"] for r in failed} == {"ProvisionedThroughputExceededException"}
    assert failed[0]["ErrorMessage"].startswith(f"Rate exceeded for shard shardId-000000000000 in stream {stream}")
    # Exactly the acknowledged entries were written, nothing else.
    assert sorted(r["data"]["i"] for r in stored(endpoint_url, stream)) == accepted


def test_the_byte_limit_applies_too(endpoint_url, stream):
    big = [{"Data": b"x" * (600 * 1024), "PartitionKey": str(i)} for i in range(2)]
    answer = client(endpoint_url).put_records(StreamName=stream, Records=big)
    assert ["SequenceNumber" in r for r in answer["Records"]] == [True, False]
    assert answer["Records"][1]["ErrorCode"] == "ProvisionedThroughputExceededException"


def test_the_allowance_comes_back_after_a_second(endpoint_url, stream):
    import time

    c = client(endpoint_url)
    c.put_records(StreamName=stream, Records=entries(500))
    c.put_records(StreamName=stream, Records=entries(500, start=500))
    time.sleep(1.1)
    assert c.put_records(StreamName=stream, Records=entries(500, start=1000))["FailedRecordCount"] == 0


def test_put_record_fails_as_a_whole_when_throttled(endpoint_url, stream):
    c = client(endpoint_url)
    c.put_record(StreamName=stream, Data=b"x" * (600 * 1024), PartitionKey="k")
    with pytest.raises(ClientError) as caught:  # 1.2 MiB within milliseconds: over 1 MiB/s
        c.put_record(StreamName=stream, Data=b"y" * (600 * 1024), PartitionKey="k")
    assert caught.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert len(stored(endpoint_url, stream)) == 1


def test_on_demand_streams_are_not_limited(endpoint_url):
    c = client(endpoint_url)
    name = f"limits-od-{uuid.uuid4().hex[:8]}"
    c.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert [c.put_records(StreamName=name, Records=entries(500))["FailedRecordCount"] for _ in range(4)] == [0, 0, 0, 0]


def test_limits_can_be_switched_off_and_on(endpoint_url, stream):
    c = client(endpoint_url)
    assert set_limits(endpoint_url, False) == {"kinesis_limits": False}
    try:
        assert [c.put_records(StreamName=stream, Records=entries(500))["FailedRecordCount"] for _ in range(4)] == [0] * 4
    finally:
        assert set_limits(endpoint_url, True) == {"kinesis_limits": True}


@pytest.mark.parametrize(
    "records, code",
    [
        (entries(501), "ValidationException"),
        ([{"Data": b"x" * (1024 * 1024), "PartitionKey": str(i)} for i in range(6)], "InvalidArgumentException"),
    ],
)
def test_oversized_requests_are_refused_whole_and_write_nothing(endpoint_url, stream, records, code):
    with pytest.raises(ClientError) as caught:
        client(endpoint_url).put_records(StreamName=stream, Records=records)
    assert caught.value.response["Error"]["Code"] == code
    assert stored(endpoint_url, stream) == []


def test_a_missing_stream_is_resource_not_found(endpoint_url):
    with pytest.raises(ClientError) as caught:
        client(endpoint_url).put_records(StreamName="no-such-stream", Records=entries(1))
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_concurrent_producers_lose_nothing(endpoint_url):
    """moto's shard numbers records as "last + 1"; the endpoint serialises writes per stream."""
    c = client(endpoint_url)
    name = f"limits-conc-{uuid.uuid4().hex[:8]}"
    c.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    errors = []

    def produce(worker: int) -> None:
        own = client(endpoint_url, 3)
        try:
            for batch in range(4):
                answer = own.put_records(StreamName=name, Records=entries(100, start=worker * 1000 + batch * 100))
                assert answer["FailedRecordCount"] == 0
        except Exception as exc:  # reported below: threads cannot fail the test directly
            errors.append(exc)

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    records = stored(endpoint_url, name)
    expected = {w * 1000 + b * 100 + i for w in range(6) for b in range(4) for i in range(100)}
    assert sorted(r["data"]["i"] for r in records) == sorted(expected)
    for shard in {r["shard_id"] for r in records}:
        numbers = [r["sequence_number"] for r in records if r["shard_id"] == shard]
        assert len(numbers) == len(set(numbers))
