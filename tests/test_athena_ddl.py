"""Athena DDL, CTAS, INSERT INTO and UNLOAD on the local endpoint: catalog and S3 checked directly, rows against pandas."""

from __future__ import annotations

import base64
import gzip
import io
import json
import uuid

import pandas as pd
import pyarrow.parquet as pq
import pytest
from athena_support import lake  # noqa: F401  (a fixture)


def keys(lake, prefix: str) -> list[str]:
    listed = lake.s3.list_objects_v2(Bucket=lake.bucket, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"] for o in listed)


def read_parquet_files(lake, uris: list[str]) -> pd.DataFrame:
    frames = []
    for uri in uris:
        key = uri.split("/", 3)[3]
        table = pq.read_table(io.BytesIO(lake.s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read()))
        frame = table.to_pandas()
        for part in key.split("/"):
            if "=" in part:
                k, v = part.split("=", 1)
                frame[k] = v
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_create_database_is_idempotent_with_if_not_exists_and_fails_otherwise(lake):
    name = f"ddl_db_{uuid.uuid4().hex[:8]}"
    lake.ok(f"CREATE DATABASE {name} COMMENT 'made by a test'")
    assert lake.glue.get_database(Name=name)["Database"]["Description"] == "made by a test"
    lake.ok(f"CREATE DATABASE IF NOT EXISTS {name}")
    again = lake.query(f"CREATE SCHEMA {name}")
    assert again.state == "FAILED" and "already exists" in again.reason
    assert name in [r[0] for r in lake.ok("SHOW DATABASES").rows]
    lake.ok(f"DROP DATABASE {name}")
    assert name not in [d["Name"] for d in lake.glue.get_databases()["DatabaseList"]]


def test_external_json_table_with_nested_types_and_msck_repair(lake):
    rows = [{"id": i, "device": {"name": f"dev-{i % 3}", "tags": ["a", "b"][: i % 3]}, "Reading": i * 1.5,
             "ok": i % 2 == 0, "day": d} for d in ("2026-02-01", "2026-02-02") for i in range(5)]
    for day in ("2026-02-01", "2026-02-02"):
        body = "".join(json.dumps({k: v for k, v in r.items() if k != "day"}) + "\n" for r in rows if r["day"] == day)
        lake.s3.put_object(Bucket=lake.bucket, Key=f"json/events/day={day}/part-0.json.gz", Body=gzip.compress(body.encode()))
    lake.ok(f"""
        CREATE EXTERNAL TABLE IF NOT EXISTS json_events (
            id bigint, device struct<name:string, tags:array<string>>, reading double COMMENT 'in units', ok boolean)
        PARTITIONED BY (day string)
        ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
        LOCATION 's3://{lake.bucket}/json/events/'
        TBLPROPERTIES ('classification' = 'json')""")
    table = lake.glue.get_table(DatabaseName=lake.db, Name="json_events")["Table"]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("id", "bigint"), ("device", "struct<name:string,tags:array<string>>"), ("reading", "double"), ("ok", "boolean")]
    assert table["PartitionKeys"] == [{"Name": "day", "Type": "string"}]
    assert lake.ok("SELECT count(*) FROM json_events").rows == [["0"]]  # no partitions in the catalog yet
    repair = lake.ok("MSCK REPAIR TABLE json_events")
    assert any("day=2026-02-01" in r[0] for r in repair.rows)
    parts = lake.glue.get_partitions(DatabaseName=lake.db, TableName="json_events")["Partitions"]
    assert sorted(p["Values"] for p in parts) == [["2026-02-01"], ["2026-02-02"]]
    assert lake.ok("MSCK REPAIR TABLE json_events").rows == []  # nothing left to add
    answer = lake.ok("SELECT id, device.name, cardinality(device.tags), reading, ok, day FROM json_events ORDER BY day, id")
    assert answer.rows == [[str(r["id"]), r["device"]["name"], str(len(r["device"]["tags"])), repr(r["Reading"]),
                            "true" if r["ok"] else "false", r["day"]] for r in rows]


def test_external_csv_tables_lazy_simple_and_open_csv(lake):
    frame = pd.DataFrame({"site": ["oslo", "berlin", "lisbon"], "capacity": [10, 20, 35], "note": ["a", "", "c,d"]})
    plain = "site,capacity\n" + "".join(f"{r.site},{r.capacity}\n" for r in frame.itertuples())
    lake.s3.put_object(Bucket=lake.bucket, Key="csv/sites/sites.csv", Body=plain.encode())
    lake.ok(f"""CREATE EXTERNAL TABLE sites (site string, capacity int)
                ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
                STORED AS TEXTFILE LOCATION 's3://{lake.bucket}/csv/sites/'
                TBLPROPERTIES ('skip.header.line.count' = '1')""")
    answer = lake.ok("SELECT site, capacity * 2 FROM sites ORDER BY site")
    want = frame.sort_values("site")
    assert answer.rows == [[s, str(c * 2)] for s, c in zip(want.site, want.capacity)]
    quoted = "".join(f'"{r.site}","{r.capacity}","{r.note}"\n' for r in frame.itertuples())
    lake.s3.put_object(Bucket=lake.bucket, Key="csv/notes/notes.csv", Body=quoted.encode())
    lake.ok(f"""CREATE EXTERNAL TABLE notes (site string, capacity string, note string)
                ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
                WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '"')
                LOCATION 's3://{lake.bucket}/csv/notes/'""")
    answer = lake.ok("SELECT site, note FROM notes ORDER BY site")
    assert answer.rows == [[s, n] for s, n in zip(want.site, want.note)]


def test_alter_table_add_and_drop_partition_show_partitions_and_describe(lake):
    lake.ok(f"""CREATE EXTERNAL TABLE readings_by_hand (event_id string, reading double)
                PARTITIONED BY (dt string, hour string) STORED AS PARQUET
                LOCATION 's3://{lake.bucket}/curated/sensor_readings/'""")
    lake.ok("ALTER TABLE readings_by_hand ADD IF NOT EXISTS PARTITION (dt = '2026-01-01', hour = '00') "
            "PARTITION (dt = '2026-01-03', hour = '18') "
            f"LOCATION 's3://{lake.bucket}/curated/sensor_readings/dt=2026-01-03/hour=18/'")
    shown = lake.ok("SHOW PARTITIONS readings_by_hand")
    assert [r[0] for r in shown.rows] == ["dt=2026-01-01/hour=00", "dt=2026-01-03/hour=18"]
    both = lake.curated[((lake.curated.dt == "2026-01-01") & (lake.curated.hour == "00"))
                        | ((lake.curated.dt == "2026-01-03") & (lake.curated.hour == "18"))]
    assert lake.ok("SELECT count(*), round(sum(reading), 3) FROM readings_by_hand").rows == [
        [str(len(both)), str(round(both.reading.sum(), 3))]]
    duplicate = lake.query("ALTER TABLE readings_by_hand ADD PARTITION (dt = '2026-01-01', hour = '00')")
    assert duplicate.state == "FAILED"
    lake.ok("ALTER TABLE readings_by_hand DROP PARTITION (dt = '2026-01-01', hour = '00')")
    left = lake.curated[(lake.curated.dt == "2026-01-03") & (lake.curated.hour == "18")]
    assert lake.ok("SELECT count(*) FROM readings_by_hand").rows == [[str(len(left))]]
    described = [r[0].split("\t") for r in lake.ok("DESCRIBE readings_by_hand").rows]
    assert [d[0].strip() for d in described[:4]] == ["event_id", "reading", "dt", "hour"]
    assert [d[1].strip() for d in described[:4]] == ["string", "double", "string", "string"]
    assert [r[0] for r in lake.ok("SHOW COLUMNS IN readings_by_hand").rows] == ["event_id", "reading", "dt", "hour"]
    created = "\n".join(r[0] for r in lake.ok("SHOW CREATE TABLE readings_by_hand").rows)
    assert "PARTITIONED BY" in created and "ParquetHiveSerDe" in created
    lake.ok("DROP TABLE readings_by_hand")
    assert "readings_by_hand" not in [t["Name"] for t in lake.glue.get_tables(DatabaseName=lake.db)["TableList"]]
    assert keys(lake, "curated/sensor_readings/dt=2026-01-03/hour=18/")  # DROP TABLE keeps the data
    assert lake.ok("DROP TABLE IF EXISTS readings_by_hand").state == "SUCCEEDED"
    assert lake.query("DROP TABLE readings_by_hand").reason.startswith("TABLE_NOT_FOUND")


def test_ctas_partitioned_parquet_writes_files_manifest_catalog_and_update_count(lake):
    name = f"hourly_{uuid.uuid4().hex[:6]}"
    location = f"s3://{lake.bucket}/tables/{name}/"
    answer = lake.ok(f"""
        CREATE TABLE {name}
        WITH (format = 'PARQUET', write_compression = 'SNAPPY', external_location = '{location}',
              partitioned_by = ARRAY['dt'])
        AS SELECT sensor_type, hour, count(*) AS n, avg(reading) AS avg_reading, dt
           FROM sensor_readings GROUP BY sensor_type, hour, dt""")
    want = lake.curated.groupby(["sensor_type", "hour", "dt"]).agg(n=("event_id", "size"), avg_reading=("reading", "mean")) \
        .reset_index()
    assert answer.update_count == len(want)
    assert answer.names == ["rows"] and answer.rows == []
    execution = answer.execution
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{lake.output}{answer.query_id}"
    manifest_uri = execution["Statistics"]["DataManifestLocation"]
    assert manifest_uri == f"{lake.output}{answer.query_id}-manifest.csv"
    manifest = lake.s3.get_object(Bucket=lake.bucket, Key=manifest_uri.split("/", 3)[3])["Body"].read().decode().split()
    assert sorted(manifest) == [f"s3://{lake.bucket}/{k}" for k in keys(lake, f"tables/{name}/")]
    assert all("/dt=2026-01-0" in uri for uri in manifest)
    written = read_parquet_files(lake, manifest).sort_values(["sensor_type", "hour", "dt"]).reset_index(drop=True)
    assert list(written.n) == list(want.n) and list(written.dt) == list(want.dt)
    table = lake.glue.get_table(DatabaseName=lake.db, Name=name)["Table"]
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("sensor_type", "string"), ("hour", "string"), ("n", "bigint"), ("avg_reading", "double")]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert "ParquetHiveSerDe" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    parts = lake.glue.get_partitions(DatabaseName=lake.db, TableName=name)["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == sorted(lake.curated.dt.unique())
    back = lake.ok(f"SELECT sum(n), count(*) FROM {name} WHERE dt = '2026-01-02'")
    assert back.rows == [[str(int((lake.curated.dt == "2026-01-02").sum())), str(int((want.dt == "2026-01-02").sum()))]]

    # INSERT INTO adds files and a partition, and counts what it added.
    inserted = lake.ok(f"INSERT INTO {name} SELECT 'sound', '23', 7, 1.5, '2026-12-31'")
    assert inserted.update_count == 1
    assert lake.ok(f"SELECT n, avg_reading FROM {name} WHERE dt = '2026-12-31'").rows == [["7", "1.5"]]
    assert ["2026-12-31"] in [p["Values"] for p in lake.glue.get_partitions(DatabaseName=lake.db, TableName=name)["Partitions"]]
    assert lake.ok(f"SELECT count(*) FROM {name}").rows == [[str(len(want) + 1)]]


def test_ctas_into_a_location_that_is_not_empty_fails_and_writes_nothing(lake):
    name = f"clash_{uuid.uuid4().hex[:6]}"
    lake.s3.put_object(Bucket=lake.bucket, Key=f"tables/{name}/already-here", Body=b"x")
    answer = lake.query(f"CREATE TABLE {name} WITH (external_location = 's3://{lake.bucket}/tables/{name}/') "
                        "AS SELECT 1 AS one")
    assert answer.state == "FAILED" and answer.reason.startswith("HIVE_PATH_ALREADY_EXISTS")
    bad = lake.query(f"CREATE TABLE {name}_b AS SELECT missing_column FROM sensor_readings")
    assert bad.state == "FAILED" and bad.reason.startswith("COLUMN_NOT_FOUND")
    names = [t["Name"] for t in lake.glue.get_tables(DatabaseName=lake.db)["TableList"]]
    assert name not in names and f"{name}_b" not in names
    assert keys(lake, f"tables/{name}/") == [f"tables/{name}/already-here"]
    assert keys(lake, f"athena-results/tables/{bad.query_id}") == []


@pytest.mark.parametrize("fmt", ["JSON", "TEXTFILE", "ORC"])
def test_ctas_in_other_formats_reads_back_the_same_rows(lake, fmt):
    name = f"fmt_{fmt.lower()}_{uuid.uuid4().hex[:6]}"
    lake.ok(f"CREATE TABLE {name} WITH (format = '{fmt}') AS "
            "SELECT event_id, battery_pct, reading, event_time FROM sensor_readings WHERE dt = '2026-01-01' AND hour = '06'")
    back = lake.ok(f"SELECT event_id, battery_pct, reading, event_time FROM {name} ORDER BY event_id")
    direct = lake.ok("SELECT event_id, battery_pct, reading, event_time FROM sensor_readings "
                     "WHERE dt = '2026-01-01' AND hour = '06' ORDER BY event_id")
    part = lake.curated[(lake.curated.dt == "2026-01-01") & (lake.curated.hour == "06")].sort_values("event_id")
    assert [r[0] for r in back.rows] == list(part.event_id)
    assert [r[1] for r in back.rows] == [str(b) for b in part.battery_pct]
    assert back.rows == direct.rows


def test_ctas_with_no_data_creates_an_empty_typed_table(lake):
    name = f"empty_{uuid.uuid4().hex[:6]}"
    answer = lake.ok(f"CREATE TABLE {name} AS SELECT site, battery_pct FROM sensor_readings WITH NO DATA")
    assert answer.update_count == 0
    columns = lake.glue.get_table(DatabaseName=lake.db, Name=name)["Table"]["StorageDescriptor"]["Columns"]
    assert [(c["Name"], c["Type"]) for c in columns] == [("site", "string"), ("battery_pct", "int")]
    assert lake.ok(f"SELECT count(*) FROM {name}").rows == [["0"]]


def test_unload_writes_parquet_that_pyarrow_reads_as_the_query_rows(lake):
    target = f"unload/{uuid.uuid4().hex[:8]}/"
    answer = lake.ok(f"UNLOAD (SELECT event_id, site, reading, dt FROM sensor_readings WHERE hour = '12') "
                     f"TO 's3://{lake.bucket}/{target}' WITH (format = 'PARQUET', compression = 'SNAPPY', "
                     "partitioned_by = ARRAY['dt'])")
    want = lake.curated[lake.curated.hour == "12"].sort_values("event_id").reset_index(drop=True)
    assert answer.update_count == len(want)
    manifest_key = answer.execution["Statistics"]["DataManifestLocation"].split("/", 3)[3]
    files = lake.s3.get_object(Bucket=lake.bucket, Key=manifest_key)["Body"].read().decode().split()
    assert sorted(files) == [f"s3://{lake.bucket}/{k}" for k in keys(lake, target)]
    got = read_parquet_files(lake, files).sort_values("event_id").reset_index(drop=True)
    assert list(got.event_id) == list(want.event_id) and list(got.dt) == list(want.dt)
    assert got.reading.fillna(-1).tolist() == want.reading.fillna(-1).tolist()
    again = lake.query(f"UNLOAD (SELECT 1) TO 's3://{lake.bucket}/{target}' WITH (format = 'PARQUET')")
    assert again.state == "FAILED" and again.reason.startswith("HIVE_PATH_ALREADY_EXISTS")


def test_views_are_stored_as_athena_stores_them_and_answer_like_their_query(lake):
    name = f"daily_{uuid.uuid4().hex[:6]}"
    sql = ("SELECT dt, count(*) AS readings, count_if(status = 'FAIL') AS failures FROM sensor_readings GROUP BY dt")
    lake.ok(f"CREATE VIEW {name} AS {sql}")
    table = lake.glue.get_table(DatabaseName=lake.db, Name=name)["Table"]
    assert table["TableType"] == "VIRTUAL_VIEW"
    text = table["ViewOriginalText"]
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    view = json.loads(base64.b64decode(text[len("/* Presto View: "):-3]))
    assert view["originalSql"] == sql and view["catalog"] == "awsdatacatalog" and view["schema"] == lake.db
    assert [(c["name"], c["type"]) for c in view["columns"]] == [("dt", "varchar"), ("readings", "bigint"),
                                                                 ("failures", "bigint")]
    want = lake.curated.groupby("dt").agg(readings=("event_id", "size"), failures=("status", lambda s: (s == "FAIL").sum()))
    answer = lake.ok(f"SELECT * FROM {name} WHERE readings > 0 ORDER BY dt")
    assert answer.rows == [[d, str(r), str(f)] for d, r, f in want.itertuples()]
    assert lake.query(f"CREATE VIEW {name} AS SELECT 1 AS x").state == "FAILED"
    lake.ok(f"CREATE OR REPLACE VIEW {name} AS SELECT 1 AS x")
    assert lake.ok(f"SELECT * FROM {name}").rows == [["1"]]
    assert name in [r[0] for r in lake.ok("SHOW VIEWS").rows]
    lake.ok(f"DROP VIEW {name}")
    assert lake.query(f"SELECT * FROM {name}").reason.startswith("TABLE_NOT_FOUND")


def test_ctas_refuses_unknown_properties_and_table_types(lake):
    typo = lake.query("CREATE TABLE typo_t WITH (fromat = 'PARQUET') AS SELECT 1 AS a")
    assert typo.state == "FAILED" and typo.reason.startswith("INVALID_TABLE_PROPERTY") and "'fromat'" in typo.reason
    iceberg = lake.query("CREATE TABLE ice_t WITH (table_type = 'ICEBERG') AS SELECT 1 AS a")
    assert iceberg.state == "FAILED" and iceberg.reason.startswith("NOT_SUPPORTED")
    names = [t["Name"] for t in lake.glue.get_tables(DatabaseName=lake.db)["TableList"]]
    assert "typo_t" not in names and "ice_t" not in names
