"""Running one statement: SELECT through DuckDB, DDL against the catalog, CTAS/INSERT/UNLOAD into S3.

``execute(ctx)`` returns a ``Outcome``: the result (an Arrow table with its
ColumnInfo for a query; text lines for DDL and utility statements; an update
count for CTAS/INSERT/UNLOAD), the bytes scanned and any data manifest.
Nothing here knows about the Athena API; ``runtime`` drives states and writes
the result files.

DuckDB runs every query on a cursor of one shared in-memory database whose
global settings give Trino's semantics where they differ from DuckDB's
defaults: ``TimeZone = UTC`` (Athena's session zone) and
``integer_division = true`` (``5 / 2 = 2`` as in Trino).
"""

from __future__ import annotations

import bisect
import io
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import pyarrow as pa
from sqlglot import exp

from . import catalog as cat
from . import plan, scan, storage
from .errors import QueryError
from .types import duckdb_to_hive, hive_to_duckdb, hive_type_text, result_type

_db = None
_db_lock = threading.Lock()


def database():
    """The shared DuckDB database (created on first use)."""
    global _db
    with _db_lock:
        if _db is None:
            import duckdb

            db = duckdb.connect(":memory:")
            db.execute("SET GLOBAL TimeZone = 'UTC'")
            db.execute("SET GLOBAL integer_division = true")
            db.execute(f"SET GLOBAL threads = {max(1, min(8, os.cpu_count() or 1))}")
            _db = db
        return _db


@dataclass
class Context:
    """Everything a statement needs from its query execution."""

    query_id: str
    sql: str
    account: str
    region: str
    database: str
    output_location: str  # s3://bucket/prefix/ (ends with /)
    catalog_writer: cat.CatalogWriter
    s3_writer: storage.S3Writer
    parameters: list[str] = field(default_factory=list)
    cancelled: Callable[[], bool] = lambda: False
    on_cursor: Callable[[Any], None] = lambda cursor: None
    bytes_cutoff: int | None = None
    planning_seconds: float = 0.0  # resolving names and partitions (QueryPlanningTimeInMillis)


@dataclass
class Outcome:
    statement_type: str  # DML | DDL | UTILITY
    substatement: str
    columns: list[dict[str, Any]] = field(default_factory=list)  # ColumnInfo
    table: pa.Table | None = None  # typed rows of a query
    lines: list[str] | None = None  # text rows of DDL/utility statements
    update_count: int | None = None
    scanned: int = 0
    manifest: list[str] | None = None  # data files written (CTAS, INSERT, UNLOAD)
    header: bool = True  # a SELECT: the first result row is the header


def column_info(name: str, info: dict[str, Any]) -> dict[str, Any]:
    return {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name,
            "Type": info["Type"], "Precision": info["Precision"], "Scale": info["Scale"], "Nullable": "UNKNOWN",
            "CaseSensitive": info["Type"] in ("varchar", "char")}


def text_columns(*names: str) -> list[dict[str, Any]]:
    return [column_info(n, {"Type": "string", "Precision": 0, "Scale": 0}) for n in names]


ROWS_COLUMN = [column_info("rows", {"Type": "bigint", "Precision": 19, "Scale": 0})]


# --- parsing ----------------------------------------------------------------------------------------------


def parse(sql: str) -> exp.Expression:
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    text = sql.strip().rstrip(";").strip()
    if not text:
        raise QueryError("SYNTAX_ERROR", "line 1:1: mismatched input '<EOF>'. Expecting a statement", plain=False)
    try:
        import logging

        logging.getLogger("sqlglot").setLevel(logging.ERROR)
        statements = [s for s in sqlglot.parse(text, read=plan.DIALECT) if s is not None]
    except ParseError as err:
        first = err.errors[0] if err.errors else {}
        token = first.get("highlight") or ""
        line, col = first.get("line"), first.get("col")
        if col is not None and token:
            col = max(1, col - len(token) + 1)
        raise QueryError("SYNTAX_ERROR", f"mismatched input '{token}'. {first.get('description', 'Syntax error')}",
                         line, col) from None
    except TokenError as err:
        raise QueryError("SYNTAX_ERROR", str(err)) from None
    if len(statements) != 1:
        raise QueryError("INVALID_ARGUMENTS", f"Only one sql statement is allowed. Got: {sql}", plain=True)
    return statements[0]


def _bind_parameters(tree: exp.Expression, parameters: list[str]) -> exp.Expression:
    placeholders = [p for p in tree.find_all(exp.Placeholder)]
    if len(placeholders) != len(parameters):
        if placeholders or parameters:
            raise QueryError("INVALID_PARAMETER_USAGE", f"Incorrect number of parameters: expected "
                                                        f"{len(placeholders)} but found {len(parameters)}")
        return tree
    for node, value in zip(placeholders, parameters):
        try:
            node.replace(plan.parse_one(f"SELECT {value}").expressions[0])
        except Exception:
            raise QueryError("INVALID_PARAMETER_USAGE", f"Invalid execution parameter: {value}") from None
    return tree


# --- entry point -------------------------------------------------------------------------------------------


def execute(ctx: Context) -> Outcome:
    head = ctx.sql.lstrip().lstrip("(").lstrip()
    word = head.split(None, 1)[0].upper() if head.split() else ""
    if word == "UNLOAD":
        return _unload(ctx)
    if word == "MSCK":
        return _msck(ctx)
    if word == "SHOW":
        return _show(ctx)
    if word == "ALTER":
        return _alter(ctx)
    if word == "EXPLAIN":
        return _explain(ctx)
    if word in ("PREPARE", "EXECUTE", "DEALLOCATE", "VACUUM", "OPTIMIZE", "MERGE", "UPDATE", "DELETE",
                "GRANT", "REVOKE", "CALL", "USE", "SET", "RESET", "START", "COMMIT", "ROLLBACK"):
        raise QueryError("NOT_SUPPORTED", f"The local Athena does not support {word} statements")
    tree = _bind_parameters(parse(ctx.sql), ctx.parameters)
    if isinstance(tree, exp.Query):
        return _select(ctx, tree)
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            return _create_database(ctx, tree)
        if kind == "VIEW":
            return _create_view(ctx, tree)
        if kind == "TABLE" and tree.args.get("expression") is not None:
            return _ctas(ctx, tree)
        if kind == "TABLE":
            return _create_table(ctx, tree)
    if isinstance(tree, exp.Drop):
        return _drop(ctx, tree)
    if isinstance(tree, exp.Insert):
        return _insert(ctx, tree)
    if isinstance(tree, exp.Describe):
        return _describe(ctx, tree)
    raise QueryError("NOT_SUPPORTED", f"The local Athena does not support this statement: {ctx.sql.strip()[:80]}")


# --- SELECT ------------------------------------------------------------------------------------------------


class _Run:
    """One query's DuckDB cursor, with the Arrow tables registered on it."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.cursor = database().cursor()
        ctx.on_cursor(self.cursor)
        self.stats = storage.ScanStats()

    def close(self) -> None:
        try:
            self.cursor.close()
        except Exception:
            pass

    def evaluate_parts(self, occ: plan.Occurrence, partitions: list[cat.Partition]) -> Callable[[str], list[int]]:
        def evaluate(where: str) -> list[int]:
            keys = occ.table.partition_keys
            data = {"__idx": pa.array(range(len(partitions)), pa.int64())}
            for i, (key, _) in enumerate(keys):
                data[key] = pa.array([p.values[i] if i < len(p.values) and p.values[i] != cat.HIVE_DEFAULT_PARTITION
                                      else None for p in partitions], pa.string())
            name = f"{occ.relation}_parts"
            self.cursor.register(name, pa.table(data))
            casts = ", ".join(f'TRY_CAST("{k}" AS {hive_to_duckdb(t)}) AS "{k}"' for k, t in keys)
            rows = self.cursor.sql(f"SELECT __idx FROM (SELECT __idx, {casts} FROM {name}) WHERE {where}").fetchall()
            self.cursor.unregister(name)
            return [r[0] for r in rows]
        return evaluate

    def prepare(self, tree: exp.Expression, read_data: bool = True) -> str:
        """Resolve, prune, scan and register; returns the DuckDB SQL of ``tree``."""
        began = time.perf_counter()
        catalog = cat.Catalog(self.ctx.account, self.ctx.region)
        planner = plan.Planner(catalog, self.ctx.database, self.ctx.sql)
        tree = planner.prepare(tree)
        date_columns = set()
        for occ in planner.occurrences:
            if occ.table.partition_keys:
                planner.prune(occ, self.evaluate_parts(occ, catalog.partitions(occ.table.database, occ.table.name)))
        self.ctx.planning_seconds += time.perf_counter() - began
        for occ in planner.occurrences:
            tasks = self._tasks(occ) if read_data else []
            scanned = scan.scan(self.ctx.account, self.ctx.region, occ.table, tasks, occ.columns, self.stats,
                                self.ctx.cancelled)
            self.cursor.register(occ.relation + "_src", scanned.table)
            self.cursor.execute(f"CREATE OR REPLACE TEMP VIEW {occ.relation} AS " + plan.relation_sql(occ, scanned.kinds))
            plan.replace_with_relation(occ.node, occ.relation, occ.node.alias or occ.table.name)
            date_columns |= {name for name, t in occ.table.all_columns if t == "date"}
        for relation, table in planner.virtual.items():
            self.cursor.register(relation, table)
        if self.ctx.bytes_cutoff is not None and self.stats.bytes_read > self.ctx.bytes_cutoff:
            raise BytesLimitExceeded()
        tree = plan.rewrite(tree, date_columns)
        return plan.to_duckdb(tree)

    def _tasks(self, occ: plan.Occurrence) -> list[scan.FileTask]:
        table = occ.table
        places: list[tuple[str, dict[str, str]]] = []
        if table.partition_keys:
            for p in occ.partitions or []:
                location = cat.partition_location(table, p)
                if location:
                    places.append((location, {k: v for (k, _), v in zip(table.partition_keys, p.values)}))
        elif table.location:
            places.append((table.location, {}))
        tasks: list[scan.FileTask] = []
        listed: dict[tuple[str, str], tuple[list[str], list[storage.S3Object]]] = {}
        base = None
        if table.location and len(places) > 1:
            try:
                base = storage.split_uri(table.location)
            except ValueError:
                base = None
        for location, values in places:
            try:
                bucket, prefix = storage.split_uri(location)
            except ValueError:
                raise QueryError("HIVE_CANNOT_OPEN_SPLIT", f"{location} is not an S3 location") from None
            prefix = storage.folder(prefix)
            if base and bucket == base[0] and prefix.startswith(storage.folder(base[1])):
                key = (bucket, storage.folder(base[1]))  # one listing serves every partition under the table
            else:
                key = (bucket, prefix)
            if key not in listed:
                try:
                    objects = storage.list_objects(self.ctx.account, self.ctx.region, *key)
                except storage.BucketMissing:
                    raise QueryError("HIVE_CANNOT_OPEN_SPLIT", f"Error opening Hive split {location}: The specified "
                                                               f"bucket does not exist (Bucket: {bucket})") from None
                listed[key] = ([o.key for o in objects], objects)
            names, objects = listed[key]
            for i in range(bisect.bisect_left(names, prefix), len(names)):
                obj = objects[i]
                if not obj.key.startswith(prefix):
                    break
                if storage.is_data_file(obj.key[len(prefix):]) and obj.size > 0:
                    tasks.append(scan.FileTask(obj, values))
        return tasks

    def run(self, sql: str) -> pa.Table:
        relation = self.cursor.sql(sql)
        if relation is None:
            return pa.table({})
        names = relation.columns
        types = relation.types
        fixes = []
        from .types import NORMALISE

        for name, duck in zip(names, types):
            quoted = '"' + name.replace('"', '""') + '"'
            target = NORMALISE.get(getattr(duck, "id", ""))
            fixes.append(f"CAST({quoted} AS {target}) AS {quoted}" if target else quoted)
        if any(f.startswith("CAST(") for f in fixes) and len(set(names)) == len(names):
            relation = self.cursor.sql(f"SELECT {', '.join(fixes)} FROM ({sql})")
        self.result_types = list(relation.types)
        return relation.to_arrow_table()


class BytesLimitExceeded(Exception):
    """The work group's BytesScannedCutoffPerQuery was exceeded: the query is cancelled."""


def run_select(ctx: Context, tree: exp.Expression, read_data: bool = True) -> tuple[pa.Table, list, int]:
    """(typed Arrow result, DuckDB types, bytes scanned) of a query tree."""
    run = _Run(ctx)
    try:
        sql = run.prepare(tree, read_data)
        try:
            table = run.run(sql)
        except Exception as exc:
            raise translate_error(exc, ctx.sql) from None
        names = [n.lower() for n in table.column_names]
        table = table.rename_columns(names)
        return table, run.result_types, run.stats.bytes_read
    finally:
        run.close()


def _explain(ctx: Context) -> Outcome:
    """``EXPLAIN [ANALYZE] query``: DuckDB's plan for the translated query (Athena shows Trino's; the shape differs)."""
    match = re.match(r"(?is)^\s*EXPLAIN\s+(ANALYZE\s+)?(?:\((?:[^()]*)\)\s*)?(.*)$", ctx.sql.strip().rstrip(";"))
    analyze, inner = bool(match.group(1)), match.group(2)
    tree = _bind_parameters(parse(inner), ctx.parameters)
    if not isinstance(tree, exp.Query):
        raise QueryError("NOT_SUPPORTED", "The local Athena explains queries (SELECT ...) only")
    run = _Run(ctx)
    try:
        sql = run.prepare(tree, read_data=analyze)
        try:
            rows = run.cursor.sql(f"EXPLAIN {'ANALYZE ' if analyze else ''}{sql}").fetchall()
        except Exception as exc:
            raise translate_error(exc, ctx.sql) from None
    finally:
        run.close()
    lines = ["-- the local Athena's plan: DuckDB running the query translated from Trino SQL --", f"-- {sql}"]
    for row in rows:
        lines += str(row[-1]).splitlines()
    return Outcome("UTILITY", "EXPLAIN", columns=text_columns("Query Plan"), lines=lines, scanned=run.stats.bytes_read,
                   header=False)


def _select(ctx: Context, tree: exp.Expression) -> Outcome:
    table, types, scanned = run_select(ctx, tree)
    columns = [column_info(name, result_type(t)) for name, t in zip(table.column_names, types)]
    return Outcome("DML", "SELECT", columns=columns, table=table, scanned=scanned)


# --- DuckDB errors in Athena's words -------------------------------------------------------------------------


def translate_error(exc: Exception, sql: str) -> Exception:
    import duckdb

    if isinstance(exc, QueryError):
        return exc
    text = str(exc)
    first = text.split("\n", 1)[0]
    body = re.sub(r"^[A-Za-z ]+ Error: ", "", first)
    if isinstance(exc, duckdb.InterruptException):
        return QueryError("GENERIC_USER_ERROR", "Query was cancelled")

    def at(word: str) -> tuple[int | None, int | None]:
        return plan.text_position(sql, word)

    match = re.search(r'(?:Referenced column|column named|Column) "([^"]+)" (?:not found|does not exist)', body) or \
        re.search(r'does not have a column named "([^"]+)"', body)
    if match:
        name = match.group(1)
        return QueryError("COLUMN_NOT_FOUND", f"Column '{name}' cannot be resolved or requester is not authorized "
                                              f"to access requested resources", *at(name))
    match = re.search(r"(?:Scalar|Aggregate|Table) Function with name (\w+) does not exist", body)
    if match:
        name = match.group(1)
        return QueryError("FUNCTION_NOT_FOUND", f"Function '{name}' not registered", *at(name))
    match = re.search(r'column "([^"]+)" must appear in the GROUP BY clause', body)
    if match:
        name = match.group(1)
        return QueryError("EXPRESSION_NOT_AGGREGATE", f"'{name}' must be an aggregate expression or appear in "
                                                      f"GROUP BY clause", *at(name))
    match = re.search(r'Ambiguous reference to column name "([^"]+)"', body)
    if match:
        return QueryError("AMBIGUOUS_NAME", f"Column '{match.group(1)}' is ambiguous", *at(match.group(1)))
    if "Cannot compare values of type" in body or "No function matches" in body or "Cannot mix values of type" in body \
            or "cannot be applied" in body or isinstance(exc, duckdb.BinderException) and "type" in body.lower():
        match = re.search(r"of type (\w+) and (?:type )?(\w+)", body)
        detail = (f"Cannot apply operator: {match.group(1).lower()} vs {match.group(2).lower()}" if match
                  else body.split(". ")[0])
        return QueryError("TYPE_MISMATCH", detail)
    if isinstance(exc, duckdb.ConversionException):
        match = re.search(r"Could not convert string '([^']*)' to (\w+)", body)
        if match:
            return QueryError("INVALID_CAST_ARGUMENT", f"Cannot cast '{match.group(1)}' to {match.group(2).lower()}")
        return QueryError("INVALID_CAST_ARGUMENT", body)
    if isinstance(exc, duckdb.OutOfRangeException):
        return QueryError("NUMERIC_VALUE_OUT_OF_RANGE", body)
    if isinstance(exc, duckdb.ParserException):
        return QueryError("NOT_SUPPORTED", f"The local Athena could not run this query in DuckDB: {body}")
    if isinstance(exc, duckdb.InvalidInputException):
        return QueryError("INVALID_FUNCTION_ARGUMENT", body)
    if isinstance(exc, (duckdb.BinderException, duckdb.CatalogException)):
        return QueryError("SYNTAX_ERROR", body)
    if isinstance(exc, duckdb.Error):
        return QueryError("GENERIC_INTERNAL_ERROR", body)
    return exc


# --- writing data files (CTAS, INSERT INTO, UNLOAD) -----------------------------------------------------------

_HIVE_ESCAPE = set('"#%\'*/:=?\\\x7f{[]^')


def hive_escape(value: str) -> str:
    return "".join(f"%{ord(ch):02X}" if ch in _HIVE_ESCAPE or ord(ch) < 32 else ch for ch in value)


@dataclass
class WriteSpec:
    fmt: str  # PARQUET | ORC | JSON | TEXTFILE
    compression: str | None
    delimiter: str = "\x01"


def _partition_text(value: Any) -> str:
    from .types import render

    text = render(value)
    return cat.HIVE_DEFAULT_PARTITION if text is None else text


def write_files(ctx: Context, table: pa.Table, location: str, partition_by: list[str], spec: WriteSpec,
                limit_partitions: bool = True) -> tuple[list[str], list[list[str]]]:
    """Write ``table`` under ``location`` (Hive layout for ``partition_by``); returns (file URIs, partition values)."""
    bucket, prefix = storage.split_uri(location)
    prefix = storage.folder(prefix)
    groups: list[tuple[list[str], pa.Table]] = []
    if partition_by:
        data_columns = [c for c in table.column_names if c not in partition_by]
        keys = table.select(partition_by).to_pylist()
        index: dict[tuple, list[int]] = {}
        for i, row in enumerate(keys):
            index.setdefault(tuple(_partition_text(row[c]) for c in partition_by), []).append(i)
        if limit_partitions and len(index) > 100:
            raise QueryError("HIVE_TOO_MANY_OPEN_PARTITIONS", "Exceeded limit of 100 open writers for partitions/buckets")
        for values, rows in index.items():
            groups.append((list(values), table.select(data_columns).take(pa.array(rows, pa.int64()))))
    else:
        groups.append(([], table))
    files, partitions = [], []
    for n, (values, part) in enumerate(groups):
        sub = "".join(f"{hive_escape(k)}={hive_escape(v)}/" for k, v in zip(partition_by, values))
        key = f"{prefix}{sub}{ctx.query_id}_{n:05d}{_extension(spec)}"
        ctx.s3_writer.put(bucket, key, encode_file(part, spec))
        files.append(f"s3://{bucket}/{key}")
        partitions.append(values)
    return files, partitions


def _extension(spec: WriteSpec) -> str:
    compression = (spec.compression or "").upper()
    if spec.fmt in ("TEXTFILE", "JSON"):
        return {"GZIP": ".gz", "BZIP2": ".bz2"}.get(compression, "")
    return ""


def encode_file(table: pa.Table, spec: WriteSpec) -> bytes:
    from .types import render

    sink = io.BytesIO()
    compression = (spec.compression or "").upper() or None
    if spec.fmt == "PARQUET":
        import pyarrow.parquet as pq

        table = _arrow_for_files(table)
        pq.write_table(table, sink, compression={"NONE": "none", None: "gzip"}.get(compression, (compression or "gzip").lower()),
                       coerce_timestamps="ms", allow_truncated_timestamps=True)
        return sink.getvalue()
    if spec.fmt == "ORC":
        import pyarrow.orc as orc

        orc.write_table(_arrow_for_files(table), sink, compression=(compression or "ZLIB").lower().replace("none", "uncompressed"))
        return sink.getvalue()
    if spec.fmt == "JSON":
        import datetime as dt
        import json

        def plain(value: Any) -> Any:
            if isinstance(value, (dt.datetime, dt.date, dt.time)):
                return render(value)
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            if isinstance(value, bytes):
                return value.decode("latin-1")
            if hasattr(value, "is_finite"):  # Decimal
                return float(value)
            return value

        text = "".join(json.dumps({k: plain(v) for k, v in row.items()}) + "\n" for row in table.to_pylist())
    else:  # TEXTFILE
        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        lines = []
        for row in zip(*columns) if columns else []:
            lines.append(spec.delimiter.join("\\N" if v is None else render(v) for v in row))
        text = "".join(line + "\n" for line in lines)
    data = text.encode()
    if compression == "GZIP":
        import gzip

        return gzip.compress(data)
    if compression == "BZIP2":
        import bz2

        return bz2.compress(data)
    return data


def _arrow_for_files(table: pa.Table) -> pa.Table:
    """Time zones are not a Hive type: store UTC instants as plain timestamps; dictionaries as values."""
    fields, arrays = [], []
    for f, column in zip(table.schema, table.columns):
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            column = column.cast(pa.timestamp(f.type.unit))
        elif pa.types.is_dictionary(f.type):
            column = column.cast(f.type.value_type)
        elif pa.types.is_null(f.type):
            column = column.cast(pa.string())
        fields.append(pa.field(f.name, column.type))
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


FORMATS = {
    "PARQUET": (cat.PARQUET_SERDE, cat.PARQUET_INPUT, cat.PARQUET_OUTPUT),
    "ORC": (cat.ORC_SERDE, cat.ORC_INPUT, cat.ORC_OUTPUT),
    "JSON": (cat.HIVE_JSON_SERDE, cat.TEXT_INPUT, cat.TEXT_OUTPUT),
    "TEXTFILE": (cat.LAZY_SIMPLE_SERDE, cat.TEXT_INPUT, cat.TEXT_OUTPUT),
}


def _properties(node: exp.Expression | None) -> dict[str, Any]:
    """``WITH (key = value, ...)`` of CTAS/UNLOAD as Python values (lists for ARRAY[...])."""
    found: dict[str, Any] = {}
    if node is None:
        return found
    for prop in node.expressions:
        if isinstance(prop, exp.FileFormatProperty):
            key, value = "format", prop.this
        elif isinstance(prop, exp.PartitionedByProperty):
            key, value = "partitioned_by", prop.this
        elif isinstance(prop, exp.LocationProperty):
            key, value = "external_location", prop.this
        elif isinstance(prop, exp.WithDataProperty):
            found["__no_data"] = bool(prop.args.get("no"))
            continue
        elif type(prop) is exp.Property:
            key, value = prop.name, prop.args.get("value")
        else:
            key = type(prop).__name__
            value = prop.args.get("this")
            if key == "ExternalProperty":
                continue
            name = re.sub(r"Property$", "", key)
            key = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        found[key.lower()] = _value(value)
    return found


def _value(value: Any) -> Any:
    if isinstance(value, (exp.Array, exp.Tuple, exp.Schema)):
        return [_value(v) for v in value.expressions]
    if isinstance(value, exp.Literal):
        return value.this
    if isinstance(value, exp.Expression):
        return value.name or value.sql()
    return value


CTAS_PROPERTIES = {"format", "external_location", "partitioned_by", "bucketed_by", "bucket_count", "write_compression",
                   "compression_level", "field_delimiter", "parquet_compression", "orc_compression", "is_external",
                   "table_type", "__no_data"}
UNLOAD_PROPERTIES = {"format", "compression", "compression_level", "field_delimiter", "partitioned_by"}


def _check_properties(props: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in props:
        if key not in allowed:
            raise QueryError("INVALID_TABLE_PROPERTY", f"{where} property '{key}' does not exist (known: "
                                                       f"{', '.join(sorted(allowed - {'__no_data'}))})")


def _spec(props: dict[str, Any], default_format: str = "PARQUET") -> WriteSpec:
    fmt = str(props.get("format", default_format)).upper()
    if fmt == "TEXT":
        fmt = "TEXTFILE"
    if fmt not in FORMATS:
        raise QueryError("INVALID_TABLE_PROPERTY", f"Unsupported format {fmt} (the local Athena writes PARQUET, ORC, "
                                                   f"JSON and TEXTFILE)")
    compression = props.get("write_compression") or props.get("compression") or props.get("parquet_compression") \
        or props.get("orc_compression")
    delimiter = props.get("field_delimiter") or ("\x01" if fmt == "TEXTFILE" else ",")
    return WriteSpec(fmt, str(compression).upper() if compression else ("GZIP" if fmt == "PARQUET" else None), delimiter)


def _table_name(node: exp.Table, ctx: Context) -> tuple[str, str]:
    if node.catalog and node.catalog.lower() != "awsdatacatalog":
        raise QueryError("CATALOG_NOT_FOUND", f"Catalog '{node.catalog.lower()}' does not exist")
    return (node.db or ctx.database).lower(), node.name.lower()


def _storage_descriptor(columns: list[dict], location: str | None, spec: WriteSpec) -> dict[str, Any]:
    serde, input_format, output_format = FORMATS[spec.fmt]
    params = {"serialization.format": "1"}
    if spec.fmt == "TEXTFILE":
        params = {"field.delim": spec.delimiter, "serialization.format": spec.delimiter}
    sd = {"Columns": columns, "InputFormat": input_format, "OutputFormat": output_format, "Compressed": False,
          "NumberOfBuckets": 0, "SerdeInfo": {"SerializationLibrary": serde, "Parameters": params},
          "BucketColumns": [], "SortColumns": [], "StoredAsSubDirectories": False}
    if location:
        sd["Location"] = location
    return sd


# --- CTAS -------------------------------------------------------------------------------------------------------


def _ctas(ctx: Context, tree: exp.Create) -> Outcome:
    target = tree.this if isinstance(tree.this, exp.Table) else tree.this.this
    db, name = _table_name(target, ctx)
    catalog = cat.Catalog(ctx.account, ctx.region)
    if not catalog.has_database(db):
        raise QueryError("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", *plan.identifier_position(ctx.sql, target))
    if catalog.table(db, name) is not None:
        if tree.args.get("exists"):
            return Outcome("DDL", "CREATE_TABLE_AS_SELECT", columns=ROWS_COLUMN, lines=[], update_count=0, header=False)
        raise QueryError("ALREADY_EXISTS", f"Table 'awsdatacatalog.{db}.{name}' already exists",
                         *plan.identifier_position(ctx.sql, target))
    props = _properties(tree.args.get("properties"))
    _check_properties(props, CTAS_PROPERTIES, "Catalog 'awsdatacatalog' table")
    if str(props.get("table_type", "HIVE")).upper() != "HIVE":
        raise QueryError("NOT_SUPPORTED", f"The local Athena writes Hive tables only, not table_type "
                                          f"'{props['table_type']}'")
    spec = _spec(props)
    partition_by = [str(p).lower() for p in props.get("partitioned_by") or []]
    location = props.get("external_location") or f"{ctx.output_location}tables/{ctx.query_id}/"
    location = location if location.endswith("/") else location + "/"
    bucket, prefix = storage.split_uri(location)
    storage.require_bucket(ctx.account, ctx.region, bucket, "table")
    if storage.list_objects(ctx.account, ctx.region, bucket, prefix):
        raise QueryError("HIVE_PATH_ALREADY_EXISTS", f"Target directory for table '{db}.{name}' already exists: {location}. "
                                                     "You may need to manually clean the data at location "
                                                     f"'{ctx.output_location}tables/{ctx.query_id}' before retrying.")
    no_data = props.get("__no_data", False)
    table, types, scanned = run_select(ctx, tree.args["expression"], read_data=not no_data)
    if no_data:
        table = table.slice(0, 0)
    names = table.column_names
    if len(set(names)) != len(names):
        raise QueryError("DUPLICATE_COLUMN_NAME", "Column name specified more than once")
    if partition_by and names[-len(partition_by):] != partition_by:
        raise QueryError("INVALID_TABLE_PROPERTY", "Partition keys must be the last columns in the table and in the "
                                                   f"same order as the table properties: {partition_by}")
    hive_types = {n: duckdb_to_hive(t) for n, t in zip(names, types)}
    if any("with time zone" in str(t).lower() for t in types):
        raise QueryError("NOT_SUPPORTED", "Unsupported Hive type: timestamp(3) with time zone")
    files, partitions = write_files(ctx, table, location, partition_by, spec) if table.num_rows else ([], [])
    data_columns = [{"Name": n, "Type": hive_types[n]} for n in names if n not in partition_by]
    table_input = {
        "Name": name, "TableType": "EXTERNAL_TABLE", "Owner": "hadoop",
        "Parameters": {"EXTERNAL": "TRUE", "has_encrypted_data": "false", "classification": spec.fmt.lower().replace("textfile", "csv"),
                       **({"write.compression": spec.compression} if spec.compression else {})},
        "PartitionKeys": [{"Name": p, "Type": hive_types[p]} for p in partition_by],
        "StorageDescriptor": _storage_descriptor(data_columns, location, spec),
    }
    ctx.catalog_writer.create_table(db, table_input)
    if partition_by and partitions:
        ctx.catalog_writer.create_partitions(db, name, [
            {"Values": values, "StorageDescriptor": _storage_descriptor(
                data_columns, location + "".join(f"{hive_escape(k)}={hive_escape(v)}/" for k, v in zip(partition_by, values)), spec)}
            for values in partitions])
    return Outcome("DDL", "CREATE_TABLE_AS_SELECT", columns=ROWS_COLUMN, lines=[], update_count=table.num_rows,
                   scanned=scanned, manifest=files, header=False)


# --- INSERT INTO ----------------------------------------------------------------------------------------------------


def _insert(ctx: Context, tree: exp.Insert) -> Outcome:
    target = tree.this
    column_list = None
    if isinstance(target, exp.Schema):
        column_list = [i.name.lower() for i in target.expressions]
        target = target.this
    if tree.args.get("overwrite"):
        raise QueryError("NOT_SUPPORTED", "INSERT OVERWRITE is not supported by Athena")
    db, name = _table_name(target, ctx)
    catalog = cat.Catalog(ctx.account, ctx.region)
    table_def = catalog.table(db, name)
    if table_def is None:
        line, col = plan.identifier_position(ctx.sql, target)
        if not catalog.has_database(db):
            raise QueryError("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", line, col)
        raise QueryError("TABLE_NOT_FOUND", f"Table 'awsdatacatalog.{db}.{name}' does not exist", line, col)
    if table_def.is_view:
        raise QueryError("NOT_SUPPORTED", f"Inserting into views is not supported: {table_def.fqn}")
    fmt = {"parquet": "PARQUET", "orc": "ORC", "json": "JSON", "text": "TEXTFILE"}.get(table_def.storage_format())
    if fmt is None or not table_def.location:
        raise QueryError("NOT_SUPPORTED", f"The local Athena cannot insert into {table_def.fqn} "
                                          f"(format {table_def.storage_format()}, location {table_def.location})")
    query = tree.expression
    result, types, scanned = run_select(ctx, query)
    all_columns = table_def.all_columns
    wanted = column_list or [c for c, _ in all_columns]
    unknown = [c for c in wanted if c not in dict(all_columns)]
    if unknown:
        raise QueryError("COLUMN_NOT_FOUND", f"Insert column name does not exist in target table: {unknown[0]}")
    if result.num_columns != len(wanted):
        raise QueryError("TYPE_MISMATCH", f"Insert query has {result.num_columns} columns, target table "
                                          f"'{table_def.fqn}' has {len(wanted)}")
    # Cast the query's columns, by position, to the table's types (NULL for columns not listed).
    cursor = database().cursor()
    try:
        cursor.register("__insert", result.rename_columns([f"c{i}" for i in range(result.num_columns)]))
        casts = []
        for column, hive_type in all_columns:
            if column in wanted:
                casts.append(f'CAST(c{wanted.index(column)} AS {hive_to_duckdb(hive_type)}) AS "{column}"')
            else:
                casts.append(f'CAST(NULL AS {hive_to_duckdb(hive_type)}) AS "{column}"')
        try:
            typed = cursor.sql(f"SELECT {', '.join(casts)} FROM __insert").to_arrow_table()
        except Exception as exc:
            raise QueryError("TYPE_MISMATCH", f"Insert query has mismatched column types: {translate_error(exc, ctx.sql)}") from None
    finally:
        cursor.close()
    keys = [k for k, _ in table_def.partition_keys]
    props = {k.lower(): v for k, v in table_def.parameters.items()}
    spec = WriteSpec(fmt, props.get("write.compression") or props.get("parquet.compression") or ("GZIP" if fmt == "PARQUET" else None),
                     table_def.serde_params.get("field.delim", "\x01"))
    location = table_def.location if table_def.location.endswith("/") else table_def.location + "/"
    files, partitions = write_files(ctx, typed, location, keys, spec) if typed.num_rows else ([], [])
    if keys and partitions:
        existing = {tuple(p.values) for p in catalog.partitions(db, name)}
        new = [v for v in partitions if tuple(v) not in existing]
        sd = dict(table_def.raw.get("StorageDescriptor") or {})
        ctx.catalog_writer.create_partitions(db, name, [
            {"Values": v, "StorageDescriptor": {**sd, "Location": location + "".join(
                f"{hive_escape(k)}={hive_escape(x)}/" for k, x in zip(keys, v))}} for v in new])
    return Outcome("DML", "INSERT", columns=ROWS_COLUMN, lines=[], update_count=typed.num_rows, scanned=scanned,
                   manifest=files, header=False)


# --- UNLOAD -------------------------------------------------------------------------------------------------------------


def _unload(ctx: Context) -> Outcome:
    text = ctx.sql.strip().rstrip(";")
    match = re.match(r"(?is)^\s*UNLOAD\s*\((.*)\)\s*TO\s*'([^']*)'\s*(?:WITH\s*\((.*)\))?\s*$", text)
    if not match:
        raise QueryError("SYNTAX_ERROR", "mismatched input. Expecting: UNLOAD (<query>) TO 's3://...' WITH (...)", 1, 1)
    inner, location, options = match.group(1), match.group(2), match.group(3) or ""
    props: dict[str, Any] = {}
    if options.strip():
        try:
            fake = plan.parse_one(f"CREATE TABLE __unload WITH ({options}) AS SELECT 1")
        except Exception as exc:
            raise QueryError("SYNTAX_ERROR", f"Invalid UNLOAD properties: {exc}") from None
        props = _properties(fake.args.get("properties"))
        _check_properties(props, UNLOAD_PROPERTIES, "UNLOAD")
    spec = _spec(props, default_format="PARQUET")
    partition_by = [str(p).lower() for p in props.get("partitioned_by") or []]
    location = location if location.endswith("/") else location + "/"
    try:
        bucket, prefix = storage.split_uri(location)
    except ValueError as exc:
        raise QueryError("INVALID_ARGUMENTS", str(exc)) from None
    storage.require_bucket(ctx.account, ctx.region, bucket, "UNLOAD")
    if storage.list_objects(ctx.account, ctx.region, bucket, prefix):
        raise QueryError("HIVE_PATH_ALREADY_EXISTS", f"Target directory for UNLOAD already exists: {location}. The "
                                                     "target location must be empty.")
    inner_tree = _bind_parameters(parse(inner), ctx.parameters)
    if not isinstance(inner_tree, exp.Query):
        raise QueryError("NOT_SUPPORTED", "UNLOAD takes a SELECT query")
    table, types, scanned = run_select(ctx, inner_tree)
    if partition_by and table.column_names[-len(partition_by):] != partition_by:
        raise QueryError("INVALID_TABLE_PROPERTY", "Partition keys must be the last columns of the query and in the "
                                                   f"same order as partitioned_by: {partition_by}")
    files, _ = write_files(ctx, table, location, partition_by, spec, limit_partitions=True) if table.num_rows else ([], [])
    return Outcome("DML", "UNLOAD", columns=ROWS_COLUMN, lines=[], update_count=table.num_rows, scanned=scanned,
                   manifest=files, header=False)


# --- DDL ------------------------------------------------------------------------------------------------------------------


def _create_database(ctx: Context, tree: exp.Create) -> Outcome:
    node = tree.this
    name = (node.name or node.db).lower()
    if not re.fullmatch(r"[a-z0-9_]{1,255}", name):
        raise QueryError("INVALID_ARGUMENTS", f"Invalid database name '{name}': use letters, digits and underscores")
    catalog = cat.Catalog(ctx.account, ctx.region)
    if catalog.has_database(name):
        if tree.args.get("exists"):
            return Outcome("DDL", "CREATE_DATABASE", columns=[], lines=[], header=False)
        raise QueryError("ALREADY_EXISTS", f"Database {name} already exists", plain=False)
    props = _properties(tree.args.get("properties"))
    database_input: dict[str, Any] = {"Name": name}
    if props.get("schema_comment"):
        database_input["Description"] = props["schema_comment"]
    if props.get("external_location"):
        database_input["LocationUri"] = props["external_location"]
    ctx.catalog_writer.create_database(database_input)
    return Outcome("DDL", "CREATE_DATABASE", columns=[], lines=[], header=False)


def _create_table(ctx: Context, tree: exp.Create) -> Outcome:
    schema = tree.this
    if not isinstance(schema, exp.Schema):
        raise QueryError("SYNTAX_ERROR", "CREATE TABLE needs a column list, or AS <query> (CTAS)")
    props_node = tree.args.get("properties")
    entries = props_node.expressions if props_node is not None else []
    if not any(isinstance(p, exp.ExternalProperty) for p in entries):
        raise QueryError("NOT_SUPPORTED", "Only external table creation is supported: use CREATE EXTERNAL TABLE ... "
                                          "LOCATION 's3://...', or CREATE TABLE ... AS SELECT")
    db, name = _table_name(schema.this, ctx)
    catalog = cat.Catalog(ctx.account, ctx.region)
    if not catalog.has_database(db):
        raise QueryError("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", *plan.identifier_position(ctx.sql, schema.this))
    if catalog.table(db, name) is not None:
        if tree.args.get("exists"):
            return Outcome("DDL", "CREATE_TABLE", columns=[], lines=[], header=False)
        raise QueryError("ALREADY_EXISTS", f"Table {db}.{name} already exists")

    def columns_of(defs: list[exp.Expression]) -> list[dict[str, str]]:
        out = []
        for d in defs:
            if not isinstance(d, exp.ColumnDef):
                continue
            column = {"Name": d.name.lower(), "Type": hive_type_text(d.args["kind"]) if d.args.get("kind") else "string"}
            for constraint in d.args.get("constraints") or []:
                if isinstance(constraint.args.get("kind"), exp.CommentColumnConstraint):
                    column["Comment"] = constraint.args["kind"].this.this
            try:
                hive_to_duckdb(column["Type"])
            except ValueError as exc:
                raise QueryError("INVALID_ARGUMENTS", str(exc)) from None
            out.append(column)
        return out

    columns = columns_of(schema.expressions)
    partition_keys: list[dict[str, str]] = []
    serde, serde_params = None, {}
    input_format = output_format = None
    location, parameters = None, {"EXTERNAL": "TRUE"}
    stored = None
    for prop in entries:
        if isinstance(prop, exp.PartitionedByProperty):
            partition_keys = columns_of(prop.this.expressions if isinstance(prop.this, exp.Schema) else [])
        elif isinstance(prop, exp.RowFormatSerdeProperty):
            serde = prop.this.this
            sp = prop.args.get("serde_properties")
            if sp is not None:
                serde_params.update({p.name: p.args["value"].this for p in sp.expressions})
        elif isinstance(prop, exp.RowFormatDelimitedProperty):
            serde = cat.LAZY_SIMPLE_SERDE
            mapping = {"fields": "field.delim", "escaped": "escape.delim", "collection_items": "collection.delim",
                       "map_keys": "mapkey.delim", "lines": "line.delim", "null": "serialization.null.format"}
            for arg, key in mapping.items():
                if prop.args.get(arg) is not None:
                    serde_params[key] = prop.args[arg].this
            if "field.delim" in serde_params:
                serde_params["serialization.format"] = serde_params["field.delim"]
        elif isinstance(prop, exp.SerdeProperties):
            serde_params.update({p.name: p.args["value"].this for p in prop.expressions})
        elif isinstance(prop, exp.FileFormatProperty):
            if isinstance(prop.this, exp.InputOutputFormat):
                input_format = prop.this.args["input_format"].this
                output_format = prop.this.args["output_format"].this
            else:
                stored = (prop.this.name or "").upper()
        elif isinstance(prop, exp.LocationProperty):
            location = prop.this.this
        elif isinstance(prop, exp.SchemaCommentProperty):
            parameters["comment"] = prop.this.this
        elif type(prop) is exp.Property:
            parameters[prop.name] = prop.args["value"].this if isinstance(prop.args.get("value"), exp.Literal) \
                else prop.args["value"].sql()
    if stored:
        known = {"PARQUET": (cat.PARQUET_SERDE, cat.PARQUET_INPUT, cat.PARQUET_OUTPUT),
                 "ORC": (cat.ORC_SERDE, cat.ORC_INPUT, cat.ORC_OUTPUT),
                 "TEXTFILE": (serde or cat.LAZY_SIMPLE_SERDE, cat.TEXT_INPUT, cat.TEXT_OUTPUT),
                 "JSONFILE": (serde or cat.HIVE_JSON_SERDE, cat.TEXT_INPUT, cat.TEXT_OUTPUT),
                 "AVRO": (cat.AVRO_SERDE, "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
                          "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat")}
        if stored not in known:
            raise QueryError("NOT_SUPPORTED", f"STORED AS {stored} is not supported by the local Athena")
        default_serde, input_format, output_format = known[stored]
        serde = serde if stored in ("TEXTFILE", "JSONFILE") else (serde or default_serde)
        if stored in ("PARQUET", "ORC"):
            serde = default_serde
    if serde is None:
        serde = cat.LAZY_SIMPLE_SERDE
        serde_params.setdefault("serialization.format", "1")
    input_format = input_format or cat.TEXT_INPUT
    output_format = output_format or cat.TEXT_OUTPUT
    if location is not None:
        try:
            storage.split_uri(location)
        except ValueError:
            raise QueryError("INVALID_ARGUMENTS", f"LOCATION must be an s3:// location, not {location!r}") from None
    table_input = {
        "Name": name, "TableType": "EXTERNAL_TABLE", "Owner": "hadoop", "Parameters": parameters,
        "PartitionKeys": partition_keys,
        "StorageDescriptor": {"Columns": columns, "Location": location, "InputFormat": input_format,
                              "OutputFormat": output_format, "Compressed": False, "NumberOfBuckets": -1,
                              "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params},
                              "BucketColumns": [], "SortColumns": [], "StoredAsSubDirectories": False},
    }
    if location is None:
        del table_input["StorageDescriptor"]["Location"]
    ctx.catalog_writer.create_table(db, table_input)
    return Outcome("DDL", "CREATE_TABLE", columns=[], lines=[], header=False)


def _create_view(ctx: Context, tree: exp.Create) -> Outcome:
    target = tree.this if isinstance(tree.this, exp.Table) else tree.this.this
    db, name = _table_name(target, ctx)
    catalog = cat.Catalog(ctx.account, ctx.region)
    if not catalog.has_database(db):
        raise QueryError("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", *plan.identifier_position(ctx.sql, target))
    existing = catalog.table(db, name)
    if existing is not None and not tree.args.get("replace"):
        raise QueryError("ALREADY_EXISTS", f"View 'awsdatacatalog.{db}.{name}' already exists", 1, 1)
    if existing is not None and not existing.is_view:
        raise QueryError("NOT_SUPPORTED", f"'awsdatacatalog.{db}.{name}' is a table, not a view")
    body = tree.args["expression"]
    match = re.search(r"(?is)\bAS\b\s*(.*)$", ctx.sql.strip().rstrip(";"))
    original = match.group(1).strip() if match else body.sql(plan.DIALECT)
    # The view must be valid now: plan it and let DuckDB type it, reading no data.
    table, types, _ = run_select(ctx, body.copy(), read_data=False)
    columns = [{"name": n, "type": result_type(t)["Type"]} for n, t in zip(table.column_names, types)]
    table_input = {
        "Name": name, "TableType": "VIRTUAL_VIEW", "Owner": "hadoop",
        "Parameters": {"presto_view": "true", "comment": "Presto View"},
        "PartitionKeys": [],
        "ViewOriginalText": plan.encode_view(original, db, columns),
        "ViewExpandedText": "/* Presto View */",
        "StorageDescriptor": {"Columns": [{"Name": n, "Type": duckdb_to_hive(t)} for n, t in zip(table.column_names, types)],
                              "SerdeInfo": {}, "Compressed": False, "NumberOfBuckets": 0, "BucketColumns": [],
                              "SortColumns": [], "StoredAsSubDirectories": False},
    }
    if existing is not None:
        ctx.catalog_writer.update_table(db, table_input)
    else:
        ctx.catalog_writer.create_table(db, table_input)
    return Outcome("DDL", "CREATE_VIEW", columns=[], lines=[], header=False)


def _drop(ctx: Context, tree: exp.Drop) -> Outcome:
    kind = (tree.args.get("kind") or "").upper()
    node = (tree.args.get("tables") or [tree.this])[0]
    catalog = cat.Catalog(ctx.account, ctx.region)
    if kind in ("DATABASE", "SCHEMA"):
        name = (node.name or node.db).lower()
        if not catalog.has_database(name):
            if tree.args.get("exists"):
                return Outcome("DDL", "DROP_DATABASE", columns=[], lines=[], header=False)
            raise QueryError("SCHEMA_NOT_FOUND", f"Schema '{name}' does not exist", plain=False)
        tables = catalog.table_names(name)
        if tables and not tree.args.get("cascade"):
            raise QueryError("DDL_FAILED", f"InvalidOperationException: Database {name} is not empty. One or more "
                                           "tables exist.")
        for table in tables:
            ctx.catalog_writer.delete_table(name, table)
        ctx.catalog_writer.delete_database(name)
        return Outcome("DDL", "DROP_DATABASE", columns=[], lines=[], header=False)
    if kind in ("TABLE", "VIEW"):
        db, name = _table_name(node, ctx)
        found = catalog.fake_table(db, name)
        table = catalog.table(db, name)
        if table is None:
            if tree.args.get("exists"):
                return Outcome("DDL", f"DROP_{kind}", columns=[], lines=[], header=False)
            what = "View" if kind == "VIEW" else "Table"
            raise QueryError("TABLE_NOT_FOUND", f"{what} 'awsdatacatalog.{db}.{name}' does not exist",
                             *plan.identifier_position(ctx.sql, node))
        if kind == "VIEW" and not table.is_view:
            raise QueryError("NOT_SUPPORTED", f"'awsdatacatalog.{db}.{name}' is a table; use DROP TABLE")
        if kind == "TABLE" and table.is_view:
            raise QueryError("NOT_SUPPORTED", f"'awsdatacatalog.{db}.{name}' is a view; use DROP VIEW")
        ctx.catalog_writer.delete_table(db, found.name)
        return Outcome("DDL", f"DROP_{kind}", columns=[], lines=[], header=False)
    raise QueryError("NOT_SUPPORTED", f"DROP {kind} is not supported by the local Athena")


def _require_table(ctx: Context, db: str, name: str, node: exp.Expression | None = None) -> cat.Table:
    catalog = cat.Catalog(ctx.account, ctx.region)
    table = catalog.table(db, name)
    if table is None:
        line, col = plan.identifier_position(ctx.sql, node) if node is not None else plan.text_position(ctx.sql, name)
        if not catalog.has_database(db):
            raise QueryError("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", line, col)
        raise QueryError("TABLE_NOT_FOUND", f"Table 'awsdatacatalog.{db}.{name}' does not exist", line, col)
    return table


def _describe(ctx: Context, tree: exp.Describe) -> Outcome:
    node = tree.this
    if not isinstance(node, exp.Table):
        raise QueryError("NOT_SUPPORTED", "DESCRIBE takes a table name")
    db, name = _table_name(node, ctx)
    table = _require_table(ctx, db, name, node)

    def line(column: str, hive_type: str, comment: str = "") -> str:
        return f"{column:<20}\t{hive_type:<20}\t{comment}"

    lines = [line(c, t, table.comments.get(c, "")) for c, t in table.columns]
    if table.partition_keys:
        lines += [line(c, t, table.comments.get(c, "")) for c, t in table.partition_keys]
        lines += ["", "# Partition Information", line("# col_name", "data_type", "comment"), ""]
        lines += [line(c, t, table.comments.get(c, "")) for c, t in table.partition_keys]
    return Outcome("UTILITY", "DESCRIBE_TABLE", columns=text_columns("col_name"), lines=lines, header=False)


def _show(ctx: Context) -> Outcome:
    text = ctx.sql.strip().rstrip(";").strip()
    catalog = cat.Catalog(ctx.account, ctx.region)

    def like(pattern: str | None, names: list[str]) -> list[str]:
        if not pattern:
            return names
        regex = re.compile("|".join("(?:" + p.replace("*", ".*") + ")" for p in pattern.split("|")), re.IGNORECASE)
        return [n for n in names if regex.fullmatch(n)]

    def split_name(raw: str) -> tuple[str, str]:
        parts = [p.strip('"`') for p in raw.split(".")]
        return (parts[-2].lower() if len(parts) > 1 else ctx.database.lower()), parts[-1].lower()

    m = re.fullmatch(r"(?is)SHOW\s+(?:DATABASES|SCHEMAS)(?:\s+(?:FROM|IN)\s+\S+)?(?:\s+LIKE)?(?:\s+'([^']*)')?", text)
    if m:
        return Outcome("DDL", "SHOW_DATABASES", columns=text_columns("database_name"),
                       lines=like(m.group(1), catalog.databases()), header=False)
    m = re.fullmatch(r"(?is)SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+([\w\"`]+))?(?:\s+LIKE)?(?:\s+'([^']*)')?", text)
    if m:
        db = (m.group(1) or ctx.database).strip('"`').lower()
        names = [t for t in catalog.table_names(db)]
        return Outcome("DDL", "SHOW_TABLES", columns=text_columns("tab_name"), lines=like(m.group(2), names), header=False)
    m = re.fullmatch(r"(?is)SHOW\s+VIEWS(?:\s+(?:IN|FROM)\s+([\w\"`]+))?(?:\s+LIKE)?(?:\s+'([^']*)')?", text)
    if m:
        db = (m.group(1) or ctx.database).strip('"`').lower()
        names = [t for t in catalog.table_names(db) if getattr(catalog.table(db, t), "is_view", False)]
        return Outcome("DDL", "SHOW_VIEWS", columns=text_columns("views"), lines=like(m.group(2), names), header=False)
    m = re.fullmatch(r"(?is)SHOW\s+PARTITIONS\s+([\w\"`.]+)", text)
    if m:
        db, name = split_name(m.group(1))
        table = _require_table(ctx, db, name)
        if not table.partition_keys:
            raise QueryError("NOT_SUPPORTED", f"Table {db}.{name} is not partitioned", plain=False)
        partitions = sorted(catalog.partitions(db, name), key=lambda p: p.values)
        lines = ["/".join(f"{k}={v}" for (k, _), v in zip(table.partition_keys, p.values)) for p in partitions]
        return Outcome("DDL", "SHOW_PARTITIONS", columns=text_columns("partition"), lines=lines, header=False)
    m = re.fullmatch(r"(?is)SHOW\s+COLUMNS\s+(?:IN|FROM)\s+([\w\"`.]+)(?:\s+(?:IN|FROM)\s+([\w\"`]+))?", text)
    if m:
        db, name = split_name(m.group(1))
        if m.group(2):
            db = m.group(2).strip('"`').lower()
        table = _require_table(ctx, db, name)
        return Outcome("DDL", "SHOW_COLUMNS", columns=text_columns("field"),
                       lines=[c for c, _ in table.all_columns], header=False)
    m = re.fullmatch(r"(?is)SHOW\s+TBLPROPERTIES\s+([\w\"`.]+)(?:\s*\(\s*'([^']*)'\s*\))?", text)
    if m:
        db, name = split_name(m.group(1))
        table = _require_table(ctx, db, name)
        props = table.parameters
        keys = [m.group(2)] if m.group(2) else sorted(props)
        return Outcome("DDL", "SHOW_TBLPROPERTIES", columns=text_columns("prpt_name", "prpt_value"),
                       lines=[f"{k}\t{props.get(k, '')}" for k in keys], header=False)
    m = re.fullmatch(r"(?is)SHOW\s+CREATE\s+(TABLE|VIEW)\s+([\w\"`.]+)", text)
    if m:
        db, name = split_name(m.group(2))
        table = _require_table(ctx, db, name)
        return Outcome("DDL", "SHOW_CREATE_TABLE", columns=text_columns("createtab_stmt"),
                       lines=show_create(table).split("\n"), header=False)
    raise QueryError("NOT_SUPPORTED", f"The local Athena does not support: {text[:80]}")


def show_create(table: cat.Table) -> str:
    if table.is_view:
        view = plan.decode_view(table.view_original_text) or {}
        return f'CREATE VIEW "{table.database}"."{table.name}" AS\n{view.get("originalSql", "")}'
    lines = [f"CREATE EXTERNAL TABLE `{table.database}`.`{table.name}`("]
    lines += [f"  `{c}` {t}{',' if i < len(table.columns) - 1 else ')'}" for i, (c, t) in enumerate(table.columns)]
    if table.partition_keys:
        lines.append("PARTITIONED BY ( ")
        lines += [f"  `{c}` {t}{',' if i < len(table.partition_keys) - 1 else ')'}" for i, (c, t) in enumerate(table.partition_keys)]
    lines += ["ROW FORMAT SERDE ", f"  '{table.serde}' "]
    if table.serde_params:
        lines.append("WITH SERDEPROPERTIES ( ")
        items = sorted(table.serde_params.items())
        lines += [f"  '{k}'='{v}'{',' if i < len(items) - 1 else ')'}" for i, (k, v) in enumerate(items)]
    output = (table.raw.get("StorageDescriptor") or {}).get("OutputFormat", "")
    lines += ["STORED AS INPUTFORMAT ", f"  '{table.input_format}' ", "OUTPUTFORMAT ", f"  '{output}'"]
    if table.location:
        lines += ["LOCATION", f"  '{table.location}'"]
    if table.parameters:
        lines.append("TBLPROPERTIES (")
        items = sorted(table.parameters.items())
        lines += [f"  '{k}'='{v}'{',' if i < len(items) - 1 else ')'}" for i, (k, v) in enumerate(items)]
    return "\n".join(lines)


_SPEC = re.compile(r"(?is)PARTITION\s*\((.*?)\)(?:\s*LOCATION\s*'([^']*)')?")


def _partition_spec(text: str, table: cat.Table) -> list[str]:
    values: dict[str, str] = {}
    for part in re.finditer(r"""(?is)\s*([\w"`]+)\s*=\s*('(?:[^']|'')*'|[^,]+)\s*(?:,|$)""", text):
        key = part.group(1).strip('"`').lower()
        raw = part.group(2).strip()
        values[key] = raw[1:-1].replace("''", "'") if raw.startswith("'") else raw
    keys = [k for k, _ in table.partition_keys]
    if set(values) != set(keys):
        raise QueryError("INVALID_ARGUMENTS", f"Partition spec {sorted(values)} does not match the partition keys "
                                              f"{keys} of {table.fqn}")
    return [values[k] for k in keys]


def _alter(ctx: Context) -> Outcome:
    text = ctx.sql.strip().rstrip(";").strip()
    m = re.match(r"(?is)ALTER\s+TABLE\s+([\w\"`.]+)\s+(ADD|DROP)\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(.*)$", text)
    if not m:
        raise QueryError("NOT_SUPPORTED", "The local Athena supports ALTER TABLE ... ADD PARTITION and DROP PARTITION")
    parts = [p.strip('"`') for p in m.group(1).split(".")]
    db, name = (parts[-2].lower() if len(parts) > 1 else ctx.database.lower()), parts[-1].lower()
    table = _require_table(ctx, db, name)
    if not table.partition_keys:
        raise QueryError("NOT_SUPPORTED", f"Table {table.fqn} is not partitioned")
    conditional = bool(m.group(3))
    specs = list(_SPEC.finditer(m.group(4)))
    if not specs:
        raise QueryError("SYNTAX_ERROR", "Expecting PARTITION (key = value, ...)")
    catalog = cat.Catalog(ctx.account, ctx.region)
    existing = {tuple(p.values) for p in catalog.partitions(db, name)}
    if m.group(2).upper() == "ADD":
        inputs, seen = [], set()
        for spec in specs:
            values = _partition_spec(spec.group(1), table)
            if tuple(values) in existing or tuple(values) in seen:
                if conditional:
                    continue
                raise QueryError("ALREADY_EXISTS", f"Partition already exists: {values}")
            seen.add(tuple(values))
            location = spec.group(2) or cat.partition_location(table, cat.Partition(values, None))
            sd = dict(table.raw.get("StorageDescriptor") or {})
            sd["Location"] = location
            inputs.append({"Values": values, "StorageDescriptor": sd})
        if inputs:
            ctx.catalog_writer.create_partitions(db, table.name, inputs)
        return Outcome("DDL", "ALTER_TABLE_ADD_PARTITION", columns=[], lines=[], header=False)
    drop = []
    for spec in specs:
        values = _partition_spec(spec.group(1), table)
        if tuple(values) not in existing:
            if conditional:
                continue
            raise QueryError("DDL_FAILED", f"No partition is dropped: partition {values} does not exist")
        drop.append(values)
    if drop:
        ctx.catalog_writer.delete_partitions(db, table.name, drop)
    return Outcome("DDL", "ALTER_TABLE_DROP_PARTITION", columns=[], lines=[], header=False)


def _msck(ctx: Context) -> Outcome:
    text = ctx.sql.strip().rstrip(";").strip()
    m = re.fullmatch(r"(?is)MSCK\s+REPAIR\s+TABLE\s+([\w\"`.]+)", text)
    if not m:
        raise QueryError("SYNTAX_ERROR", "Expecting MSCK REPAIR TABLE <table>", 1, 1)
    parts = [p.strip('"`') for p in m.group(1).split(".")]
    db, name = (parts[-2].lower() if len(parts) > 1 else ctx.database.lower()), parts[-1].lower()
    table = _require_table(ctx, db, name)
    if not table.partition_keys or not table.location:
        return Outcome("DDL", "MSCK_REPAIR_TABLE", columns=text_columns("result"), lines=[], header=False)
    bucket, prefix = storage.split_uri(table.location)
    prefix = storage.folder(prefix)
    keys = [k for k, _ in table.partition_keys]
    try:
        objects = storage.list_objects(ctx.account, ctx.region, bucket, prefix)
    except storage.BucketMissing:
        raise QueryError("HIVE_CANNOT_OPEN_SPLIT", f"The specified bucket does not exist: {bucket}") from None
    from urllib.parse import unquote

    found: dict[tuple, str] = {}
    for obj in objects:
        rest = obj.key[len(prefix):].split("/")
        if len(rest) <= len(keys) or not storage.is_data_file("/".join(rest[len(keys):])):
            continue
        values = []
        for key, segment in zip(keys, rest):
            k, eq, v = segment.partition("=")
            if not eq or k.lower() != key:
                break
            values.append(unquote(v))
        else:
            found.setdefault(tuple(values), f"s3://{bucket}/{prefix}" + "/".join(rest[:len(keys)]) + "/")
    existing = {tuple(p.values) for p in cat.Catalog(ctx.account, ctx.region).partitions(db, name)}
    missing = sorted(v for v in found if v not in existing)
    lines = []
    if missing:
        described = ["/".join(f"{k}={v}" for k, v in zip(keys, values)) for values in missing]
        lines.append("Partitions not in metastore:\t" + "\t".join(f"{name}:{d}" for d in described))
        sd = dict(table.raw.get("StorageDescriptor") or {})
        ctx.catalog_writer.create_partitions(db, table.name, [
            {"Values": list(values), "StorageDescriptor": {**sd, "Location": found[values]}} for values in missing])
        lines += [f"Repair: Added partition to metastore {name}:{d}" for d in described]
    return Outcome("DDL", "MSCK_REPAIR_TABLE", columns=text_columns("result"), lines=lines, header=False)


def new_query_id() -> str:
    return str(uuid.uuid4())
