"""QuickSight helpers: an Athena data source, data sets and a dashboard, all through QuickSight's API.

Plain boto3, identical on AWS and on the local endpoint (where the kit
renders the same dashboard ``Definition`` as a web page, with data queried
through its Athena engine)::

    from helpers import quicksight as qs
    if qs.check_subscription():
        source = qs.ensure_athena_data_source("dsca-ana-athena", workgroup="dsca_ana_wg")
        readings = qs.ensure_data_set("dsca-ana-readings", source["Arn"], database="dsca_ana_sensors",
                                      table="sensor_readings", columns=qs.READING_COLUMNS)
        low = qs.ensure_data_set("dsca-ana-low-battery", source["Arn"], sql=qs.low_battery_sql("dsca_ana_sensors"),
                                 columns=qs.LOW_BATTERY_COLUMNS)
        qs.ensure_dashboard("dsca-ana-dashboard", "Sensor stream", qs.kit_definition(readings["Arn"], low["Arn"]),
                            user="learner")
        print(qs.dashboard_url("dsca-ana-dashboard"))
        qs.snapshot("dsca-ana-dashboard", "build/dashboard.png")  # local viewer -> PNG, in headless Chromium

Cost on AWS: QuickSight needs a subscription (one per account, global), billed
per user per month (an author about $24/month, a reader $3/month on current
tiers); delete the users or the subscription when you are done. On AWS the
console step "allow QuickSight to use Athena and the S3 buckets" (Manage
QuickSight -> Security & permissions) cannot be done through the API.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.exceptions import ClientError

from .config import RETRY_CONFIG
from .errors import KitError

SUBSCRIPTION_COST = ("QuickSight is billed per user per month: an author about $24/month (Enterprise, older "
                     "pricing) or $20-$40/month on the current tiers, a reader $3/month. A subscription is one per "
                     "account and global.")
DATA_SOURCE_ACTIONS = ["quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions",
                       "quicksight:PassDataSource", "quicksight:UpdateDataSource", "quicksight:DeleteDataSource",
                       "quicksight:UpdateDataSourcePermissions"]
DATA_SET_ACTIONS = ["quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:PassDataSet",
                    "quicksight:DescribeIngestion", "quicksight:ListIngestions", "quicksight:UpdateDataSet",
                    "quicksight:DeleteDataSet", "quicksight:CreateIngestion", "quicksight:CancelIngestion",
                    "quicksight:UpdateDataSetPermissions"]
DASHBOARD_ACTIONS = ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions",
                     "quicksight:UpdateDashboardPermissions", "quicksight:QueryDashboard", "quicksight:UpdateDashboard",
                     "quicksight:DeleteDashboard", "quicksight:DescribeDashboardPermissions",
                     "quicksight:UpdateDashboardPublishedVersion"]

# The curated table's columns in QuickSight's types (the crawler's Hive types mapped).
READING_COLUMNS = [("event_id", "STRING"), ("event_time", "DATETIME"), ("device_id", "STRING"), ("site", "STRING"),
                   ("sensor_type", "STRING"), ("unit", "STRING"), ("reading", "DECIMAL"), ("battery_pct", "INTEGER"),
                   ("status", "STRING")]
LOW_BATTERY_COLUMNS = [("device_id", "STRING"), ("site", "STRING"), ("battery_pct", "INTEGER")]


def _qs(quicksight=None):
    return quicksight or boto3.client("quicksight", config=RETRY_CONFIG)


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _account(quicksight, account_id: str | None) -> str:
    if account_id:
        return account_id
    sts = boto3.client("sts", region_name=quicksight.meta.region_name, endpoint_url=quicksight.meta.endpoint_url
                       if _is_local(quicksight) else None, config=RETRY_CONFIG)
    return sts.get_caller_identity()["Account"]


def _is_local(quicksight) -> bool:
    """True when the client talks to an endpoint on this machine (the kit's local endpoint)."""
    host = urlparse(quicksight.meta.endpoint_url or "").hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def user_arn(user: str, account_id: str, region: str, namespace: str = "default") -> str:
    """The ARN of a QuickSight user, the principal of a permission."""
    return f"arn:aws:quicksight:{region}:{account_id}:user/{namespace}/{user}"


# --- the subscription -------------------------------------------------------------------------------------------


def check_subscription(account_id: str | None = None, quicksight=None, verbose: bool = True) -> bool:
    """True when the account has an active QuickSight subscription; otherwise say what to do and what it costs.

    Never raises for a missing subscription or missing permission: a notebook goes on (with the
    matplotlib charts) instead of failing.
    """
    quicksight = _qs(quicksight)
    account_id = _account(quicksight, account_id)
    try:
        info = quicksight.describe_account_subscription(AwsAccountId=account_id)["AccountInfo"]
    except ClientError as exc:
        code = _code(exc)
        if code in ("ResourceNotFoundException", "AccessDeniedException", "UnsupportedUserEditionException"):
            if verbose:
                reason = ("has no QuickSight subscription" if code == "ResourceNotFoundException"
                          else f"cannot be checked for a QuickSight subscription ({code})")
                print(f"Account {account_id} {reason}. To build the dashboard on AWS, sign up in the console "
                      f"(QuickSight -> Sign up, Enterprise edition) or call create_account_subscription, then "
                      f"allow QuickSight to use Athena and your S3 buckets (Manage QuickSight -> Security & "
                      f"permissions). {SUBSCRIPTION_COST} Skipping the QuickSight steps; the charts above need "
                      f"no subscription.")
            return False
        raise
    status = info.get("AccountSubscriptionStatus")
    if status not in ("ACCOUNT_CREATED", "OK"):
        if verbose:
            print(f"QuickSight subscription of account {account_id} is {status}; wait until it is ACCOUNT_CREATED.")
        return False
    if verbose:
        print(f"QuickSight subscription: {info.get('Edition')} edition, {status}")
    return True


# --- data source ---------------------------------------------------------------------------------------------------


def ensure_athena_data_source(data_source_id: str, name: str | None = None, workgroup: str = "primary",
                              user: str | None = None, tags: dict[str, str] | None = None,
                              account_id: str | None = None, quicksight=None, verbose: bool = True) -> dict[str, Any]:
    """Create (or update to ``workgroup``) an Athena data source; return its description. Idempotent.

    ``tags`` are set when it is created (a teardown finds it by them).
    """
    quicksight = _qs(quicksight)
    account_id = _account(quicksight, account_id)
    parameters = {"AthenaParameters": {"WorkGroup": workgroup}}
    try:
        current = quicksight.describe_data_source(AwsAccountId=account_id, DataSourceId=data_source_id)["DataSource"]
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        current = None
    if current is None:
        extra = {}
        if user:
            extra["Permissions"] = [{"Principal": user_arn(user, account_id, quicksight.meta.region_name),
                                     "Actions": DATA_SOURCE_ACTIONS}]
        if tags:
            extra["Tags"] = _tag_list(tags)
        quicksight.create_data_source(AwsAccountId=account_id, DataSourceId=data_source_id, Name=name or data_source_id,
                                      Type="ATHENA", DataSourceParameters=parameters, **extra)
        if verbose:
            print(f"Created QuickSight data source {data_source_id} (Athena work group {workgroup})")
    elif current.get("DataSourceParameters") != parameters or current.get("Name") != (name or data_source_id):
        quicksight.update_data_source(AwsAccountId=account_id, DataSourceId=data_source_id,
                                      Name=name or data_source_id, DataSourceParameters=parameters)
        if verbose:
            print(f"Updated QuickSight data source {data_source_id}")
    elif verbose:
        print(f"QuickSight data source {data_source_id} already exists")
    return quicksight.describe_data_source(AwsAccountId=account_id, DataSourceId=data_source_id)["DataSource"]


# --- data sets --------------------------------------------------------------------------------------------------


def low_battery_sql(database: str, table: str = "sensor_readings", threshold: int = 20) -> str:
    """Custom SQL: each device's lowest battery level, for devices that went below ``threshold`` percent."""
    return (f'SELECT device_id, site, min(battery_pct) AS battery_pct FROM "{database}"."{table}" '
            f"WHERE battery_pct < {int(threshold)} GROUP BY device_id, site")


def data_set_request(data_set_id: str, data_source_arn: str, name: str | None = None, database: str | None = None,
                     table: str | None = None, sql: str | None = None,
                     columns: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The CreateDataSet/UpdateDataSet parameters (without AwsAccountId) of a table or custom-SQL data set."""
    if (table is None) == (sql is None):
        raise KitError("A data set reads either a catalog table (database= and table=) or custom SQL (sql=), not both.")
    input_columns = [{"Name": n, "Type": t} for n, t in columns or []]
    if sql is not None:
        physical = {"CustomSql": {"DataSourceArn": data_source_arn, "Name": name or data_set_id, "SqlQuery": sql,
                                  **({"Columns": input_columns} if input_columns else {})}}
    else:
        if not database or not input_columns:
            raise KitError("A table data set needs database= and columns= (QuickSight's InputColumns).")
        physical = {"RelationalTable": {"DataSourceArn": data_source_arn, "Catalog": "AwsDataCatalog",
                                        "Schema": database, "Name": table, "InputColumns": input_columns}}
    return {"DataSetId": data_set_id, "Name": name or data_set_id, "ImportMode": "DIRECT_QUERY",
            "PhysicalTableMap": {"t1": physical}}


def ensure_data_set(data_set_id: str, data_source_arn: str, name: str | None = None, database: str | None = None,
                    table: str | None = None, sql: str | None = None, columns: list[tuple[str, str]] | None = None,
                    user: str | None = None, tags: dict[str, str] | None = None, account_id: str | None = None,
                    quicksight=None, verbose: bool = True) -> dict[str, Any]:
    """Create or update a DIRECT_QUERY data set over a catalog table or custom SQL; return it. Idempotent.

    ``tags`` are set when it is created (a teardown finds it by them).
    """
    quicksight = _qs(quicksight)
    account_id = _account(quicksight, account_id)
    wanted = data_set_request(data_set_id, data_source_arn, name, database, table, sql, columns)
    try:
        current = quicksight.describe_data_set(AwsAccountId=account_id, DataSetId=data_set_id)["DataSet"]
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        current = None
    if current is None:
        extra = {}
        if user:
            extra["Permissions"] = [{"Principal": user_arn(user, account_id, quicksight.meta.region_name),
                                     "Actions": DATA_SET_ACTIONS}]
        if tags:
            extra["Tags"] = _tag_list(tags)
        quicksight.create_data_set(AwsAccountId=account_id, **wanted, **extra)
        if verbose:
            print(f"Created QuickSight data set {data_set_id}")
    elif current.get("PhysicalTableMap") != wanted["PhysicalTableMap"] or current.get("Name") != wanted["Name"]:
        quicksight.update_data_set(AwsAccountId=account_id, **wanted)
        if verbose:
            print(f"Updated QuickSight data set {data_set_id}")
    elif verbose:
        print(f"QuickSight data set {data_set_id} already exists")
    return quicksight.describe_data_set(AwsAccountId=account_id, DataSetId=data_set_id)["DataSet"]


# --- the dashboard ------------------------------------------------------------------------------------------------


def _column(ds: str, name: str) -> dict[str, str]:
    return {"DataSetIdentifier": ds, "ColumnName": name}


def _title(text: str) -> dict[str, Any]:
    return {"Visibility": "VISIBLE", "FormatText": {"PlainText": text}}


def kit_definition(readings_arn: str, low_battery_arn: str) -> dict[str, Any]:
    """The kit's dashboard: reading over time per site (line), alerts by site and status (bar),
    average reading (KPI) and the low-battery devices (table)."""
    r, lb = "readings", "low_battery"
    line = {"LineChartVisual": {
        "VisualId": "reading-over-time", "Title": _title("Average reading per hour, by site"),
        "ChartConfiguration": {
            "FieldWells": {"LineChartAggregatedFieldWells": {
                "Category": [{"DateDimensionField": {"FieldId": "hour", "Column": _column(r, "event_time"),
                                                     "DateGranularity": "HOUR"}}],
                "Values": [{"NumericalMeasureField": {"FieldId": "avg_reading", "Column": _column(r, "reading"),
                                                      "AggregationFunction": {"SimpleNumericalAggregation": "AVERAGE"}}}],
                "Colors": [{"CategoricalDimensionField": {"FieldId": "site", "Column": _column(r, "site")}}]}},
            "SortConfiguration": {"CategorySort": [{"FieldSort": {"FieldId": "hour", "Direction": "ASC"}}]}}}}
    bar = {"BarChartVisual": {
        "VisualId": "alerts-by-site", "Title": _title("Readings by site and status"),
        "ChartConfiguration": {
            "FieldWells": {"BarChartAggregatedFieldWells": {
                "Category": [{"CategoricalDimensionField": {"FieldId": "bar_site", "Column": _column(r, "site")}}],
                "Values": [{"CategoricalMeasureField": {"FieldId": "events", "Column": _column(r, "event_id"),
                                                        "AggregationFunction": "COUNT"}}],
                "Colors": [{"CategoricalDimensionField": {"FieldId": "status", "Column": _column(r, "status")}}]}},
            "SortConfiguration": {"CategorySort": [{"FieldSort": {"FieldId": "bar_site", "Direction": "ASC"}}]},
            "Orientation": "VERTICAL", "BarsArrangement": "CLUSTERED"}}}
    kpi = {"KPIVisual": {
        "VisualId": "devices-kpi", "Title": _title("Devices reporting"),
        "ChartConfiguration": {"FieldWells": {"Values": [{"CategoricalMeasureField": {
            "FieldId": "devices", "Column": _column(r, "device_id"), "AggregationFunction": "DISTINCT_COUNT"}}]}}}}
    table = {"TableVisual": {
        "VisualId": "low-battery", "Title": _title("Devices with low battery"),
        "ChartConfiguration": {
            "FieldWells": {"TableAggregatedFieldWells": {
                "GroupBy": [{"CategoricalDimensionField": {"FieldId": "lb_device", "Column": _column(lb, "device_id")}},
                            {"CategoricalDimensionField": {"FieldId": "lb_site", "Column": _column(lb, "site")}}],
                "Values": [{"NumericalMeasureField": {"FieldId": "lb_battery", "Column": _column(lb, "battery_pct"),
                                                      "AggregationFunction": {"SimpleNumericalAggregation": "MIN"}}}]}},
            "SortConfiguration": {"RowSort": [{"FieldSort": {"FieldId": "lb_battery", "Direction": "ASC"}}]}}}}
    return {"DataSetIdentifierDeclarations": [{"Identifier": r, "DataSetArn": readings_arn},
                                              {"Identifier": lb, "DataSetArn": low_battery_arn}],
            "Sheets": [{"SheetId": "overview", "Name": "Overview", "Visuals": [line, bar, kpi, table]}]}


def ensure_dashboard(dashboard_id: str, name: str, definition: dict[str, Any], user: str | None = None,
                     tags: dict[str, str] | None = None, account_id: str | None = None, quicksight=None,
                     verbose: bool = True) -> dict[str, Any]:
    """Create the dashboard, or publish a new version when its definition changed; return its description.

    Idempotent: the same definition again changes nothing. ``user`` (a QuickSight user name) gets the
    owner's permissions; ``tags`` are set when it is created (a teardown finds it by them).
    """
    quicksight = _qs(quicksight)
    account_id = _account(quicksight, account_id)
    region = quicksight.meta.region_name
    permissions = ([{"Principal": user_arn(user, account_id, region), "Actions": DASHBOARD_ACTIONS}] if user else [])
    try:
        current = quicksight.describe_dashboard_definition(AwsAccountId=account_id, DashboardId=dashboard_id)
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        current = None
    if current is None:
        quicksight.create_dashboard(AwsAccountId=account_id, DashboardId=dashboard_id, Name=name, Definition=definition,
                                    ValidationStrategy={"Mode": "LENIENT"},
                                    **({"Permissions": permissions} if permissions else {}),
                                    **({"Tags": _tag_list(tags)} if tags else {}))
        if verbose:
            print(f"Created QuickSight dashboard {dashboard_id}")
    elif _canonical(current.get("Definition")) != _canonical(definition) or current.get("Name") != name:
        answer = quicksight.update_dashboard(AwsAccountId=account_id, DashboardId=dashboard_id, Name=name,
                                             Definition=definition, ValidationStrategy={"Mode": "LENIENT"})
        version = int(answer["VersionArn"].rsplit("/", 1)[1])
        quicksight.update_dashboard_published_version(AwsAccountId=account_id, DashboardId=dashboard_id,
                                                      VersionNumber=version)
        if verbose:
            print(f"Updated QuickSight dashboard {dashboard_id} (published version {version})")
    else:
        if permissions:
            quicksight.update_dashboard_permissions(AwsAccountId=account_id, DashboardId=dashboard_id,
                                                    GrantPermissions=permissions)
        if verbose:
            print(f"QuickSight dashboard {dashboard_id} is up to date")
    return quicksight.describe_dashboard(AwsAccountId=account_id, DashboardId=dashboard_id)["Dashboard"]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def dashboard_url(dashboard_id: str, quicksight=None) -> str:
    """Where to look at the dashboard: the QuickSight console on AWS, the kit's viewer on the local endpoint."""
    quicksight = _qs(quicksight)
    if _is_local(quicksight):
        return f"{quicksight.meta.endpoint_url.rstrip('/')}/_local/quicksight/dashboards/{dashboard_id}"
    region = quicksight.meta.region_name
    return f"https://{region}.quicksight.aws.amazon.com/sn/dashboards/{dashboard_id}"


def delete_dashboard(dashboard_id: str, account_id: str | None = None, quicksight=None, verbose: bool = True) -> bool:
    """Delete the dashboard; False when there was none."""
    quicksight = _qs(quicksight)
    try:
        quicksight.delete_dashboard(AwsAccountId=_account(quicksight, account_id), DashboardId=dashboard_id)
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        return False
    if verbose:
        print(f"Deleted QuickSight dashboard {dashboard_id}")
    return True


def rendered_visuals(dashboard_id: str, quicksight=None) -> list[dict[str, Any]]:
    """On the local endpoint: each visual as its viewer page rendered it (id, type, title, status, data).

    On AWS a dashboard is rendered by QuickSight in the browser, so there is nothing to read here: [].
    """
    import html as html_lib
    import re

    import requests

    quicksight = _qs(quicksight)
    if not _is_local(quicksight):
        return []
    page = requests.get(dashboard_url(dashboard_id, quicksight), timeout=60).text
    visuals = []
    for tag in re.findall(r'<section class="visual"[^>]*>', page):
        attrs = {k: html_lib.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', tag)}
        points = json.loads(attrs["points"]) if attrs.get("points") else None
        visuals.append({"id": attrs.get("visual-id"), "type": attrs.get("visual-type"), "title": attrs.get("title"),
                        "status": attrs.get("status"), "data": points})
    return visuals


# --- a snapshot of the local viewer -------------------------------------------------------------------------------

# Headless and offline: without the background-networking flags Chromium keeps trying to reach Google's servers.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--no-first-run", "--mute-audio"]
VISUAL_STATUSES = ("ok", "error", "unsupported")  # a visual's data-status once the viewer has drawn it
VISUALS_DRAWN_JS = ("() => Array.from(document.querySelectorAll('section.visual'))"
                    f".every(s => {json.dumps(list(VISUAL_STATUSES))}.includes(s.dataset.status))")


def find_chromium() -> str | None:
    """The Chromium to drive: ``$DSCA_CHROMIUM`` when set, else chromium, chromium-browser or google-chrome
    on the PATH; None when there is none (Debian: ``apt-get install chromium``)."""
    named = os.environ.get("DSCA_CHROMIUM")
    if named:
        return shutil.which(named)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def snapshot(dashboard: str, path: str | Path, width: int = 1280, timeout: float = 60,
             quicksight=None) -> Path:
    """Open the dashboard's page on the local viewer in headless Chromium, wait until every visual is drawn,
    and save the full page as a PNG at ``path``; return the path.

    ``dashboard`` is a dashboard id (its URL comes from ``dashboard_url``) or a viewer URL. The browser
    is Debian's chromium driven by Playwright (no browser is downloaded); a missing browser or Playwright,
    or a page that fails, is a KitError that says why. On AWS, QuickSight draws the dashboard in the
    console: open ``dashboard_url(...)`` there instead.
    """
    if dashboard.startswith(("http://", "https://")):
        url = dashboard
    else:
        quicksight = _qs(quicksight)
        url = dashboard_url(dashboard, quicksight)
        if not _is_local(quicksight):
            raise KitError(f"A snapshot is taken of the local viewer only; on AWS open {url} in the console.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise KitError("Playwright is not installed: pip install playwright (no 'playwright install' needed: "
                       "the kit drives the system's chromium).") from None
    chromium = find_chromium()
    if chromium is None:
        where = (f"DSCA_CHROMIUM={os.environ['DSCA_CHROMIUM']} is not an executable"
                 if os.environ.get("DSCA_CHROMIUM") else "no chromium, chromium-browser or google-chrome on the PATH")
        raise KitError(f"Cannot take a snapshot: {where}. Install Debian's chromium (apt-get install chromium) "
                       f"or set DSCA_CHROMIUM to a Chromium executable.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Playwright's sync API refuses to run inside an asyncio loop (a Jupyter kernel's): use a thread of its own.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_screenshot, chromium, url, path, width, int(timeout * 1000)).result()
    return path


def _screenshot(chromium: str, url: str, path: Path, width: int, timeout_ms: int) -> None:
    from playwright.sync_api import Error, sync_playwright

    step = f"start Chromium ({chromium})"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
                                         timeout=timeout_ms)
            try:
                page = browser.new_page(viewport={"width": width, "height": 800})
                step = f"open {url}"
                response = page.goto(url, wait_until="load", timeout=timeout_ms)
                if response is not None and not response.ok:
                    text = " ".join(page.inner_text("body").split())[:300]
                    raise KitError(f"The dashboard page {url} answered HTTP {response.status}: {text}")
                step = f"wait for the visuals of {url} to be drawn"
                page.wait_for_function(VISUALS_DRAWN_JS, timeout=timeout_ms)
                step = f"save the screenshot to {path}"
                page.screenshot(path=str(path), full_page=True, timeout=timeout_ms)
            finally:
                browser.close()
    except Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        hint = (" Is the local endpoint running (python -m local_aws start)?"
                if "ERR_CONNECTION_REFUSED" in reason else "")
        raise KitError(f"Could not {step}: {reason}.{hint}") from None
