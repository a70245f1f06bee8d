"""helpers.kinesis and the exercise check, against the session's local endpoint."""

from __future__ import annotations

import hashlib

import boto3
import botocore.config
import pytest

from helpers import exercises, kinesis
from helpers.errors import KitError





def test_ensure_stream_creates_an_active_tagged_stream(cfg, capsys):
    name = cfg.name("s")
    summary = kinesis.ensure_stream(name, shard_count=2, tags=cfg.tags)
    assert capsys.readouterr().out == f"Created {name} (provisioned, 2 open shards, ACTIVE)\n"
    assert summary["StreamStatus"] == "ACTIVE" and summary["OpenShardCount"] == 2
    assert summary["StreamModeDetails"]["StreamMode"] == "PROVISIONED"
    desc = kinesis.describe_stream(name)
    assert [s["ShardId"] for s in desc["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert desc["Tags"] == cfg.tags


def test_ensure_stream_twice_leaves_the_stream_and_its_data_alone(cfg, capsys):
    name = cfg.name("s")
    kinesis.ensure_stream(name, tags=cfg.tags)
    kinesis.put_record(name, {"kept": True})
    capsys.readouterr()
    again = kinesis.ensure_stream(name, shard_count=3, tags=cfg.tags)
    out = capsys.readouterr().out
    assert out.startswith(f"Stream already exists: {name} (provisioned, 1 open shard, ACTIVE)")
    assert "left unchanged" in out
    assert again["OpenShardCount"] == 1
    assert [r["data"] for r in kinesis.read_records(name)] == [{"kept": True}]
    assert kinesis.list_streams(cfg.prefix) == [name]


def test_ensure_stream_adds_missing_tags_to_an_existing_stream(cfg):
    name = cfg.name("s")
    boto3.client("kinesis").create_stream(StreamName=name, ShardCount=1)
    kinesis.ensure_stream(name, tags=cfg.tags, verbose=False)
    assert kinesis.list_stream_tags(name) == cfg.tags


def test_on_demand_streams(cfg):
    summary = kinesis.ensure_stream(cfg.name("od"), on_demand=True, verbose=False)
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"


@pytest.mark.parametrize("name", ["", "has space", "x" * 129, "slash/inside"])
def test_invalid_stream_names_are_refused_before_any_call(cfg, name):
    with pytest.raises(KitError, match="is not a valid stream name"):
        kinesis.ensure_stream(name)


def test_zero_shards_is_refused(cfg):
    with pytest.raises(KitError, match="needs at least 1 shard"):
        kinesis.ensure_stream(cfg.name("s"), shard_count=0)
    assert kinesis.list_streams(cfg.prefix) == []


@pytest.mark.parametrize("data, expected", [({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 2]}), ("plain text", "plain text"),
                                            (b"\x00\x01binary", "\x00\x01binary")])
def test_put_record_and_read_it_back(cfg, data, expected):
    name = cfg.name("s")
    kinesis.ensure_stream(name, verbose=False)
    receipt = kinesis.put_record(name, data, partition_key="k")
    (record,) = kinesis.read_records(name, position="AT_SEQUENCE_NUMBER", shard_id=receipt["ShardId"],
                                     sequence_number=receipt["SequenceNumber"], limit=1)
    assert record["data"] == expected
    assert record["partition_key"] == "k" and record["sequence_number"] == receipt["SequenceNumber"]


def test_partition_keys_pick_shards_by_md5_hash_range(cfg):
    name = cfg.name("s")
    kinesis.ensure_stream(name, shard_count=2, verbose=False)
    shards = {s["ShardId"]: s["HashKeyRange"] for s in kinesis.list_shards(name)}
    for i in range(20):
        key = f"device-{i}"
        receipt = kinesis.put_record(name, {"i": i}, partition_key=key)
        hashed = int(hashlib.md5(key.encode()).hexdigest(), 16)
        expected = next(sid for sid, r in shards.items() if int(r["StartingHashKey"]) <= hashed <= int(r["EndingHashKey"]))
        assert receipt["ShardId"] == expected
    # The default partition key is deterministic: equal payloads go to the same shard.
    first = kinesis.put_record(name, {"same": 1})["ShardId"]
    assert all(kinesis.put_record(name, {"same": 1})["ShardId"] == first for _ in range(3))


def test_read_records_reads_every_shard_and_respects_the_limit(cfg):
    name = cfg.name("s")
    kinesis.ensure_stream(name, shard_count=3, verbose=False)
    client = boto3.client("kinesis")
    for batch in range(3):
        entries = [{"Data": f'{{"n": {batch * 200 + i}}}'.encode(), "PartitionKey": str(batch * 200 + i)} for i in range(200)]
        assert client.put_records(StreamName=name, Records=entries)["FailedRecordCount"] == 0
    records = kinesis.read_records(name, limit=10_000)
    assert sorted(r["data"]["n"] for r in records) == list(range(600))
    assert len({r["shard_id"] for r in records}) == 3
    assert len(kinesis.read_records(name, limit=50)) == 50
    # Records keep their order within a shard.
    for shard in {r["shard_id"] for r in records}:
        seqs = [int(r["sequence_number"]) for r in records if r["shard_id"] == shard]
        assert seqs == sorted(seqs)


def test_a_record_over_1_mib_is_refused_and_nothing_is_sent(cfg):
    name = cfg.name("s")
    kinesis.ensure_stream(name, verbose=False)
    with pytest.raises(KitError, match="at most 1 MiB per record"):
        kinesis.put_record(name, "x" * (1024 * 1024), partition_key="k")
    assert kinesis.read_records(name) == []


def test_writing_to_a_missing_stream_names_the_stream(cfg):
    with pytest.raises(KitError, match=f"Stream {cfg.name('nope')} does not exist"):
        kinesis.put_record(cfg.name("nope"), {"a": 1})
    with pytest.raises(KitError, match=f"Stream {cfg.name('nope')} does not exist"):
        kinesis.describe_stream(cfg.name("nope"))


def test_sequence_positions_need_their_shard(cfg):
    with pytest.raises(KitError, match="needs sequence_number= and the shard_id="):
        kinesis.read_records(cfg.name("s"), position="AT_SEQUENCE_NUMBER", sequence_number="1")


def test_list_streams_filters_by_prefix_across_pages(cfg):
    for i in range(12):
        kinesis.ensure_stream(cfg.name(f"many-{i:02d}"), verbose=False)
    client = boto3.client("kinesis")
    # Small pages force the paginator through several ListStreams calls.
    pages = client.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 5})
    assert sum(1 for _ in pages) >= 3
    assert kinesis.list_streams(cfg.prefix) == [cfg.name(f"many-{i:02d}") for i in range(12)]


def test_delete_stream_is_idempotent(cfg, capsys):
    name = cfg.name("s")
    kinesis.ensure_stream(name, verbose=False)
    assert kinesis.delete_stream(name) is True
    assert kinesis.delete_stream(name) is False
    assert capsys.readouterr().out.splitlines() == [f"Deleted {name}.", f"Stream {name} does not exist; nothing to delete."]
    assert kinesis.stream_summary(name) is None


def test_exercise_01_check_explains_what_is_missing_then_passes(cfg, capsys):
    name = cfg.name("exercise-stream")
    assert exercises.check_exercise_01(cfg) is False
    assert "✗ stream" in capsys.readouterr().out

    kinesis.ensure_stream(name, shard_count=2, verbose=False)  # untagged, empty
    assert exercises.check_exercise_01(cfg) is False
    out = capsys.readouterr().out
    assert "✓ it has 2 open shards" in out and "✗ it carries the kit's tags" in out and "✗ it holds at least 3 records" in out

    kinesis.ensure_stream(name, shard_count=2, tags=cfg.tags, verbose=False)
    for key in ["sensor-0001", "sensor-0002", "sensor-0003"]:  # all three hash to the same shard
        kinesis.put_record(name, {"k": key}, partition_key=key)
    assert exercises.check_exercise_01(cfg) is False
    assert "try other partition keys" in capsys.readouterr().out

    kinesis.put_record(name, {"k": "sensor-0006"}, partition_key="sensor-0006")  # the other half of the hash space
    assert exercises.check_exercise_01(cfg) is True
    assert "Well done" in capsys.readouterr().out


def test_exercise_01_check_rejects_one_shard(cfg, capsys):
    kinesis.ensure_stream(cfg.name("exercise-stream"), shard_count=1, tags=cfg.tags, verbose=False)
    assert exercises.check_exercise_01(cfg) is False
    assert "✗ it has 2 open shards (found 1)" in capsys.readouterr().out


def test_list_streams_pages_like_aws(cfg):
    """The endpoint answers ListStreams with NextToken paging (moto alone does not)."""
    names = sorted(cfg.name(f"page-{i:02d}") for i in range(7))
    client = boto3.client("kinesis")
    for name in names:
        client.create_stream(StreamName=name, ShardCount=1)
    first = client.list_streams(Limit=3, ExclusiveStartStreamName=cfg.prefix)
    assert first["StreamNames"] == names[:3] and first["HasMoreStreams"] and first["NextToken"]
    assert [s["StreamName"] for s in first["StreamSummaries"]] == names[:3]
    second = client.list_streams(Limit=3, NextToken=first["NextToken"])
    assert second["StreamNames"] == names[3:6]
    with pytest.raises(client.exceptions.InvalidArgumentException):
        client.list_streams(NextToken="garbage!")
    unvalidated = boto3.client("kinesis", config=botocore.config.Config(parameter_validation=False))
    with pytest.raises(client.exceptions.ClientError, match="between 1 and 10000"):
        unvalidated.list_streams(Limit=0)
