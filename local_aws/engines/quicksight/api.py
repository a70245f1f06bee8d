"""QuickSight's API for the objects the kit uses: data sources, data sets, dashboards (with ``Definition``).

Also analyses (create, describe, list, delete -- what a teardown meets) and the
tags of all four (``TagResource``, ``UntagResource``, ``ListTagsForResource``;
the ARNs of moto's own users and groups are passed on to moto's tags).

moto keeps users and groups (and answers them); its data sets, data sources
and dashboards are stubs (no ``DescribeDataSet``, no ``Definition``, no
``DeleteDashboard``), so this engine answers all of those operations itself,
from one store keyed by (account, region).

Durability: every successful create/update/delete is journaled by the
dispatcher and replayed through these handlers at start-up; ``snapshot_state``
/ ``restore_state`` carry the store across a snapshot (which empties the journal).
"""

from __future__ import annotations

import copy
import re
import threading
import time
from typing import Any

from ...dispatch import AwsError, KitRequest

VISUAL_TYPES = ("LineChartVisual", "BarChartVisual", "KPIVisual", "TableVisual")
_ID = re.compile(r"^[\w\-]{1,512}$")
DASHBOARD_OWNER_ACTIONS = [
    "quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:UpdateDashboardPermissions",
    "quicksight:QueryDashboard", "quicksight:UpdateDashboard", "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboardPermissions", "quicksight:UpdateDashboardPublishedVersion",
]


class Store:
    """Data sources, data sets and dashboards by (account, region, kind) -> id -> record."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.items: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}

    def table(self, account: str, region: str, kind: str) -> dict[str, dict[str, Any]]:
        return self.items.setdefault((account, region, kind), {})

    def find_dashboards(self, dashboard_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        with self.lock:
            return [(a, r, t[dashboard_id]) for (a, r, k), t in self.items.items()
                    if k == "dashboards" and dashboard_id in t]

    def snapshot(self) -> dict:
        with self.lock:
            return copy.deepcopy(self.items)

    def restore(self, state: dict) -> None:
        with self.lock:
            self.items = copy.deepcopy(state)

    def reset(self) -> None:
        with self.lock:
            self.items = {}


STORE = Store()

_PATH = re.compile(r"^/accounts/(?P<account>[^/]+)/(?P<kind>data-sources|data-sets|dashboards|analyses)"
                   r"(?:/(?P<id>[^/]+))?(?:/(?P<rest>.+))?/?$")


def _parts(request: KitRequest) -> tuple[str, str | None]:
    from urllib.parse import unquote

    match = _PATH.match(request.path)
    if not match:
        raise AwsError("InvalidParameterValueException", f"Unexpected path {request.path}")
    return match.group("account"), unquote(match.group("id")) if match.group("id") else None


def _arn(request: KitRequest, account: str, kind: str, ident: str) -> str:
    return f"arn:aws:quicksight:{request.region}:{account}:{kind}/{ident}"


def _now(request: KitRequest) -> float:
    """The request's signing time (``X-Amz-Date``, whole seconds): a journal replay gives the same timestamps."""
    from datetime import datetime, timezone

    stamp = request.headers.get("X-Amz-Date", "")
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return float(int(time.time()))


def _check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise AwsError("InvalidParameterValueException", f"{what} must be 1 to 512 letters, digits, '-' or '_'.")
    return value


def _not_found(kind: str, ident: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"{kind} {ident} not found", 404)


def _grant(permissions: list[dict], grants: list[dict] | None, revokes: list[dict] | None) -> list[dict]:
    by_principal = {p["Principal"]: list(p.get("Actions") or []) for p in permissions}
    for g in grants or []:
        actions = by_principal.setdefault(g["Principal"], [])
        actions += [a for a in g.get("Actions") or [] if a not in actions]
    for r in revokes or []:
        if r["Principal"] in by_principal:
            by_principal[r["Principal"]] = [a for a in by_principal[r["Principal"]] if a not in (r.get("Actions") or [])]
    return [{"Principal": p, "Actions": a} for p, a in by_principal.items() if a]


def _arn_id(arn: Any, kind: str) -> tuple[str, str, str] | None:
    """(region, account, id) of a QuickSight ARN of this kind, or None."""
    match = re.match(rf"^arn:aws[\w-]*:quicksight:([^:]*):([^:]*):{kind}/(.+)$", str(arn or ""))
    return match.groups() if match else None


# --- data sources ---------------------------------------------------------------------------------------


def create_data_source(request: KitRequest) -> dict[str, Any]:
    account, _ = _parts(request)
    params = request.json()
    ident = _check_id(params.get("DataSourceId"), "DataSourceId")
    kind = params.get("Type")
    parameters = params.get("DataSourceParameters") or {}
    if kind == "ATHENA":
        work_group = (parameters.get("AthenaParameters") or {}).get("WorkGroup") or "primary"
        parameters = {"AthenaParameters": {**(parameters.get("AthenaParameters") or {}), "WorkGroup": work_group}}
    with STORE.lock:
        table = STORE.table(account, request.region, "data-sources")
        if ident in table:
            raise AwsError("ResourceExistsException", f"DataSource {ident} already exists", 409)
        now = _now(request)
        arn = _arn(request, account, "datasource", ident)
        table[ident] = {"Arn": arn, "DataSourceId": ident, "Name": params.get("Name"), "Type": kind,
                        "Status": "CREATION_SUCCESSFUL", "CreatedTime": now, "LastUpdatedTime": now,
                        "DataSourceParameters": parameters, "Permissions": params.get("Permissions") or [],
                        "Tags": params.get("Tags") or []}
    return {"Arn": arn, "DataSourceId": ident, "CreationStatus": "CREATION_SUCCESSFUL", "RequestId": request.request_id}


def _public_source(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("Permissions", "Tags")}


def describe_data_source(request: KitRequest) -> dict[str, Any]:
    account, ident = _parts(request)
    record = STORE.table(account, request.region, "data-sources").get(ident)
    if record is None:
        raise _not_found("DataSource", ident)
    return {"DataSource": _public_source(record), "RequestId": request.request_id}


def list_data_sources(request: KitRequest) -> dict[str, Any]:
    account, _ = _parts(request)
    records = sorted(STORE.table(account, request.region, "data-sources").values(), key=lambda r: r["CreatedTime"])
    return {"DataSources": [_public_source(r) for r in records], "RequestId": request.request_id}


def update_data_source(request: KitRequest) -> dict[str, Any]:
    account, ident = _parts(request)
    params = request.json()
    with STORE.lock:
        record = STORE.table(account, request.region, "data-sources").get(ident)
        if record is None:
            raise _not_found("DataSource", ident)
        record["Name"] = params.get("Name", record["Name"])
        if "DataSourceParameters" in params:
            record["DataSourceParameters"] = params["DataSourceParameters"]
        record["LastUpdatedTime"] = _now(request)
        record["Status"] = "UPDATE_SUCCESSFUL"
    return {"Arn": record["Arn"], "DataSourceId": ident, "UpdateStatus": "UPDATE_SUCCESSFUL",
            "RequestId": request.request_id}


def delete_data_source(request: KitRequest) -> dict[str, Any]:
    account, ident = _parts(request)
    with STORE.lock:
        record = STORE.table(account, request.region, "data-sources").pop(ident, None)
    if record is None:
        raise _not_found("DataSource", ident)
    return {"Arn": record["Arn"], "DataSourceId": ident, "RequestId": request.request_id}


# --- data sets ------------------------------------------------------------------------------------------------


def _check_physical(request: KitRequest, account: str, physical: Any) -> list[dict]:
    """The physical tables' source checks; returns OutputColumns."""
    if not isinstance(physical, dict) or not physical:
        raise AwsError("InvalidParameterValueException", "PhysicalTableMap must hold at least one table.")
    columns: list[dict] = []
    sources = STORE.table(account, request.region, "data-sources")
    for key, table in physical.items():
        spec = table.get("RelationalTable") or table.get("CustomSql")
        if spec is None:
            raise AwsError("InvalidParameterValueException",
                           f"Physical table {key}: the local endpoint supports RelationalTable and CustomSql only.")
        found = _arn_id(spec.get("DataSourceArn"), "datasource")
        if found is None or found[1] != account or found[0] != request.region or found[2] not in sources:
            raise AwsError("InvalidParameterValueException",
                           f"Physical table {key}: data source {spec.get('DataSourceArn')} does not exist.")
        if "CustomSql" in table and not str(spec.get("SqlQuery") or "").strip():
            raise AwsError("InvalidParameterValueException", f"Physical table {key}: SqlQuery must not be empty.")
        for column in spec.get("InputColumns") or spec.get("Columns") or []:
            columns.append({"Name": column["Name"], "Type": column.get("Type", "STRING")})
    return columns


def _data_set_record(request: KitRequest, account: str, ident: str, params: dict, created: float) -> dict:
    columns = _check_physical(request, account, params.get("PhysicalTableMap"))
    return {"Arn": _arn(request, account, "dataset", ident), "DataSetId": ident, "Name": params.get("Name"),
            "CreatedTime": created, "LastUpdatedTime": _now(request), "PhysicalTableMap": params["PhysicalTableMap"],
            "LogicalTableMap": params.get("LogicalTableMap") or {}, "OutputColumns": columns,
            "ImportMode": params.get("ImportMode"), "ConsumedSpiceCapacityInBytes": 0,
            "Permissions": params.get("Permissions") or [], "Tags": params.get("Tags") or []}


def create_data_set(request: KitRequest) -> dict[str, Any]:
    account, _ = _parts(request)
    params = request.json()
    ident = _check_id(params.get("DataSetId"), "DataSetId")
    with STORE.lock:
        table = STORE.table(account, request.region, "data-sets")
        if ident in table:
            raise AwsError("ResourceExistsException", f"DataSet {ident} already exists", 409)
        now = _now(request)
        table[ident] = record = _data_set_record(request, account, ident, params, now)
    return {"Arn": record["Arn"], "DataSetId": ident, "RequestId": request.request_id}


def _public_set(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("Permissions", "Tags")}


def describe_data_set(request: KitRequest) -> dict[str, Any]:
    account, ident = _parts(request)
    record = STORE.table(account, request.region, "data-sets").get(ident)
    if record is None:
        raise _not_found("DataSet", ident)
    return {"DataSet": _public_set(record), "RequestId": request.request_id}


def list_data_sets(request: KitRequest) -> dict[str, Any]:
    account, _ = _parts(request)
    records = sorted(STORE.table(account, request.region, "data-sets").values(), key=lambda r: r["CreatedTime"])
    return {"DataSetSummaries": [{k: r[k] for k in ("Arn", "DataSetId", "Name", "CreatedTime", "LastUpdatedTime",
                                                    "ImportMode")} for r in records],
            "RequestId": request.request_id}


def update_data_set(request: KitRequest) -> dict[str, Any]:
    account, ident = _parts(request)
    params = request.json()
    with STORE.lock:
        table = STORE.table(account, request.region, "data-sets")
        if ident not in table:
            raise _not_found("DataSet", ident)
        old = table[ident]
        record = _data_set_record(request, account, ident, params, old["CreatedTime"])
        record["Permissions"], record["Tags"] = old["Permissions"], old["Tags"]
        table[ident] = record
    return {"Arn": record["Arn"], "DataSetId": ident, "RequestId": request.request_id}


def delete_data_set(request: KitRequest) -> dict[str, Any]:
    account, ident = _parts(request)
    with STORE.lock:
        record = STORE.table(account, request.region, "data-sets").pop(ident, None)
    if record is None:
        raise _not_found("DataSet", ident)
    return {"Arn": record["Arn"], "DataSetId": ident, "RequestId": request.request_id}


# --- dashboards ------------------------------------------------------------------------------------------------


def _field_columns(node: Any) -> list[dict]:
    """Every ``Column`` (a ColumnIdentifier) anywhere in a visual."""
    found = []
    if isinstance(node, dict):
        column = node.get("Column")
        if isinstance(column, dict) and "DataSetIdentifier" in column:
            found.append(column)
        for value in node.values():
            found += _field_columns(value)
    elif isinstance(node, list):
        for value in node:
            found += _field_columns(value)
    return found


def _check_definition(request: KitRequest, account: str, definition: Any, strict: bool = True) -> None:
    """What QuickSight refuses at create time: undeclared identifiers, missing data sets, duplicate visual ids;
    with ``ValidationStrategy`` STRICT (the default) also columns a data set with known columns does not have.
    LENIENT lets those through (the viewer labels the visual)."""
    if not isinstance(definition, dict):
        raise AwsError("InvalidParameterValueException", "A dashboard needs a Definition or a SourceEntity.")
    declared = {}
    sets = STORE.table(account, request.region, "data-sets")
    for decl in definition.get("DataSetIdentifierDeclarations") or []:
        found = _arn_id(decl.get("DataSetArn"), "dataset")
        if found is None or found[1] != account or found[0] != request.region or found[2] not in sets:
            raise AwsError("InvalidParameterValueException",
                           f"DataSetIdentifierDeclarations: data set {decl.get('DataSetArn')} does not exist.")
        declared[decl["Identifier"]] = found[2]
    visual_ids = set()
    for sheet in definition.get("Sheets") or []:
        for visual in sheet.get("Visuals") or []:
            for body in visual.values():
                ident = body.get("VisualId") if isinstance(body, dict) else None
                if ident in visual_ids:
                    raise AwsError("InvalidParameterValueException", f"Visual id {ident} is used more than once.")
                visual_ids.add(ident)
                for column in _field_columns(body):
                    if column["DataSetIdentifier"] not in declared:
                        raise AwsError("InvalidParameterValueException",
                                       f"Visual {ident}: data set identifier {column['DataSetIdentifier']!r} "
                                       f"is not declared in DataSetIdentifierDeclarations.")
                    known = {c["Name"] for c in sets[declared[column["DataSetIdentifier"]]]["OutputColumns"]}
                    if strict and known and column.get("ColumnName") not in known:
                        raise AwsError("InvalidParameterValueException",
                                       f"Visual {ident}: column {column.get('ColumnName')!r} is not in data set "
                                       f"{declared[column['DataSetIdentifier']]} (columns: {', '.join(sorted(known))}).")


def _version(request: KitRequest, account: str, ident: str, number: int, params: dict) -> dict:
    definition = params.get("Definition")
    strict = (params.get("ValidationStrategy") or {}).get("Mode", "STRICT") != "LENIENT"
    _check_definition(request, account, definition, strict)
    return {"VersionNumber": number, "Arn": _arn(request, account, "dashboard", f"{ident}/version/{number}"),
            "Status": "CREATION_SUCCESSFUL" if number == 1 else "UPDATE_SUCCESSFUL", "CreatedTime": _now(request),
            "Description": params.get("VersionDescription"), "Definition": definition,
            "DataSetArns": [d["DataSetArn"] for d in definition.get("DataSetIdentifierDeclarations") or []],
            "Sheets": [{"SheetId": s.get("SheetId"), "Name": s.get("Name")} for s in definition.get("Sheets") or []],
            "Errors": []}


def _dashboard(request: KitRequest) -> tuple[str, str, dict]:
    account, ident = _parts(request)
    record = STORE.table(account, request.region, "dashboards").get(ident)
    if record is None:
        raise _not_found("Dashboard", ident)
    return account, ident, record


def _chosen_version(request: KitRequest, record: dict) -> dict:
    number = request.query.get("version-number", [None])[0]
    number = int(number) if number else record["PublishedVersionNumber"]
    for version in record["Versions"]:
        if version["VersionNumber"] == number:
            return version
    raise AwsError("ResourceNotFoundException", f"Dashboard {record['DashboardId']} has no version {number}", 404)


def create_dashboard(request: KitRequest) -> dict[str, Any]:
    account, ident = _parts(request)
    _check_id(ident, "DashboardId")
    params = request.json()
    with STORE.lock:
        table = STORE.table(account, request.region, "dashboards")
        if ident in table:
            raise AwsError("ResourceExistsException", f"Dashboard {ident} already exists", 409)
        version = _version(request, account, ident, 1, params)
        now = _now(request)
        table[ident] = {"DashboardId": ident, "Arn": _arn(request, account, "dashboard", ident), "Name": params["Name"],
                        "CreatedTime": now, "LastUpdatedTime": now, "LastPublishedTime": now,
                        "PublishedVersionNumber": 1, "Versions": [version],
                        "Permissions": _grant([], params.get("Permissions"), None), "Tags": params.get("Tags") or [],
                        "DashboardPublishOptions": params.get("DashboardPublishOptions") or {}}
    return {"Arn": table[ident]["Arn"], "VersionArn": version["Arn"], "DashboardId": ident,
            "CreationStatus": "CREATION_SUCCESSFUL", "RequestId": request.request_id}


def update_dashboard(request: KitRequest) -> dict[str, Any]:
    params = request.json()
    with STORE.lock:
        account, ident, record = _dashboard(request)
        version = _version(request, account, ident, len(record["Versions"]) + 1, params)
        record["Versions"].append(version)
        record["Name"] = params.get("Name", record["Name"])
        record["LastUpdatedTime"] = _now(request)
    return {"Arn": record["Arn"], "VersionArn": version["Arn"], "DashboardId": ident,
            "CreationStatus": "CREATION_SUCCESSFUL", "RequestId": request.request_id}


def update_dashboard_published_version(request: KitRequest) -> dict[str, Any]:
    with STORE.lock:
        _, ident, record = _dashboard(request)
        number = int(request.path.rstrip("/").rsplit("/", 1)[1])
        if not any(v["VersionNumber"] == number for v in record["Versions"]):
            raise AwsError("ResourceNotFoundException", f"Dashboard {ident} has no version {number}", 404)
        record["PublishedVersionNumber"] = number
        record["LastPublishedTime"] = _now(request)
    return {"DashboardId": ident, "DashboardArn": record["Arn"], "RequestId": request.request_id}


def describe_dashboard(request: KitRequest) -> dict[str, Any]:
    _, ident, record = _dashboard(request)
    version = _chosen_version(request, record)
    public = {k: v for k, v in version.items() if k != "Definition"}
    return {"Dashboard": {"DashboardId": ident, "Arn": record["Arn"], "Name": record["Name"], "Version": public,
                          "CreatedTime": record["CreatedTime"], "LastPublishedTime": record["LastPublishedTime"],
                          "LastUpdatedTime": record["LastUpdatedTime"]},
            "RequestId": request.request_id}


def describe_dashboard_definition(request: KitRequest) -> dict[str, Any]:
    _, ident, record = _dashboard(request)
    version = _chosen_version(request, record)
    return {"DashboardId": ident, "Name": record["Name"], "Errors": version["Errors"],
            "ResourceStatus": version["Status"], "Definition": version["Definition"],
            "DashboardPublishOptions": record["DashboardPublishOptions"], "RequestId": request.request_id}


def list_dashboards(request: KitRequest) -> dict[str, Any]:
    account, _ = _parts(request)
    records = sorted(STORE.table(account, request.region, "dashboards").values(), key=lambda r: r["CreatedTime"])
    return {"DashboardSummaryList": [{k: r[k] for k in ("Arn", "DashboardId", "Name", "CreatedTime", "LastUpdatedTime",
                                                        "PublishedVersionNumber", "LastPublishedTime")}
                                     for r in records],
            "RequestId": request.request_id}


def delete_dashboard(request: KitRequest) -> dict[str, Any]:
    account, ident = _parts(request)
    with STORE.lock:
        record = STORE.table(account, request.region, "dashboards").pop(ident, None)
    if record is None:
        raise _not_found("Dashboard", ident)
    return {"Arn": record["Arn"], "DashboardId": ident, "RequestId": request.request_id}


def describe_dashboard_permissions(request: KitRequest) -> dict[str, Any]:
    _, ident, record = _dashboard(request)
    return {"DashboardId": ident, "DashboardArn": record["Arn"], "Permissions": record["Permissions"],
            "RequestId": request.request_id}


def update_dashboard_permissions(request: KitRequest) -> dict[str, Any]:
    params = request.json()
    with STORE.lock:
        _, ident, record = _dashboard(request)
        record["Permissions"] = _grant(record["Permissions"], params.get("GrantPermissions"),
                                       params.get("RevokePermissions"))
    return {"DashboardId": ident, "DashboardArn": record["Arn"], "Permissions": record["Permissions"],
            "RequestId": request.request_id}


def describe_account_subscription(request: KitRequest) -> dict[str, Any]:
    """The local endpoint always has a subscription: nothing to buy, nothing billed."""
    return {"AccountInfo": {"AccountName": "local-aws", "Edition": "ENTERPRISE",
                            "NotificationEmail": "nobody@localhost", "AuthenticationType": "IAM_AND_QUICKSIGHT",
                            "AccountSubscriptionStatus": "ACCOUNT_CREATED"},
            "RequestId": request.request_id}


# --- analyses ------------------------------------------------------------------------------------------------
# What the kit meets when it tears down: an analysis someone made over the kit's data sets. A deleted analysis
# stays visible (Status DELETED, with its DeletionTime) for its recovery window unless the deletion was forced,
# as on AWS.


def create_analysis(request: KitRequest) -> dict[str, Any]:
    account, ident = _parts(request)
    _check_id(ident, "AnalysisId")
    params = request.json()
    definition = params.get("Definition")
    if definition is None:
        raise AwsError("InvalidParameterValueException", "The local endpoint creates an analysis from a Definition only.")
    strict = (params.get("ValidationStrategy") or {}).get("Mode", "STRICT") != "LENIENT"
    with STORE.lock:
        _check_definition(request, account, definition, strict)
        table = STORE.table(account, request.region, "analyses")
        if ident in table and table[ident]["Status"] != "DELETED":
            raise AwsError("ResourceExistsException", f"Analysis {ident} already exists", 409)
        now = _now(request)
        arn = _arn(request, account, "analysis", ident)
        table[ident] = {"AnalysisId": ident, "Arn": arn, "Name": params.get("Name"), "Status": "CREATION_SUCCESSFUL",
                        "CreatedTime": now, "LastUpdatedTime": now, "Definition": definition,
                        "DataSetArns": [d["DataSetArn"] for d in definition.get("DataSetIdentifierDeclarations") or []],
                        "Sheets": [{"SheetId": s.get("SheetId"), "Name": s.get("Name")}
                                   for s in definition.get("Sheets") or []],
                        "Permissions": _grant([], params.get("Permissions"), None), "Tags": params.get("Tags") or []}
    return {"Arn": arn, "AnalysisId": ident, "CreationStatus": "CREATION_SUCCESSFUL", "Status": 200,
            "RequestId": request.request_id}


def _analysis(request: KitRequest) -> tuple[str, str, dict]:
    account, ident = _parts(request)
    record = STORE.table(account, request.region, "analyses").get(ident)
    if record is None:
        raise _not_found("Analysis", ident)
    return account, ident, record


def describe_analysis(request: KitRequest) -> dict[str, Any]:
    _, _, record = _analysis(request)
    public = {k: record[k] for k in ("AnalysisId", "Arn", "Name", "Status", "CreatedTime", "LastUpdatedTime",
                                     "DataSetArns", "Sheets")}
    return {"Analysis": {**public, "Errors": []}, "Status": 200, "RequestId": request.request_id}


def list_analyses(request: KitRequest) -> dict[str, Any]:
    account, _ = _parts(request)
    records = sorted(STORE.table(account, request.region, "analyses").values(), key=lambda r: r["CreatedTime"])
    return {"AnalysisSummaryList": [{k: r[k] for k in ("Arn", "AnalysisId", "Name", "Status", "CreatedTime",
                                                       "LastUpdatedTime")} for r in records],
            "Status": 200, "RequestId": request.request_id}


def delete_analysis(request: KitRequest) -> dict[str, Any]:
    force = request.query.get("force-delete-without-recovery", ["false"])[0].lower() == "true"
    window = request.query.get("recovery-window-in-days", [None])[0]
    if force and window:
        raise AwsError("InvalidParameterValueException",
                       "ForceDeleteWithoutRecovery and RecoveryWindowInDays cannot be used together.")
    days = int(window) if window else 30
    if not 7 <= days <= 30:
        raise AwsError("InvalidParameterValueException", "RecoveryWindowInDays must be between 7 and 30.")
    with STORE.lock:
        account, ident, record = _analysis(request)
        if force:
            STORE.table(account, request.region, "analyses").pop(ident)
            deletion = _now(request)
        else:
            record["Status"] = "DELETED"
            record["DeletionTime"] = deletion = _now(request) + days * 86400
    return {"Status": 200, "Arn": record["Arn"], "AnalysisId": ident, "DeletionTime": deletion,
            "RequestId": request.request_id}


# --- tags -------------------------------------------------------------------------------------------------------

_KINDS_BY_ARN = {"datasource": "data-sources", "dataset": "data-sets", "dashboard": "dashboards", "analysis": "analyses"}
_TAGGED = re.compile(r"^/resources/(?P<arn>.+)/tags/?$")


def _tagged_record(request: KitRequest) -> tuple[str, dict | None]:
    """(ARN, the engine's record) of a tag request; the record is None for an ARN moto keeps (users, groups)."""
    from urllib.parse import unquote

    match = _TAGGED.match(request.path)
    if not match:
        raise AwsError("InvalidParameterValueException", f"Unexpected path {request.path}")
    arn = unquote(match.group("arn"))
    parts = re.match(r"^arn:aws[\w-]*:quicksight:([^:]*):([^:]*):([a-z]+)/([^/]+)$", arn)
    if not parts or parts.group(3) not in _KINDS_BY_ARN:
        return arn, None
    region, account, kind, ident = parts.groups()
    record = STORE.table(account, region, _KINDS_BY_ARN[kind]).get(ident)
    if record is None or record.get("Status") == "DELETED":
        raise AwsError("ResourceNotFoundException", f"Resource {arn} not found", 404)
    return arn, record


def _moto_tags(request: KitRequest):
    from moto.quicksight.models import quicksight_backends

    from .._moto import backend

    return backend(quicksight_backends, request)


def tag_resource(request: KitRequest) -> dict[str, Any]:
    tags = request.json().get("Tags") or []
    if not tags or len(tags) > 200:
        raise AwsError("InvalidParameterValueException", "Tags must hold 1 to 200 tags.")
    with STORE.lock:
        arn, record = _tagged_record(request)
        if record is None:
            _moto_tags(request).tag_resource(arn, {t["Key"]: t.get("Value") for t in tags})
        else:
            merged = {t["Key"]: t["Value"] for t in record.get("Tags") or []}
            merged.update({t["Key"]: t["Value"] for t in tags})
            record["Tags"] = [{"Key": k, "Value": v} for k, v in merged.items()]
    return {"Status": 200, "RequestId": request.request_id}


def untag_resource(request: KitRequest) -> dict[str, Any]:
    keys = request.query.get("keys") or []
    if not keys:
        raise AwsError("InvalidParameterValueException", "TagKeys must name at least one tag key.")
    with STORE.lock:
        arn, record = _tagged_record(request)
        if record is None:
            _moto_tags(request).untag_resource(arn, keys)
        else:
            record["Tags"] = [t for t in record.get("Tags") or [] if t["Key"] not in keys]
    return {"Status": 200, "RequestId": request.request_id}


def list_tags_for_resource(request: KitRequest) -> dict[str, Any]:
    arn, record = _tagged_record(request)
    if record is None:
        tags = _moto_tags(request).list_tags_for_resource(arn)
    else:
        tags = copy.deepcopy(record.get("Tags") or [])
    return {"Tags": tags, "Status": 200, "RequestId": request.request_id}


ROUTES = {
    "CreateDataSource": create_data_source, "DescribeDataSource": describe_data_source,
    "ListDataSources": list_data_sources, "UpdateDataSource": update_data_source,
    "DeleteDataSource": delete_data_source,
    "CreateDataSet": create_data_set, "DescribeDataSet": describe_data_set, "ListDataSets": list_data_sets,
    "UpdateDataSet": update_data_set, "DeleteDataSet": delete_data_set,
    "CreateDashboard": create_dashboard, "DescribeDashboard": describe_dashboard,
    "DescribeDashboardDefinition": describe_dashboard_definition, "ListDashboards": list_dashboards,
    "UpdateDashboard": update_dashboard, "UpdateDashboardPublishedVersion": update_dashboard_published_version,
    "DeleteDashboard": delete_dashboard, "DescribeDashboardPermissions": describe_dashboard_permissions,
    "UpdateDashboardPermissions": update_dashboard_permissions,
    "DescribeAccountSubscription": describe_account_subscription,
    "CreateAnalysis": create_analysis, "DescribeAnalysis": describe_analysis, "ListAnalyses": list_analyses,
    "DeleteAnalysis": delete_analysis,
    "TagResource": tag_resource, "UntagResource": untag_resource, "ListTagsForResource": list_tags_for_resource,
}
