"""The sender: batching, retries of failed entries only, pacing, and no loss under throttling."""

from __future__ import annotations

import io
import json

import pytest

from helpers import kinesis
from helpers.errors import KitError
from helpers.kdg.sender import MAX_BATCH_BYTES, send_records





class FakeKinesis:
    """A stand-in client: records every PutRecords call and refuses entries as told."""

    def __init__(self, refuse=lambda call, index, entry: None):
        self.calls: list[list[dict]] = []
        self.refuse = refuse

    def describe_stream_summary(self, StreamName):
        return {"StreamDescriptionSummary": {"StreamName": StreamName, "StreamStatus": "ACTIVE"}}

    def put_records(self, StreamName, Records):
        call = len(self.calls)
        self.calls.append(list(Records))
        results = []
        for index, entry in enumerate(Records):
            code = self.refuse(call, index, entry)
            results.append({"ErrorCode": code, "ErrorMessage": "no"} if code else
                           {"SequenceNumber": str(call * 1000 + index), "ShardId": "shardId-000000000000"})
        return {"FailedRecordCount": sum("ErrorCode" in r for r in results), "Records": results}


def test_no_record_is_lost_under_enforced_shard_limits(cfg):
    """3,000 records as fast as possible into one shard (1,000 records/s): throttled, retried, all delivered."""
    name = cfg.name("noloss")
    kinesis.ensure_stream(name, shard_count=1, verbose=False)
    out = io.StringIO()
    report = send_records(name, ({"n": i} for i in range(3000)), total=3000, seed=7, out=out)
    assert (report.sent, report.failed) == (3000, 0)
    assert report.throttled > 0 and report.retried == report.throttled
    assert report.errors == {"ProvisionedThroughputExceededException": report.throttled}
    in_stream = kinesis.read_records(name, limit=10_000)
    assert sorted(r["data"]["n"] for r in in_stream) == list(range(3000))  # each exactly once
    assert out.getvalue().splitlines()[-1].startswith(f"{name}: sent 3,000 records in ")
    assert "0 failed" in out.getvalue()


def test_partition_keys_spread_records_over_all_shards(cfg):
    name = cfg.name("spread")
    kinesis.ensure_stream(name, shard_count=4, verbose=False)
    report = send_records(name, (f"record {i}" for i in range(800)), progress=False, seed=1)
    assert report.sent == 800
    assert len(report.shards) == 4 and min(report.shards.values()) > 100
    again = kinesis.ensure_stream(cfg.name("spread2"), shard_count=4, verbose=False)
    second = send_records(again["StreamName"], (f"record {i}" for i in range(800)), progress=False, seed=1)
    assert second.shards == report.shards  # same seed, same keys, same shards


def test_a_target_rate_is_held_by_pacing(cfg):
    name = cfg.name("paced")
    kinesis.ensure_stream(name, shard_count=1, verbose=False)
    report = send_records(name, ({"n": i} for i in range(300)), rate=200, progress=False)
    assert report.sent == 300
    # Paced, not sent as one burst: record n is not released before n / rate seconds.
    assert report.elapsed >= (300 - 1) / 200 - 0.01
    assert report.batches >= 300 // 20  # about ten calls per second at 200 records/s


def test_batches_hold_at_most_500_records_and_5_mib():
    fake = FakeKinesis()
    records = [b"x" * (100 * 1024)] * 120 + [b"y"] * 900
    report = send_records("s", records, kinesis=fake, progress=False, partition_key=lambda d: "k")
    assert report.sent == 1020
    assert all(len(call) <= 500 for call in fake.calls)
    assert all(sum(len(e["Data"]) + 1 for e in call) <= MAX_BATCH_BYTES for call in fake.calls)
    assert sum(len(call) for call in fake.calls) == 1020


def test_only_failed_entries_are_sent_again():
    fake = FakeKinesis(refuse=lambda call, i, e: "ProvisionedThroughputExceededException" if call == 0 and i % 3 == 0 else None)
    report = send_records("s", [f"r{i}" for i in range(9)], kinesis=fake, progress=False, base_delay=0.001)
    assert [[e["Data"] for e in call] for call in fake.calls] == [
        [f"r{i}".encode() for i in range(9)],
        [b"r0", b"r3", b"r6"],
    ]
    assert (report.sent, report.retried, report.throttled, report.failed) == (9, 3, 3, 0)


def test_entries_still_refused_after_the_last_attempt_are_reported_not_dropped():
    fake = FakeKinesis(refuse=lambda call, i, e: "ProvisionedThroughputExceededException" if i == 0 else None)
    report = send_records("s", ["a", "b"], kinesis=fake, progress=False, max_attempts=4, base_delay=0.001)
    assert (report.sent, report.failed, report.retried) == (1, 1, 3)
    assert len(fake.calls) == 4
    (data, key, reason) = report.failed_records[0]
    assert data == b"a" and "after 4 attempts" in reason


def test_non_retryable_entry_errors_are_reported_at_once():
    fake = FakeKinesis(refuse=lambda call, i, e: "AccessDeniedException" if i == 1 else None)
    report = send_records("s", ["a", "b", "c"], kinesis=fake, progress=False)
    assert len(fake.calls) == 1 and (report.sent, report.failed) == (2, 1)
    assert report.failed_records[0][2].startswith("AccessDeniedException")


def test_backoff_grows_exponentially_with_jitter_and_is_bounded(monkeypatch):
    sleeps = []
    monkeypatch.setattr("helpers.kdg.sender.time.sleep", sleeps.append)
    fake = FakeKinesis(refuse=lambda call, i, e: "InternalFailure")
    send_records("s", ["a"], kinesis=fake, progress=False, max_attempts=6, base_delay=0.1, max_delay=1.0, seed=3)
    caps = [min(1.0, 0.1 * 2**attempt) for attempt in range(1, 6)]
    assert len(sleeps) == 5 and all(0 <= s <= cap for s, cap in zip(sleeps, caps))
    assert len(set(sleeps)) == 5  # jittered, not a fixed schedule


def test_a_missing_stream_is_named_and_nothing_is_sent(cfg):
    records = iter(["never rendered"])
    with pytest.raises(KitError, match=f"Stream {cfg.name('absent')} does not exist.*Nothing was sent"):
        send_records(cfg.name("absent"), records, progress=False)
    assert next(records) == "never rendered"


def test_an_oversized_record_stops_the_send_and_says_what_was_sent():
    fake = FakeKinesis()
    records = ["ok"] * 3 + ["x" * (1024 * 1024)] + ["after"]
    with pytest.raises(KitError, match=r"Record 4 is 1,048,5\d\d bytes.*3 records before it were sent"):
        send_records("s", records, kinesis=fake, progress=False, partition_key=lambda d: "k")
    assert sum(len(c) for c in fake.calls) == 3


@pytest.mark.parametrize("rate", [0, -5])
def test_a_bad_rate_is_refused(rate):
    with pytest.raises(KitError, match="is not valid"):
        send_records("s", ["a"], kinesis=FakeKinesis(), rate=rate, progress=False)


def test_json_objects_are_sent_compact():
    fake = FakeKinesis()
    send_records("s", [{"a": 1, "b": "x"}], kinesis=fake, progress=False)
    assert json.loads(fake.calls[0][0]["Data"]) == {"a": 1, "b": "x"}
    assert fake.calls[0][0]["Data"] == b'{"a":1,"b":"x"}'


def test_progress_bar_and_summary_go_to_the_given_stream():
    out = io.StringIO()
    send_records("s", ["a"] * 10, kinesis=FakeKinesis(), total=10, out=out)
    text = out.getvalue()
    assert "10/10" in text and text.rstrip().splitlines()[-1].startswith("s: sent 10 records in ")


def test_without_a_rate_batches_are_full():
    fake = FakeKinesis()
    report = send_records("s", ["a"] * 2000, kinesis=fake, progress=False)
    assert report.batches == 4 and [len(c) for c in fake.calls] == [500] * 4
