"""What Athena did survives a restart: executions, their results, and the catalog changes DDL made.

Real processes in a home of their own, stopped cleanly or killed with -9.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support import kill_9, start, stop_quietly
from athena_support import build_lake, run, wait


@pytest.fixture
def home(tmp_path: Path):
    home = tmp_path / "home"
    yield home
    stop_quietly(home)


def rows_of(athena, query_id: str) -> list[list[str | None]]:
    pages = athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id)
    return [[d.get("VarCharValue") for d in r["Data"]] for p in pages for r in p["ResultSet"]["Rows"]]


@pytest.mark.parametrize("how", ["stop", "kill -9"])
def test_executions_results_and_ddl_survive_a_restart(home, how):
    from support import cli

    url = start(home)
    lake = build_lake(url, "restart_db")
    ctas = lake.ok("CREATE TABLE per_site WITH (format = 'PARQUET') AS "
                   "SELECT site, count(*) AS n FROM sensor_readings GROUP BY site")
    view = lake.ok("CREATE VIEW fails AS SELECT dt, count(*) AS n FROM sensor_readings WHERE status = 'FAIL' GROUP BY dt")
    lake.ok("CREATE DATABASE scratch")
    lake.athena.create_work_group(Name="restart-wg", Configuration={"ResultConfiguration": {"OutputLocation": lake.output}})
    lake.athena.update_work_group(WorkGroup="restart-wg", ConfigurationUpdates={
        "ResultConfigurationUpdates": {"OutputLocation": f"s3://{lake.bucket}/moved/"}, "BytesScannedCutoffPerQuery": 10**8})
    select = lake.ok("SELECT site, n FROM per_site ORDER BY site")
    failed = lake.query("SELECT * FROM nowhere")
    before = {q: lake.athena.get_query_execution(QueryExecutionId=q)["QueryExecution"]
              for q in (ctas.query_id, view.query_id, select.query_id, failed.query_id)}
    select_rows = rows_of(lake.athena, select.query_id)
    slow = lake.athena.start_query_execution(
        QueryString="SELECT count(*) FROM UNNEST(sequence(1, 300000)) a(x) CROSS JOIN UNNEST(sequence(1, 300000)) b(y) "
                    "WHERE (x + y) % 11 = 0", ResultConfiguration={"OutputLocation": lake.output})["QueryExecutionId"]
    time.sleep(0.3)
    if how == "stop":
        assert cli("stop", home=home).returncode == 0
    else:
        kill_9(home)

    url = start(home)
    from athena_support import clients

    athena, glue = clients(url, "athena", "glue")
    for query_id, was in before.items():
        now = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        assert now["Status"] == was["Status"] and now["Statistics"] == was["Statistics"] and now["Query"] == was["Query"]
    assert rows_of(athena, select.query_id) == select_rows
    want = lake.curated.groupby("site").size()
    assert select_rows == [["site", "n"]] + [[s, str(n)] for s, n in want.items()]
    interrupted = wait(athena, slow)
    assert interrupted["Status"]["State"] == "FAILED"
    assert "local endpoint stopped" in interrupted["Status"]["StateChangeReason"]
    # The catalog changes DDL made are there, and queries over them still answer.
    assert glue.get_table(DatabaseName="restart_db", Name="fails")["Table"]["TableType"] == "VIRTUAL_VIEW"
    assert "scratch" in [d["Name"] for d in glue.get_databases()["DatabaseList"]]
    config = athena.get_work_group(WorkGroup="restart-wg")["WorkGroup"]["Configuration"]
    assert config["ResultConfiguration"]["OutputLocation"] == f"s3://{lake.bucket}/moved/"
    assert config["BytesScannedCutoffPerQuery"] == 10**8
    again = run(athena, "SELECT sum(n) FROM per_site", "restart_db", lake.output)
    assert again.rows == [[str(len(lake.curated))]]
    fails = run(athena, "SELECT * FROM fails ORDER BY dt", "restart_db", lake.output)
    want_fails = lake.curated[lake.curated.status == "FAIL"].groupby("dt").size()
    assert fails.rows == [[d, str(n)] for d, n in want_fails.items()]
