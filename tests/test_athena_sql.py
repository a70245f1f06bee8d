"""Athena SQL on the local endpoint: every answer checked against pandas over the same rows."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from athena_support import DAYS, athena_timestamp, lake  # noqa: F401  (lake is a fixture)


def as_float(values):
    return [None if v is None else float(v) for v in values]


def test_select_star_returns_every_column_typed_and_rendered_as_athena_writes_them(lake):
    answer = lake.ok("SELECT * FROM sensor_readings WHERE event_id IN ('evt-00000', 'evt-00061') ORDER BY event_id")
    assert answer.names == ["event_id", "event_time", "device_id", "site", "sensor_type", "unit", "reading",
                            "battery_pct", "status", "batch_id", "processed_at", "dt", "hour"]
    assert answer.types == ["varchar", "timestamp", "varchar", "varchar", "varchar", "varchar", "double", "integer",
                            "varchar", "bigint", "timestamp", "varchar", "varchar"]
    expected = lake.curated.set_index("event_id").loc[["evt-00000", "evt-00061"]].reset_index()
    for row, (_, want) in zip(answer.rows, expected.iterrows()):
        assert row[0] == want.event_id
        assert row[1] == athena_timestamp(want.event_time)
        assert row[2:6] == [want.device_id, want.site, want.sensor_type, want.unit]
        assert (row[6] is None and np.isnan(want.reading)) or float(row[6]) == want.reading
        assert row[7:10] == [str(want.battery_pct), want.status, str(want.batch_id)]
        assert row[11:] == [want["dt"], want["hour"]]


def test_group_by_with_partition_filter_matches_pandas(lake):
    answer = lake.ok("SELECT sensor_type, count(*) AS n, avg(reading) AS avg_reading, min(battery_pct) AS low "
                     "FROM sensor_readings WHERE dt = '2026-01-02' GROUP BY sensor_type ORDER BY sensor_type")
    assert answer.types == ["varchar", "bigint", "double", "integer"]
    day = lake.curated[lake.curated.dt == "2026-01-02"]
    want = day.groupby("sensor_type").agg(n=("event_id", "size"), avg=("reading", "mean"), low=("battery_pct", "min"))
    assert [r[0] for r in answer.rows] == list(want.index)
    assert [int(r[1]) for r in answer.rows] == list(want.n)
    assert np.allclose(as_float(r[2] for r in answer.rows), want.avg)
    assert [int(r[3]) for r in answer.rows] == list(want.low)


def test_count_star_and_unnamed_columns_are_named_like_trino(lake):
    answer = lake.ok("SELECT count(*), count(reading), 'x' AS label, 1 + 1 FROM sensor_readings")
    assert answer.names == ["_col0", "_col1", "label", "_col3"]
    assert answer.rows == [[str(len(lake.curated)), str(lake.curated.reading.notna().sum()), "x", "2"]]


def test_integer_division_and_decimal_literals_follow_trino(lake):
    answer = lake.ok("SELECT 7 / 2, -7 / 2, 7.0 / 2, CAST(7 AS double) / 2, 0.1 + 0.2")
    assert answer.rows == [["3", "-3", "3.5", "3.5", "0.3"]]
    assert answer.types[:2] == ["integer", "integer"] and answer.types[3] == "double"


def test_window_functions_and_ctes(lake):
    answer = lake.ok("""
        WITH hourly AS (
            SELECT dt, hour, count(*) AS n FROM sensor_readings GROUP BY dt, hour
        )
        SELECT dt, hour, n, sum(n) OVER (PARTITION BY dt ORDER BY hour) AS running,
               rank() OVER (ORDER BY dt DESC, hour DESC) AS r
        FROM hourly ORDER BY dt, hour""")
    hourly = lake.curated.groupby(["dt", "hour"]).size().reset_index(name="n")
    hourly["running"] = hourly.groupby("dt").n.cumsum()
    assert [r[:4] for r in answer.rows] == [[d, h, str(n), str(c)] for d, h, n, c in hourly.itertuples(index=False)]
    assert [int(r[4]) for r in answer.rows] == list(range(len(hourly), 0, -1))


def test_join_curated_with_quarantine_and_a_subquery(lake):
    answer = lake.ok("""
        SELECT q.dt, q.reason, count(*) AS rejected,
               (SELECT count(*) FROM sensor_readings c WHERE c.dt = q.dt) AS curated
        FROM quarantine_sensor_readings q
        JOIN (SELECT DISTINCT dt FROM sensor_readings) d ON d.dt = q.dt
        GROUP BY q.dt, q.reason ORDER BY q.dt, q.reason""")
    want = lake.quarantine.groupby(["dt", "reason"]).size().reset_index(name="n")
    per_day = lake.curated.groupby("dt").size()
    assert answer.rows == [[d, r, str(n), str(per_day[d])] for d, r, n in want.itertuples(index=False)]


def test_date_and_time_functions(lake):
    answer = lake.ok("""
        SELECT date_trunc('hour', event_time) AS h,
               date_format(event_time, '%Y-%m-%d %H:%i') AS minute,
               date_add('day', 1, date(event_time)) AS next_day,
               hour(event_time) AS hr,
               to_unixtime(event_time) AS epoch
        FROM sensor_readings WHERE event_id = 'evt-00007'""")
    t = lake.curated.set_index("event_id").loc["evt-00007"].event_time
    assert answer.types == ["timestamp", "varchar", "date", "bigint", "double"]
    h, minute, next_day, hr, epoch = answer.rows[0]
    assert h == athena_timestamp(t.floor("h"))
    assert minute == t.strftime("%Y-%m-%d %H:%M")
    assert next_day == (t + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    assert int(hr) == t.hour
    assert abs(float(epoch) - t.timestamp()) < 0.001


def test_from_iso8601_timestamp_and_at_timezone(lake):
    answer = lake.ok("SELECT from_iso8601_timestamp('2026-01-02T10:15:30Z') AS t, "
                     "at_timezone(from_iso8601_timestamp('2026-01-02T10:15:30Z'), 'Europe/Berlin') AS berlin, "
                     "count(*) AS n FROM sensor_readings "
                     "WHERE event_time >= CAST(from_iso8601_timestamp('2026-01-02T06:00:00Z') AS timestamp)")
    t, berlin, n = answer.rows[0]
    assert t.startswith("2026-01-02 10:15:30.000")
    assert berlin.startswith("2026-01-02 11:15:30.000")
    cutoff = pd.Timestamp("2026-01-02T06:00:00Z")
    assert int(n) == int((lake.curated.event_time >= cutoff).sum())


def test_approximate_aggregates_are_close_to_exact(lake):
    answer = lake.ok("SELECT approx_distinct(device_id), approx_percentile(reading, 0.5), "
                     "approx_percentile(reading, 0.9) FROM sensor_readings")
    distinct, p50, p90 = answer.rows[0]
    assert int(distinct) == lake.curated.device_id.nunique()  # few values: the sketch is exact here
    readings = lake.curated.reading.dropna()
    assert abs(float(p50) - readings.quantile(0.5)) < 0.5
    assert abs(float(p90) - readings.quantile(0.9)) < 0.5


def test_string_regex_json_and_try_cast_functions(lake):
    answer = lake.ok("""
        SELECT event_id, regexp_extract(event_id, '[0-9]+$') AS number,
               json_extract_scalar(raw_payload, '$.device_id') AS device,
               try_cast(json_extract_scalar(raw_payload, '$.reading') AS double) AS reading,
               try_cast(raw_payload AS integer) AS nonsense, split_part(reasons, ';', 1) AS first_reason
        FROM quarantine_sensor_readings WHERE reason <> 'MALFORMED_JSON' ORDER BY event_id""")
    want = lake.quarantine[lake.quarantine.reason != "MALFORMED_JSON"].sort_values("event_id")
    for row, (_, q) in zip(answer.rows, want.iterrows()):
        payload = json.loads(q.raw_payload)
        assert row[0] == q.event_id
        assert row[1] == re.search(r"[0-9]+$", q.event_id).group(0)
        assert row[2] == payload["device_id"]
        assert float(row[3]) == payload["reading"]
        assert row[4] is None
        assert row[5] == q.reasons.split(";")[0]
    assert len(answer.rows) == len(want)


def test_array_and_map_functions(lake):
    answer = lake.ok("""
        WITH per_kind AS (
            SELECT site, sensor_type, count(*) AS n, array_agg(status) AS statuses, array_agg(DISTINCT unit) AS units
            FROM sensor_readings GROUP BY site, sensor_type
        )
        SELECT site, cardinality(array_agg(sensor_type)) AS kinds,
               element_at(map_agg(sensor_type, n), 'humidity') AS humidity,
               contains(flatten(array_agg(statuses)), 'FAIL') AS any_fail,
               array_join(array_sort(flatten(array_agg(units))), ',') AS units
        FROM per_kind GROUP BY site ORDER BY site""")
    for row, (site, group) in zip(answer.rows, lake.curated.groupby("site")):
        assert row[0] == site
        assert int(row[1]) == group.sensor_type.nunique()
        assert row[2] == (str(int((group.sensor_type == "humidity").sum())) if "humidity" in set(group.sensor_type) else None)
        assert row[3] == ("true" if "FAIL" in set(group.status) else "false")
        assert row[4] == ",".join(sorted(set(group.unit)))


def test_arrays_render_as_athena_writes_them(lake):
    answer = lake.ok("SELECT ARRAY[1, 2, 3] AS a, MAP(ARRAY['k'], ARRAY[1.5]) AS m, CAST(NULL AS varchar) AS n, ''")
    assert answer.types[:2] == ["array", "map"]
    assert answer.rows == [["[1, 2, 3]", "{k=1.5}", None, ""]]


def test_null_readings_and_coalesce(lake):
    answer = lake.ok("SELECT count_if(reading IS NULL), sum(coalesce(reading, 0)) FROM sensor_readings")
    assert int(answer.rows[0][0]) == int(lake.curated.reading.isna().sum())
    assert abs(float(answer.rows[0][1]) - lake.curated.reading.fillna(0).sum()) < 1e-6


def test_union_and_having(lake):
    answer = lake.ok("""
        SELECT 'curated' AS source, dt, count(*) AS n FROM sensor_readings GROUP BY dt HAVING count(*) > 0
        UNION ALL
        SELECT 'quarantine', dt, count(*) FROM quarantine_sensor_readings GROUP BY dt
        ORDER BY source, dt""")
    curated = lake.curated.groupby("dt").size()
    quarantine = lake.quarantine.groupby("dt").size()
    assert answer.rows == [["curated", d, str(n)] for d, n in curated.items()] + \
        [["quarantine", d, str(n)] for d, n in quarantine.items()]


def test_fully_qualified_and_quoted_names(lake):
    answer = lake.ok(f'SELECT count(*) FROM "awsdatacatalog"."{lake.db}"."sensor_readings" WHERE "dt" = \'2026-01-01\'',
                     database="default")
    assert int(answer.rows[0][0]) == int((lake.curated.dt == "2026-01-01").sum())


def test_information_schema_lists_the_catalog(lake):
    answer = lake.ok(f"SELECT table_name, column_name, data_type FROM information_schema.columns "
                     f"WHERE table_schema = '{lake.db}' AND table_name = 'sensor_readings' ORDER BY ordinal_position")
    assert [r[1] for r in answer.rows] == [c for c, _ in __import__("athena_support").CURATED_COLUMNS] + ["dt", "hour"]


def test_ordering_puts_nulls_last_like_trino(lake):
    answer = lake.ok("SELECT reading FROM sensor_readings WHERE dt = '2026-01-01' AND hour = '00' ORDER BY reading DESC")
    values = [r[0] for r in answer.rows]
    part = lake.curated[(lake.curated.dt == "2026-01-01") & (lake.curated.hour == "00")]
    nulls = int(part.reading.isna().sum())
    assert values[len(values) - nulls:] == [None] * nulls
    assert as_float(values[:len(values) - nulls]) == sorted(part.reading.dropna(), reverse=True)


def test_a_large_result_pages_with_the_header_only_on_the_first_page(lake):
    query_id = lake.athena.start_query_execution(
        QueryString="SELECT event_id FROM sensor_readings ORDER BY event_id", QueryExecutionContext={"Database": lake.db},
        ResultConfiguration={"OutputLocation": lake.output})["QueryExecutionId"]
    from athena_support import wait

    assert wait(lake.athena, query_id)["Status"]["State"] == "SUCCEEDED"
    pages = list(lake.athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=query_id, PaginationConfig={"PageSize": 250}))
    rows = [[d["VarCharValue"] for d in r["Data"]] for p in pages for r in p["ResultSet"]["Rows"]]
    assert rows[0] == ["event_id"]
    assert [r[0] for r in rows[1:]] == sorted(lake.curated.event_id)
    assert len(pages) == -(-(len(lake.curated) + 1) // 250)
    assert all(len(p["ResultSet"]["Rows"]) <= 250 for p in pages)
    assert "NextToken" not in pages[-1]


@pytest.mark.parametrize("sql", ["SELECT day_of_week(DATE '2026-01-05'), year(DATE '2026-01-05')",
                                 "SELECT lower('AbC'), upper('x'), length('héllo'), replace('a-b', '-', '_')"])
def test_scalar_functions_agree_with_python(lake, sql):
    import datetime

    answer = lake.ok(sql)
    if "day_of_week" in sql:
        day = datetime.date(2026, 1, 5)
        assert answer.rows == [[str(day.isoweekday()), str(day.year)]]
    else:
        assert answer.rows == [["AbC".lower(), "x".upper(), str(len("héllo")), "a-b".replace("-", "_")]]


@pytest.mark.parametrize("sql, message", [
    ("SELECT count(*) FROM sensor_readings WHERE battery_pct = 'lots'",
     "TYPE_MISMATCH: line 1:42: Cannot apply operator: integer = varchar(4)"),
    ("SELECT count(*) FROM sensor_readings WHERE hour = 6", "TYPE_MISMATCH: line 1:42: Cannot apply operator: varchar = integer"),
    ("SELECT count(*) FROM sensor_readings WHERE event_time > '2026-01-02'",
     "TYPE_MISMATCH: line 1:42: Cannot apply operator: timestamp(3) > varchar(10)"),
])
def test_comparing_a_column_with_a_literal_of_another_type_is_a_type_mismatch_as_in_trino(lake, sql, message):
    answer = lake.query(sql)
    column = sql.index("WHERE ") + len("WHERE ") + 1  # Trino points at the comparison's start
    assert answer.state == "FAILED" and answer.reason == message.replace("1:42", f"1:{column}")


def test_the_same_comparisons_written_with_the_right_types_work(lake):
    answer = lake.ok("SELECT count(*) FROM sensor_readings WHERE battery_pct = 50 OR hour = '06' "
                     "OR event_time > TIMESTAMP '2026-01-03 12:00:00'")
    c = lake.curated
    want = (c.battery_pct == 50) | (c.hour == "06") | (c.event_time > pd.Timestamp("2026-01-03 12:00:00", tz="UTC"))
    assert answer.rows == [[str(int(want.sum()))]]
    # A CTE's column of the same name is not the catalog's: no false alarm.
    answer = lake.ok("WITH h AS (SELECT CAST(hour AS integer) AS hour FROM sensor_readings) "
                     "SELECT count(*) FROM h WHERE hour = 6")
    assert answer.rows == [[str(int((c.hour == "06").sum()))]]


def test_json_functions_give_null_for_text_that_is_not_json_as_trino_does(lake):
    answer = lake.ok("SELECT reason, json_extract_scalar(raw_payload, '$.site') AS site, "
                     "json_extract_scalar(raw_payload, '$') AS whole FROM quarantine_sensor_readings ORDER BY batch_id")

    def site(payload: str):
        try:
            return json.loads(payload).get("site")
        except ValueError:
            return None

    want = lake.quarantine.sort_values("batch_id")
    assert [r[0] for r in answer.rows] == list(want.reason)
    assert [r[1] for r in answer.rows] == [site(p) for p in want.raw_payload]
    assert [r[2] for r in answer.rows] == [None] * len(want)  # an object is not a scalar
