"""Athena's own catalog API (``ListDatabases``, ``GetDatabase``, ``ListTableMetadata``, ``GetTableMetadata``) over Glue.

moto answers these from a store of its own that only knows ``default``; Athena
answers them from the Glue Data Catalog, as this does (``AwsDataCatalog``
only). Clients such as PyAthena's SQLAlchemy dialect and BI tools list tables
this way.
"""

from __future__ import annotations

import re
from typing import Any

from ...dispatch import AwsError, KitRequest
from .._moto import account_id, epoch
from .catalog import Catalog


def _catalog(request: KitRequest, params: dict[str, Any]) -> Catalog:
    name = params.get("CatalogName") or ""
    if name.lower() != "awsdatacatalog":
        raise AwsError("MetadataException", f"Catalog {name} does not exist or is not an AWS Glue Data Catalog "
                                            "(the local endpoint serves AwsDataCatalog only).")
    return Catalog(account_id(request), request.region)


def _page(items: list, params: dict[str, Any], limit_max: int) -> tuple[list, str | None]:
    limit = int(params.get("MaxResults") or limit_max)
    start = int(params.get("NextToken") or 0)
    end = start + min(limit, limit_max)
    return items[start:end], (str(end) if end < len(items) else None)


def _database(fake: Any) -> dict[str, Any]:
    info = getattr(fake, "input", {}) or {}
    answer = {"Name": fake.name.lower(), "Parameters": info.get("Parameters") or {}}
    if info.get("Description"):
        answer["Description"] = info["Description"]
    return answer


def get_database(request: KitRequest) -> dict[str, Any]:
    params = request.json()
    catalog = _catalog(request, params)
    fake = catalog.database(params.get("DatabaseName") or "")
    if fake is None:
        raise AwsError("MetadataException", f"Database {params.get('DatabaseName')} not found.")
    return {"Database": _database(fake)}


def list_databases(request: KitRequest) -> dict[str, Any]:
    params = request.json()
    catalog = _catalog(request, params)
    databases = [_database(catalog.database(name)) for name in catalog.databases()]
    page, token = _page(databases, params, 50)
    answer: dict[str, Any] = {"DatabaseList": page}
    if token:
        answer["NextToken"] = token
    return answer


def _table_metadata(catalog: Catalog, database: str, name: str) -> dict[str, Any]:
    fake = catalog.fake_table(database, name)
    table = catalog.table(database, name)
    parameters = dict(table.parameters)
    if not table.is_view:
        parameters.update({"inputformat": table.input_format, "serde.serialization.lib": table.serde,
                           **({"location": table.location} if table.location else {})})
    parameters.update({f"serde.param.{k}": v for k, v in table.serde_params.items()})
    answer = {
        "Name": table.name,
        "TableType": table.table_type,
        "Columns": [{"Name": c, "Type": t, **({"Comment": table.comments[c]} if c in table.comments else {})}
                    for c, t in table.columns],
        "PartitionKeys": [{"Name": c, "Type": t} for c, t in table.partition_keys],
        "Parameters": parameters,
    }
    created = getattr(fake, "created_time", None)
    if created is not None:
        answer["CreateTime"] = epoch(created)
    return answer


def get_table_metadata(request: KitRequest) -> dict[str, Any]:
    params = request.json()
    catalog = _catalog(request, params)
    database, name = params.get("DatabaseName") or "", params.get("TableName") or ""
    if catalog.database(database) is None:
        raise AwsError("MetadataException", f"Database {database} not found.")
    if catalog.table(database, name) is None:
        raise AwsError("MetadataException", f"Table {name} not found in database {database}.")
    return {"TableMetadata": _table_metadata(catalog, database, name)}


def list_table_metadata(request: KitRequest) -> dict[str, Any]:
    params = request.json()
    catalog = _catalog(request, params)
    database = params.get("DatabaseName") or ""
    if catalog.database(database) is None:
        raise AwsError("MetadataException", f"Database {database} not found.")
    names = catalog.table_names(database)
    expression = params.get("Expression")
    if expression:  # Hive-style pattern: '*' any characters, '|' alternatives
        pattern = re.compile("|".join("(?:" + re.escape(p).replace(r"\*", ".*") + ")" for p in expression.split("|")),
                             re.IGNORECASE)
        names = [n for n in names if pattern.fullmatch(n)]
    page, token = _page(names, params, 50)
    answer: dict[str, Any] = {"TableMetadataList": [_table_metadata(catalog, database, n) for n in page]}
    if token:
        answer["NextToken"] = token
    return answer
