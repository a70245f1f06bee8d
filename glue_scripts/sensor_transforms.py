"""Cleaning the sensor stream: plain PySpark (and boto3 for the output), nothing from ``awsglue``.

The Glue job ``sensor_stream_etl.py`` calls these functions on every
micro-batch; the tests call them directly on a local Spark. Deploy this file
next to the script (``--extra-py-files s3://<bucket>/scripts/sensor_transforms.py``).

What happens to a batch of raw records (``clean_batch``)
=======================================================

1. **Parse** each record's raw text against a declared schema (``FIELDS``) --
   never an inferred one, so a record with a new shape cannot change the
   schema or crash the batch. Extra fields are ignored: the record is kept
   (curated) with the declared fields only.
2. **Normalise**: trim every text field, lower-case ids, sites, sensor types
   and units, upper-case the status; unit spellings (``°C``, ``C``,
   ``degF`` ...) become ``celsius`` / ``fahrenheit`` / ``percent`` /
   ``mm_per_s`` / ``dba``; a Fahrenheit temperature becomes Celsius (rounded to
   0.01). The flagship template only produces Celsius, so the conversion is
   there for streams that do not.
3. **Validate**, giving every rejected record reason codes (the first is *the*
   reason; ``reasons`` lists them all):

   ====================== ==================================================================
   ``NOT_UTF8``           the bytes are not valid UTF-8 (the payload is kept as base64 too)
   ``MALFORMED_JSON``     not JSON at all (cut short, empty, garbage)
   ``NOT_AN_OBJECT``      valid JSON but not an object (``[1, 2]``, ``42``, ``null``)
   ``MISSING_FIELD:<f>``  a field is absent, ``null`` or blank
   ``WRONG_TYPE:<f>``     ``reading``/``battery_pct`` is not a JSON number (``"42.5"``), or
                          ``battery_pct`` is not a whole number, or a number is NaN/Infinity
   ``BAD_FORMAT:<f>``     ``event_time`` is not an ISO-8601 time with a zone (``…Z`` or ``+hh:mm``)
   ``UNKNOWN_ENUM:<f>``   ``sensor_type``/``status`` outside their sets, or a ``unit`` that does
                          not belong to the sensor type
   ``OUT_OF_RANGE:<f>``   ``reading`` or ``battery_pct`` outside 0-100
   ====================== ==================================================================

   Text fields are lenient about JSON types (a number where text is expected is
   read as its text, as Athena does); numeric fields are strict.
4. **De-duplicate** valid records by ``event_id`` within the batch: one is kept
   (deterministically: the smallest hash of its raw text), the others are counted as
   duplicates. Duplicates spread over two batches are both kept -- a known
   limit of per-batch de-duplication (Athena can drop them: ``SELECT DISTINCT``
   or ``row_number() OVER (PARTITION BY event_id)``).
5. **Partition** curated records by event time in UTC: ``dt=YYYY-MM-DD`` and
   ``hour=HH``. Quarantined records are partitioned by processing date ``dt``.

Every record read lands in exactly one place:
``counts["curated"] + counts["quarantined"] + counts["duplicates"] == counts["read"]``.

Idempotent output (``BatchOutput``)
===================================

Glue's S3 writer appends files with names of its own choosing, so a batch that
is re-run after a crash (same batch id, same records) would land twice.
``BatchOutput`` makes the output of a batch replaceable:

1. the batch is written with Glue's writer to a *staging* prefix of its own
   (emptied first);
2. the final key of every staged file is derived from the run token, the batch
   id and the file's place: ``part-<token>-b<batch>-<n>.snappy.parquet`` in the
   same partition folder;
3. the previous attempt's manifest (if any) names what it published: keys not
   published again are deleted;
4. the new manifest is written, *then* the files are copied to their final keys
   (same names overwrite), then staging is emptied.

A crash at any point leaves either nothing published for the batch or a
manifest covering all of it, so the re-run replaces the batch's output instead
of adding a second copy. The run token (8 hex digits, kept with the checkpoint)
changes only when the checkpoint is deleted, so a fresh start never overwrites
the files of an earlier run.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

__all__ = [
    "CURATED_SCHEMA", "FIELDS", "QUARANTINE_SCHEMA", "REASON_CODES", "BatchOutput", "CleanResult",
    "S3Uri", "classify", "clean_batch", "curated_view", "find_raw_column", "quarantine_view",
]

# -- the declared record ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    json_type: T.DataType  # how it is parsed from JSON
    required: bool = True


FIELDS: tuple[Field, ...] = (
    Field("event_id", T.StringType()),
    Field("event_time", T.StringType()),  # parsed below, strictly (a zone is required)
    Field("device_id", T.StringType()),
    Field("site", T.StringType()),
    Field("sensor_type", T.StringType()),
    Field("unit", T.StringType()),
    Field("reading", T.DoubleType()),
    Field("battery_pct", T.LongType()),
    Field("status", T.StringType()),
)
NUMERIC = tuple(f.name for f in FIELDS if not isinstance(f.json_type, T.StringType))
TEXT = tuple(f.name for f in FIELDS if isinstance(f.json_type, T.StringType))

SENSOR_UNITS = {"temperature": "celsius", "humidity": "percent", "vibration": "mm_per_s", "sound": "dba"}
STATUSES = ("OK", "WARN", "FAIL")
UNIT_ALIASES = {
    "celsius": "celsius", "c": "celsius", "°c": "celsius", "degc": "celsius", "deg_c": "celsius",
    "fahrenheit": "fahrenheit", "f": "fahrenheit", "°f": "fahrenheit", "degf": "fahrenheit", "deg_f": "fahrenheit",
    "percent": "percent", "%": "percent", "pct": "percent", "%rh": "percent",
    "mm_per_s": "mm_per_s", "mm/s": "mm_per_s", "mms": "mm_per_s",
    "dba": "dba", "db(a)": "dba", "db": "dba",
}
RANGES = {"reading": (0.0, 100.0), "battery_pct": (0, 100)}  # inclusive, after unit conversion
EVENT_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$"

REASON_CODES = ("NOT_UTF8", "MALFORMED_JSON", "NOT_AN_OBJECT", "MISSING_FIELD", "WRONG_TYPE", "BAD_FORMAT",
                "UNKNOWN_ENUM", "OUT_OF_RANGE")

_CORRUPT = "_corrupt_record"
_JSON_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _CORRUPT}
_TYPED = T.StructType([T.StructField(f.name, f.json_type) for f in FIELDS] + [T.StructField(_CORRUPT, T.StringType())])
_LOOSE = T.StructType([T.StructField(f.name, T.StringType()) for f in FIELDS] + [T.StructField(_CORRUPT, T.StringType())])

CURATED_SCHEMA = T.StructType([
    T.StructField("event_id", T.StringType(), True),
    T.StructField("event_time", T.TimestampType(), True),
    T.StructField("device_id", T.StringType(), True),
    T.StructField("site", T.StringType(), True),
    T.StructField("sensor_type", T.StringType(), True),
    T.StructField("unit", T.StringType(), True),
    T.StructField("reading", T.DoubleType(), True),
    T.StructField("battery_pct", T.IntegerType(), True),
    T.StructField("status", T.StringType(), True),
    T.StructField("batch_id", T.LongType(), True),
    T.StructField("processed_at", T.TimestampType(), True),
    T.StructField("dt", T.StringType(), True),     # partition: event date, UTC
    T.StructField("hour", T.StringType(), True),   # partition: event hour, UTC, "00".."23"
])
QUARANTINE_SCHEMA = T.StructType([
    T.StructField("raw_payload", T.StringType(), True),
    T.StructField("raw_payload_base64", T.StringType(), True),  # only for NOT_UTF8: the exact bytes
    T.StructField("reason", T.StringType(), True),
    T.StructField("reasons", T.StringType(), True),  # all codes, ";"-separated
    T.StructField("event_id", T.StringType(), True),
    T.StructField("batch_id", T.LongType(), True),
    T.StructField("processed_at", T.TimestampType(), True),
    T.StructField("dt", T.StringType(), True),  # partition: processing date, UTC
])
CURATED_PARTITIONS = ("dt", "hour")
QUARANTINE_PARTITIONS = ("dt",)

# -- finding the raw record --------------------------------------------------------------------------

GLUE_RAW_PREFIX = "$json$data_infer_schema$"


def _quoted(name: str) -> Column:
    return F.col("`" + name.replace("`", "``") + "`")


def find_raw_column(df: DataFrame) -> Column:
    """The column holding each record's raw text in a batch handed over by Glue's Kinesis source.

    With ``classification: json`` and ``inferSchema: true`` Glue gives ``forEachBatch``
    one string column, ``$json$data_infer_schema$_temporary$`` (``…$.temporary$`` in
    some releases), holding the record as sent; the local runtime does the same.
    Also accepted: Kinesis' own ``data`` column, or a single string/binary column.
    A frame that Glue already parsed into columns (``inferSchema: false`` with a
    schema) is turned back into JSON -- malformed records are then Glue's nulls,
    and the raw text is lost, which is why the job asks for inference.
    """
    fields = df.schema.fields
    for f in fields:
        if f.name.startswith(GLUE_RAW_PREFIX):
            return _quoted(f.name).cast("string")
    names = [f.name for f in fields]
    if "data" in names:
        return F.col("data").cast("string")
    textual = [f for f in fields if isinstance(f.dataType, (T.StringType, T.BinaryType))]
    if len(fields) == 1 and textual:
        return _quoted(fields[0].name).cast("string")
    payload = [n for n in names if n != "__src_timestamp"]
    return F.to_json(F.struct(*[_quoted(n) for n in payload]))


# -- classification ----------------------------------------------------------------------------------------


def _session_time_zone(df: DataFrame) -> str:
    try:
        return df.sparkSession.conf.get("spark.sql.session.timeZone") or "UTC"
    except Exception:  # noqa: BLE001
        return "UTC"


def _utc_wall_clock(ts: Column, session_tz: str) -> Column:
    """``ts`` shifted so that formatting it in the session time zone shows UTC (a no-op when that zone is UTC)."""
    if session_tz.upper() in ("UTC", "Z", "GMT", "+00:00", "ETC/UTC", "UTC+0", "Z+00:00"):
        return ts
    return F.to_utc_timestamp(ts, session_tz)


def _blank_to_null(column: Column) -> Column:
    trimmed = F.trim(column)
    return F.when(trimmed == "", F.lit(None).cast("string")).otherwise(trimmed)


def classify(df: DataFrame, raw: Column | None = None) -> DataFrame:
    """Parse, normalise and validate every record; lazy, no action run.

    The result has the normalised fields, ``_raw``, ``_reasons`` (the codes joined
    by ``;``, empty for a valid record), ``_valid`` and the helper columns the views
    use. (A string, not an array: ``concat_ws`` skips nulls and is compiled by Spark,
    where an array ``filter`` would make Spark interpret the whole expression.)
    """
    raw = find_raw_column(df) if raw is None else raw
    session_tz = _session_time_zone(df)
    raw_bytes = F.col("_raw").cast("binary")
    # 1. parse. Spark cannot compile from_json, so every projection holding one is interpreted and
    #    copies the row: all parsing happens in two projections. The typed parse is the only one
    #    most records need; a record Spark could not parse cleanly (its corrupt-record column is
    #    set) is parsed again, leniently (every field as text) and field by field for the numeric
    #    fields, so the fields that are fine keep their values and the culprit is named.
    parsed = df.select(raw.alias("_raw")).select(
        "_raw",
        (F.col("_raw").isNotNull() & (F.encode(F.decode(raw_bytes, "UTF-8"), "UTF-8") != raw_bytes)).alias("_not_utf8"),
        (F.col("_raw").isNull() | (F.trim(F.col("_raw")) == "")).alias("_blank"),
        F.from_json(F.col("_raw"), _TYPED, _JSON_OPTIONS).alias("_t"),
    )
    corrupt = F.col("_t").isNull() | F.col(f"_t.{_CORRUPT}").isNotNull()
    reparsed = [F.when(corrupt, F.from_json(F.col("_raw"), _LOOSE, _JSON_OPTIONS)).alias("_l")]
    for f in FIELDS:
        if f.name in NUMERIC:
            single = T.StructType([T.StructField(f.name, f.json_type)])
            reparsed.append(F.when(corrupt, F.from_json(F.col("_raw"), single, _JSON_OPTIONS)[f.name])
                            .alias(f"_single_{f.name}"))
    parsed = parsed.select("_raw", "_not_utf8", "_blank", "_t", corrupt.alias("_corrupt"), *reparsed)
    loose_bad = F.col("_corrupt") & (F.col("_l").isNull() | F.col(f"_l.{_CORRUPT}").isNotNull())
    as_json = F.when(loose_bad & ~F.col("_blank"), F.get_json_object(F.col("_raw"), "$"))

    columns: dict[str, Column] = {
        "_malformed": F.col("_blank") | (loose_bad & as_json.isNull()),
        "_not_object": ~F.col("_blank") & loose_bad & as_json.isNotNull(),
    }
    for name in TEXT:
        value = F.when(F.col("_corrupt"), F.col(f"_l.{name}")).otherwise(F.col(f"_t.{name}"))
        columns[name] = _blank_to_null(value)
    for name in NUMERIC:
        columns[f"_present_{name}"] = F.when(F.col("_corrupt"), F.col(f"_l.{name}").isNotNull()) \
            .otherwise(F.col(f"_t.{name}").isNotNull())
        columns[f"_typed_{name}"] = F.when(F.col("_corrupt"), F.col(f"_single_{name}")).otherwise(F.col(f"_t.{name}"))
    staged = parsed.select("_raw", "_not_utf8", *[c.alias(n) for n, c in columns.items()])

    # 2. normalise
    aliases = F.create_map(*[F.lit(x) for pair in UNIT_ALIASES.items() for x in pair])
    unit_in = F.lower(F.col("unit"))
    unit_canonical = F.coalesce(aliases[unit_in], unit_in)
    reading = F.col("_typed_reading")
    is_fahrenheit = unit_canonical == "fahrenheit"
    normal = staged.select(
        "*",
        F.lower(F.col("event_id")).alias("_event_id"),
        F.lower(F.col("device_id")).alias("_device_id"),
        F.lower(F.col("site")).alias("_site"),
        F.lower(F.col("sensor_type")).alias("_sensor_type"),
        F.when(is_fahrenheit, F.lit("celsius")).otherwise(unit_canonical).alias("_unit"),
        F.when(is_fahrenheit, F.round((reading - 32) * 5 / 9, 2)).otherwise(reading).alias("_reading"),
        F.col("_typed_battery_pct").alias("_battery_pct"),
        F.upper(F.col("status")).alias("_status"),
        F.col("event_time").rlike(EVENT_TIME_PATTERN).alias("_time_shape_ok"),
        F.expr("try_cast(replace(event_time, ' ', 'T') AS TIMESTAMP)").alias("_event_time"),
    )

    # 3. validate
    structural = ~F.col("_not_utf8") & ~F.col("_malformed") & ~F.col("_not_object")
    checks: list[Column] = [
        F.when(F.col("_not_utf8"), F.lit("NOT_UTF8")),
        F.when(~F.col("_not_utf8") & F.col("_malformed"), F.lit("MALFORMED_JSON")),
        F.when(~F.col("_not_utf8") & F.col("_not_object"), F.lit("NOT_AN_OBJECT")),
    ]
    present: dict[str, Column] = {name: F.col(name).isNotNull() for name in TEXT}
    present.update({name: F.col(f"_present_{name}") for name in NUMERIC})
    for f in FIELDS:
        if f.required:
            checks.append(F.when(structural & ~present[f.name], F.lit(f"MISSING_FIELD:{f.name}")))
    for name in NUMERIC:
        typed = F.col(f"_typed_{name}")
        bad_number = typed.isNull()
        if name == "reading":
            bad_number = bad_number | F.isnan(typed) | (F.abs(typed) == float("inf"))
        checks.append(F.when(structural & present[name] & bad_number, F.lit(f"WRONG_TYPE:{name}")))
    checks.append(F.when(structural & present["event_time"]
                         & (~F.col("_time_shape_ok") | F.col("_event_time").isNull()), F.lit("BAD_FORMAT:event_time")))
    known_sensor = F.col("_sensor_type").isin(*SENSOR_UNITS)
    expected_unit = F.create_map(*[F.lit(x) for pair in SENSOR_UNITS.items() for x in pair])[F.col("_sensor_type")]
    checks += [
        F.when(structural & present["sensor_type"] & ~known_sensor, F.lit("UNKNOWN_ENUM:sensor_type")),
        F.when(structural & present["unit"] & (
            (known_sensor & (F.col("_unit") != expected_unit))
            | (~known_sensor & ~F.col("_unit").isin(*SENSOR_UNITS.values()))), F.lit("UNKNOWN_ENUM:unit")),
        F.when(structural & present["status"] & ~F.col("_status").isin(*STATUSES), F.lit("UNKNOWN_ENUM:status")),
    ]
    for name, (low, high) in RANGES.items():
        value = F.col(f"_{name}")
        fine_number = F.col(f"_typed_{name}").isNotNull()
        if name == "reading":
            fine_number = fine_number & ~F.isnan(F.col("_typed_reading")) & (F.abs(F.col("_typed_reading")) != float("inf"))
        checks.append(F.when(structural & fine_number & ((value < low) | (value > high)), F.lit(f"OUT_OF_RANGE:{name}")))
    reasons = F.concat_ws(";", *checks)

    event_wall = _utc_wall_clock(F.col("_event_time"), session_tz)
    return normal.select(
        "_raw",
        F.col("_not_utf8"),
        reasons.alias("_reasons"),
        (reasons == "").alias("_valid"),
        F.col("_event_id").alias("event_id"),
        F.col("_event_time").alias("event_time"),
        F.col("_device_id").alias("device_id"),
        F.col("_site").alias("site"),
        F.col("_sensor_type").alias("sensor_type"),
        F.col("_unit").alias("unit"),
        F.col("_reading").alias("reading"),
        F.col("_battery_pct").alias("battery_pct"),
        F.col("_status").alias("status"),
        F.date_format(event_wall, "yyyy-MM-dd").alias("dt"),
        F.date_format(event_wall, "HH").alias("hour"),
    )


def _first_reason() -> Column:
    return F.when(F.col("_reasons") != "", F.substring_index("_reasons", ";", 1))


def mark_duplicates(classified: DataFrame) -> DataFrame:
    """Adds ``_outcome``: ``curated`` / ``duplicate`` (a repeated event_id among valid records) / ``quarantined``.

    Of records sharing an event_id the one kept is the one whose raw text has the
    smallest 64-bit hash -- the same one on every run. Valid records no longer
    need their raw text, so it is dropped before the shuffle (only quarantined
    records keep it), which keeps the de-duplication cheap.
    """
    slim = classified.select(
        "*", F.xxhash64("_raw").alias("_raw_hash")
    ).withColumn("_raw", F.when(~F.col("_valid"), F.col("_raw")))
    order = Window.partitionBy("event_id").orderBy(F.col("_valid").desc(), F.col("_raw_hash"), F.col("_raw"))
    rank = F.row_number().over(order)
    outcome = F.when(~F.col("_valid"), F.lit("quarantined")).when(rank == 1, F.lit("curated")).otherwise(F.lit("duplicate"))
    return slim.withColumn("_outcome", outcome).drop("_raw_hash")


def curated_view(marked: DataFrame, batch_id: int, processed_at: datetime) -> DataFrame:
    """The curated records of a marked batch, in ``CURATED_SCHEMA``'s columns and types."""
    rows = marked.filter(F.col("_outcome") == "curated")
    return rows.select(
        F.col("event_id"), F.col("event_time"), F.col("device_id"), F.col("site"), F.col("sensor_type"),
        F.col("unit"), F.col("reading").cast("double").alias("reading"),
        F.col("battery_pct").cast("int").alias("battery_pct"), F.col("status"),
        F.lit(int(batch_id)).cast("long").alias("batch_id"), F.lit(_utc(processed_at)).alias("processed_at"),
        F.col("dt"), F.col("hour"),
    )


def quarantine_view(marked: DataFrame, batch_id: int, processed_at: datetime) -> DataFrame:
    """The rejected records of a marked batch, in ``QUARANTINE_SCHEMA``'s columns and types."""
    rows = marked.filter(F.col("_outcome") == "quarantined")
    raw_bytes = F.col("_raw").cast("binary")
    return rows.select(
        F.when(F.col("_not_utf8"), F.decode(raw_bytes, "UTF-8")).otherwise(F.col("_raw")).alias("raw_payload"),
        F.when(F.col("_not_utf8"), F.base64(raw_bytes)).alias("raw_payload_base64"),
        _first_reason().alias("reason"),
        F.col("_reasons").alias("reasons"),
        F.col("event_id"),
        F.lit(int(batch_id)).cast("long").alias("batch_id"),
        F.lit(_utc(processed_at)).alias("processed_at"),
        F.lit(_utc(processed_at).strftime("%Y-%m-%d")).alias("dt"),
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


@dataclass
class CleanResult:
    """What ``clean_batch`` returns: the two outputs, the counts, and the cache to release."""

    curated: DataFrame
    quarantine: DataFrame
    counts: dict[str, int]
    reasons: dict[str, int]
    event_time_min: datetime | None = None
    event_time_max: datetime | None = None
    _cached: DataFrame | None = field(default=None, repr=False)

    def unpersist(self) -> None:
        if self._cached is not None:
            self._cached.unpersist()
            self._cached = None


def clean_batch(df: DataFrame, batch_id: int, processed_at: datetime | None = None,
                raw: Column | None = None, cache: bool = True) -> CleanResult:
    """Classify a batch, count it (one Spark job), and return the curated and quarantine frames.

    The classified batch is cached so the counts and both writes parse it once;
    call ``result.unpersist()`` when the outputs are written.
    """
    processed_at = _utc(processed_at or datetime.now(timezone.utc))
    marked = mark_duplicates(classify(df, raw))
    if cache:
        marked = marked.persist()
    summary = marked.groupBy("_outcome", _first_reason().alias("_reason")).agg(
        F.count(F.lit(1)).alias("n"), F.min(F.unix_micros("event_time")).alias("tmin"),
        F.max(F.unix_micros("event_time")).alias("tmax")).collect()
    counts = {"read": 0, "curated": 0, "quarantined": 0, "duplicates": 0}
    reasons: dict[str, int] = {}
    tmin = tmax = None
    for row in summary:
        counts["read"] += row["n"]
        key = {"curated": "curated", "quarantined": "quarantined", "duplicate": "duplicates"}[row["_outcome"]]
        counts[key] += row["n"]
        if row["_outcome"] == "quarantined":
            reasons[row["_reason"]] = reasons.get(row["_reason"], 0) + row["n"]
        if row["_outcome"] == "curated":  # as aware UTC datetimes, whatever this machine's time zone
            tmin, tmax = (datetime.fromtimestamp(us / 1e6, tz=timezone.utc) for us in (row["tmin"], row["tmax"]))
    return CleanResult(curated_view(marked, batch_id, processed_at), quarantine_view(marked, batch_id, processed_at),
                       counts, dict(sorted(reasons.items())), tmin, tmax, marked if cache else None)


# -- idempotent output on S3 (boto3) --------------------------------------------------------------------------


class S3Uri:
    """``s3://bucket/a/b`` as bucket ``bucket`` and key ``a/b`` (slashes trimmed)."""

    def __init__(self, uri: str):
        scheme, sep, rest = str(uri).partition("://")
        if not sep or scheme.lower() not in ("s3", "s3a", "s3n") or not rest.split("/", 1)[0]:
            raise ValueError(f"{uri!r} is not an S3 path: write it as s3://bucket/prefix/")
        self.bucket, _, key = rest.partition("/")
        self.key = key.strip("/")

    def child(self, *parts: str) -> "S3Uri":
        return S3Uri("s3://" + "/".join([self.bucket, *[p.strip("/") for p in (self.key, *parts) if p.strip("/")]]))

    @property
    def prefix(self) -> str:
        return f"{self.key}/" if self.key else ""

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def _list_keys(s3, uri: S3Uri) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=uri.bucket, Prefix=uri.prefix):
        keys += [obj["Key"] for obj in page.get("Contents", [])]
    return keys


def _delete(s3, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]],
                                                  "Quiet": True})


def read_json(s3, uri: S3Uri) -> Any | None:
    try:
        return json.loads(s3.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def put_json(s3, uri: S3Uri, value: Any) -> None:
    s3.put_object(Bucket=uri.bucket, Key=uri.key, Body=json.dumps(value, indent=1, sort_keys=True, default=str).encode(),
                  ContentType="application/json")


def run_token(s3, work: S3Uri) -> str:
    """The 8-hex-digit token of this checkpoint's lifetime (created on first use)."""
    uri = work.child("run_token.json")
    found = read_json(s3, uri)
    if found and found.get("token"):
        return str(found["token"])
    token = uuid.uuid4().hex[:8]
    put_json(s3, uri, {"token": token, "created_at": datetime.now(timezone.utc).isoformat()})
    return token


def _is_data_file(name: str) -> bool:
    return not name.startswith(("_", ".")) and not name.endswith("$folder$") and not name.endswith(".crc")


def _suffix(name: str) -> str:
    lowered = name.lower()
    for ending in (".snappy.parquet", "-snappy.parquet", ".gz.parquet", ".parquet", ".json.gz", ".json", ".csv"):
        if lowered.endswith(ending):
            return "." + ending.lstrip(".-").replace("-snappy", "snappy")
    return ""


class BatchOutput:
    """Publishes one batch's staged files under deterministic names, replacing a previous attempt's.

    ``work`` is the job's bookkeeping prefix (``s3://<bucket>/checkpoints/<job>/output``):
    ``run_token.json``, ``manifests/batch=<id>.json`` and ``staging/batch=<id>/<dataset>/``.
    """

    def __init__(self, s3, work: str | S3Uri, batch_id: int, token: str):
        self.s3 = s3
        self.work = work if isinstance(work, S3Uri) else S3Uri(work)
        self.batch_id = int(batch_id)
        self.token = token
        self.staging_root = self.work.child("staging", f"batch={self.batch_id}")
        self.manifest = self.work.child("manifests", f"batch={self.batch_id}.json")
        self.targets: dict[str, S3Uri] = {}

    def begin(self) -> None:
        """Empty this batch's staging prefix (files a crashed attempt left there)."""
        _delete(self.s3, self.staging_root.bucket, _list_keys(self.s3, self.staging_root))

    def staging(self, dataset: str, target: str | S3Uri) -> str:
        """The s3:// path to hand Glue's writer for ``dataset``, published later under ``target``."""
        self.targets[dataset] = target if isinstance(target, S3Uri) else S3Uri(target)
        return str(self.staging_root.child(dataset)) + "/"

    def publish(self) -> dict[str, list[str]]:
        """Move the staged files to their final keys (see the module docstring); the final keys by dataset."""
        plan: list[tuple[str, S3Uri, str]] = []  # (staged key, target, final key)
        published: dict[str, list[str]] = {}
        for dataset, target in sorted(self.targets.items()):
            staged_root = self.staging_root.child(dataset)
            by_folder: dict[str, list[str]] = {}
            for key in _list_keys(self.s3, staged_root):
                relative = key[len(staged_root.prefix):]
                folder, _, name = relative.rpartition("/")
                if _is_data_file(name):
                    by_folder.setdefault(folder, []).append(key)
            finals: list[str] = []
            for folder, keys in sorted(by_folder.items()):
                for n, key in enumerate(sorted(keys)):
                    name = f"part-{self.token}-b{self.batch_id:06d}-{n:03d}{_suffix(key)}"
                    final = "/".join(p for p in (target.key, folder, name) if p)
                    plan.append((key, target, final))
                    finals.append(final)
            published[dataset] = finals
        new_keys = {(target.bucket, final) for _, target, final in plan}
        previous = read_json(self.s3, self.manifest) or {}
        stale: dict[str, list[str]] = {}
        for entry in previous.get("objects", []):
            if (entry["bucket"], entry["key"]) not in new_keys:
                stale.setdefault(entry["bucket"], []).append(entry["key"])
        for bucket, keys in stale.items():
            _delete(self.s3, bucket, keys)
        put_json(self.s3, self.manifest, {
            "batch_id": self.batch_id, "token": self.token, "written_at": datetime.now(timezone.utc).isoformat(),
            "objects": [{"bucket": target.bucket, "key": final} for _, target, final in plan],
        })
        for staged, target, final in plan:
            self.s3.copy_object(Bucket=target.bucket, Key=final,
                                CopySource={"Bucket": self.staging_root.bucket, "Key": staged})
        self.begin()  # staging emptied
        return published

    def forget_older_manifests(self, keep_from: int) -> None:
        """Manifests of batches before ``keep_from`` are settled (a later batch ran): delete them."""
        root = self.work.child("manifests")
        doomed = []
        for key in _list_keys(self.s3, root):
            name = key.rsplit("/", 1)[-1]
            if name.startswith("batch=") and name.endswith(".json"):
                number = name[len("batch="):-len(".json")]
                if number.isdigit() and int(number) < keep_from:
                    doomed.append(key)
        _delete(self.s3, root.bucket, doomed)
