"""What a crawl writes to the Data Catalog, and how it writes it.

``table_input`` / ``partition_input`` build the definitions AWS's crawler
writes: the table parameters of a real crawled table (``classification``,
``compressionType``, ``typeOfData``, ``UPDATED_BY_CRAWLER``, ``CRAWL_RUN_ID``, the
``CrawlerSchema*Version`` pair, ``recordCount``, ``averageRecordSize``,
``objectCount``, ``sizeKey``; CSV adds ``delimiter``, ``areColumnsQuoted``,
``columnsOrdered`` and ``skip.header.line.count``), ``EXTERNAL_TABLE``, and
the SerDe and input/output formats of each classification.

Writers apply a crawl's changes:

* ``ApiWriter`` calls the endpoint's own Glue API (``CreateTable``,
  ``BatchCreatePartition`` ...) over HTTP -- the normal path. Each write is
  then an ordinary request: moto's Glue backend applies it in-process (so
  boto3 and the AWS CLI see the result), and the endpoint's journal records
  it like any client's change, in order with everything else, so a crawl's
  effect survives a restart (and a crash) exactly as far as it was acknowledged.
* ``BackendWriter`` calls moto's backend directly; only for an engine used
  without a served endpoint (no URL, hence no persistence either).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from . import hivetypes as ht
from .layout import PartitionPlan, TablePlan

log = logging.getLogger("local_aws.glue_crawler")

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
}
TEXT = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
}
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
CSV_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"

PARTITION_BATCH = 100  # BatchCreatePartition / BatchUpdatePartition take at most 100
DELETE_BATCH = 25  # BatchDeletePartition takes at most 25
# Statistics: they change whenever data is added, and are not the table's schema.
STATISTICS = ("recordCount", "averageRecordSize", "objectCount", "sizeKey")


def _columns(columns: tuple[tuple[str, ht.HiveType], ...]) -> list[dict[str, str]]:
    return [{"Name": name, "Type": ht.render(t)} for name, t in columns]


def _statistics(files: list) -> dict[str, str]:
    records = sum(f.schema.records for f in files)
    size = sum(f.obj.size for f in files)
    return {
        "recordCount": str(records),
        "averageRecordSize": str(round(size / records) if records else 0),
        "objectCount": str(len(files)),
        "sizeKey": str(size),
    }


def _format(plan: TablePlan) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """(parameters, SerDe info, input/output formats) of the table's classification."""
    schema = plan.schema
    params = {
        "classification": schema.classification,
        "compressionType": schema.compression,
        "typeOfData": "file",
    }
    if schema.classification == "parquet":
        serde = {"SerializationLibrary": PARQUET["SerializationLibrary"], "Parameters": {"serialization.format": "1"}}
        formats = {"InputFormat": PARQUET["InputFormat"], "OutputFormat": PARQUET["OutputFormat"]}
    elif schema.classification == "json":
        paths = sorted({p for f in plan.files for p in f.schema.json_paths}, key=str.lower)
        serde = {"SerializationLibrary": JSON_SERDE, "Parameters": {"paths": ",".join(paths)}}
        formats = dict(TEXT)
    else:
        params.update({
            "delimiter": schema.delimiter or ",",
            "areColumnsQuoted": "true" if any(f.schema.quoted for f in plan.files) else "false",
            "columnsOrdered": "true",
        })
        if schema.header:
            params["skip.header.line.count"] = "1"
        serde = {"SerializationLibrary": CSV_SERDE, "Parameters": {"field.delim": schema.delimiter or ","}}
        formats = dict(TEXT)
    return params, serde, formats


def crawler_parameters(crawler: str) -> dict[str, str]:
    return {"UPDATED_BY_CRAWLER": crawler, "CrawlerSchemaSerializerVersion": "1.0",
            "CrawlerSchemaDeserializerVersion": "1.0"}


def table_input(name: str, plan: TablePlan, crawler: str, crawl_id: str | None = None) -> dict[str, Any]:
    """The ``TableInput`` of a crawled table (``CRAWL_RUN_ID``: the crawl that wrote it, as AWS records it)."""
    params, serde, formats = _format(plan)
    params = {**params, **crawler_parameters(crawler), **_statistics(plan.files)}
    if crawl_id:
        params["CRAWL_RUN_ID"] = crawl_id
    return {
        "Name": name,
        "Owner": "owner",
        "Retention": 0,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": params,
        "PartitionKeys": [{"Name": key, "Type": "string"} for key in plan.partition_keys],
        "StorageDescriptor": {
            "Columns": _columns(plan.columns),
            "Location": plan.location,
            **formats,
            "Compressed": plan.schema.compression != "none",
            "NumberOfBuckets": -1,
            "SerdeInfo": serde,
            "BucketColumns": [],
            "SortColumns": [],
            "Parameters": dict(params),
            "StoredAsSubDirectories": False,
        },
    }


def partition_input(plan: TablePlan, partition: PartitionPlan, crawler: str, table_columns: list[dict[str, str]] | None = None
                    ) -> dict[str, Any]:
    """The ``PartitionInput`` of one partition; ``table_columns`` given: inherited from the table."""
    params, serde, formats = _format(plan)
    params = {**params, **crawler_parameters(crawler), **_statistics(partition.files)}
    columns = table_columns if table_columns is not None else _columns(partition.columns or plan.columns)
    return {
        "Values": list(partition.values),
        "Parameters": params,
        "StorageDescriptor": {
            "Columns": columns,
            "Location": partition.location,
            **formats,
            "Compressed": plan.schema.compression != "none",
            "NumberOfBuckets": -1,
            "SerdeInfo": serde,
            "BucketColumns": [],
            "SortColumns": [],
            "Parameters": dict(params),
            "StoredAsSubDirectories": False,
        },
    }


def as_input(table: dict[str, Any]) -> dict[str, Any]:
    """A ``GetTable`` answer turned back into a ``TableInput`` (for updates that keep most of it)."""
    keys = ("Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType",
            "Parameters", "ViewOriginalText", "ViewExpandedText", "TargetTable")
    return {k: table[k] for k in keys if table.get(k) is not None}


def schema_of(table: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(columns as (name, type), partition key names) of a table or table input."""
    columns = [(c["Name"], c["Type"]) for c in (table.get("StorageDescriptor") or {}).get("Columns") or []]
    return columns, [k["Name"] for k in table.get("PartitionKeys") or []]


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a re-crawl changes in a table or partition definition, in words (empty: nothing)."""
    changes: list[str] = []
    old_columns, old_keys = schema_of(old)
    new_columns, new_keys = schema_of(new)
    old_types, new_types = dict(old_columns), dict(new_columns)
    added = [f"{n} {t}" for n, t in new_columns if n not in old_types]
    removed = [n for n, _ in old_columns if n not in new_types]
    retyped = [f"{n} {old_types[n]} -> {t}" for n, t in new_columns if n in old_types and old_types[n] != t]
    if added:
        changes.append("new columns " + ", ".join(added))
    if removed:
        changes.append("columns gone " + ", ".join(removed))
    if retyped:
        changes.append("column types changed " + ", ".join(retyped))
    if old_keys != new_keys and "PartitionKeys" in new:
        changes.append(f"partition keys {old_keys} -> {new_keys}")
    old_sd, new_sd = old.get("StorageDescriptor") or {}, new.get("StorageDescriptor") or {}
    for field in ("InputFormat", "OutputFormat", "SerdeInfo", "Location"):
        if old_sd.get(field) != new_sd.get(field):
            changes.append(f"{field} changed")
    old_params, new_params = old.get("Parameters") or {}, new.get("Parameters") or {}
    for key in ("classification", "compressionType", "delimiter", "skip.header.line.count"):
        if old_params.get(key) != new_params.get(key):
            changes.append(f"{key} {old_params.get(key)} -> {new_params.get(key)}")
    if any(k.startswith("DEPRECATED") and k not in new_params for k in old_params):
        changes.append("its data is back (it was deprecated)")
    if not changes and any(old_params.get(k) != new_params.get(k) for k in STATISTICS):
        changes.append("statistics")
    return changes


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- writers ----------------------------------------------------------------------------------


class WriteError(Exception):
    """A catalog write failed; the message is the API's."""


class ApiWriter:
    """Writes through the endpoint's Glue API (journaled like any client's request)."""

    def __init__(self, url: str, region: str, access_key: str, account_header: str | None = None):
        import boto3
        import botocore.config

        self.client = boto3.client(
            "glue", endpoint_url=url, region_name=region, aws_access_key_id=access_key, aws_secret_access_key="local-crawler",
            config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 5}, read_timeout=300,
                                        parameter_validation=False),
        )
        if account_header:
            self.client.meta.events.register(
                "before-sign.glue.*", lambda request, **kw: request.headers.__setitem__("X-Moto-Account-Id", account_header))

    def _call(self, operation: Callable[..., dict], **params: Any) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return operation(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise WriteError(f"{error.get('Code')}: {error.get('Message')}") from None
        except BotoCoreError as exc:
            raise WriteError(str(exc)) from None

    def create_table(self, database: str, table: dict) -> None:
        self._call(self.client.create_table, DatabaseName=database, TableInput=table)

    def update_table(self, database: str, table: dict) -> None:
        self._call(self.client.update_table, DatabaseName=database, TableInput=table)

    def delete_table(self, database: str, name: str) -> None:
        self._call(self.client.delete_table, DatabaseName=database, Name=name)

    def create_partitions(self, database: str, table: str, inputs: list[dict]) -> list[dict]:
        errors = []
        for batch in chunks(inputs, PARTITION_BATCH):
            errors += self._call(self.client.batch_create_partition, DatabaseName=database, TableName=table,
                                 PartitionInputList=batch).get("Errors", [])
        return errors

    def update_partitions(self, database: str, table: str, entries: list[dict]) -> list[dict]:
        errors = []
        for batch in chunks(entries, PARTITION_BATCH):
            errors += self._call(self.client.batch_update_partition, DatabaseName=database, TableName=table,
                                 Entries=batch).get("Errors", [])
        return errors

    def delete_partitions(self, database: str, table: str, values: list[list[str]]) -> list[dict]:
        errors = []
        for batch in chunks(values, DELETE_BATCH):
            errors += self._call(self.client.batch_delete_partition, DatabaseName=database, TableName=table,
                                 PartitionsToDelete=[{"Values": v} for v in batch]).get("Errors", [])
        return errors


class BackendWriter:
    """Writes into moto's Glue backend directly (no served endpoint: nothing to journal)."""

    def __init__(self, account: str, region: str):
        from moto.glue.models import glue_backends

        self.glue = glue_backends[account][region]

    def _call(self, operation: Callable[..., Any], *args: Any) -> Any:
        try:
            return operation(*args)
        except Exception as exc:
            raise WriteError(f"{type(exc).__name__}: {getattr(exc, 'message', exc)}") from None

    def create_table(self, database: str, table: dict) -> None:
        self._call(self.glue.create_table, database, table["Name"], table)

    def update_table(self, database: str, table: dict) -> None:
        self._call(self.glue.update_table, database, table["Name"], table)

    def delete_table(self, database: str, name: str) -> None:
        self._call(self.glue.delete_table, database, name)

    def create_partitions(self, database: str, table: str, inputs: list[dict]) -> list[dict]:
        return self._call(self.glue.batch_create_partition, database, table, inputs)

    def update_partitions(self, database: str, table: str, entries: list[dict]) -> list[dict]:
        return self._call(self.glue.batch_update_partition, database, table, entries)

    def delete_partitions(self, database: str, table: str, values: list[list[str]]) -> list[dict]:
        return self._call(self.glue.batch_delete_partition, database, table, [{"Values": v} for v in values])


# --- reading the catalog (in-process, read-only) -------------------------------------------------


def read_database(account: str, region: str, database: str) -> dict[str, dict[str, Any]] | None:
    """The database's tables by name (``GetTable`` shapes, partitions under ``_partitions``), or None if it does not exist."""
    from moto.glue.models import glue_backends

    glue = glue_backends[account][region]
    db = glue.databases.get(database)
    if db is None:
        return None
    tables = {}
    for name, table in list(db.tables.items()):
        current = dict(table.as_dict())
        current["_partitions"] = {tuple(p.values): p.as_dict() for p in list(table.partitions.values())}
        tables[name] = current
    return tables
