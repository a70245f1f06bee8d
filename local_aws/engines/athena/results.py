"""Result files where Athena writes them, and ``GetQueryResults`` pages read back from them.

For a query id ``Q`` and output location ``O/``:

* SELECT: ``O/Q.csv`` -- a header of quoted column names, every value quoted,
  NULL as an empty unquoted field -- and ``O/Q.csv.metadata``;
* DDL and utility statements: ``O/Q.txt`` (one result row a line, tab-separated
  cells, no header) and ``O/Q.txt.metadata``;
* CTAS, INSERT INTO, UNLOAD: ``O/Q-manifest.csv`` (the data files written) and
  ``O/Q.metadata``; the query's ``OutputLocation`` is ``O/Q``, an object that is
  never written, as on AWS.

Athena's ``.metadata`` files are a binary format of its own that only Athena
reads; here they hold the ColumnInfo as JSON.

``GetQueryResults`` reads the result file back (so it works after a restart)
and keeps recently read results in memory. Only a SELECT's first page starts
with the header row; pages hold at most ``MaxResults`` (<= 1000) rows, header
included.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import OrderedDict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .types import java_double, render

CACHE_CELLS = 2_000_000  # cells of rendered results kept in memory


def render_columns(table: pa.Table, types: list[Any]) -> list[list[str | None]]:
    """Each column of a typed result as Athena's text, NULL as None."""
    out = []
    for column, duck in zip(table.columns, types):
        type_id = getattr(duck, "id", "")
        arrow = column.type
        if pa.types.is_dictionary(arrow):
            column = column.cast(arrow.value_type)
            arrow = column.type
        if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
            out.append(column.to_pylist())
        elif type_id in ("boolean", "tinyint", "smallint", "integer", "bigint", "date", "decimal", "uuid") or \
                pa.types.is_integer(arrow) or pa.types.is_boolean(arrow) or pa.types.is_date(arrow) or \
                pa.types.is_decimal(arrow):
            out.append(pc.cast(column, pa.string()).to_pylist())
        elif pa.types.is_timestamp(arrow):
            tz = arrow.tz
            naive = column.cast(pa.timestamp(arrow.unit, tz=tz))
            if arrow.unit != "ms":
                naive = pc.floor_temporal(naive, unit="millisecond") if arrow.unit in ("us", "ns") else naive
                naive = naive.cast(pa.timestamp("ms", tz=tz), safe=False)
            text = pc.strftime(naive, format="%Y-%m-%d %H:%M:%S").to_pylist()
            if tz is not None:
                text = [None if t is None else t + " UTC" for t in text]
            out.append(text)
        elif pa.types.is_floating(arrow):
            single = pa.types.is_float32(arrow)
            out.append([None if v is None else java_double(v, single) for v in column.to_pylist()])
        else:
            out.append([render(v) for v in column.to_pylist()])
    return out


def csv_text(names: list[str], columns: list[list[str | None]]) -> bytes:
    def quote(value: str | None) -> str:
        return "" if value is None else '"' + value.replace('"', '""') + '"'

    lines = [",".join(quote(n) for n in names)]
    for row in zip(*columns) if columns else []:
        lines.append(",".join(quote(v) for v in row))
    return ("\n".join(lines) + "\n").encode()


_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^",\n]*)')


def parse_csv(data: bytes) -> list[list[str | None]]:
    """Rows of an Athena result CSV; an empty unquoted field is NULL, ``""`` is the empty string."""
    text = data.decode("utf-8")
    rows, row, pos, n = [], [], 0, len(text)
    while pos < n:
        match = _FIELD.match(text, pos)
        quoted, plain = match.group(1), match.group(2)
        if quoted is not None:
            row.append(quoted.replace('""', '"'))
        else:
            row.append(plain if plain else None)
        pos = match.end()
        if pos >= n:
            rows.append(row)
            break
        sep = text[pos]
        pos += 1
        if sep == "\n":
            rows.append(row)
            row = []
    return rows


def txt_text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + ("\n" if lines else "")).encode()


def parse_txt(data: bytes) -> list[list[str | None]]:
    text = data.decode("utf-8")
    if not text:
        return []
    return [[line] for line in text[:-1].split("\n")] if text.endswith("\n") else [[line] for line in text.split("\n")]


class ResultCache:
    """Rendered rows of recent results (header row first for a SELECT)."""

    def __init__(self) -> None:
        self._rows: OrderedDict[str, list[list[str | None]]] = OrderedDict()
        self._cells = 0
        self._lock = threading.Lock()

    def put(self, query_id: str, rows: list[list[str | None]]) -> None:
        cells = sum(len(r) for r in rows)
        if cells > CACHE_CELLS:
            return
        with self._lock:
            self._drop(query_id)
            self._rows[query_id] = rows
            self._cells += cells
            while self._cells > CACHE_CELLS and self._rows:
                oldest = next(iter(self._rows))
                self._drop(oldest)

    def _drop(self, query_id: str) -> None:
        rows = self._rows.pop(query_id, None)
        if rows is not None:
            self._cells -= sum(len(r) for r in rows)

    def get(self, query_id: str) -> list[list[str | None]] | None:
        with self._lock:
            rows = self._rows.get(query_id)
            if rows is not None:
                self._rows.move_to_end(query_id)
            return rows

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._cells = 0


def page_token(query_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"q": query_id, "o": offset}).encode()).decode()


def read_token(query_id: str, token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["q"] != query_id or int(data["o"]) < 0:
            raise ValueError
        return int(data["o"])
    except (ValueError, KeyError, TypeError):
        from ...dispatch import AwsError

        raise AwsError("InvalidRequestException", "Invalid NextToken: it was not given for this query.") from None


def row(values: list[str | None]) -> dict[str, Any]:
    return {"Data": [{} if v is None else {"VarCharValue": v} for v in values]}
