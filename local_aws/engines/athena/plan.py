"""From Athena SQL to a DuckDB query over Arrow tables read from S3.

``Planner.prepare`` takes a parsed query (sqlglot, Athena dialect = Trino for
DML) and:

1. expands catalog views (``/* Presto View: <base64 JSON> */``) into subqueries;
2. resolves every table reference against the Data Catalog (``TABLE_NOT_FOUND``
   / ``SCHEMA_NOT_FOUND`` with Athena's line:column otherwise);
3. works out, per reference, the columns the query uses (column projection)
   and which catalog partitions the ``WHERE`` clause can match (partition
   pruning: the conjuncts that only involve partition keys are evaluated by
   DuckDB against the partition values; a reference on the null-supplying side
   of an outer join is never pruned);
4. replaces each reference by a subquery over the Arrow table read for it, with
   every column cast to its catalog type.

``to_duckdb`` then writes the tree in DuckDB's dialect, after the rewrites that
make DuckDB answer as Trino does: unnamed result columns are ``_col0``,
``_col1``...; ``date_add``/``+ INTERVAL`` on a DATE stays a DATE; ``at_timezone``
and ``format_datetime`` (Joda patterns) are spelled in DuckDB's terms. Integer
division and UTC come from the DuckDB session (see ``engine``).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlglot import exp

from .catalog import Catalog, Partition, Table
from .errors import QueryError
from .types import hive_to_duckdb

DIALECT = "athena"
MAX_VIEW_DEPTH = 16


@dataclass
class Occurrence:
    """One table reference of the query, and what must be read for it."""

    node: exp.Table
    table: Table
    relation: str  # name of the Arrow table registered in DuckDB
    columns: list[str] = field(default_factory=list)
    partitions: list[Partition] | None = None  # None: unpartitioned
    conjuncts: list[exp.Expression] = field(default_factory=list)


def identifier_position(sql: str, node: exp.Expression | None) -> tuple[int | None, int | None]:
    """Line and column (1-based) where ``node`` starts in the query text, when sqlglot kept its position."""
    if node is None:
        return None, None
    idents = [node] if isinstance(node, exp.Identifier) else list(node.find_all(exp.Identifier))
    best = None
    for ident in idents:
        meta = ident.meta or {}
        if "line" in meta and "col" in meta:
            start = meta.get("start")
            if best is None or (start is not None and best.get("start") is not None and start < best["start"]):
                best = meta
    if best is None:
        return None, None
    width = (best.get("end", 0) - best.get("start", 0)) if "start" in best else 0
    return best["line"], max(1, best["col"] - width)


def text_position(sql: str, word: str) -> tuple[int | None, int | None]:
    match = re.search(r'(?<![\w"])"?' + re.escape(word) + r'"?(?!\w)', sql, re.IGNORECASE)
    if not match:
        return None, None
    before = sql[:match.start()]
    return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1


# --- views ------------------------------------------------------------------------------------------

VIEW_PREFIX = "/* Presto View: "
VIEW_SUFFIX = " */"


def encode_view(original_sql: str, database: str, columns: list[dict[str, str]]) -> str:
    """``ViewOriginalText`` as Athena writes it for a view."""
    payload = {"originalSql": original_sql, "catalog": "awsdatacatalog", "schema": database, "columns": columns,
               "owner": "local_aws", "runAsInvoker": False, "properties": {}}
    return VIEW_PREFIX + base64.b64encode(json.dumps(payload).encode()).decode() + VIEW_SUFFIX


def decode_view(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    body = text.strip()
    if body.startswith(VIEW_PREFIX) and body.endswith(VIEW_SUFFIX):
        try:
            return json.loads(base64.b64decode(body[len(VIEW_PREFIX):-len(VIEW_SUFFIX)]))
        except ValueError:
            return None
    return {"originalSql": body, "schema": None}


def parse_one(sql: str) -> exp.Expression:
    import sqlglot

    return sqlglot.parse_one(sql, read=DIALECT)


# --- the planner ---------------------------------------------------------------------------------------


class Planner:
    def __init__(self, catalog: Catalog, database: str, sql: str):
        self.catalog, self.database, self.sql = catalog, database, sql
        self.occurrences: list[Occurrence] = []
        self.virtual: dict[str, Any] = {}  # relation -> Arrow table built here (information_schema)

    # -- resolving -------------------------------------------------------------------

    def resolve(self, node: exp.Table, default_db: str | None = None) -> Table | None:
        """The catalog table a reference names (None for information_schema); raises Athena's not-found errors."""
        catalog_name = node.catalog
        if catalog_name and catalog_name.lower() != "awsdatacatalog":
            line, col = identifier_position(self.sql, node)
            raise QueryError("CATALOG_NOT_FOUND", f"Catalog '{catalog_name.lower()}' does not exist", line, col)
        db = (node.db or default_db or self.database or "default").lower()
        name = node.name.lower()
        if db == "information_schema":
            return None
        table = self.catalog.table(db, name)
        if table is None:
            line, col = identifier_position(self.sql, node)
            if not self.catalog.has_database(db):
                raise QueryError("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", line, col)
            raise QueryError("TABLE_NOT_FOUND", f"Table 'awsdatacatalog.{db}.{name}' does not exist", line, col)
        return table

    def prepare(self, tree: exp.Expression) -> exp.Expression:
        tree = self._expand_views(tree, depth=0, default_db=None)
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        refs = [t for t in tree.find_all(exp.Table)
                if isinstance(t.this, exp.Identifier) and not (not t.db and t.name.lower() in ctes)
                and not isinstance(t.parent, (exp.Into,))]
        for node in refs:
            default_db = node.meta.get("view_db") if node.meta else None
            table = self.resolve(node, default_db)
            relation = f"__rel{len(self.occurrences) + len(self.virtual)}"
            if table is None:
                self.virtual[relation] = information_schema(self.catalog, node.name.lower(), self.sql, node)
                replace_with_relation(node, relation)
                continue
            self.occurrences.append(Occurrence(node, table, relation))
        used = _used_names(tree)
        for occ in self.occurrences:
            occ.columns = self._columns_for(occ, used)
            if occ.table.partition_keys:
                occ.conjuncts = self._prunable(occ)
        self._check_comparisons(tree)
        return tree

    def _check_comparisons(self, tree: exp.Expression) -> None:
        """Trino refuses ``integer = 'x'`` and ``varchar = 6`` (TYPE_MISMATCH) where DuckDB would cast.

        Checked only where a column surely is a catalog column: in a SELECT whose FROM and JOINs are all
        catalog tables, with a name only one of them has.
        """
        by_select: dict[int, list[Occurrence]] = {}
        for occ in self.occurrences:
            select = occ.node.find_ancestor(exp.Select)
            if select is not None:
                by_select.setdefault(id(select), []).append(occ)
        for select in tree.find_all(exp.Select):
            occs = by_select.get(id(select), [])
            sources = [select.args.get("from_") or select.args.get("from")] + list(select.args.get("joins") or [])
            relations = [s.this for s in sources if s is not None]
            if not occs or len(relations) != len(occs) or not all(isinstance(r, exp.Table) for r in relations):
                continue
            types: dict[str, list[str]] = {}
            for occ in occs:
                for name, hive_type in occ.table.all_columns:
                    types.setdefault(name, []).append(hive_type)
            for node in select.find_all(exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE):
                if node.find_ancestor(exp.Select) is not select:
                    continue
                for column, literal in ((node.left, node.right), (node.right, node.left)):
                    if not isinstance(column, exp.Column) or not isinstance(literal, exp.Literal):
                        continue
                    known = types.get(column.name.lower(), [])
                    if len(known) != 1:
                        continue
                    col_type = _trino_type(known[0])
                    textual = col_type.startswith(("varchar", "char"))
                    if literal.is_string == textual:
                        continue
                    lit_type = f"varchar({len(literal.this)})" if literal.is_string else _number_type(literal.this)
                    left, right = (col_type, lit_type) if column is node.left else (lit_type, col_type)
                    line, col = identifier_position(self.sql, node.left if isinstance(node.left, exp.Column) else node.right)
                    raise QueryError("TYPE_MISMATCH", f"Cannot apply operator: {left} {_OPERATORS[type(node)]} {right}",
                                     line, col)

    def _expand_views(self, tree: exp.Expression, depth: int, default_db: str | None) -> exp.Expression:
        if depth > MAX_VIEW_DEPTH:
            raise QueryError("GENERIC_USER_ERROR", "View definitions nest too deeply (a view that refers to itself?)")
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for node in list(tree.find_all(exp.Table)):
            if not isinstance(node.this, exp.Identifier) or (not node.db and node.name.lower() in ctes):
                continue
            if default_db and not node.db:
                node.meta["view_db"] = default_db
            table = self.resolve(node, default_db)
            if table is None or not table.is_view:
                continue
            view = decode_view(table.view_original_text)
            if view is None or not view.get("originalSql"):
                raise QueryError("GENERIC_USER_ERROR", f"View '{table.fqn}' has no definition the local Athena can read")
            try:
                body = parse_one(view["originalSql"])
            except Exception as exc:
                raise QueryError("GENERIC_USER_ERROR", f"View '{table.fqn}' is stale or invalid: {exc}") from None
            body = self._expand_views(body, depth + 1, (view.get("schema") or table.database))
            alias = node.alias or table.name
            subquery = exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))
            if node is tree:
                return body
            node.replace(subquery)
        return tree

    # -- projection -----------------------------------------------------------------------------

    def _columns_for(self, occ: Occurrence, used: set[str]) -> list[str]:
        names = [c for c, _ in occ.table.columns]
        if _star_covers(occ.node):
            return names
        return [c for c in names if c in used]

    # -- pruning ------------------------------------------------------------------------------------

    def _prunable(self, occ: Occurrence) -> list[exp.Expression]:
        """WHERE conjuncts that only involve this reference's partition keys, renamed to those keys.

        Also looks through derived tables (subqueries, expanded views) the reference sits in, as Athena
        pushes filters into views: a filter on a column the subquery passes through unchanged (or groups
        by) filters the reference the same way.
        """
        keys = {k for k, _ in occ.table.partition_keys}
        mapping = {k: k for k in keys}  # column name visible at this level -> partition key
        qualifiers = {"", (occ.node.alias_or_name or "").lower(), occ.table.name}
        select, source = occ.node.find_ancestor(exp.Select), occ.node
        found: list[exp.Expression] = []
        while select is not None and mapping:
            if not _filters_reach(select, source):
                break
            where = select.args.get("where")
            for conjunct in _conjuncts(where.this) if where is not None else []:
                if conjunct.find(exp.Subquery, exp.Select, exp.AggFunc, exp.Window):
                    continue
                columns = list(conjunct.find_all(exp.Column))
                if columns and all(c.name.lower() in mapping and (c.table or "").lower() in qualifiers for c in columns):
                    renamed = conjunct.copy()
                    for column in list(renamed.find_all(exp.Column)):
                        column.replace(exp.column(mapping[column.name.lower()], quoted=True))
                    found.append(renamed)
            # One level up: what this SELECT passes on to the query around it.
            subquery = select.parent
            if not isinstance(subquery, exp.Subquery) or not isinstance(subquery.parent, (exp.From, exp.Join)):
                break
            if select.args.get("limit") or select.args.get("offset") or select.find(exp.Window):
                break
            group = select.args.get("group")
            grouped = {g.name.lower() for g in (group.expressions if group else []) if isinstance(g, exp.Column)}
            if group is None and any(p.find(exp.AggFunc) for p in select.expressions):
                break  # a global aggregate: its one row does not come from filtered rows
            passed: dict[str, str] = {}
            for projection in select.expressions:
                if isinstance(projection, exp.Star) and group is None:
                    passed.update(mapping)
                    continue
                inner = projection.this if isinstance(projection, exp.Alias) else projection
                if not isinstance(inner, exp.Column) or inner.name.lower() not in mapping \
                        or (inner.table or "").lower() not in qualifiers:
                    continue
                if group is not None and inner.name.lower() not in grouped:
                    continue
                passed[projection.alias_or_name.lower()] = mapping[inner.name.lower()]
            mapping = passed
            qualifiers = {"", (subquery.alias_or_name or "").lower()}
            source = subquery
            select = subquery.find_ancestor(exp.Select)
        return found

    def prune(self, occ: Occurrence, evaluate: Callable[[str], list[int]]) -> None:
        """Keep the partitions the WHERE conjuncts can match; ``evaluate`` runs SQL over ``__parts``."""
        partitions = self.catalog.partitions(occ.table.database, occ.table.name)
        occ.partitions = partitions
        if not occ.conjuncts or not partitions:
            return
        condition = exp.and_(*occ.conjuncts)
        try:
            where = to_duckdb(condition)
            keep = set(evaluate(where))
        except Exception:
            return  # cannot be decided on partition values alone: read them all, DuckDB filters
        occ.partitions = [p for i, p in enumerate(partitions) if i in keep]


_OPERATORS = {exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}


def _trino_type(hive_type: str) -> str:
    t = hive_type.lower()
    return {"string": "varchar", "int": "integer", "float": "real", "binary": "varbinary",
            "timestamp": "timestamp(3)"}.get(t, t)


def _number_type(text: str) -> str:
    if "e" in text.lower():
        return "double"
    if "." in text:
        whole, _, fraction = text.partition(".")
        return f"decimal({len(whole.lstrip('-')) + len(fraction)},{len(fraction)})"
    return "integer" if abs(int(text)) < 2**31 else "bigint"


def _filters_reach(select: exp.Select, source: exp.Expression) -> bool:
    """Whether ``select``'s WHERE filters the rows of ``source`` (a table or subquery in its FROM/JOINs)."""
    joins = select.args.get("joins") or []
    if any((j.args.get("side") or "").upper() in ("RIGHT", "FULL") for j in joins):
        return False
    join = source.parent if isinstance(source.parent, exp.Join) else None
    if join is not None and (join.args.get("side") or "").upper() == "LEFT":
        return False  # the null-supplying side: WHERE may keep its NULL rows
    return isinstance(source.parent, (exp.From, exp.Join))


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    return [node]


def _used_names(tree: exp.Expression) -> set[str]:
    """Every name a column reference could mean (over-approximated: qualifiers and struct paths too)."""
    names = set()
    for column in tree.find_all(exp.Column):
        for part in column.parts:
            if isinstance(part, exp.Identifier):
                names.add(part.name.lower())
    for ident in tree.find_all(exp.Identifier):  # USING (a), lambda bodies, struct dereferences
        if not isinstance(ident.parent, (exp.Table, exp.TableAlias)):
            names.add(ident.name.lower())
    return names


def _star_covers(node: exp.Table) -> bool:
    select = node.find_ancestor(exp.Select)
    if select is None:
        return True
    alias = (node.alias_or_name or "").lower()
    for projection in select.expressions:
        if isinstance(projection, exp.Star):
            return True
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            if (projection.table or "").lower() in (alias, node.name.lower()):
                return True
    return False


def replace_with_relation(node: exp.Table, relation: str, alias: str | None = None) -> None:
    """Put the registered relation where the catalog table was, under the name the query uses for it."""
    alias = alias or node.alias or node.name
    node.replace(exp.Table(this=exp.to_identifier(relation), alias=exp.TableAlias(this=exp.to_identifier(alias))))


def relation_sql(occ: Occurrence, source_kinds: dict[str, str]) -> str:
    """The DuckDB SELECT giving one table reference its catalog columns and types."""
    parts = []
    types = dict(occ.table.all_columns)
    for name in occ.columns + [k for k, _ in occ.table.partition_keys]:
        duck = hive_to_duckdb(types[name])
        quoted = '"' + name.replace('"', '""') + '"'
        kind = source_kinds.get(name, "native")
        if duck == "VARCHAR" and kind in ("text", "partition"):
            expr = f"CAST({quoted} AS VARCHAR)"
        elif kind == "native":
            expr = f"CAST({quoted} AS {duck})"
        elif kind == "json":
            expr = f"CAST(CAST({quoted} AS JSON) AS {duck})"
        else:
            expr = f"TRY_CAST({quoted} AS {duck})"
        if duck == "TIMESTAMP" and kind != "native":  # Athena's timestamps are milliseconds (scan truncates Parquet's)
            expr = f"CAST(CAST({expr} AS TIMESTAMP_MS) AS TIMESTAMP)"
        parts.append(f"{expr} AS {quoted}")
    return f"SELECT {', '.join(parts) or 'NULL AS __none'} FROM {occ.relation}_src"


# --- rewrites for DuckDB -------------------------------------------------------------------------------------


_JODA = [("yyyy", "%Y"), ("YYYY", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dd", "%d"),
         ("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("SSS", "%g"), ("EEEE", "%A"), ("EEE", "%a"),
         ("a", "%p"), ("D", "%j"), ("M", "%-m"), ("d", "%-d"), ("H", "%-H"), ("m", "%-M"), ("s", "%-S"), ("Z", "%z")]


def joda_to_strftime(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "'":
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            out.append(pattern[i + 1:end].replace("%", "%%") or "'")
            i = end + 1
            continue
        for joda, strf in _JODA:
            if pattern.startswith(joda, i):
                out.append(strf)
                i += len(joda)
                break
        else:
            out.append("%%" if pattern[i] == "%" else pattern[i])
            i += 1
    return "".join(out)


def _is_date(node: exp.Expression, date_columns: set[str]) -> bool:
    if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.DATE:
        return True
    if isinstance(node, (exp.CurrentDate, exp.Date, exp.DateFromParts, exp.TsOrDsToDate, exp.StrToDate)):
        return True
    if isinstance(node, exp.Column) and node.name.lower() in date_columns:
        return True
    if isinstance(node, exp.Paren):
        return _is_date(node.this, date_columns)
    if isinstance(node, (exp.DateAdd, exp.DateSub, exp.TsOrDsAdd)):
        return _is_date(node.this, date_columns) and _unit(node) in ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
    return False


def _unit(node: exp.Expression) -> str:
    unit = node.args.get("unit")
    return (unit.name if unit is not None else "DAY").upper()


def _name_projections(select: exp.Select) -> None:
    for i, projection in enumerate(list(select.expressions)):
        if isinstance(projection, (exp.Alias, exp.Star)) or (isinstance(projection, exp.Column)):
            continue
        if isinstance(projection, exp.Dot):  # row field access: Trino names it after the field
            continue
        projection.replace(exp.alias_(projection.copy(), f"_col{i}", quoted=True))


def rewrite(tree: exp.Expression, date_columns: set[str] = frozenset()) -> exp.Expression:
    """Trino semantics that DuckDB's spelling alone would not keep."""
    top = tree
    selects = [top] if isinstance(top, exp.Select) else []
    if isinstance(top, exp.SetOperation):
        left = top
        while isinstance(left, exp.SetOperation):
            left = left.left
        if isinstance(left, exp.Select):
            selects = [left]
    for select in selects:
        _name_projections(select)

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            args = node.expressions
            if name == "at_timezone" and len(args) == 2:
                return exp.func("timezone", args[1], args[0])
            if name == "format_datetime" and len(args) == 2 and isinstance(args[1], exp.Literal):
                return exp.func("strftime", args[0], exp.Literal.string(joda_to_strftime(args[1].this)))
            if name == "from_iso8601_date" and len(args) == 1:
                return exp.cast(args[0], "DATE")
            if name == "map_agg" and len(args) == 2:  # duplicate keys fail ("Map keys must be unique"), never a wrong map
                import sqlglot

                k, v = (a.sql("duckdb") for a in args)
                return sqlglot.parse_one(f"MAP_FROM_ENTRIES(LIST(STRUCT_PACK(key := {k}, value := {v})))", read="duckdb")
            if name == "to_iso8601" and len(args) == 1:
                return exp.func("strftime", args[0], exp.Literal.string("%Y-%m-%dT%H:%M:%S.%g"))
        if isinstance(node, (exp.JSONExtractScalar, exp.JSONExtract)) and not node.meta.get("guarded"):
            # Trino gives NULL for text that is not JSON (and json_extract_scalar for objects and arrays);
            # DuckDB would fail the whole query on the first malformed row.
            inner = node.copy()
            inner.meta["guarded"] = True
            condition = exp.func("json_valid", node.this.copy())
            if isinstance(node, exp.JSONExtractScalar):
                kind = exp.func("json_type", node.this.copy(), node.expression.copy())
                condition = exp.and_(condition, exp.not_(exp.In(this=kind, expressions=[
                    exp.Literal.string("OBJECT"), exp.Literal.string("ARRAY")])))
            return exp.Case(ifs=[exp.If(this=condition, true=inner)])
        if isinstance(node, (exp.DateAdd, exp.DateSub, exp.TsOrDsAdd)) and _is_date(node, date_columns):
            return exp.cast(node.copy(), "DATE")
        if isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.right, exp.Interval) and _is_date(node.left, date_columns):
            unit = node.right.args.get("unit")
            if unit is not None and unit.name.upper() in ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR"):
                return exp.cast(node.copy(), "DATE")
        return node

    return tree.transform(fix, copy=False)


def to_duckdb(tree: exp.Expression) -> str:
    """DuckDB's SQL for ``tree``; a construct sqlglot cannot carry over fails the query instead of being dropped."""
    from sqlglot.errors import ErrorLevel, UnsupportedError

    try:
        return tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise QueryError("NOT_SUPPORTED", f"The local Athena cannot run this construct: {exc}") from None


# --- information_schema -------------------------------------------------------------------------------------


def information_schema(catalog: Catalog, name: str, sql: str, node: exp.Table):
    import pyarrow as pa

    rows: list[dict[str, Any]] = []
    if name == "schemata":
        rows = [{"catalog_name": "awsdatacatalog", "schema_name": d} for d in catalog.databases()]
        rows.append({"catalog_name": "awsdatacatalog", "schema_name": "information_schema"})
    elif name in ("tables", "views", "columns"):
        for db in catalog.databases():
            for t in catalog.table_names(db):
                table = catalog.table(db, t)
                if table is None:
                    continue
                if name == "tables":
                    rows.append({"table_catalog": "awsdatacatalog", "table_schema": db, "table_name": t,
                                 "table_type": "VIEW" if table.is_view else "BASE TABLE"})
                elif name == "views" and table.is_view:
                    view = decode_view(table.view_original_text) or {}
                    rows.append({"table_catalog": "awsdatacatalog", "table_schema": db, "table_name": t,
                                 "view_definition": view.get("originalSql")})
                elif name == "columns":
                    for i, (column, hive_type) in enumerate(table.all_columns, 1):
                        rows.append({"table_catalog": "awsdatacatalog", "table_schema": db, "table_name": t,
                                     "column_name": column, "ordinal_position": i, "column_default": None,
                                     "is_nullable": "YES", "data_type": hive_type,
                                     "comment": table.comments.get(column),
                                     "extra_info": "partition key" if i > len(table.columns) else None})
    else:
        line, col = identifier_position(sql, node)
        raise QueryError("TABLE_NOT_FOUND", f"Table 'awsdatacatalog.information_schema.{name}' does not exist", line, col)
    columns = {
        "schemata": ["catalog_name", "schema_name"],
        "tables": ["table_catalog", "table_schema", "table_name", "table_type"],
        "views": ["table_catalog", "table_schema", "table_name", "view_definition"],
        "columns": ["table_catalog", "table_schema", "table_name", "column_name", "ordinal_position", "column_default",
                    "is_nullable", "data_type", "comment", "extra_info"],
    }[name]
    types = {"ordinal_position": pa.int64()}
    return pa.table({c: pa.array([r.get(c) for r in rows], types.get(c, pa.string())) for c in columns})
