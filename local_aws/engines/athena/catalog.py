"""The Glue Data Catalog as Athena sees it: read from moto's Glue backend, written through the Glue API.

Reading is in-process (no HTTP): databases, tables with their storage
descriptor and SerDe, partitions. Athena's names are lower case; the catalog is
searched case-insensitively.

DDL statements change the catalog through the endpoint's own Glue API
(``CreateTable``, ``BatchCreatePartition`` ...), signed as the caller, so each
change is journaled like any client's and survives a restart; without a served
endpoint they go into moto's backend directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import QueryError

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
OPENX_JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
HIVE_JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
ORC_SERDE = "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
ORC_INPUT = "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat"
ORC_OUTPUT = "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat"
AVRO_SERDE = "org.apache.hadoop.hive.serde2.avro.AvroSerDe"
HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"


@dataclass
class Partition:
    values: list[str]
    location: str | None


@dataclass
class Table:
    database: str
    name: str
    columns: list[tuple[str, str]]  # (name, hive type), names lower-cased
    partition_keys: list[tuple[str, str]]
    location: str | None
    serde: str
    serde_params: dict[str, str]
    input_format: str
    parameters: dict[str, str]
    table_type: str
    view_original_text: str | None = None
    comments: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def is_view(self) -> bool:
        return self.table_type == "VIRTUAL_VIEW"

    @property
    def all_columns(self) -> list[tuple[str, str]]:
        return self.columns + self.partition_keys

    @property
    def fqn(self) -> str:
        return f"awsdatacatalog.{self.database}.{self.name}"

    def storage_format(self) -> str:
        """parquet | json | text | opencsv | orc | avro | unknown, from the SerDe, input format and classification."""
        serde, fmt = (self.serde or "").lower(), (self.input_format or "").lower()
        classification = (self.parameters.get("classification") or "").lower()
        if "parquet" in serde or "parquet" in fmt or classification == "parquet":
            return "parquet"
        if "orc" in serde or "orc" in fmt or classification == "orc":
            return "orc"
        if "avro" in serde or "avro" in fmt or classification == "avro":
            return "avro"
        if "json" in serde or classification == "json":
            return "json"
        if "opencsvserde" in serde:
            return "opencsv"
        if "lazysimpleserde" in serde or "textinputformat" in fmt or classification in ("csv", "tsv"):
            return "text"
        return "unknown"


def _glue(account: str, region: str):
    from moto.glue.models import glue_backends

    return glue_backends[account][region]


def _find(mapping: dict, name: str):
    if name in mapping:
        return mapping[name]
    lowered = name.lower()
    for key, value in list(mapping.items()):
        if key.lower() == lowered:
            return value
    return None


class Catalog:
    """Read access to one account's and region's Data Catalog."""

    def __init__(self, account: str, region: str):
        self.account, self.region = account, region

    def databases(self) -> list[str]:
        return sorted(d.lower() for d in list(_glue(self.account, self.region).databases))

    def database(self, name: str):
        return _find(_glue(self.account, self.region).databases, name)

    def has_database(self, name: str) -> bool:
        return self.database(name) is not None

    def table_names(self, database: str) -> list[str]:
        db = self.database(database)
        if db is None:
            raise QueryError("SCHEMA_NOT_FOUND", f"Schema '{database}' does not exist")
        return sorted(name.lower() for name in list(db.tables))

    def fake_table(self, database: str, name: str):
        db = self.database(database)
        if db is None:
            return None
        return _find(db.tables, name)

    def table(self, database: str, name: str) -> Table | None:
        fake = self.fake_table(database, name)
        if fake is None:
            return None
        return to_table(database.lower(), fake.name.lower(), fake.get_version(str(fake._current_version)))

    def partitions(self, database: str, name: str) -> list[Partition]:
        fake = self.fake_table(database, name)
        if fake is None:
            return []
        found = []
        for partition in list(fake.partitions.values()):
            info = partition.partition_input or {}
            sd = info.get("StorageDescriptor") or {}
            found.append(Partition([str(v) for v in info.get("Values", [])], sd.get("Location")))
        return found


def to_table(database: str, name: str, table_input: dict[str, Any]) -> Table:
    sd = table_input.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    columns = [(c["Name"].lower(), (c.get("Type") or "string").lower()) for c in sd.get("Columns") or []]
    keys = [(c["Name"].lower(), (c.get("Type") or "string").lower()) for c in table_input.get("PartitionKeys") or []]
    comments = {c["Name"].lower(): c.get("Comment", "") for c in (sd.get("Columns") or []) + (table_input.get("PartitionKeys") or [])
                if c.get("Comment")}
    return Table(
        database=database, name=name, columns=columns, partition_keys=keys, location=sd.get("Location"),
        serde=serde.get("SerializationLibrary") or "", serde_params=dict(serde.get("Parameters") or {}),
        input_format=sd.get("InputFormat") or "", parameters=dict(table_input.get("Parameters") or {}),
        table_type=table_input.get("TableType") or "EXTERNAL_TABLE", view_original_text=table_input.get("ViewOriginalText"),
        comments=comments, raw=table_input,
    )


def partition_location(table: Table, partition: Partition) -> str | None:
    if partition.location:
        return partition.location
    if not table.location:
        return None
    base = table.location if table.location.endswith("/") else table.location + "/"
    return base + "/".join(f"{k}={v}" for (k, _), v in zip(table.partition_keys, partition.values)) + "/"


# --- writing ----------------------------------------------------------------------------------------


class CatalogWriter:
    """Glue changes as the caller: through the endpoint's Glue API (journaled) or into moto directly."""

    def __init__(self, url: str | None, account: str, region: str, access_key: str, account_header: str | None):
        self.url, self.account, self.region = url, account, region
        self._access_key, self._account_header = access_key, account_header

    def _call(self, operation: str, **params: Any) -> dict:
        if self.url:
            from botocore.exceptions import BotoCoreError, ClientError

            from .clients import client

            glue = client("glue", self.url, self.region, self._access_key, self._account_header)
            try:
                return getattr(glue, operation)(**params)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                raise QueryError("DDL_FAILED", f"{error.get('Code')}: {error.get('Message')}") from None
            except BotoCoreError as exc:
                raise QueryError("DDL_FAILED", str(exc)) from None
        return self._backend_call(operation, **params)

    def _backend_call(self, operation: str, **params: Any) -> dict:
        from .._moto import moto_errors
        from ...dispatch import AwsError

        glue = _glue(self.account, self.region)
        try:
            with moto_errors():
                if operation == "create_database":
                    glue.create_database(params["DatabaseInput"]["Name"], params["DatabaseInput"])
                elif operation == "delete_database":
                    glue.delete_database(params["Name"])
                elif operation == "create_table":
                    glue.create_table(params["DatabaseName"], params["TableInput"]["Name"], params["TableInput"])
                elif operation == "update_table":
                    glue.update_table(params["DatabaseName"], params["TableInput"]["Name"], params["TableInput"])
                elif operation == "delete_table":
                    glue.delete_table(params["DatabaseName"], params["Name"])
                elif operation == "batch_create_partition":
                    table = glue.get_table(params["DatabaseName"], params["TableName"])
                    for item in params["PartitionInputList"]:
                        table.create_partition(item)
                elif operation == "batch_delete_partition":
                    table = glue.get_table(params["DatabaseName"], params["TableName"])
                    for item in params["PartitionsToDelete"]:
                        table.delete_partition(item["Values"])
                else:
                    raise QueryError("NOT_SUPPORTED", f"catalog operation {operation}")
        except AwsError as err:
            raise QueryError("DDL_FAILED", f"{err.code}: {err.message}") from None
        return {}

    def create_database(self, database_input: dict) -> None:
        self._call("create_database", DatabaseInput=database_input)

    def delete_database(self, name: str) -> None:
        self._call("delete_database", Name=name)

    def create_table(self, database: str, table_input: dict) -> None:
        self._call("create_table", DatabaseName=database, TableInput=table_input)

    def update_table(self, database: str, table_input: dict) -> None:
        self._call("update_table", DatabaseName=database, TableInput=table_input)

    def delete_table(self, database: str, name: str) -> None:
        self._call("delete_table", DatabaseName=database, Name=name)

    def create_partitions(self, database: str, table: str, inputs: list[dict]) -> None:
        for start in range(0, len(inputs), 100):
            answer = self._call("batch_create_partition", DatabaseName=database, TableName=table,
                                PartitionInputList=inputs[start:start + 100])
            errors = [e for e in answer.get("Errors") or []
                      if (e.get("ErrorDetail") or {}).get("ErrorCode") != "AlreadyExistsException"]
            if errors:
                detail = errors[0].get("ErrorDetail") or {}
                raise QueryError("DDL_FAILED", f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}")

    def delete_partitions(self, database: str, table: str, values: list[list[str]]) -> None:
        for start in range(0, len(values), 25):
            self._call("batch_delete_partition", DatabaseName=database, TableName=table,
                       PartitionsToDelete=[{"Values": v} for v in values[start:start + 25]])
