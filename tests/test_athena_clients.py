"""Real Athena clients, unchanged, against the local endpoint: awswrangler, PyAthena and the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from athena_support import ACCESS_KEY, SECRET_KEY, lake  # noqa: F401  (a fixture)

SQL = ("SELECT site, sensor_type, count(*) AS n, avg(reading) AS avg_reading, max(event_time) AS last_seen, "
       "CAST(sum(battery_pct) AS decimal(12, 2)) AS battery FROM sensor_readings WHERE dt >= '2026-01-02' "
       "GROUP BY site, sensor_type")


def expected(lake) -> pd.DataFrame:
    part = lake.curated[lake.curated.dt >= "2026-01-02"]
    want = part.groupby(["site", "sensor_type"]).agg(
        n=("event_id", "size"), avg_reading=("reading", "mean"), last_seen=("event_time", "max"),
        battery=("battery_pct", "sum")).reset_index()
    return want.sort_values(["site", "sensor_type"]).reset_index(drop=True)


def check(frame: pd.DataFrame, want: pd.DataFrame) -> None:
    frame = frame.sort_values(["site", "sensor_type"]).reset_index(drop=True)
    assert list(frame.columns) == ["site", "sensor_type", "n", "avg_reading", "last_seen", "battery"]
    assert list(frame.site) == list(want.site) and list(frame.sensor_type) == list(want.sensor_type)
    assert [int(n) for n in frame.n] == list(want.n)
    assert np.allclose(frame.avg_reading.astype(float), want.avg_reading)
    seen = pd.to_datetime(frame.last_seen)
    assert [s.tz_localize(None) if s.tzinfo else s for s in seen] == \
        [w.tz_convert(None).floor("ms") for w in want.last_seen]
    assert [Decimal(str(b)) for b in frame.battery] == [Decimal(int(b)).quantize(Decimal("0.01")) for b in want.battery]


@pytest.fixture
def endpoint_env(lake, monkeypatch):
    """The process's default AWS configuration points at the endpoint (as helpers.setup() does)."""
    import boto3

    for key, value in {"AWS_ENDPOINT_URL": lake.url, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                       "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return lake


@pytest.mark.parametrize("ctas_approach, unload_approach", [(False, False), (True, False), (False, True)])
def test_awswrangler_read_sql_query(endpoint_env, ctas_approach, unload_approach):
    import awswrangler as wr

    lake = endpoint_env
    output = f"s3://{lake.bucket}/wrangler/{'ctas' if ctas_approach else 'unload' if unload_approach else 'csv'}/"
    frame = wr.athena.read_sql_query(SQL, database=lake.db, ctas_approach=ctas_approach, unload_approach=unload_approach,
                                     s3_output=output, keep_files=False)
    check(frame, expected(lake))
    assert str(frame.n.dtype) == "Int64"
    if ctas_approach:  # the temporary table is gone again, and so are its files
        tables = [t["Name"] for t in lake.glue.get_tables(DatabaseName=lake.db)["TableList"]]
        assert not [t for t in tables if t.startswith("temp_table_")]


def test_awswrangler_catalog_functions_see_the_tables(endpoint_env):
    import awswrangler as wr

    lake = endpoint_env
    assert lake.db in wr.catalog.databases().Database.tolist()
    types = wr.catalog.get_table_types(database=lake.db, table="sensor_readings")
    assert types["reading"] == "double" and types["dt"] == "string"
    partitions = wr.catalog.get_partitions(database=lake.db, table="sensor_readings")
    assert len(partitions) == lake.curated.groupby(["dt", "hour"]).ngroups


def test_pyathena_dbapi_cursor(endpoint_env):
    from pyathena import connect

    lake = endpoint_env
    connection = connect(s3_staging_dir=lake.output, region_name="us-east-1", schema_name=lake.db,
                         endpoint_url=lake.url, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    cursor = connection.cursor()
    cursor.execute(SQL + " ORDER BY site, sensor_type")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    frame = pd.DataFrame(rows, columns=names)
    check(frame, expected(lake))
    assert cursor.data_scanned_in_bytes > 0
    cursor.execute("SELECT count(*) FROM sensor_readings WHERE site = %(site)s", {"site": "oslo"})
    assert cursor.fetchone() == (int((lake.curated.site == "oslo").sum()),)
    cursor.execute("SELECT event_id FROM sensor_readings ORDER BY event_id")
    assert [r[0] for r in cursor.fetchmany(1500)] == sorted(lake.curated.event_id)[:1500]  # crosses a page boundary


def test_pyathena_pandas_cursor_reads_the_result_csv(endpoint_env):
    from pyathena import connect
    from pyathena.pandas.cursor import PandasCursor

    lake = endpoint_env
    cursor = connect(s3_staging_dir=lake.output, region_name="us-east-1", schema_name=lake.db, endpoint_url=lake.url,
                     cursor_class=PandasCursor).cursor()
    frame = cursor.execute(SQL).as_pandas()
    check(frame, expected(lake))


def test_aws_cli_runs_a_query_and_reads_its_results(lake):
    aws = Path(sys.executable).parent / "aws"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1"})

    def cli(*args: str) -> dict:
        done = subprocess.run([str(aws), "--endpoint-url", lake.url, "--output", "json", "athena", *args],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    query_id = cli("start-query-execution", "--query-string",
                   "SELECT status, count(*) AS n FROM sensor_readings GROUP BY status ORDER BY status",
                   "--query-execution-context", f"Database={lake.db}",
                   "--result-configuration", f"OutputLocation={lake.output}")["QueryExecutionId"]
    import time

    for _ in range(600):
        state = cli("get-query-execution", "--query-execution-id", query_id)["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.1)
    assert state == "SUCCEEDED"
    results = cli("get-query-results", "--query-execution-id", query_id)
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in results["ResultSet"]["Rows"]]
    want = lake.curated.groupby("status").size()
    assert rows == [["status", "n"]] + [[s, str(n)] for s, n in want.items()]
    listed = cli("list-query-executions")["QueryExecutionIds"]
    assert query_id in listed
