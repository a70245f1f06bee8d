"""QuickSight on the local endpoint: the API (data sources, data sets, dashboards) and the dashboard viewer.

The endpoint runs in-process here (``build_app`` on a werkzeug server) with the
viewer mounted, so the viewer's in-process Athena queries see the same moto
backends the test writes the Parquet table and catalog to. The expected numbers
come from pandas over the same rows.
"""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time

import boto3
import botocore.config
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from botocore.exceptions import ClientError, ParamValidationError
from werkzeug.serving import make_server

from helpers import quicksight as qs
from local_aws.dispatch import Registry
from local_aws.engines import quicksight as qs_engine
from local_aws.server import build_app

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def endpoint():
    app = qs_engine.mount(build_app(Registry(), {"service": "local_aws", "started_at": time.time()}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def client(service: str, url: str):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="LOCALAWSDUMMYACCESSKEY",
                        aws_secret_access_key="x", config=botocore.config.Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def quicksight(endpoint):
    return client("quicksight", endpoint)


def readings_frame() -> pd.DataFrame:
    rows = []
    sites = ["berlin", "lisbon", "oslo"]
    statuses = ["OK", "WARN", "FAIL"]
    for i in range(96):
        rows.append({"event_id": f"e{i:03d}", "event_time": pd.Timestamp("2026-01-01T00:00:00") + pd.Timedelta(minutes=10 * i),
                     "device_id": f"dev-{i % 7}", "site": sites[i % 3], "reading": round(10 + (i * 37 % 23) * 0.75, 2),
                     "battery_pct": (i * 13) % 100, "status": statuses[(i // 2) % 3]})
    return pd.DataFrame(rows)


COLUMNS = [("event_id", "string"), ("event_time", "timestamp"), ("device_id", "string"), ("site", "string"),
           ("reading", "double"), ("battery_pct", "int"), ("status", "string")]
ARROW = pa.schema([("event_id", pa.string()), ("event_time", pa.timestamp("us")), ("device_id", pa.string()),
                   ("site", pa.string()), ("reading", pa.float64()), ("battery_pct", pa.int32()), ("status", pa.string())])
PARQUET_SD = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


@pytest.fixture(scope="module")
def lake(endpoint):
    """A small hand-made Parquet table ``qs_lake.readings`` in local S3 and the catalog; its rows as pandas."""
    s3, glue = client("s3", endpoint), client("glue", endpoint)
    frame = readings_frame()
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, schema=ARROW, preserve_index=False), sink)
    s3.create_bucket(Bucket="qs-lake")
    s3.put_object(Bucket="qs-lake", Key="readings/part-0.parquet", Body=sink.getvalue())
    glue.create_database(DatabaseInput={"Name": "qs_lake"})
    glue.create_table(DatabaseName="qs_lake", TableInput={
        "Name": "readings", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
        "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in COLUMNS],
                              "Location": "s3://qs-lake/readings/", **PARQUET_SD}})
    return frame


def source_arn(name: str) -> str:
    return f"arn:aws:quicksight:{REGION}:{ACCOUNT}:datasource/{name}"


def data_set_arn(name: str) -> str:
    return f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dataset/{name}"


def code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


# --- the API --------------------------------------------------------------------------------------------


def test_an_athena_data_source_is_created_described_listed_updated_and_deleted(quicksight):
    created = quicksight.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="src-crud", Name="Athena", Type="ATHENA",
                                            DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}})
    assert created["Arn"] == source_arn("src-crud")
    assert created["CreationStatus"] == "CREATION_SUCCESSFUL"
    described = quicksight.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="src-crud")["DataSource"]
    assert described["Type"] == "ATHENA"
    assert described["DataSourceParameters"] == {"AthenaParameters": {"WorkGroup": "primary"}}
    assert "src-crud" in [d["DataSourceId"] for d in quicksight.list_data_sources(AwsAccountId=ACCOUNT)["DataSources"]]
    quicksight.update_data_source(AwsAccountId=ACCOUNT, DataSourceId="src-crud", Name="Athena 2",
                                  DataSourceParameters={"AthenaParameters": {"WorkGroup": "other"}})
    described = quicksight.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="src-crud")["DataSource"]
    assert (described["Name"], described["DataSourceParameters"]["AthenaParameters"]["WorkGroup"]) == ("Athena 2", "other")
    with pytest.raises(ClientError) as exists:
        quicksight.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="src-crud", Name="x", Type="ATHENA")
    assert code(exists) == "ResourceExistsException"
    quicksight.delete_data_source(AwsAccountId=ACCOUNT, DataSourceId="src-crud")
    with pytest.raises(ClientError) as gone:
        quicksight.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="src-crud")
    assert code(gone) == "ResourceNotFoundException"


def test_botocore_refuses_a_data_source_without_its_required_parameters(quicksight):
    with pytest.raises(ParamValidationError):
        quicksight.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="no-type", Name="x")
    with pytest.raises(ParamValidationError):
        quicksight.create_data_set(AwsAccountId=ACCOUNT, DataSetId="x", Name="x", PhysicalTableMap={})


def test_a_data_set_over_a_table_or_custom_sql_is_created_described_updated_and_deleted(quicksight):
    quicksight.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="src-ds", Name="Athena", Type="ATHENA",
                                  DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}})
    table = qs.data_set_request("ds-crud", source_arn("src-ds"), database="qs_lake", table="readings",
                                columns=[("site", "STRING"), ("reading", "DECIMAL")])
    quicksight.create_data_set(AwsAccountId=ACCOUNT, **table)
    described = quicksight.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="ds-crud")["DataSet"]
    assert described["ImportMode"] == "DIRECT_QUERY"
    assert described["PhysicalTableMap"]["t1"]["RelationalTable"]["Name"] == "readings"
    assert described["OutputColumns"] == [{"Name": "site", "Type": "STRING"}, {"Name": "reading", "Type": "DECIMAL"}]
    sql = qs.data_set_request("ds-crud", source_arn("src-ds"), sql="SELECT 1 AS one", columns=[("one", "INTEGER")])
    quicksight.update_data_set(AwsAccountId=ACCOUNT, **sql)
    described = quicksight.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="ds-crud")["DataSet"]
    assert described["PhysicalTableMap"]["t1"]["CustomSql"]["SqlQuery"] == "SELECT 1 AS one"
    summaries = quicksight.list_data_sets(AwsAccountId=ACCOUNT)["DataSetSummaries"]
    assert "ds-crud" in [s["DataSetId"] for s in summaries]
    quicksight.delete_data_set(AwsAccountId=ACCOUNT, DataSetId="ds-crud")
    with pytest.raises(ClientError) as gone:
        quicksight.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="ds-crud")
    assert code(gone) == "ResourceNotFoundException"


def test_a_data_set_on_a_missing_data_source_is_refused(quicksight):
    request = qs.data_set_request("ds-orphan", source_arn("no-such-source"), sql="SELECT 1", columns=[])
    with pytest.raises(ClientError) as refused:
        quicksight.create_data_set(AwsAccountId=ACCOUNT, **request)
    assert code(refused) == "InvalidParameterValueException"
    assert "does not exist" in str(refused.value)


def _definition(ds_arn: str, visuals: list, ident: str = "r") -> dict:
    return {"DataSetIdentifierDeclarations": [{"Identifier": ident, "DataSetArn": ds_arn}],
            "Sheets": [{"SheetId": "s1", "Name": "One", "Visuals": visuals}]}


def _kpi(visual_id: str, column: str, agg: str, ds: str = "r") -> dict:
    return {"KPIVisual": {"VisualId": visual_id, "Title": {"FormatText": {"PlainText": f"KPI {visual_id}"}},
                          "ChartConfiguration": {"FieldWells": {"Values": [{"NumericalMeasureField": {
                              "FieldId": f"{visual_id}-v", "Column": {"DataSetIdentifier": ds, "ColumnName": column},
                              "AggregationFunction": {"SimpleNumericalAggregation": agg}}}]}}}}


@pytest.fixture(scope="module")
def data_sets(quicksight, lake):
    """The kit's two data sets (readings table, low-battery custom SQL) via the helpers."""
    source = qs.ensure_athena_data_source("kit-athena", user="learner", account_id=ACCOUNT, quicksight=quicksight,
                                          verbose=False)
    readings = qs.ensure_data_set("kit-readings", source["Arn"], database="qs_lake", table="readings",
                                  columns=qs.READING_COLUMNS, account_id=ACCOUNT, quicksight=quicksight, verbose=False)
    low = qs.ensure_data_set("kit-low-battery", source["Arn"], sql=qs.low_battery_sql("qs_lake", "readings"),
                             columns=qs.LOW_BATTERY_COLUMNS, account_id=ACCOUNT, quicksight=quicksight, verbose=False)
    return readings["Arn"], low["Arn"]


def test_a_dashboard_is_created_described_listed_updated_published_and_deleted(quicksight, data_sets):
    readings, _ = data_sets
    created = quicksight.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-crud", Name="Crud",
                                          Definition=_definition(readings, [_kpi("k1", "reading", "SUM")]),
                                          Permissions=[{"Principal": qs.user_arn("learner", ACCOUNT, REGION),
                                                        "Actions": qs.DASHBOARD_ACTIONS}])
    assert created["VersionArn"].endswith("dash-crud/version/1")
    dashboard = quicksight.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-crud")["Dashboard"]
    assert dashboard["Version"]["VersionNumber"] == 1
    assert dashboard["Version"]["DataSetArns"] == [readings]
    definition = quicksight.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="dash-crud")["Definition"]
    assert definition["Sheets"][0]["Visuals"][0]["KPIVisual"]["VisualId"] == "k1"
    listed = quicksight.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"]
    assert [d["PublishedVersionNumber"] for d in listed if d["DashboardId"] == "dash-crud"] == [1]
    updated = quicksight.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-crud", Name="Crud 2",
                                          Definition=_definition(readings, [_kpi("k2", "reading", "MAX")]))
    assert updated["VersionArn"].endswith("/version/2")
    still = quicksight.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="dash-crud")["Definition"]
    assert still["Sheets"][0]["Visuals"][0]["KPIVisual"]["VisualId"] == "k1"  # version 2 is not published yet
    quicksight.update_dashboard_published_version(AwsAccountId=ACCOUNT, DashboardId="dash-crud", VersionNumber=2)
    now = quicksight.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="dash-crud")
    assert now["Definition"]["Sheets"][0]["Visuals"][0]["KPIVisual"]["VisualId"] == "k2"
    assert now["Name"] == "Crud 2"
    perms = quicksight.describe_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="dash-crud")["Permissions"]
    assert perms == [{"Principal": qs.user_arn("learner", ACCOUNT, REGION), "Actions": qs.DASHBOARD_ACTIONS}]
    revoked = quicksight.update_dashboard_permissions(
        AwsAccountId=ACCOUNT, DashboardId="dash-crud",
        RevokePermissions=[{"Principal": qs.user_arn("learner", ACCOUNT, REGION), "Actions": qs.DASHBOARD_ACTIONS}])
    assert revoked["Permissions"] == []
    quicksight.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-crud")
    with pytest.raises(ClientError) as gone:
        quicksight.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-crud")
    assert code(gone) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as again:
        quicksight.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-crud")
    assert code(again) == "ResourceNotFoundException"


def test_a_dashboard_on_an_undeclared_identifier_or_a_missing_data_set_is_refused(quicksight, data_sets):
    readings, _ = data_sets
    with pytest.raises(ClientError) as undeclared:
        quicksight.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-bad", Name="Bad",
                                    Definition=_definition(readings, [_kpi("k", "reading", "SUM", ds="nope")]))
    assert code(undeclared) == "InvalidParameterValueException"
    assert "'nope'" in str(undeclared.value)
    with pytest.raises(ClientError) as missing:
        quicksight.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-bad", Name="Bad",
                                    Definition=_definition(data_set_arn("no-such-set"), [_kpi("k", "reading", "SUM")]))
    assert code(missing) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as no_column:
        quicksight.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-bad", Name="Bad",
                                    Definition=_definition(readings, [_kpi("k", "no_such_column", "SUM")]))
    assert code(no_column) == "InvalidParameterValueException"
    assert "'no_such_column'" in str(no_column.value)
    with pytest.raises(ClientError) as nothing:
        quicksight.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="dash-bad")
    assert code(nothing) == "ResourceNotFoundException"


def test_the_local_endpoint_reports_a_subscription(quicksight, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "LOCALAWSDUMMYACCESSKEY")  # what helpers.setup() sets on the local target
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    assert qs.check_subscription(quicksight=quicksight) is True  # the account id asked of the endpoint's STS
    assert "ENTERPRISE" in capsys.readouterr().out


def test_without_a_subscription_on_aws_the_check_explains_what_to_do_and_the_cost(capsys):
    from botocore.stub import Stubber

    aws = boto3.client("quicksight", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(aws) as stub:
        stub.add_client_error("describe_account_subscription", service_error_code="ResourceNotFoundException",
                              service_message="Account not found", http_status_code=404,
                              expected_params={"AwsAccountId": "111122223333"})
        assert qs.check_subscription(account_id="111122223333", quicksight=aws) is False
    out = capsys.readouterr().out
    assert "has no QuickSight subscription" in out and "$24/month" in out and "create_account_subscription" in out


# --- the viewer -------------------------------------------------------------------------------------------------------


def visuals(page: str) -> dict[str, dict]:
    """Each visual's markers from the page: id -> {type, title, status, points}."""
    found = {}
    for match in re.finditer(r"<section ([^>]*)>", page):
        attrs = {k: html.unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', match.group(1))}
        if attrs.get("class") != "visual":
            continue
        points = json.loads(attrs["data-points"]) if "data-points" in attrs else None
        found[attrs["data-visual-id"]] = {"type": attrs["data-visual-type"], "title": attrs["data-title"],
                                          "status": attrs["data-status"], "points": points,
                                          "html": page[match.start():page.find("</section>", match.start())]}
    return found


@pytest.fixture(scope="module")
def kit_page(endpoint, quicksight, data_sets):
    qs.ensure_dashboard("kit-dashboard", "Sensor stream", qs.kit_definition(*data_sets), user="learner",
                        account_id=ACCOUNT, quicksight=quicksight, verbose=False)
    url = qs.dashboard_url("kit-dashboard", quicksight=quicksight)
    assert url == f"{endpoint}/_local/quicksight/dashboards/kit-dashboard"
    response = requests.get(url, timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    return response.text


def test_the_viewer_shows_the_kit_visuals_with_their_titles(kit_page):
    found = visuals(kit_page)
    assert {k: (v["type"], v["title"], v["status"]) for k, v in found.items()} == {
        "reading-over-time": ("LineChartVisual", "Average reading per hour, by site", "ok"),
        "alerts-by-site": ("BarChartVisual", "Readings by site and status", "ok"),
        "devices-kpi": ("KPIVisual", "Devices reporting", "ok"),
        "low-battery": ("TableVisual", "Devices with low battery", "ok"),
    }
    assert "<svg" in found["reading-over-time"]["html"] and "<polyline" in found["reading-over-time"]["html"]
    assert "<rect" in found["alerts-by-site"]["html"]
    assert "http://" not in kit_page.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere


def test_the_line_chart_holds_the_hourly_average_per_site(kit_page, lake):
    points = visuals(kit_page)["reading-over-time"]["points"]
    expected = (lake.assign(hour=lake["event_time"].dt.floor("h").dt.strftime("%Y-%m-%d %H:%M:%S"))
                .groupby(["hour", "site"])["reading"].mean().reset_index())
    got = pd.DataFrame(points["rows"], columns=["hour", "site", "avg"])
    assert points["columns"] == ["event_time", "site", "AVERAGE(reading)"]
    assert got[["hour", "site"]].values.tolist() == expected[["hour", "site"]].values.tolist()
    assert got["avg"].tolist() == pytest.approx(expected["reading"].tolist())


def test_the_bar_chart_counts_readings_by_site_and_status(kit_page, lake):
    points = visuals(kit_page)["alerts-by-site"]["points"]
    expected = lake.groupby(["site", "status"]).size()
    got = {(site, status): n for site, status, n in points["rows"]}
    assert got == {k: int(v) for k, v in expected.items()}
    assert [r[0] for r in points["rows"]] == sorted(r[0] for r in points["rows"])


def test_the_kpi_is_the_distinct_device_count(kit_page, lake):
    kpi = visuals(kit_page)["devices-kpi"]
    assert kpi["points"]["rows"] == [[lake["device_id"].nunique()]]
    assert f'data-value="{lake["device_id"].nunique()}"' in kpi["html"]


def test_the_table_lists_low_battery_devices_lowest_first(kit_page, lake):
    points = visuals(kit_page)["low-battery"]["points"]
    low = lake[lake["battery_pct"] < 20].groupby(["device_id", "site"])["battery_pct"].min().reset_index()
    low = low.sort_values(["battery_pct", "device_id", "site"])
    assert points["rows"] == low.values.tolist()
    assert points["rows"], "the fixture has low-battery devices"


@pytest.mark.parametrize("agg,expected", [("SUM", "sum"), ("AVERAGE", "mean"), ("MIN", "min"), ("MAX", "max"),
                                          ("COUNT", "count"), ("DISTINCT_COUNT", "nunique")])
def test_each_aggregation_matches_pandas(endpoint, quicksight, data_sets, lake, agg, expected):
    readings, _ = data_sets
    ident = f"agg-{agg.lower().replace('_', '-')}"
    quicksight.create_dashboard(AwsAccountId=ACCOUNT, DashboardId=ident, Name=agg,
                                Definition=_definition(readings, [_kpi("k", "battery_pct", agg)]))
    page = requests.get(qs.dashboard_url(ident, quicksight=quicksight), timeout=60).text
    value = visuals(page)["k"]["points"]["rows"][0][0]
    assert value == pytest.approx(float(getattr(lake["battery_pct"], expected)()))


def test_a_descending_sort_orders_the_bars(endpoint, quicksight, data_sets, lake):
    readings, _ = data_sets
    bar = {"BarChartVisual": {"VisualId": "b", "ChartConfiguration": {
        "FieldWells": {"BarChartAggregatedFieldWells": {
            "Category": [{"CategoricalDimensionField": {"FieldId": "site", "Column": {"DataSetIdentifier": "r", "ColumnName": "site"}}}],
            "Values": [{"NumericalMeasureField": {"FieldId": "sum", "Column": {"DataSetIdentifier": "r", "ColumnName": "reading"},
                                                  "AggregationFunction": {"SimpleNumericalAggregation": "SUM"}}}]}},
        "SortConfiguration": {"CategorySort": [{"FieldSort": {"FieldId": "sum", "Direction": "DESC"}}]}}}}
    quicksight.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="sorted", Name="Sorted",
                                Definition=_definition(readings, [bar]))
    rows = visuals(requests.get(qs.dashboard_url("sorted", quicksight=quicksight), timeout=60).text)["b"]["points"]["rows"]
    expected = lake.groupby("site")["reading"].sum().sort_values(ascending=False)
    assert [r[0] for r in rows] == list(expected.index)
    assert [r[1] for r in rows] == pytest.approx(list(expected.values))


def test_unknown_visuals_missing_columns_and_failing_queries_are_labelled_in_the_page(endpoint, quicksight, data_sets):
    readings, _ = data_sets
    source = quicksight.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="kit-athena")["DataSource"]["Arn"]
    quicksight.create_data_set(AwsAccountId=ACCOUNT, **qs.data_set_request(
        "broken-sql", source, sql="SELECT * FROM qs_lake.no_such_table", columns=[("x", "INTEGER")]))
    pie = {"PieChartVisual": {"VisualId": "pie", "Title": {"FormatText": {"PlainText": "A pie"}}}}
    definition = {"DataSetIdentifierDeclarations": [{"Identifier": "r", "DataSetArn": readings},
                                                    {"Identifier": "b", "DataSetArn": data_set_arn("broken-sql")}],
                  "Sheets": [{"SheetId": "s", "Name": "S", "Visuals": [
                      pie, _kpi("nocol", "no_such_column", "SUM"), _kpi("badsql", "x", "SUM", ds="b"),
                      _kpi("fine", "battery_pct", "MAX")]}]}
    quicksight.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="bad-input", Name="Bad input", Definition=definition,
                                ValidationStrategy={"Mode": "LENIENT"})
    quicksight.delete_data_set(AwsAccountId=ACCOUNT, DataSetId="broken-sql")
    response = requests.get(qs.dashboard_url("bad-input", quicksight=quicksight), timeout=60)
    assert response.status_code == 200
    found = visuals(response.text)
    assert (found["pie"]["status"], found["pie"]["title"]) == ("unsupported", "A pie")
    assert "PieChartVisual is not rendered" in found["pie"]["html"]
    assert found["nocol"]["status"] == "error" and "no_such_column" in found["nocol"]["html"]
    assert found["badsql"]["status"] == "error" and "does not exist" in found["badsql"]["html"]
    assert found["fine"]["status"] == "ok"


def test_a_failing_custom_sql_is_an_error_in_its_visual(endpoint, quicksight, data_sets):
    source = quicksight.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="kit-athena")["DataSource"]["Arn"]
    quicksight.create_data_set(AwsAccountId=ACCOUNT, **qs.data_set_request(
        "failing-sql", source, sql="SELECT x FROM qs_lake.no_such_table", columns=[("x", "INTEGER")]))
    quicksight.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="failing", Name="Failing",
                                Definition=_definition(data_set_arn("failing-sql"), [_kpi("k", "x", "SUM")]))
    found = visuals(requests.get(qs.dashboard_url("failing", quicksight=quicksight), timeout=60).text)
    assert found["k"]["status"] == "error"
    assert "query failed" in found["k"]["html"] and "no_such_table" in found["k"]["html"]


def test_an_unknown_dashboard_is_a_labelled_404_page(endpoint):
    response = requests.get(f"{endpoint}/_local/quicksight/dashboards/no-such-dashboard", timeout=30)
    assert response.status_code == 404
    assert "No dashboard no-such-dashboard" in response.text


def test_the_helpers_are_idempotent_and_publish_a_changed_definition(quicksight, data_sets, capsys):
    definition = qs.kit_definition(*data_sets)
    first = qs.ensure_dashboard("idem", "Idem", definition, account_id=ACCOUNT, quicksight=quicksight)
    again = qs.ensure_dashboard("idem", "Idem", definition, account_id=ACCOUNT, quicksight=quicksight)
    assert first["Version"]["VersionNumber"] == again["Version"]["VersionNumber"] == 1
    changed = json.loads(json.dumps(definition))
    changed["Sheets"][0]["Visuals"].append(_kpi("extra", "reading", "MIN", ds="readings"))
    third = qs.ensure_dashboard("idem", "Idem", changed, account_id=ACCOUNT, quicksight=quicksight)
    assert third["Version"]["VersionNumber"] == 2
    out = capsys.readouterr().out
    assert "Created QuickSight dashboard idem" in out and "is up to date" in out and "published version 2" in out
    assert qs.delete_dashboard("idem", account_id=ACCOUNT, quicksight=quicksight) is True
    assert qs.delete_dashboard("idem", account_id=ACCOUNT, quicksight=quicksight, verbose=False) is False


def test_engine_state_survives_a_snapshot_and_restore(quicksight, data_sets):
    state = qs_engine.snapshot_state()
    qs_engine.reset()
    with pytest.raises(ClientError):
        quicksight.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="kit-readings")
    qs_engine.restore_state(state)
    assert quicksight.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="kit-readings")["DataSet"]["Arn"] == data_sets[0]


def test_dashboard_url_points_at_the_console_on_aws(monkeypatch):
    # Other tests' helpers.setup() point every new client at the local endpoint through the environment.
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_QUICKSIGHT"):
        monkeypatch.delenv(name, raising=False)
    aws = boto3.client("quicksight", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    assert qs.dashboard_url("d1", quicksight=aws) == "https://eu-west-1.quicksight.aws.amazon.com/sn/dashboards/d1"


def test_the_viewer_index_links_every_dashboard(endpoint, kit_page):
    page = requests.get(f"{endpoint}/_local/quicksight/dashboards", timeout=30).text
    assert f'href="/_local/quicksight/dashboards/kit-dashboard?account={ACCOUNT}&amp;region={REGION}"' in page
    assert "Sensor stream" in page
