"""helpers.athena against the local endpoint: typed DataFrames, cost, safe names, idempotent set-up."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from athena_support import lake  # noqa: F401  (a fixture)

from helpers import athena as ah
from helpers.errors import KitError


@pytest.fixture
def wg(cfg, lake, capsys):
    name = ah.ensure_workgroup(f"{cfg.prefix}-wg", f"s3://{lake.bucket}/helper-results")
    return name


def test_run_query_returns_a_typed_dataframe_equal_to_pandas(wg, lake):
    result = ah.run_query(
        "SELECT site, count(*) AS n, avg(reading) AS mean_reading, max(event_time) AS last_seen, "
        "bool_or(status = 'FAIL') AS any_fail, CAST(sum(battery_pct) AS decimal(10, 1)) AS battery, "
        "min(date(event_time)) AS first_day FROM sensor_readings GROUP BY site ORDER BY site",
        database=lake.db, workgroup=wg)
    df = result.df
    want = lake.curated.groupby("site").agg(n=("event_id", "size"), mean_reading=("reading", "mean"),
                                            last_seen=("event_time", "max"), any_fail=("status", lambda s: (s == "FAIL").any()),
                                            battery=("battery_pct", "sum"), first_day=("event_time", "min"))
    assert str(df.n.dtype) == "Int64" and str(df.mean_reading.dtype) == "float64"
    assert str(df.any_fail.dtype) == "boolean" and str(df.site.dtype).startswith("string")
    assert pd.api.types.is_datetime64_any_dtype(df.last_seen) and pd.api.types.is_datetime64_any_dtype(df.first_day)
    assert list(df.site) == list(want.index)
    assert list(df.n) == list(want.n)
    assert np.allclose(df.mean_reading, want.mean_reading)
    assert list(df.last_seen) == [t.tz_convert(None).floor("ms") for t in want.last_seen]
    assert list(df.any_fail) == list(want.any_fail)
    assert list(df.battery) == [Decimal(int(b)).quantize(Decimal("0.1")) for b in want.battery]
    assert list(df.first_day) == [pd.Timestamp(t.tz_convert(None).date()) for t in want.first_day]
    assert result.scanned_bytes > 0 and result.state == "SUCCEEDED"
    assert result.output_location.startswith(f"s3://{lake.bucket}/helper-results/")


def test_nulls_become_missing_values_of_each_type(wg, lake):
    df = ah.run_query("SELECT CAST(NULL AS bigint) AS i, CAST(NULL AS double) AS d, CAST(NULL AS varchar) AS s, "
                      "CAST(NULL AS boolean) AS b, CAST(NULL AS timestamp) AS t", workgroup=wg).df
    assert len(df) == 1 and df.isna().all(axis=None)


def test_cost_is_five_dollars_a_terabyte_rounded_up_to_megabytes_with_a_ten_megabyte_minimum():
    mb, tb = 1024**2, 1024**4
    assert ah.query_cost_usd(0) == 0
    assert ah.query_cost_usd(1) == ah.query_cost_usd(10 * mb) == pytest.approx(10 * mb / tb * 5)
    assert ah.query_cost_usd(10 * mb + 1) == pytest.approx(11 * mb / tb * 5)
    assert ah.query_cost_usd(tb) == pytest.approx(5.0)
    assert ah.query_cost_usd(tb, statement_type="DDL") == 0
    assert "10 MB minimum" in ah.describe_cost(12_345)


def test_run_query_reports_the_cost_of_what_it_scanned(wg, lake):
    whole = ah.run_query("SELECT avg(reading) FROM sensor_readings", database=lake.db, workgroup=wg)
    one_day = ah.run_query("SELECT avg(reading) FROM sensor_readings WHERE dt = ?", database=lake.db, workgroup=wg,
                           parameters=["2026-01-01"])
    assert 0 < one_day.scanned_bytes < whole.scanned_bytes
    assert whole.cost_usd == ah.query_cost_usd(whole.scanned_bytes)
    assert one_day.df.iloc[0, 0] == pytest.approx(lake.curated[lake.curated.dt == "2026-01-01"].reading.mean())
    assert "Data scanned" in whole.summary()
    table = ah.scanned_comparison(lake.db, "sensor_readings", "dt = '2026-01-01'", workgroup=wg)
    assert table.scanned_bytes.iloc[0] > table.scanned_bytes.iloc[1] > 0


def test_a_failed_query_raises_with_athenas_reason(wg, lake):
    with pytest.raises(ah.QueryFailed) as caught:
        ah.run_query("SELECT * FROM no_such_table", database=lake.db, workgroup=wg)
    assert str(caught.value) == (f"Query FAILED: TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{lake.db}.no_such_table' "
                                 "does not exist")
    assert caught.value.error_category == 2


@pytest.mark.parametrize("bad", ["x; DROP TABLE t", "a b", 'q"uote', "", "1abc", "t--", "a.b", "x" * 256, None])
def test_identifiers_that_could_carry_sql_are_refused(bad):
    with pytest.raises(KitError):
        ah.check_identifier(bad)
    with pytest.raises(KitError):
        ah.table_ref("db", bad)


def test_identifiers_are_lower_cased_and_quoted_and_literals_escaped():
    assert ah.check_identifier("Sensor_Readings") == "sensor_readings"
    assert ah.table_ref("DB", "T1") == '"db"."t1"'
    assert ah.sql_name("dsca-ana", "sensors") == "dsca_ana_sensors"
    assert ah.sql_string("it's") == "'it''s'"


def test_injection_through_a_parameter_stays_a_value(wg, lake):
    sneaky = "oslo' OR '1'='1"
    df = ah.run_query("SELECT count(*) AS n FROM sensor_readings WHERE site = ?", database=lake.db, workgroup=wg,
                      parameters=[sneaky]).df
    assert df.n.iloc[0] == 0  # no site has that name; the quote did not end the string


def test_ensure_workgroup_is_idempotent_and_updates_the_location(cfg, lake, capsys):
    name = f"{cfg.prefix}-wg2"
    ah.ensure_workgroup(name, f"s3://{lake.bucket}/a/")
    ah.ensure_workgroup(name, f"s3://{lake.bucket}/a/")
    ah.ensure_workgroup(name, f"s3://{lake.bucket}/b/", bytes_cutoff=10 * 1024**3)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Created") and out[1].startswith("Athena work group") and out[2].startswith("Updated")
    config = ah._client().get_work_group(WorkGroup=name)["WorkGroup"]["Configuration"]
    assert config["ResultConfiguration"]["OutputLocation"] == f"s3://{lake.bucket}/b/"
    assert config["BytesScannedCutoffPerQuery"] == 10 * 1024**3


def test_ensure_database_and_drop_table_through_athena(wg, cfg, lake):
    name = ah.ensure_database(ah.sql_name(cfg.prefix, "helpers_db"), workgroup=wg, verbose=False)
    assert ah.ensure_database(name, workgroup=wg, verbose=False) == name
    ah.run_query(f"CREATE TABLE {ah.table_ref(name, 'copy')} AS SELECT 1 AS one", workgroup=wg)
    assert ah.table_columns(name, "copy") == [("one", "int")]
    ah.drop_table(name, "copy", workgroup=wg)
    ah.drop_table(name, "copy", workgroup=wg)  # idempotent
    import boto3

    assert boto3.client("glue").get_tables(DatabaseName=name)["TableList"] == []


def test_no_output_location_gives_a_helpful_error(cfg, lake):
    import boto3

    boto3.client("athena").create_work_group(Name=f"{cfg.prefix}-bare", Configuration={})
    with pytest.raises(KitError, match="ensure_workgroup"):
        ah.run_query("SELECT 1", workgroup=f"{cfg.prefix}-bare")


def test_ddl_results_keep_their_first_row(wg, lake):
    import boto3

    df = ah.run_query("SHOW TABLES", database=lake.db, workgroup=wg).df
    tables = sorted(t["Name"] for t in boto3.client("glue").get_tables(DatabaseName=lake.db)["TableList"])
    assert list(df.iloc[:, 0]) == tables
