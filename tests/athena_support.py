"""Shared by the Athena tests: a small sensor data lake in local S3 and the catalog, and a query runner.

The lake is laid out as the Glue job writes it and described as the crawler
describes it (``glue_scripts/sensor_stream_etl.py``, "Layout"):

* ``curated/sensor_readings/dt=YYYY-MM-DD/hour=HH/part-*.snappy.parquet`` in
  ``CURATED_SCHEMA``'s columns and types, partitions ``dt`` and ``hour`` (strings);
* ``quarantine/sensor_readings/dt=YYYY-MM-DD/part-*.snappy.parquet`` in
  ``QUARANTINE_SCHEMA``'s;

with ParquetHiveSerDe / MapredParquetInputFormat and ``classification=parquet``.
The same rows are kept as pandas frames: the tests' independent computation.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import boto3
import botocore.config
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ACCESS_KEY, SECRET_KEY = "LOCALAWSDUMMYACCESSKEY", "local-aws-dummy-secret-key"
PARQUET_SD = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                  "Parameters": {"serialization.format": "1"}},
}
CURATED_COLUMNS = [("event_id", "string"), ("event_time", "timestamp"), ("device_id", "string"), ("site", "string"),
                   ("sensor_type", "string"), ("unit", "string"), ("reading", "double"), ("battery_pct", "int"),
                   ("status", "string"), ("batch_id", "bigint"), ("processed_at", "timestamp")]
QUARANTINE_COLUMNS = [("raw_payload", "string"), ("raw_payload_base64", "string"), ("reason", "string"),
                      ("reasons", "string"), ("event_id", "string"), ("batch_id", "bigint"), ("processed_at", "timestamp")]
CURATED_ARROW = pa.schema([("event_id", pa.string()), ("event_time", pa.timestamp("us", tz="UTC")),
                           ("device_id", pa.string()), ("site", pa.string()), ("sensor_type", pa.string()),
                           ("unit", pa.string()), ("reading", pa.float64()), ("battery_pct", pa.int32()),
                           ("status", pa.string()), ("batch_id", pa.int64()), ("processed_at", pa.timestamp("us", tz="UTC"))])
UNITS = {"temperature": "celsius", "humidity": "percent", "vibration": "mm_per_s", "sound": "dba"}
DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"]
HOURS = ["00", "06", "12", "18"]


def clients(url: str, *services: str):
    config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 4})
    return [boto3.client(s, endpoint_url=url, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                         aws_secret_access_key=SECRET_KEY, config=config) for s in services]


def parquet_bytes(table: pa.Table, row_group_size: int | None = None) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy", row_group_size=row_group_size)
    return sink.getvalue()


def scanned_parquet_bytes(data: bytes, columns: list[str] | None) -> int:
    """Footer plus the column chunks of ``columns`` (all when None): what a ranged Parquet reader fetches."""
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    total = int.from_bytes(data[-8:-4], "little") + 8
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for i in range(group.num_columns):
            chunk = group.column(i)
            if columns is None or chunk.path_in_schema in columns:
                total += chunk.total_compressed_size
    return total


@dataclass
class Lake:
    url: str
    bucket: str
    db: str
    output: str
    curated: pd.DataFrame
    quarantine: pd.DataFrame
    files: dict[str, bytes] = field(default_factory=dict)  # key -> Parquet bytes (curated)
    s3: object = None
    glue: object = None
    athena: object = None

    def query(self, sql: str, database: str | None = None, timeout: float = 120, **extra) -> "Answer":
        return run(self.athena, sql, database or self.db, self.output, timeout=timeout, **extra)

    def ok(self, sql: str, database: str | None = None, **extra) -> "Answer":
        answer = self.query(sql, database, **extra)
        assert answer.state == "SUCCEEDED", answer.reason
        return answer


@dataclass
class Answer:
    query_id: str
    execution: dict
    columns: list[dict]
    rows: list[list[str | None]]
    update_count: int | None

    @property
    def state(self) -> str:
        return self.execution["Status"]["State"]

    @property
    def reason(self) -> str | None:
        return self.execution["Status"].get("StateChangeReason")

    @property
    def scanned(self) -> int:
        return self.execution["Statistics"]["DataScannedInBytes"]

    @property
    def names(self) -> list[str]:
        return [c["Name"] for c in self.columns]

    @property
    def types(self) -> list[str]:
        return [c["Type"] for c in self.columns]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.names)


def wait(athena, query_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            return execution
        assert time.monotonic() < deadline, f"query {query_id} still {execution['Status']['State']}"
        time.sleep(0.02)


def run(athena, sql: str, database: str | None, output: str | None, timeout: float = 120, **extra) -> Answer:
    request = {"QueryString": sql, **extra}
    if database:
        request["QueryExecutionContext"] = {"Database": database}
    if output:
        request.setdefault("ResultConfiguration", {"OutputLocation": output})
    query_id = athena.start_query_execution(**request)["QueryExecutionId"]
    execution = wait(athena, query_id, timeout)
    columns, rows, update_count = [], [], None
    if execution["Status"]["State"] == "SUCCEEDED":
        token, first = None, True
        while True:
            page = athena.get_query_results(QueryExecutionId=query_id, **({"NextToken": token} if token else {}))
            if first:
                columns = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
                update_count = page.get("UpdateCount")
            page_rows = [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
            if first and execution["StatementType"] == "DML" and page_rows and page_rows[0] == [c["Name"] for c in columns]:
                page_rows = page_rows[1:]
            rows += page_rows
            first = False
            token = page.get("NextToken")
            if not token:
                break
    return Answer(query_id, execution, columns, rows, update_count)


def make_curated(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    counter = 0
    for day in DAYS:
        for hour in HOURS:
            n = 60
            start = datetime.fromisoformat(f"{day}T{hour}:00:00+00:00")
            sensor = rng.choice(list(UNITS), n)
            frame = pd.DataFrame({
                "event_id": [f"evt-{counter + i:05d}" for i in range(n)],
                "event_time": [start + timedelta(seconds=int(s), microseconds=int(u))
                               for s, u in zip(rng.integers(0, 3600, n), rng.integers(0, 1000, n) * 1000)],
                "device_id": [f"dev-{d:03d}" for d in rng.integers(0, 25, n)],
                "site": rng.choice(["berlin", "lisbon", "oslo"], n),
                "sensor_type": sensor,
                "unit": [UNITS[s] for s in sensor],
                "reading": np.round(rng.normal(20, 8, n), 3),
                "battery_pct": rng.integers(1, 101, n).astype("int32"),
                "status": rng.choice(["OK", "OK", "OK", "WARN", "FAIL"], n),
                "batch_id": np.full(n, DAYS.index(day) * 10 + HOURS.index(hour), dtype="int64"),
                "processed_at": [start + timedelta(hours=1)] * n,
                "dt": day, "hour": hour,
            })
            frame.loc[rng.integers(0, n, 3), "reading"] = np.nan  # a few NULL readings
            counter += n
            frames.append(frame)
    curated = pd.concat(frames, ignore_index=True)
    curated["event_time"] = pd.to_datetime(curated["event_time"], utc=True)
    curated["processed_at"] = pd.to_datetime(curated["processed_at"], utc=True)
    return curated


def make_quarantine() -> pd.DataFrame:
    rows = []
    for i, day in enumerate(DAYS):
        for j, reason in enumerate(["MALFORMED_JSON", "MISSING_FIELD", "OUT_OF_RANGE", "MISSING_FIELD"]):
            payload = "{not json" if reason == "MALFORMED_JSON" else json.dumps(
                {"event_id": f"bad-{i}-{j}", "device_id": f"dev-{j:03d}", "reading": 999.0 + j, "site": "oslo"})
            rows.append({"raw_payload": payload, "raw_payload_base64": None, "reason": reason,
                         "reasons": reason + (";OUT_OF_RANGE" if j == 3 else ""),
                         "event_id": None if reason == "MALFORMED_JSON" else f"bad-{i}-{j}",
                         "batch_id": i * 10 + j, "processed_at": datetime.fromisoformat(f"{day}T12:00:00+00:00"), "dt": day})
    frame = pd.DataFrame(rows)
    frame["processed_at"] = pd.to_datetime(frame["processed_at"], utc=True)
    return frame


def table_input(name: str, columns: list[tuple[str, str]], keys: list[str], location: str) -> dict:
    return {"Name": name, "TableType": "EXTERNAL_TABLE", "Owner": "owner", "Retention": 0,
            "Parameters": {"classification": "parquet", "compressionType": "none", "typeOfData": "file",
                           "UPDATED_BY_CRAWLER": "test-crawler"},
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in keys],
            "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in columns], "Location": location,
                                  "Compressed": False, "NumberOfBuckets": -1, **PARQUET_SD,
                                  "BucketColumns": [], "SortColumns": [], "StoredAsSubDirectories": False}}


def utc_naive(frame: pd.DataFrame) -> pd.DataFrame:
    """UTC wall times without a zone (Arrow reads them as UTC instants for a ``tz="UTC"`` field)."""
    return frame.assign(**{c: frame[c].dt.tz_convert(None) for c in frame.columns
                           if isinstance(frame[c].dtype, pd.DatetimeTZDtype)})


def build_lake(url: str, name: str) -> Lake:
    s3, glue, athena = clients(url, "s3", "glue", "athena")
    bucket = f"{name.replace('_', '-')}-lake"
    s3.create_bucket(Bucket=bucket)
    db = name
    glue.create_database(DatabaseInput={"Name": db})
    curated, quarantine = make_curated(), make_quarantine()
    lake = Lake(url, bucket, db, f"s3://{bucket}/athena-results/", curated, quarantine, s3=s3, glue=glue, athena=athena)
    base = f"s3://{bucket}/curated/sensor_readings/"
    partitions = []
    for (day, hour), part in curated.groupby(["dt", "hour"], sort=True):
        for n, half in enumerate(np.array_split(part.index, 2)):
            table = pa.Table.from_pandas(utc_naive(part.loc[half, [c for c, _ in CURATED_COLUMNS]]), schema=CURATED_ARROW,
                                         preserve_index=False)
            key = f"curated/sensor_readings/dt={day}/hour={hour}/part-{n:05d}-b{n}.snappy.parquet"
            data = parquet_bytes(table)
            lake.files[key] = data
            s3.put_object(Bucket=bucket, Key=key, Body=data)
        s3.put_object(Bucket=bucket, Key=f"curated/sensor_readings/dt={day}/hour={hour}/_SUCCESS", Body=b"")
        partitions.append({"Values": [day, hour], "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in CURATED_COLUMNS], "Location": f"{base}dt={day}/hour={hour}/",
            **PARQUET_SD}})
    glue.create_table(DatabaseName=db, TableInput=table_input("sensor_readings", CURATED_COLUMNS, ["dt", "hour"], base))
    glue.batch_create_partition(DatabaseName=db, TableName="sensor_readings", PartitionInputList=partitions)
    qbase = f"s3://{bucket}/quarantine/sensor_readings/"
    qschema = pa.schema([(n, {"string": pa.string(), "bigint": pa.int64(), "timestamp": pa.timestamp("us", tz="UTC")}[t])
                         for n, t in QUARANTINE_COLUMNS])
    qparts = []
    for day, part in quarantine.groupby("dt"):
        data = parquet_bytes(pa.Table.from_pandas(utc_naive(part[[c for c, _ in QUARANTINE_COLUMNS]]), schema=qschema,
                                                  preserve_index=False))
        s3.put_object(Bucket=bucket, Key=f"quarantine/sensor_readings/dt={day}/part-00000.snappy.parquet", Body=data)
        qparts.append({"Values": [day], "StorageDescriptor": {"Location": f"{qbase}dt={day}/", **PARQUET_SD}})
    glue.create_table(DatabaseName=db, TableInput=table_input("quarantine_sensor_readings", QUARANTINE_COLUMNS, ["dt"], qbase))
    glue.batch_create_partition(DatabaseName=db, TableName="quarantine_sensor_readings", PartitionInputList=qparts)
    return lake


_lakes = iter(range(10_000))


@pytest.fixture(scope="module")
def lake(endpoint_url) -> Lake:
    return build_lake(endpoint_url, f"athena_t{next(_lakes)}_{int(time.time() * 1000) % 100000}")


def athena_timestamp(value: pd.Timestamp) -> str:
    """How Athena writes a timestamp: milliseconds, no zone."""
    value = value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"

