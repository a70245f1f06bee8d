"""QuickSight objects on the local endpoint survive a restart: after a clean stop (snapshot) and after kill -9 (journal).

Real processes in a home of their own.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import botocore.config
import pytest
from support import cli, kill_9, start, stop_quietly

from helpers import quicksight as qs

ACCOUNT = "123456789012"


@pytest.fixture
def home(tmp_path: Path):
    home = tmp_path / "home"
    yield home
    stop_quietly(home)


def client(url: str):
    return boto3.client("quicksight", endpoint_url=url, region_name="us-east-1", aws_access_key_id="LOCALAWSDUMMYACCESSKEY",
                        aws_secret_access_key="x", config=botocore.config.Config(retries={"max_attempts": 2}))


def state(quicksight) -> dict:
    def clean(answer: dict) -> dict:
        return {k: v for k, v in answer.items() if k not in ("ResponseMetadata", "RequestId")}

    return {
        "source": clean(quicksight.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="src")),
        "sets": sorted(s["DataSetId"] for s in quicksight.list_data_sets(AwsAccountId=ACCOUNT)["DataSetSummaries"]),
        "table": clean(quicksight.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="readings")),
        "dashboard": clean(quicksight.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash")),
        "definition": clean(quicksight.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="dash")),
        "permissions": clean(quicksight.describe_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="dash")),
        "dashboards": sorted(d["DashboardId"] for d in quicksight.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"]),
    }


@pytest.mark.parametrize("how", ["stop", "kill -9"])
def test_data_sources_data_sets_and_dashboards_survive_a_restart(home, how):
    url = start(home)
    quicksight = client(url)
    source = qs.ensure_athena_data_source("src", account_id=ACCOUNT, quicksight=quicksight, verbose=False)
    readings = qs.ensure_data_set("readings", source["Arn"], database="db", table="sensor_readings",
                                  columns=qs.READING_COLUMNS, account_id=ACCOUNT, quicksight=quicksight, verbose=False)
    low = qs.ensure_data_set("low", source["Arn"], sql=qs.low_battery_sql("db"), columns=qs.LOW_BATTERY_COLUMNS,
                             account_id=ACCOUNT, quicksight=quicksight, verbose=False)
    qs.ensure_data_set("dropped", source["Arn"], sql="SELECT 1 AS one", account_id=ACCOUNT, quicksight=quicksight,
                       verbose=False)
    quicksight.delete_data_set(AwsAccountId=ACCOUNT, DataSetId="dropped")
    definition = qs.kit_definition(readings["Arn"], low["Arn"])
    qs.ensure_dashboard("dash", "First", definition, user="learner", account_id=ACCOUNT, quicksight=quicksight,
                        verbose=False)
    definition["Sheets"][0]["Visuals"] = definition["Sheets"][0]["Visuals"][:2]
    qs.ensure_dashboard("dash", "Second", definition, account_id=ACCOUNT, quicksight=quicksight, verbose=False)
    before = state(quicksight)
    assert before["dashboard"]["Dashboard"]["Version"]["VersionNumber"] == 2
    assert before["sets"] == ["low", "readings"]
    if how == "stop":
        assert cli("stop", home=home).returncode == 0
    else:
        kill_9(home)

    after = state(client(start(home)))
    assert after == before
