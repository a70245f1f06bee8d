"""The Kinesis streaming source: Glue's connection options, read from the local stream with boto3.

``create_data_frame.from_options(connection_type="kinesis", connection_options=...)``
accepts Glue's options (names are matched without regard to case):

* ``streamARN`` or ``streamName`` (+ optional ``endpointUrl``; locally the
  endpoint comes from ``AWS_ENDPOINT_URL`` in the job's environment);
* ``classification``: ``json`` (the only one the local runtime reads);
* ``inferSchema``: ``"true"`` -- each batch has one string column,
  ``$json$data_infer_schema$_temporary$``, holding the record as sent (what
  Glue hands ``forEachBatch`` with schema inference on); ``"false"`` -- a
  ``schema`` option (Spark DDL, e.g. ``"`a` STRING, `b` INT"``) is required and
  the batch has those columns, parsed permissively (malformed records become
  nulls, as in Glue);
* ``startingPosition``: ``TRIM_HORIZON`` / ``EARLIEST``, ``LATEST`` (the
  default), or an ISO-8601 UTC timestamp (``2026-01-01T00:00:00Z``). It applies
  only when the checkpoint is new; new shards found later start at TRIM_HORIZON;
* ``maxFetchRecordsPerShard`` (default 100000): at most this many records per
  shard in one batch; ``maxRecordPerRead`` (default 10000): ``Limit`` of each
  ``GetRecords`` call;
* ``addRecordTimestamp``: ``"true"`` adds ``__src_timestamp`` (the record's
  ``ApproximateArrivalTimestamp``).

Other Glue options (``emitConsumerLagMetrics``, ``idleTimeBetweenReadsInMs``,
role options ...) are accepted and ignored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from .s3 import client

__all__ = ["KinesisOptions", "KinesisReader", "Record", "RAW_COLUMN", "TIMESTAMP_COLUMN"]

RAW_COLUMN = "$json$data_infer_schema$_temporary$"
TIMESTAMP_COLUMN = "__src_timestamp"


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


@dataclass
class KinesisOptions:
    stream_name: str
    stream_arn: str | None
    region: str | None
    endpoint_url: str | None
    starting_position: str  # TRIM_HORIZON | LATEST | AT_TIMESTAMP
    starting_timestamp: float | None
    infer_schema: bool
    schema: str | None
    max_fetch_records_per_shard: int = 100_000
    max_record_per_read: int = 10_000
    add_record_timestamp: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, options: dict[str, Any]) -> "KinesisOptions":
        lowered = {str(k).lower(): v for k, v in (options or {}).items()}
        arn = lowered.get("streamarn")
        name = lowered.get("streamname")
        region = None
        if arn:
            parts = str(arn).split(":")
            if len(parts) < 6 or parts[2] != "kinesis" or not parts[5].startswith("stream/"):
                raise ValueError(f"streamARN {arn!r} is not a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)")
            region = parts[3]
            name = name or parts[5].split("/", 1)[1]
        if not name:
            raise ValueError("the kinesis connection_options need streamARN or streamName")
        classification = str(lowered.get("classification", "json")).lower()
        if classification != "json":
            raise ValueError(f"classification {classification!r} is not supported by the local Glue runtime; use \"json\"")
        infer = _truthy(lowered.get("inferschema", "false"))
        schema = lowered.get("schema")
        if not infer and not schema:
            raise ValueError('with "inferSchema": "false" the kinesis connection_options need a "schema" '
                             '(Spark DDL such as "`device_id` STRING, `reading` DOUBLE")')
        position, stamp = cls._starting_position(lowered.get("startingposition", "LATEST"))
        if lowered.get("startingtimestamp"):
            position, stamp = cls._starting_position(lowered["startingtimestamp"])
        endpoint = lowered.get("endpointurl")
        if endpoint and ".amazonaws.com" in str(endpoint):
            endpoint = None  # an AWS endpoint in a deployed script: locally the job's AWS_ENDPOINT_URL applies
        return cls(
            stream_name=str(name), stream_arn=str(arn) if arn else None, region=region, endpoint_url=endpoint,
            starting_position=position, starting_timestamp=stamp, infer_schema=infer, schema=schema,
            max_fetch_records_per_shard=int(lowered.get("maxfetchrecordspershard", 100_000)),
            max_record_per_read=min(10_000, int(lowered.get("maxrecordperread", 10_000))),
            add_record_timestamp=_truthy(lowered.get("addrecordtimestamp", "false")),
            raw=dict(options),
        )

    @staticmethod
    def _starting_position(value: Any) -> tuple[str, float | None]:
        text = str(value).strip()
        upper = text.upper()
        if upper in ("TRIM_HORIZON", "EARLIEST"):
            return "TRIM_HORIZON", None
        if upper == "LATEST":
            return "LATEST", None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"startingPosition {text!r} is not valid: use TRIM_HORIZON, LATEST, EARLIEST "
                             "or a UTC timestamp such as 2026-01-01T00:00:00Z") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return "AT_TIMESTAMP", moment.timestamp()


@dataclass(frozen=True)
class Record:
    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: datetime


class StreamNotFound(Exception):
    pass


class KinesisReader:
    """Reads a stream shard by shard from positions (last sequence number read per shard).

    ``initial`` is the checkpoint's ``sources/0/0``: the starting position and the
    shards that existed at the first start. ``positions`` maps shard id to the last
    sequence number already planned into a batch (absent: never read).
    """

    def __init__(self, options: KinesisOptions, initial: dict[str, Any], positions: dict[str, str],
                 kinesis=None):
        self.options = options
        self.kinesis = kinesis or client("kinesis", endpoint_url=options.endpoint_url, region=options.region)
        self.initial = initial
        self.positions = dict(positions)
        self._iterators: dict[str, str] = {}

    # -- set-up -------------------------------------------------------------------------------
    @staticmethod
    def describe(options: KinesisOptions, kinesis) -> dict[str, Any]:
        try:
            return kinesis.describe_stream_summary(StreamName=options.stream_name)["StreamDescriptionSummary"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise StreamNotFound(f"Kinesis stream {options.stream_name!r} does not exist "
                                     f"(create it, or fix streamARN/streamName in the job's connection_options)") from None
            raise

    def shard_ids(self) -> list[str]:
        shards: list[str] = []
        kwargs: dict[str, Any] = {"StreamName": self.options.stream_name}
        while True:
            page = self.kinesis.list_shards(**kwargs)
            shards += [s["ShardId"] for s in page.get("Shards", [])]
            token = page.get("NextToken")
            if not token:
                return sorted(shards)
            kwargs = {"NextToken": token}

    @staticmethod
    def initial_state(options: KinesisOptions, shard_ids: list[str], now: float) -> dict[str, Any]:
        """What ``sources/0/0`` records at the first start (LATEST becomes 'from the time of this start')."""
        if options.starting_position == "LATEST":
            return {"starting_position": "AT_TIMESTAMP", "timestamp": now, "requested": "LATEST", "shards": shard_ids}
        return {"starting_position": options.starting_position, "timestamp": options.starting_timestamp,
                "requested": options.starting_position, "shards": shard_ids}

    # -- iterators ----------------------------------------------------------------------------
    def _new_iterator(self, shard_id: str) -> str:
        kwargs: dict[str, Any] = {"StreamName": self.options.stream_name, "ShardId": shard_id}
        position = self.positions.get(shard_id)
        if position is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=position)
        elif shard_id in self.initial.get("shards", []) and self.initial.get("starting_position") == "AT_TIMESTAMP":
            kwargs.update(ShardIteratorType="AT_TIMESTAMP",
                          Timestamp=datetime.fromtimestamp(self.initial["timestamp"], tz=timezone.utc))
        else:  # TRIM_HORIZON, and shards that appeared after the first start (resharding)
            kwargs.update(ShardIteratorType="TRIM_HORIZON")
        return self.kinesis.get_shard_iterator(**kwargs)["ShardIterator"]

    def _get_records(self, shard_id: str, limit: int) -> list[dict[str, Any]]:
        iterator = self._iterators.get(shard_id) or self._new_iterator(shard_id)
        try:
            page = self.kinesis.get_records(ShardIterator=iterator, Limit=limit)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("ExpiredIteratorException", "InvalidArgumentException"):
                raise
            page = self.kinesis.get_records(ShardIterator=self._new_iterator(shard_id), Limit=limit)
        self._iterators[shard_id] = page.get("NextShardIterator") or ""
        return page.get("Records", [])

    @staticmethod
    def _record(shard_id: str, raw: dict[str, Any]) -> Record:
        arrival = raw.get("ApproximateArrivalTimestamp") or datetime.now(timezone.utc)
        if isinstance(arrival, (int, float)):
            arrival = datetime.fromtimestamp(arrival, tz=timezone.utc)
        return Record(shard_id, str(raw["SequenceNumber"]), str(raw.get("PartitionKey", "")),
                      bytes(raw.get("Data", b"")), arrival)

    # -- reading ------------------------------------------------------------------------------
    def fetch(self) -> tuple[dict[str, list[Record]], bool]:
        """Everything available now, at most ``maxFetchRecordsPerShard`` per shard; (records by shard, backlog left)."""
        found: dict[str, list[Record]] = {}
        backlog = False
        limit = self.options.max_fetch_records_per_shard
        for shard_id in self.shard_ids():
            records: list[Record] = []
            while len(records) < limit:
                page = self._get_records(shard_id, min(self.options.max_record_per_read, limit - len(records)))
                if not page:
                    break
                records += [self._record(shard_id, r) for r in page]
                if not self._iterators.get(shard_id):  # a closed shard, read to its end
                    break
            if len(records) >= limit:
                backlog = True
            if records:
                found[shard_id] = records
        return found, backlog

    def advance(self, positions: dict[str, str]) -> None:
        self.positions.update(positions)

    def forget_iterators(self) -> None:
        """After a failed plan, re-read from the positions (not from where the iterators got to)."""
        self._iterators.clear()

    def read_range(self, shard_id: str, first: str, last: str, expected: int) -> list[Record]:
        """Exactly the records ``first``..``last`` (inclusive) of a shard, as planned in a batch."""
        iterator = self.kinesis.get_shard_iterator(
            StreamName=self.options.stream_name, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=first)["ShardIterator"]
        records: list[Record] = []
        end = int(last)
        empty_pages = 0
        while iterator and len(records) < expected:
            page = self.kinesis.get_records(ShardIterator=iterator, Limit=min(10_000, expected - len(records)))
            iterator = page.get("NextShardIterator")
            batch = page.get("Records", [])
            if not batch:
                empty_pages += 1
                if empty_pages > 3:
                    break
                time.sleep(0.05)
                continue
            for raw in batch:
                if int(raw["SequenceNumber"]) > end:
                    iterator = None
                    break
                records.append(self._record(shard_id, raw))
        if len(records) != expected or (records and (records[0].sequence_number != first
                                                     or records[-1].sequence_number != last)):
            raise RuntimeError(
                f"cannot re-read planned batch records of {shard_id} ({first}..{last}, {expected} records; "
                f"found {len(records)}): they may have expired from the stream's retention period")
        return records
