"""glue_scripts/sensor_transforms.py on a local Spark: every cleaning rule and reason code, partitions,
output schemas, the accounting identity on a seeded faulty stream, and idempotent publishing to S3."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws
from pyspark.sql import functions as F
from pyspark.sql import types as T

from helpers.kdg import FaultRates, Generator, SimClock, compile_template, load_template
from spark_support import import_transforms, spark_session

st = import_transforms()


@pytest.fixture(scope="session")
def spark():
    """The test process's one local Spark session (shared with the other Glue test module)."""
    return spark_session()

RAW = "$json$data_infer_schema$_temporary$"
PROCESSED = datetime(2026, 3, 4, 23, 59, 30, tzinfo=timezone.utc)
GOOD = {"event_id": "5d2a6c1e-0000-4000-8000-000000000001", "event_time": "2026-01-01T10:30:00.000Z",
        "device_id": "ber-temp-01", "site": "berlin", "sensor_type": "temperature", "unit": "celsius",
        "reading": 25.5, "battery_pct": 50, "status": "OK"}
DROP = object()
_ids = iter(range(1, 1_000_000))


def record(**changes) -> str:
    """The good record with ``changes`` (DROP removes a field); a fresh event_id unless one is given."""
    data = dict(GOOD, event_id=f"5d2a6c1e-0000-4000-8000-{next(_ids):012d}")
    for name, value in changes.items():
        if value is DROP:
            data.pop(name, None)
        else:
            data[name] = value
    return json.dumps(data)


def utc(moment: datetime) -> datetime:
    """Spark hands timestamps to Python as naive local times: the same instant, as aware UTC."""
    return moment.astimezone(timezone.utc)


def batch(spark, *records: str | bytes):
    """A batch as Glue's Kinesis source hands it over: one string column, bytes cast without a UTF-8 check."""
    rows = [(bytearray(r.encode() if isinstance(r, str) else r),) for r in records]
    return spark.createDataFrame(rows, "data binary").select(F.col("data").cast("string").alias(RAW))


def clean(spark, *records, batch_id: int = 7):
    result = st.clean_batch(batch(spark, *records), batch_id, PROCESSED)
    curated = [r.asDict() for r in result.curated.collect()]
    quarantine = [r.asDict() for r in result.quarantine.collect()]
    result.unpersist()
    return result, curated, quarantine


# Single-record cases are cleaned together, in one batch (one Spark job instead of one per case);
# every valid case has its own event_id, so none is another's duplicate.
REASON_CASES = [
    (record()[:40], "MALFORMED_JSON"),
    ("", "MALFORMED_JSON"),
    ("   \n", "MALFORMED_JSON"),
    ("{not json}", "MALFORMED_JSON"),
    ("[1, 2]", "NOT_AN_OBJECT"),
    ("42", "NOT_AN_OBJECT"),
    ("null", "NOT_AN_OBJECT"),
    ("[" + record() + "]", "NOT_AN_OBJECT"),
    (record(device_id=DROP), "MISSING_FIELD:device_id"),
    (record(event_time=DROP), "MISSING_FIELD:event_time"),
    (record(reading=DROP), "MISSING_FIELD:reading"),
    (record(status=DROP), "MISSING_FIELD:status"),
    (record(event_id=DROP), "MISSING_FIELD:event_id"),
    (record(battery_pct=None), "MISSING_FIELD:battery_pct"),
    (record(site="   "), "MISSING_FIELD:site"),
    (record(reading="22.17"), "WRONG_TYPE:reading"),
    (record(battery_pct="44"), "WRONG_TYPE:battery_pct"),
    (record(battery_pct=44.5), "WRONG_TYPE:battery_pct"),
    (record(reading={"value": 1}), "WRONG_TYPE:reading"),
    (record(reading="NaN"), "WRONG_TYPE:reading"),
    (record(event_time="2026-01-01 10:30:00"), "BAD_FORMAT:event_time"),
    (record(event_time="yesterday"), "BAD_FORMAT:event_time"),
    (record(event_time="2026-13-01T00:00:00Z"), "BAD_FORMAT:event_time"),
    (record(event_time=1767225600), "BAD_FORMAT:event_time"),
    (record(sensor_type="pressure"), "UNKNOWN_ENUM:sensor_type"),
    (record(unit="percent"), "UNKNOWN_ENUM:unit"),
    (record(status="BROKEN"), "UNKNOWN_ENUM:status"),
    (record(reading=100.01), "OUT_OF_RANGE:reading"),
    (record(reading=-3), "OUT_OF_RANGE:reading"),
    (record(battery_pct=101), "OUT_OF_RANGE:battery_pct"),
    (record(battery_pct=-89), "OUT_OF_RANGE:battery_pct"),
    (record(battery_pct=2 ** 40), "OUT_OF_RANGE:battery_pct"),
    (record(unit="fahrenheit", reading=213), "OUT_OF_RANGE:reading"),  # 100.56 °C: checked after conversion
]
PARTITION_CASES = [
    (record(event_time="2026-01-01T00:00:00.000Z"), "2026-01-01", "00"),
    (record(event_time="2026-06-30T23:59:59.999Z"), "2026-06-30", "23"),
    (record(event_time="2026-01-01T01:30:00+02:00"), "2025-12-31", "23"),
    (record(event_time="2026-01-01T22:15:00-0300"), "2026-01-02", "01"),
    (record(event_time="2026-01-01T07:05:09.123456789Z"), "2026-01-01", "07"),
]
UNIT_CASES = [(record(unit=unit, sensor_type=sensor), sensor) for unit, sensor in
              [("%", "humidity"), ("mm/s", "vibration"), ("dB(A)", "sound"), ("C", "temperature"),
               ("deg_c", "temperature")]]
SINGLE_CASES = [raw for raw, *_ in REASON_CASES + PARTITION_CASES + UNIT_CASES]


@pytest.fixture(scope="module")
def cases(spark):
    """raw text -> ("curated", row) or ("quarantine", row), for every single-record case."""
    assert len(set(SINGLE_CASES)) == len(SINGLE_CASES)
    result, curated, quarantine = clean(spark, *SINGLE_CASES)
    assert result.counts["duplicates"] == 0
    found = {}
    by_id = {row["event_id"]: row for row in curated}
    for raw in SINGLE_CASES:
        try:
            event_id = json.loads(raw)["event_id"]
        except (ValueError, TypeError, KeyError):
            event_id = None
        if event_id in by_id and not any(q["raw_payload"] == raw for q in quarantine):
            found[raw] = ("curated", by_id[event_id])
    for row in quarantine:
        found[row["raw_payload"]] = ("quarantine", row)
    return found


# --- the good record ------------------------------------------------------------------------------

def test_a_good_record_is_curated_with_typed_fields_and_partitions(spark):
    result, curated, quarantine = clean(spark, record())
    assert result.counts == {"read": 1, "curated": 1, "quarantined": 0, "duplicates": 0}
    assert quarantine == []
    row = curated[0]
    assert row["event_id"].startswith("5d2a6c1e-0000-4000-8000-") and row["device_id"] == "ber-temp-01"
    assert utc(row["event_time"]) == datetime(2026, 1, 1, 10, 30, tzinfo=timezone.utc)
    assert (row["reading"], row["battery_pct"], row["status"]) == (25.5, 50, "OK")
    assert (row["dt"], row["hour"], row["batch_id"]) == ("2026-01-01", "10", 7)
    assert utc(row["processed_at"]) == PROCESSED
    assert (result.event_time_min, result.event_time_max) == (utc(row["event_time"]),) * 2


# --- every reason code ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw, reason", REASON_CASES, ids=[f"{n}-{r}" for n, (_, r) in enumerate(REASON_CASES)])
def test_each_rule_gives_its_reason_code(cases, raw, reason):
    where, row = cases[raw]
    assert (where, row["reasons"], row["reason"]) == ("quarantine", reason, reason)


def test_bytes_that_are_not_utf8_are_quarantined_with_their_exact_bytes(spark):
    raw = b'{"event_id": "x\xff\xfe", "reading": 1}'
    _, curated, quarantine = clean(spark, raw)
    assert curated == [] and quarantine[0]["reason"] == "NOT_UTF8"
    import base64

    assert base64.b64decode(quarantine[0]["raw_payload_base64"]) == raw
    assert "\ufffd" in quarantine[0]["raw_payload"]  # readable, and valid UTF-8 in Parquet


def test_every_problem_of_a_record_is_listed_the_first_is_the_reason(spark):
    raw = record(device_id=DROP, reading="1", status="nope", battery_pct=500)
    _, _, quarantine = clean(spark, raw)
    row = quarantine[0]
    assert row["reason"] == "MISSING_FIELD:device_id"
    assert row["reasons"].split(";") == ["MISSING_FIELD:device_id", "WRONG_TYPE:reading", "UNKNOWN_ENUM:status",
                                         "OUT_OF_RANGE:battery_pct"]
    assert row["raw_payload"] == raw and row["raw_payload_base64"] is None
    assert row["event_id"] == json.loads(raw)["event_id"] and row["batch_id"] == 7
    assert row["dt"] == "2026-03-04"  # processing date, UTC


# --- normalisation, extra fields, schema changes ---------------------------------------------------

def test_text_is_trimmed_and_cased_units_are_canonical_and_fahrenheit_becomes_celsius(spark):
    raw = record(event_id=" 5D2A6C1E-0000-4000-8000-0000000000AB ", device_id=" BER-Temp-01", site="Berlin ",
                 sensor_type="Temperature", unit="°F", reading=212, status=" warn ")
    _, curated, _ = clean(spark, raw)
    row = curated[0]
    assert (row["event_id"], row["device_id"], row["site"]) == ("5d2a6c1e-0000-4000-8000-0000000000ab", "ber-temp-01",
                                                                "berlin")
    assert (row["sensor_type"], row["unit"], row["reading"], row["status"]) == ("temperature", "celsius", 100.0, "WARN")


@pytest.mark.parametrize("raw, sensor", UNIT_CASES, ids=[json.loads(r)["unit"] for r, _ in UNIT_CASES])
def test_unit_spellings_are_accepted(cases, raw, sensor):
    where, row = cases[raw]
    assert (where, row["unit"]) == ("curated", st.SENSOR_UNITS[sensor])


def test_extra_fields_are_ignored_and_the_record_kept(spark):
    _, curated, _ = clean(spark, record(firmware="1.2.3", location={"lat": 52.5, "lon": 13.4}))
    assert len(curated) == 1 and "firmware" not in curated[0]


def test_a_schema_change_mid_stream_does_not_crash_the_batch(spark):
    new_shape = json.dumps({"id": "v2-1", "ts": 1767225600, "payload": {"reading": [1, 2]}, "device": {"id": "x"}})
    retyped = record(event_id="v2-2", reading={"celsius": 20.5}, battery_pct=[50])
    result, curated, quarantine = clean(spark, record(), new_shape, retyped)
    assert result.counts == {"read": 3, "curated": 1, "quarantined": 2, "duplicates": 0}
    reasons = {q["raw_payload"]: q["reasons"] for q in quarantine}
    assert reasons[new_shape].startswith("MISSING_FIELD:event_id;MISSING_FIELD:event_time")
    assert reasons[retyped] == "WRONG_TYPE:reading;WRONG_TYPE:battery_pct"


def test_text_fields_accept_json_numbers_as_their_text(spark):
    _, curated, _ = clean(spark, record(device_id=1234))
    assert curated[0]["device_id"] == "1234"


# --- partitions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, dt, hour", PARTITION_CASES, ids=[json.loads(r)["event_time"] for r, *_ in PARTITION_CASES])
def test_partitions_are_event_date_and_hour_in_utc(cases, raw, dt, hour):
    where, row = cases[raw]
    assert (where, row["dt"], row["hour"]) == ("curated", dt, hour)


def test_partitions_stay_utc_whatever_the_session_time_zone(spark):
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        result = st.clean_batch(batch(spark, record(event_time="2026-01-01T02:00:00Z")), 1, PROCESSED)
        row = result.curated.collect()[0]
        result.unpersist()
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    assert (row["dt"], row["hour"]) == ("2026-01-01", "02")


# --- duplicates ----------------------------------------------------------------------------------

def test_duplicate_event_ids_are_dropped_and_counted(spark):
    a, b = record(), record(event_id="other")
    result, curated, _ = clean(spark, a, b, a, a, b)
    assert result.counts == {"read": 5, "curated": 2, "quarantined": 0, "duplicates": 3}
    assert sorted(r["event_id"] for r in curated) == sorted([json.loads(a)["event_id"], "other"])


def test_a_conflicting_duplicate_is_resolved_the_same_way_every_time(spark):
    one, two = record(event_id="same", reading=10.0), record(event_id="same", reading=20.0)
    kept = {clean(spark, *order)[1][0]["reading"] for order in ([one, two], [two, one], [two, one, two])}
    assert len(kept) == 1


def test_invalid_records_sharing_an_id_are_quarantined_not_counted_as_duplicates(spark):
    bad = record(event_id="same", reading="x")
    result, curated, quarantine = clean(spark, record(event_id="same"), bad, bad)
    assert result.counts == {"read": 3, "curated": 1, "quarantined": 2, "duplicates": 0}


# --- accounting on a generated stream with faults --------------------------------------------------

def test_curated_plus_quarantined_plus_duplicates_is_what_was_read_exactly(spark):
    faults = FaultRates(malformed_json=0.03, out_of_range=0.03, wrong_type=0.03, missing_field=0.03, duplicate=0.05)
    generator = Generator(compile_template(load_template("sensor_fleet")), seed=2026,
                          clock=SimClock("2026-01-01T23:59:00Z", 20), tz="UTC", faults=faults)
    records = list(generator.records(3000))
    made = generator.fault_counts
    result = st.clean_batch(batch(spark, *records), 1, PROCESSED)
    counts = result.counts
    assert counts["read"] == 3000
    assert counts["curated"] + counts["quarantined"] + counts["duplicates"] == counts["read"]
    assert counts["curated"] == made["clean"]
    assert counts["duplicates"] == made["duplicate"]
    assert counts["quarantined"] == made["malformed_json"] + made["out_of_range"] + made["wrong_type"] + made["missing_field"]
    assert sum(count for reason, count in result.reasons.items() if reason == "MALFORMED_JSON") == made["malformed_json"]
    assert sum(c for r, c in result.reasons.items() if r.startswith("OUT_OF_RANGE")) == made["out_of_range"]
    assert sum(c for r, c in result.reasons.items() if r.startswith("WRONG_TYPE")) == made["wrong_type"]
    assert sum(c for r, c in result.reasons.items() if r.startswith("MISSING_FIELD")) == made["missing_field"]
    hours = {(r["dt"], r["hour"]) for r in result.curated.select("dt", "hour").distinct().collect()}
    assert hours == {("2026-01-01", "23"), ("2026-01-02", "00")}  # 150 s at 20 records/s from 23:59
    assert result.curated.count() == made["clean"] and result.quarantine.count() == counts["quarantined"]
    result.unpersist()


# --- output schemas ---------------------------------------------------------------------------------

def test_views_have_the_declared_schemas(spark):
    result = st.clean_batch(batch(spark, record(), "oops"), 3, PROCESSED)
    assert [(f.name, f.dataType) for f in result.curated.schema] == [(f.name, f.dataType) for f in st.CURATED_SCHEMA]
    assert [(f.name, f.dataType) for f in result.quarantine.schema] == [
        (f.name, f.dataType) for f in st.QUARANTINE_SCHEMA]
    result.unpersist()


def test_curated_parquet_has_typed_columns_and_hive_partitions(spark, tmp_path):
    result = st.clean_batch(batch(spark, record(), record(event_id="b", event_time="2026-01-01T11:00:00Z")), 3,
                            PROCESSED)
    result.curated.write.partitionBy(*st.CURATED_PARTITIONS).option("compression", "snappy").parquet(str(tmp_path / "c"))
    result.unpersist()
    files = sorted((tmp_path / "c").rglob("*.parquet"))
    assert {f.parent.relative_to(tmp_path / "c").as_posix() for f in files} == {"dt=2026-01-01/hour=10",
                                                                                "dt=2026-01-01/hour=11"}
    assert all(f.name.endswith(".snappy.parquet") for f in files)
    schema = pq.read_schema(files[0])
    expected = {"event_id": pa.string(), "event_time": pa.timestamp("us", tz="UTC"), "device_id": pa.string(),
                "site": pa.string(), "sensor_type": pa.string(), "unit": pa.string(), "reading": pa.float64(),
                "battery_pct": pa.int32(), "status": pa.string(), "batch_id": pa.int64(),
                "processed_at": pa.timestamp("us", tz="UTC")}
    assert {name: schema.field(name).type for name in schema.names} == expected  # dt/hour are folders only


# --- finding the raw column --------------------------------------------------------------------------

def test_the_raw_column_is_found_in_the_shapes_glue_hands_over(spark):
    text = record()
    frames = {
        "glue": spark.createDataFrame([(text,)], T.StructType([T.StructField(RAW, T.StringType())])),
        "glue-dot": spark.createDataFrame([(text,)], T.StructType([T.StructField("$json$data_infer_schema$.temporary$",
                                                                                 T.StringType())])),
        "with-timestamp": spark.createDataFrame([(text, datetime(2026, 1, 1))], f"`{RAW}` string, __src_timestamp timestamp"),
        "kinesis": spark.createDataFrame([(bytearray(text.encode()), "pk")], "data binary, partitionKey string"),
        "single": spark.createDataFrame([(text,)], "value string"),
    }
    for name, frame in frames.items():
        assert frame.select(st.find_raw_column(frame).alias("raw")).first()["raw"] == text, name
    parsed = spark.createDataFrame([("a", 1.5)], "event_id string, reading double")
    assert json.loads(parsed.select(st.find_raw_column(parsed).alias("raw")).first()["raw"]) == {"event_id": "a",
                                                                                                  "reading": 1.5}


# --- idempotent publishing to S3 (moto in-process) ----------------------------------------------------

@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="bkt")
        yield client


def keys(s3, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bkt", Prefix=prefix).get("Contents", []))


def stage(s3, staging: str, files: dict[str, bytes]):
    uri = st.S3Uri(staging)
    for relative, body in files.items():
        s3.put_object(Bucket=uri.bucket, Key=uri.child(relative).key, Body=body)


def test_a_replayed_batch_replaces_its_own_output(s3):
    work = "s3://bkt/checkpoints/job/output"
    token = st.run_token(s3, st.S3Uri(work))
    assert st.run_token(s3, st.S3Uri(work)) == token and len(token) == 8

    first = st.BatchOutput(s3, work, 5, token)
    first.begin()
    staged = first.staging("curated", "s3://bkt/curated/sensor_readings/")
    stage(s3, staged, {"dt=2026-01-01/hour=10/run-1-part-r-00000.snappy.parquet": b"v1",
                       "dt=2026-01-01/hour=10/run-1-part-r-00001.snappy.parquet": b"v1",
                       "dt=2026-01-01/hour=11/run-1-part-r-00002.snappy.parquet": b"v1",
                       "_SUCCESS": b""})
    published = first.publish()
    assert published["curated"] == [
        f"curated/sensor_readings/dt=2026-01-01/hour=10/part-{token}-b000005-000.snappy.parquet",
        f"curated/sensor_readings/dt=2026-01-01/hour=10/part-{token}-b000005-001.snappy.parquet",
        f"curated/sensor_readings/dt=2026-01-01/hour=11/part-{token}-b000005-000.snappy.parquet"]
    assert keys(s3, "curated/") == sorted(published["curated"])
    assert keys(s3, "checkpoints/job/output/staging/") == []

    # the same batch again (a crash before its commit): fewer files this time
    again = st.BatchOutput(s3, work, 5, token)
    again.begin()
    stage(s3, again.staging("curated", "s3://bkt/curated/sensor_readings/"),
          {"dt=2026-01-01/hour=10/run-2-part-r-00000.snappy.parquet": b"v2"})
    again.publish()
    assert keys(s3, "curated/") == [f"curated/sensor_readings/dt=2026-01-01/hour=10/part-{token}-b000005-000.snappy.parquet"]
    assert s3.get_object(Bucket="bkt", Key=keys(s3, "curated/")[0])["Body"].read() == b"v2"


def test_a_crash_after_the_manifest_before_the_copies_is_repaired_by_the_replay(s3, monkeypatch):
    work, token = "s3://bkt/w", "abcd1234"
    out = st.BatchOutput(s3, work, 1, token)
    out.begin()
    stage(s3, out.staging("quarantine", "s3://bkt/quarantine/q/"), {"dt=2026-03-04/a.snappy.parquet": b"x",
                                                                  "dt=2026-03-04/b.snappy.parquet": b"y"})
    copies = []

    def copy_then_die(**kwargs):
        copies.append(kwargs)
        if len(copies) == 2:
            raise RuntimeError("killed mid-publish")
        return real_copy(**kwargs)

    real_copy = s3.copy_object
    monkeypatch.setattr(s3, "copy_object", copy_then_die)
    with pytest.raises(RuntimeError):
        out.publish()
    monkeypatch.setattr(s3, "copy_object", real_copy)
    assert len(keys(s3, "quarantine/")) == 1  # half published
    # the replay processes the batch on another day: other partition, one file
    replay = st.BatchOutput(s3, work, 1, token)
    replay.begin()
    stage(s3, replay.staging("quarantine", "s3://bkt/quarantine/q/"), {"dt=2026-03-05/c.snappy.parquet": b"z"})
    replay.publish()
    assert keys(s3, "quarantine/") == [f"quarantine/q/dt=2026-03-05/part-{token}-b000001-000.snappy.parquet"]


def test_other_batches_and_other_runs_are_left_alone(s3):
    for batch_id, token in ((1, "aaaa0000"), (2, "aaaa0000"), (1, "bbbb1111")):
        out = st.BatchOutput(s3, f"s3://bkt/w-{token}", batch_id, token)
        out.begin()
        stage(s3, out.staging("curated", "s3://bkt/c/"), {"dt=2026-01-01/hour=00/x.snappy.parquet": b"1"})
        out.publish()
    assert keys(s3, "c/") == ["c/dt=2026-01-01/hour=00/part-aaaa0000-b000001-000.snappy.parquet",
                              "c/dt=2026-01-01/hour=00/part-aaaa0000-b000002-000.snappy.parquet",
                              "c/dt=2026-01-01/hour=00/part-bbbb1111-b000001-000.snappy.parquet"]
    st.BatchOutput(s3, "s3://bkt/w-aaaa0000", 2, "aaaa0000").forget_older_manifests(keep_from=2)
    assert keys(s3, "w-aaaa0000/manifests/") == ["w-aaaa0000/manifests/batch=2.json"]


def test_s3_uris_are_checked():
    assert (st.S3Uri("s3://bucket/a/b/").bucket, st.S3Uri("s3://bucket/a/b/").key) == ("bucket", "a/b")
    assert str(st.S3Uri("s3a://bucket").child("x", "/y/")) == "s3://bucket/x/y"
    with pytest.raises(ValueError, match="not an S3 path"):
        st.S3Uri("/tmp/out")

