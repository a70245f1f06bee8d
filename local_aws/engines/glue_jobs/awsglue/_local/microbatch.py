"""``GlueContext.forEachBatch`` for the local runtime: a checkpointed micro-batch loop in Python.

On AWS, ``forEachBatch`` is Spark Structured Streaming's ``foreachBatch`` with a
``processingTime`` trigger of ``windowSize``. Locally it is this loop:

1. **Recover** from ``checkpointLocation`` (see ``checkpoint.py``): a batch that
   was planned but not committed is re-run first, with the same batch id and
   exactly the same records (re-read from the stream by sequence numbers).
2. **Trigger**: a batch starts at once when the job starts, then every
   ``windowSize``; if a batch took longer than the window, or the last fetch
   stopped at ``maxFetchRecordsPerShard`` (a backlog), the next starts
   immediately -- the backlog drains without waiting a window per batch.
3. **Plan**: read what each shard has now (up to the per-shard limit). No new
   records: no batch, no batch id used (as Spark). Otherwise write the plan --
   per shard the first/last sequence number and count -- to ``offsets/<id>``
   *before* processing.
4. **Process**: build a Spark DataFrame of the batch's records, persist it
   (``persistDataFrame``/``storageLevel``), and call the batch function only if
   it has rows (Glue skips empty batches). A failing batch is retried with the
   same id and records up to ``batchMaxRetries`` times (default 3), then the
   error ends the job.
5. **Commit**: write ``commits/<id>``; the batch is never run again.

Stopping (the loop returns, so the script's ``job.commit()`` runs and the
process exits 0):

* ``SIGTERM`` -- the current batch finishes and commits, then the loop ends;
  a SIGTERM while waiting for the next window ends it at once. It may be sent
  to the job's whole process group: Spark's JVM runs in a session of its own
  (see ``env.py``), so it lives on to finish the batch.
* ``LOCAL_GLUE_MAX_IDLE_SECONDS=<seconds>`` -- end the run once the stream has
  brought no new record for that long (tests, demos, the notebooks).
  Unset or 0: run until stopped, as on AWS.

Optional: ``LOCAL_GLUE_STATUS_FILE=<path>`` -- a JSON file (replaced atomically)
``{"state", "last_batch_id", "batches", "records", "updated_at"}``: written with
state ``RUNNING`` when the loop starts (the stream is being read), after every
commit, and with ``STOPPED`` when the loop ends normally.
Test hook: ``LOCAL_GLUE_TEST_KILL_BEFORE_COMMIT=<batch id>`` -- the process
kills itself with SIGKILL after that batch's function returned and before its
commit, leaving a planned-but-uncommitted batch whose output was written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .checkpoint import Checkpoint
from .kinesis import RAW_COLUMN, TIMESTAMP_COLUMN, KinesisOptions, KinesisReader, Record
from .logger import GlueLogger

__all__ = ["parse_window", "run_micro_batches"]

_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\s*$", re.I)


def parse_window(text: str) -> float:
    """Seconds in a Glue ``windowSize`` such as ``"100 seconds"``, ``"1 minute"``, ``"500 milliseconds"``."""
    match = _WINDOW.match(str(text))
    if not match:
        raise ValueError(f'windowSize {text!r} is not valid: write it like "100 seconds" or "2 minutes"')
    amount, unit = float(match.group(1)), match.group(2).lower()
    if unit in ("ms", "millisecond", "milliseconds"):
        factor = 0.001
    elif unit.startswith("s"):
        factor = 1
    elif unit.startswith("m"):
        factor = 60
    else:
        factor = 3600
    seconds = amount * factor
    if seconds <= 0:
        raise ValueError(f"windowSize {text!r} must be longer than zero")
    return seconds


class _Stop:
    """Set by SIGTERM; the loop checks it between steps."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None
        self._installed = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGTERM, self._handle)
        self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)
            self._installed = False

    def _handle(self, signum, frame) -> None:  # noqa: ARG002
        self.requested = True

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.1, left))


def _env_float(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number of seconds") from None
    return number if number > 0 else None


class _BatchFrames:
    """Builds the Spark DataFrame of a batch from its records (via a Parquet file in the job's temp dir)."""

    def __init__(self, spark, options: KinesisOptions, workdir: Path):
        self.spark = spark
        self.options = options
        self.workdir = workdir

    def build(self, batch_id: int, records: list[Record]):
        import pyarrow as pa
        import pyarrow.parquet as pq
        from pyspark.sql import functions as F
        from pyspark.sql.types import _parse_datatype_string

        folder = self.workdir / f"batch-{batch_id}-{time.monotonic_ns()}"
        folder.mkdir(parents=True)
        table = pa.table({
            "data": pa.array([r.data for r in records], pa.binary()),
            "partitionKey": pa.array([r.partition_key for r in records], pa.string()),
            "sequenceNumber": pa.array([r.sequence_number for r in records], pa.string()),
            "shardId": pa.array([r.shard_id for r in records], pa.string()),
            "approximateArrivalTimestamp": pa.array([r.arrival for r in records], pa.timestamp("us", tz="UTC")),
        })
        pq.write_table(table, folder / "records.parquet")
        source = self.spark.read.parquet(str(folder))
        text = F.col("data").cast("string")  # no UTF-8 check, as a binary-to-string cast in Glue
        if self.options.infer_schema:
            columns = [text.alias(RAW_COLUMN)]
        else:
            schema = _parse_datatype_string(self.options.schema)
            columns = [F.from_json(text, schema, {"mode": "PERMISSIVE"}).alias("_record")]
        if self.options.add_record_timestamp:
            columns.append(F.col("approximateArrivalTimestamp").alias(TIMESTAMP_COLUMN))
        frame = source.select(*columns)
        if not self.options.infer_schema:
            frame = frame.select("_record.*", *([TIMESTAMP_COLUMN] if self.options.add_record_timestamp else []))
        return frame, folder


def _plan(batch_id: int, found: dict[str, list[Record]], positions: dict[str, str]) -> dict[str, Any]:
    shards = {shard: {"first_seq": recs[0].sequence_number, "last_seq": recs[-1].sequence_number, "count": len(recs)}
              for shard, recs in sorted(found.items())}
    after = dict(positions)
    after.update({shard: info["last_seq"] for shard, info in shards.items()})
    return {"batch_id": batch_id, "planned_at": datetime.now(timezone.utc).isoformat(), "shards": shards,
            "positions": after, "records": sum(info["count"] for info in shards.values())}


def _write_status(path: str | None, status: dict[str, Any]) -> None:
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(status))
    os.replace(tmp, target)


def run_micro_batches(glue_context, options_obj: KinesisOptions, batch_function: Callable[[Any, int], Any],
                      options: dict[str, Any]) -> None:
    logger: GlueLogger = glue_context.get_logger()
    window = parse_window(options["windowSize"])
    retries = int(options.get("batchMaxRetries", 3))
    if retries < 0 or retries > 100:
        raise ValueError("Please specify the number of retries as an integer in the range of [0, 100].")
    persist = str(options.get("persistDataFrame", "true")).lower() != "false"
    storage_level = str(options.get("storageLevel", "MEMORY_AND_DISK")).upper()
    max_idle = _env_float("LOCAL_GLUE_MAX_IDLE_SECONDS")
    status_file = os.environ.get("LOCAL_GLUE_STATUS_FILE") or None
    kill_before = os.environ.get("LOCAL_GLUE_TEST_KILL_BEFORE_COMMIT", "").strip()

    checkpoint = Checkpoint(str(options["checkpointLocation"]))
    from .s3 import client

    kinesis = client("kinesis", endpoint_url=options_obj.endpoint_url, region=options_obj.region)
    summary = KinesisReader.describe(options_obj, kinesis)
    stream_arn = summary["StreamARN"]

    metadata = checkpoint.read("metadata")
    if metadata is None:
        import uuid

        checkpoint.write("metadata", {"id": str(uuid.uuid4()), "created_at": datetime.now(timezone.utc).isoformat(),
                                      "stream_arn": stream_arn})
    elif metadata.get("stream_arn") not in (None, stream_arn):
        raise RuntimeError(f"the checkpoint at {checkpoint.location} belongs to stream {metadata['stream_arn']}, "
                           f"not {stream_arn}: use another checkpointLocation, or delete this one to start over")

    initial = checkpoint.read("sources/0/0")
    reader_probe = KinesisReader(options_obj, {}, {}, kinesis=kinesis)
    if initial is None:
        initial = KinesisReader.initial_state(options_obj, reader_probe.shard_ids(), time.time())
        checkpoint.write("sources/0/0", initial)

    planned, committed = checkpoint.latest()
    pending: dict[str, Any] | None = None
    positions: dict[str, str] = {}
    if planned is not None:
        last_plan = checkpoint.plan(planned) or {}
        if committed is not None and committed >= planned:
            positions = dict(last_plan.get("positions", {}))
            next_id = planned + 1
        else:
            pending = last_plan
            previous = checkpoint.plan(planned - 1) if planned > 0 else None
            positions = dict((previous or {}).get("positions", {}))
            next_id = planned
    else:
        next_id = 0

    reader = KinesisReader(options_obj, initial, positions, kinesis=kinesis)
    workdir = Path(tempfile.mkdtemp(prefix="local-glue-batches-"))
    frames = _BatchFrames(glue_context.spark_session, options_obj, workdir)
    stop = _Stop()
    stop.install()
    totals = {"batches": 0, "records": 0}
    logger.info(f"forEachBatch: stream {options_obj.stream_name}, window {window:g} s, checkpoint "
                f"{checkpoint.location}, next batch {next_id}"
                + (f" (re-running uncommitted batch {pending['batch_id']})" if pending else "")
                + (f", stopping after {max_idle:g} s without new records" if max_idle else ""))

    def process(batch_id: int, records: list[Record]) -> None:
        attempt = 0
        while True:
            folder = None
            frame = None
            try:
                frame, folder = frames.build(batch_id, records)
                if persist:
                    from pyspark import StorageLevel

                    frame.persist(getattr(StorageLevel, storage_level))
                    count = frame.count()
                else:
                    count = len(frame.take(1))
                if count > 0:
                    batch_function(frame, batch_id)
                return
            except Exception as error:  # noqa: BLE001 - Glue retries any failure of the batch
                attempt += 1
                if attempt > retries:
                    logger.error(f"Batch {batch_id} failed {attempt} time(s); giving up: {error}")
                    raise
                logger.warn(f"Batch {batch_id} failed ({error}); retrying, attempt {attempt} of {retries}")
                time.sleep(min(5.0, float(attempt)))
            finally:
                if frame is not None and persist:
                    try:
                        frame.unpersist()
                    except Exception:  # noqa: BLE001
                        pass
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)

    def finish(batch_id: int, plan: dict[str, Any], started: float) -> None:
        if kill_before and kill_before == str(batch_id):
            logger.warn(f"LOCAL_GLUE_TEST_KILL_BEFORE_COMMIT={batch_id}: killing the job before the commit")
            os.kill(os.getpid(), signal.SIGKILL)
        checkpoint.commit(batch_id, {"batch_id": batch_id, "committed_at": datetime.now(timezone.utc).isoformat(),
                                     "records": plan["records"]})
        reader.advance(plan["positions"])
        totals["batches"] += 1
        totals["records"] += plan["records"]
        logger.info(f"Batch {batch_id}: {plan['records']} records from {len(plan['shards'])} shard(s) "
                    f"processed and committed in {time.monotonic() - started:.2f} s")
        _write_status(status_file, {"state": "RUNNING", "last_batch_id": batch_id, **totals,
                                    "updated_at": datetime.now(timezone.utc).isoformat()})

    _write_status(status_file, {"state": "RUNNING", "last_batch_id": next_id - 1, **totals,
                                "updated_at": datetime.now(timezone.utc).isoformat()})
    try:
        if pending is not None:
            started = time.monotonic()
            records: list[Record] = []
            for shard, info in sorted(pending["shards"].items()):
                records += reader.read_range(shard, info["first_seq"], info["last_seq"], info["count"])
            logger.info(f"Batch {pending['batch_id']}: re-running, planned but not committed before the last stop")
            process(pending["batch_id"], records)
            finish(pending["batch_id"], pending, started)
            reader.forget_iterators()
            next_id = pending["batch_id"] + 1

        last_data = time.monotonic()
        while not stop.requested:
            tick = time.monotonic()
            found, backlog = reader.fetch()
            if found and not stop.requested:
                plan = _plan(next_id, found, reader.positions)
                checkpoint.write_plan(next_id, plan)
                records = [r for shard in sorted(found) for r in found[shard]]
                process(next_id, records)
                finish(next_id, plan, tick)
                next_id += 1
                last_data = time.monotonic()
            elif found:  # stop requested while reading: nothing planned, nothing lost
                break
            if stop.requested:
                break
            if max_idle is not None and not found and time.monotonic() - last_data >= max_idle:
                logger.info(f"No new records for {max_idle:g} s (LOCAL_GLUE_MAX_IDLE_SECONDS): stopping")
                break
            if backlog:
                continue
            stop.sleep(tick + window - time.monotonic())
        if stop.requested:
            logger.info("SIGTERM: stopped after the last committed batch")
        _write_status(status_file, {"state": "STOPPED", "last_batch_id": next_id - 1, **totals,
                                    "updated_at": datetime.now(timezone.utc).isoformat()})
    finally:
        stop.uninstall()
        shutil.rmtree(workdir, ignore_errors=True)
