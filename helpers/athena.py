"""Athena helpers: run a query, wait for it, get a typed DataFrame and what it would cost.

Plain boto3, identical on AWS and on the local endpoint (where the kit's
engine runs Athena's SQL with DuckDB over the same catalog and S3 layout)::

    from helpers import athena
    wg = athena.ensure_workgroup("dsca_ana_wg", "s3://my-bucket/athena-results/")
    result = athena.run_query("SELECT site, count(*) AS n FROM readings GROUP BY site",
                              database="dsca_ana_sensors", workgroup=wg)
    result.df            # a pandas DataFrame with Athena's types
    print(result.cost)   # "Data scanned: 1.2 MB -> $0.000048 on AWS at $5/TB (billed as 10.0 MB: the 10 MB minimum)"

Athena bills $5 per TB scanned, each query rounded up to a whole megabyte with
a 10 MB minimum; DDL statements and failed queries cost nothing. Partition
filters and Parquet's column projection are how you scan (and pay) less.

Names passed to these helpers (databases, tables, columns, work groups) are
checked against Athena's identifier rules before they are put into SQL, so a
name can never smuggle SQL into a statement.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable

import boto3
import pandas as pd
from botocore.exceptions import ClientError

from .config import RETRY_CONFIG
from .costs import ATHENA_MIN_BYTES, PRICES_USD
from .costs import athena_billed_bytes as billed_bytes
from .errors import KitError

PRICE_PER_TB_USD = PRICES_USD["athena_tb_scanned"]
BYTES_PER_TB = 1024**4
MINIMUM_BILLED_BYTES = ATHENA_MIN_BYTES
FINAL_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")


class QueryFailed(KitError):
    """An Athena query ended FAILED or CANCELLED; the message is Athena's reason."""

    def __init__(self, message: str, execution: dict[str, Any]):
        super().__init__(message)
        self.execution = execution
        error = (execution.get("Status") or {}).get("AthenaError") or {}
        self.error_category = error.get("ErrorCategory")
        self.error_type = error.get("ErrorType")


def _client(athena=None):
    return athena or boto3.client("athena", config=RETRY_CONFIG)


# --- names ----------------------------------------------------------------------------------------------


def check_identifier(name: str, what: str = "name") -> str:
    """``name`` lower-cased if it is a safe Athena identifier (letters, digits, ``_``); else KitError.

    Use it for every name that goes into SQL text: ``check_identifier("x; DROP TABLE t")`` refuses.
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise KitError(f"{what} {name!r} is not a valid Athena identifier: use letters, digits and underscores, "
                       "starting with a letter or underscore (at most 255 characters).")
    return name.lower()


def quote_identifier(name: str, what: str = "name") -> str:
    """``"name"``, ready to put into SQL, after ``check_identifier``."""
    return f'"{check_identifier(name, what)}"'


def table_ref(database: str, table: str) -> str:
    """``"database"."table"``, both names checked."""
    return f"{quote_identifier(database, 'database')}.{quote_identifier(table, 'table')}"


def sql_name(prefix: str, suffix: str) -> str:
    """A database/table name from the learner's resource prefix: ``dsca-ana`` + ``sensors`` -> ``dsca_ana_sensors``."""
    return check_identifier(re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix}_{suffix}"), "name")


def sql_string(value: str) -> str:
    """A SQL string literal (quotes doubled), for values -- never for names."""
    return "'" + str(value).replace("'", "''") + "'"


# --- cost --------------------------------------------------------------------------------------------------


def query_cost_usd(scanned_bytes: int, statement_type: str = "DML") -> float:
    """What a query would cost on AWS: $5 per TB of billed bytes; DDL is free."""
    if statement_type == "DDL":
        return 0.0
    return billed_bytes(scanned_bytes) / BYTES_PER_TB * PRICE_PER_TB_USD


def format_bytes(n: int) -> str:
    for unit, size in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def describe_cost(scanned_bytes: int, statement_type: str = "DML") -> str:
    """One line: bytes scanned and the AWS price of that, minimum included."""
    cost = query_cost_usd(scanned_bytes, statement_type)
    if statement_type == "DDL":
        return f"Data scanned: {format_bytes(scanned_bytes)} -> $0 on AWS (DDL statements are free)"
    billed = billed_bytes(scanned_bytes)
    note = f" (billed as {format_bytes(billed)}: the 10 MB minimum)" if 0 < scanned_bytes < MINIMUM_BILLED_BYTES else ""
    return f"Data scanned: {format_bytes(scanned_bytes)} -> ${cost:.6f} on AWS at $5/TB{note}"


# --- work groups ----------------------------------------------------------------------------------------


def ensure_workgroup(name: str, output_location: str, enforce: bool = True, bytes_cutoff: int | None = None,
                     tags: dict[str, str] | None = None, athena=None, verbose: bool = True) -> str:
    """Create the work group, or bring an existing one to this output location and settings; returns its name.

    ``output_location`` (``s3://bucket/prefix/``) is where every query of the group writes its results;
    ``enforce`` makes that win over a client's own ``OutputLocation``; ``bytes_cutoff`` cancels any query that
    would scan more (a guard against an expensive mistake).
    """
    athena = _client(athena)
    if not re.match(r"^[A-Za-z0-9._-]{1,128}$", name or ""):
        raise KitError(f"Work group name {name!r} is not valid: use letters, digits, '.', '_' and '-'.")
    if not output_location.startswith("s3://"):
        raise KitError(f"The output location must be an s3:// location, not {output_location!r}.")
    output_location = output_location if output_location.endswith("/") else output_location + "/"
    configuration: dict[str, Any] = {
        "ResultConfiguration": {"OutputLocation": output_location},
        "EnforceWorkGroupConfiguration": enforce,
        "PublishCloudWatchMetricsEnabled": False,
    }
    if bytes_cutoff:
        configuration["BytesScannedCutoffPerQuery"] = int(bytes_cutoff)
    try:
        current = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "InvalidRequestException":
            raise
        current = None
    if current is None:
        athena.create_work_group(Name=name, Configuration=configuration, Description="Data Stream Cloud Analytics",
                                 Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
        if verbose:
            print(f"Created Athena work group {name}: results in {output_location}")
        return name
    config = current.get("Configuration") or {}
    same = ((config.get("ResultConfiguration") or {}).get("OutputLocation") == output_location
            and bool(config.get("EnforceWorkGroupConfiguration")) == enforce
            and config.get("BytesScannedCutoffPerQuery") == configuration.get("BytesScannedCutoffPerQuery"))
    if not same:
        updates: dict[str, Any] = {"ResultConfigurationUpdates": {"OutputLocation": output_location},
                                   "EnforceWorkGroupConfiguration": enforce}
        if bytes_cutoff:
            updates["BytesScannedCutoffPerQuery"] = int(bytes_cutoff)
        else:
            updates["RemoveBytesScannedCutoffPerQuery"] = True
        athena.update_work_group(WorkGroup=name, ConfigurationUpdates=updates)
        if verbose:
            print(f"Updated Athena work group {name}: results in {output_location}")
    elif verbose:
        print(f"Athena work group {name} already set up: results in {output_location}")
    return name


# --- running queries ----------------------------------------------------------------------------------------


def start_query(sql: str, database: str | None = None, workgroup: str = "primary", output_location: str | None = None,
                parameters: Iterable[Any] | None = None, athena=None) -> str:
    """Submit ``sql``; returns the query execution id (the query runs on asynchronously).

    ``parameters`` fill ``?`` placeholders, in order, as SQL literals (strings quoted for you).
    """
    athena = _client(athena)
    request: dict[str, Any] = {"QueryString": sql, "WorkGroup": workgroup}
    if database:
        request["QueryExecutionContext"] = {"Database": check_identifier(database, "database")}
    if output_location:
        request["ResultConfiguration"] = {"OutputLocation": output_location}
    if parameters is not None:
        request["ExecutionParameters"] = [_literal(p) for p in parameters]
    try:
        return athena.start_query_execution(**request)["QueryExecutionId"]
    except ClientError as exc:
        message = exc.response["Error"].get("Message", str(exc))
        if "No output location provided" in message:
            raise KitError(f"{message} Create a work group with helpers.athena.ensure_workgroup(name, "
                           "'s3://<bucket>/athena-results/') and pass workgroup=name.") from None
        raise KitError(f"Athena refused the query: {message}") from None


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return repr(value) if not isinstance(value, Decimal) else str(value)
    return sql_string(str(value))


def wait_for_query(query_id: str, timeout: float = 300, athena=None) -> dict[str, Any]:
    """Poll until the query ends; returns its QueryExecution. Raises QueryFailed unless it SUCCEEDED."""
    athena = _client(athena)
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        state = execution["Status"]["State"]
        if state in FINAL_STATES:
            break
        if time.monotonic() > deadline:
            raise KitError(f"Query {query_id} is still {state} after {timeout:.0f} s; stop it with "
                           f"athena.stop_query_execution(QueryExecutionId={query_id!r}) or wait longer.")
        time.sleep(delay)
        delay = min(1.0, delay * 1.5)
    if state != "SUCCEEDED":
        reason = execution["Status"].get("StateChangeReason") or state
        raise QueryFailed(f"Query {state}: {reason}", execution)
    return execution


def result_rows(query_id: str, athena=None, statement_type: str | None = None
                ) -> tuple[list[dict[str, Any]], list[list[str | None]], int | None]:
    """(ColumnInfo, rows as text with None for NULL, UpdateCount) of a finished query: every page, header row removed.

    Only a SELECT (StatementType ``DML``) has a header row, on its first page; DDL and utility results have none.
    """
    athena = _client(athena)
    columns: list[dict[str, Any]] = []
    rows: list[list[str | None]] = []
    update_count = None
    first = True
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id,
                                                                   PaginationConfig={"PageSize": 1000}):
        result = page["ResultSet"]
        if first:
            columns = result["ResultSetMetadata"]["ColumnInfo"]
            update_count = page.get("UpdateCount")
        page_rows = [[d.get("VarCharValue") for d in r.get("Data", [])] for r in result.get("Rows", [])]
        if first and statement_type in (None, "DML") and page_rows and columns \
                and page_rows[0] == [c["Name"] for c in columns]:
            page_rows = page_rows[1:]  # only a SELECT's first page starts with the header row
        first = False
        rows.extend(page_rows)
    return columns, rows, update_count


def to_dataframe(columns: list[dict[str, Any]], rows: list[list[str | None]]) -> pd.DataFrame:
    """A DataFrame with pandas types for Athena's: nullable integers, floats, booleans, datetimes, Decimals."""
    data: dict[str, Any] = {}
    names = []
    for i, column in enumerate(columns):
        name = column["Name"]
        while name in data:
            name += "_"
        names.append(name)
        data[name] = _convert([r[i] if i < len(r) else None for r in rows], column)
    return pd.DataFrame(data, columns=names)


_INTEGERS = {"tinyint": "Int8", "smallint": "Int16", "integer": "Int32", "int": "Int32", "bigint": "Int64"}


def _convert(values: list[str | None], column: dict[str, Any]) -> pd.Series:
    athena_type = (column.get("Type") or "varchar").lower()
    if athena_type in _INTEGERS:
        return pd.Series([None if v is None else int(v) for v in values], dtype=_INTEGERS[athena_type])
    if athena_type in ("double", "real", "float"):
        return pd.Series([None if v is None else float(v) for v in values], dtype="float64")
    if athena_type == "boolean":
        return pd.Series([None if v is None else v == "true" for v in values], dtype="boolean")
    if athena_type == "decimal":
        return pd.Series([None if v is None else Decimal(v) for v in values], dtype="object")
    if athena_type in ("timestamp", "date"):
        return pd.Series(pd.to_datetime(values, format="ISO8601"))
    if athena_type == "timestamp with time zone":
        return pd.Series(pd.to_datetime([None if v is None else v.rsplit(" ", 1)[0] for v in values], format="ISO8601", utc=True))
    if athena_type == "varbinary":
        return pd.Series([None if v is None else bytes.fromhex(v.replace(" ", "")) for v in values], dtype="object")
    return pd.Series(values, dtype="string")


@dataclass
class QueryResult:
    """What ``run_query`` gives back: the rows, and what the query cost."""

    query_id: str
    df: pd.DataFrame
    state: str
    statement_type: str
    scanned_bytes: int
    engine_ms: int
    output_location: str | None
    update_count: int | None = None
    execution: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def cost_usd(self) -> float:
        return query_cost_usd(self.scanned_bytes, self.statement_type)

    @property
    def cost(self) -> str:
        return describe_cost(self.scanned_bytes, self.statement_type)

    def summary(self) -> str:
        rows = f"{len(self.df)} row{'s' if len(self.df) != 1 else ''}" if self.statement_type != "DDL" else "done"
        return f"{rows} in {self.engine_ms} ms. {self.cost}"


def run_query(sql: str, database: str | None = None, workgroup: str = "primary", output_location: str | None = None,
              parameters: Iterable[Any] | None = None, timeout: float = 300, athena=None,
              verbose: bool = False) -> QueryResult:
    """Run ``sql`` and wait for it: a ``QueryResult`` with a typed DataFrame, the bytes scanned and their AWS cost.

    Raises ``QueryFailed`` (a KitError) with Athena's own message if the query fails.
    """
    athena = _client(athena)
    query_id = start_query(sql, database, workgroup, output_location, parameters, athena=athena)
    execution = wait_for_query(query_id, timeout, athena=athena)
    columns, rows, update_count = result_rows(query_id, athena=athena, statement_type=execution.get("StatementType"))
    stats = execution.get("Statistics") or {}
    result = QueryResult(
        query_id=query_id, df=to_dataframe(columns, rows), state=execution["Status"]["State"],
        statement_type=execution.get("StatementType", "DML"), scanned_bytes=int(stats.get("DataScannedInBytes") or 0),
        engine_ms=int(stats.get("EngineExecutionTimeInMillis") or 0),
        output_location=(execution.get("ResultConfiguration") or {}).get("OutputLocation"), execution=execution,
        update_count=update_count,
    )
    if verbose:
        print(result.summary())
    return result


def ensure_database(name: str, workgroup: str = "primary", output_location: str | None = None, athena=None,
                    verbose: bool = True) -> str:
    """``CREATE DATABASE IF NOT EXISTS`` through Athena; returns the (checked, lower-case) name."""
    name = check_identifier(name, "database")
    run_query(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(name)}", workgroup=workgroup,
              output_location=output_location, athena=athena)
    if verbose:
        print(f"Athena database {name} is ready")
    return name


def drop_table(database: str, table: str, workgroup: str = "primary", output_location: str | None = None,
               athena=None) -> None:
    """``DROP TABLE IF EXISTS`` (the catalog entry only: Athena never deletes the table's S3 data)."""
    run_query(f"DROP TABLE IF EXISTS {table_ref(database, table)}", database=database, workgroup=workgroup,
              output_location=output_location, athena=athena)


def table_columns(database: str, table: str, glue=None) -> list[tuple[str, str]]:
    """(name, type) of a catalog table's columns, partition keys last."""
    glue = glue or boto3.client("glue", config=RETRY_CONFIG)
    t = glue.get_table(DatabaseName=check_identifier(database, "database"), Name=check_identifier(table, "table"))["Table"]
    columns = (t.get("StorageDescriptor") or {}).get("Columns", []) + t.get("PartitionKeys", [])
    return [(c["Name"], c["Type"]) for c in columns]


def scanned_comparison(database: str, table: str, partition_filter: str, select: str = "count(*)",
                       workgroup: str = "primary", athena=None) -> pd.DataFrame:
    """The same query with and without a partition filter: bytes scanned and cost side by side.

    ``partition_filter`` is SQL written by the notebook (e.g. ``dt = '2026-01-01'``), not user input.
    """
    rows = []
    for label, where in (("whole table", ""), ("with partition filter", f" WHERE {partition_filter}")):
        result = run_query(f"SELECT {select} FROM {table_ref(database, table)}{where}", database=database,
                           workgroup=workgroup, athena=athena)
        rows.append({"query": label, "data_scanned": format_bytes(result.scanned_bytes),
                     "scanned_bytes": result.scanned_bytes, "cost_usd": result.cost_usd, "engine_ms": result.engine_ms})
    return pd.DataFrame(rows)


def iso(value: datetime) -> str:
    """A timestamp literal Athena accepts: ``TIMESTAMP '2026-01-01 00:00:00.000'``."""
    return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}'"
