"""The local dashboard viewer: a dashboard's published ``Definition`` rendered as one self-contained HTML page.

URL: ``<endpoint>/_local/quicksight/dashboards/<DashboardId>`` (``?account=&region=``
pick one when several accounts or regions hold that id). ``/_local/`` is no AWS
API path, so it cannot collide with one. ``/_local/quicksight/dashboards`` lists them.

Each visual's data comes from one SQL query over its data set (the catalog
table of a ``RelationalTable``, or the ``CustomSql`` as a sub-query), run
in-process by the kit's Athena engine: dimensions are grouped (a
``DateDimensionField`` truncated to its ``DateGranularity``), measures
aggregated (SUM, AVERAGE, MIN, MAX, COUNT, DISTINCT_COUNT), rows ordered by
the visual's ``SortConfiguration`` (else by the dimensions).

Rendering: line and bar charts as inline SVG, KPIs as a number, tables as HTML
tables; no script and no external resource. Every visual is a
``<section class="visual" data-visual-id data-visual-type data-title>`` whose
``data-points`` attribute holds its rows as JSON (``{"columns": [...], "rows": [[...]]}``),
the machine-checkable truth a browser test reads. An unsupported visual type is
a labelled placeholder (``data-status="unsupported"``); a missing data set or
column or a failing query is a labelled error (``data-status="error"``) with the
reason; the page itself always renders.
"""

from __future__ import annotations

import html
import json
import math
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from ...dispatch import KitResponse
from .api import STORE, VISUAL_TYPES, _arn_id

PREFIX = "/_local/quicksight/dashboards"
AGGREGATIONS = {"SUM": "sum({})", "AVERAGE": "avg({})", "MIN": "min({})", "MAX": "max({})", "COUNT": "count({})",
                "DISTINCT_COUNT": "count(DISTINCT {})"}
GRANULARITY = {"YEAR": "year", "QUARTER": "quarter", "MONTH": "month", "WEEK": "week", "DAY": "day", "HOUR": "hour",
               "MINUTE": "minute", "SECOND": "second"}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


class VisualError(Exception):
    """A visual that cannot be drawn: its message is shown in the page."""


def viewer_url(endpoint: str, dashboard_id: str) -> str:
    return f"{endpoint.rstrip('/')}{PREFIX}/{dashboard_id}"


# --- the WSGI side ---------------------------------------------------------------------------------------


def serve(environ: dict[str, Any]) -> KitResponse:
    """Answer a GET under ``PREFIX``; never raises."""
    try:
        path = environ.get("PATH_INFO", "")
        rest = unquote(path[len(PREFIX):]).strip("/")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if not rest:
            return _page(200, _index_html())
        found = [(a, r, d) for a, r, d in STORE.find_dashboards(rest)
                 if query.get("account", a) == a and query.get("region", r) == r]
        if not found:
            return _page(404, _shell("Dashboard not found", f'<p class="error" data-status="not-found">No dashboard '
                                                            f'{html.escape(rest)} on this endpoint.</p>'))
        if len(found) > 1:
            choices = "".join(f'<li><a href="?account={html.escape(a)}&amp;region={html.escape(r)}">'
                              f'{html.escape(a)} / {html.escape(r)}</a></li>' for a, r, _ in found)
            return _page(300, _shell("Several dashboards", f"<p>Dashboard {html.escape(rest)} exists in several "
                                                            f"accounts or regions:</p><ul>{choices}</ul>"))
        account, region, record = found[0]
        return _page(200, render_dashboard(account, region, record))
    except Exception as exc:  # the endpoint never crashes on a page
        import logging
        import traceback

        logging.getLogger("local_aws.quicksight").error("viewer failed:\n%s", traceback.format_exc())
        return _page(500, _shell("Viewer error", f'<p class="error" data-status="error">The viewer failed: '
                                                 f'{html.escape(str(exc))}</p>'))


def _page(status: int, body: str) -> KitResponse:
    return KitResponse(status, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def _index_html() -> str:
    rows = []
    with STORE.lock:
        for (account, region, kind), table in STORE.items.items():
            if kind == "dashboards":
                for ident, record in table.items():
                    link = f"{PREFIX}/{html.escape(ident)}?account={html.escape(account)}&amp;region={html.escape(region)}"
                    rows.append(f'<li><a href="{link}">'
                                f'{html.escape(record["Name"])}</a> ({account}, {region})</li>')
    return _shell("Dashboards", f"<ul>{''.join(rows) or '<li>No dashboards yet.</li>'}</ul>")


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;background:#f6f7f9;color:#222}
.sheet{display:flex;flex-wrap:wrap;gap:1em}
.visual{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8em;min-width:300px;flex:1 1 420px}
.visual h2{font-size:1.05em;margin:0 0 .5em}
.kpi-value{font-size:2.6em;font-weight:600;margin:.3em 0}
table{border-collapse:collapse;font-size:.9em}td,th{border-bottom:1px solid #eee;padding:.2em .6em;text-align:left}
.error{color:#b00020}.placeholder{color:#777;font-style:italic}
"""


def _shell(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


# --- rendering a dashboard ------------------------------------------------------------------------------------------


def render_dashboard(account: str, region: str, record: dict) -> str:
    version = next(v for v in record["Versions"] if v["VersionNumber"] == record["PublishedVersionNumber"])
    definition = version["Definition"] or {}
    declared = {d["Identifier"]: d["DataSetArn"] for d in definition.get("DataSetIdentifierDeclarations") or []}
    parts = [f'<p class="meta">Dashboard <code>{html.escape(record["DashboardId"])}</code>, version '
             f'{version["VersionNumber"]}, account {html.escape(account)}, region {html.escape(region)}. '
             f'Data queried through the local Athena engine.</p>']
    for sheet in definition.get("Sheets") or []:
        visuals = [render_visual(account, region, declared, v) for v in sheet.get("Visuals") or []]
        parts.append(f'<div class="sheet-block" data-sheet-id="{html.escape(str(sheet.get("SheetId")))}">'
                     f'<h2>{html.escape(str(sheet.get("Name") or sheet.get("SheetId")))}</h2>'
                     f'<div class="sheet">{"".join(visuals)}</div></div>')
    page = _shell(record["Name"], "".join(parts))
    return page.replace("<body>", f'<body data-dashboard-id="{html.escape(record["DashboardId"])}">', 1)


def _title(body: dict, fallback: str) -> str:
    text = ((body.get("Title") or {}).get("FormatText") or {})
    return text.get("PlainText") or fallback


def render_visual(account: str, region: str, declared: dict, visual: dict) -> str:
    kind, body = next(iter(visual.items())) if visual else ("Unknown", {})
    body = body if isinstance(body, dict) else {}
    ident = str(body.get("VisualId") or "")
    title = _title(body, ident)
    attrs = (f'class="visual" data-visual-id="{html.escape(ident)}" data-visual-type="{html.escape(kind)}" '
             f'data-title="{html.escape(title)}"')
    head = f"<h2>{html.escape(title)}</h2>"
    if kind not in VISUAL_TYPES:
        return (f'<section {attrs} data-status="unsupported">{head}<p class="placeholder">{html.escape(kind)} '
                f'is not rendered by the local viewer.</p></section>')
    try:
        fields = visual_fields(kind, body)
        columns, rows = query_visual(account, region, declared, fields, sort_of(kind, body))
    except VisualError as exc:
        return f'<section {attrs} data-status="error">{head}<p class="error">{html.escape(str(exc))}</p></section>'
    except Exception as exc:  # a malformed definition: this visual says so, the others still render
        return (f'<section {attrs} data-status="error">{head}<p class="error">This visual cannot be drawn: '
                f'{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</p></section>')
    points = html.escape(json.dumps({"columns": columns, "rows": rows}, default=str))
    drawing = {"LineChartVisual": _line_svg, "BarChartVisual": _bar_svg, "KPIVisual": _kpi_html,
               "TableVisual": _table_html}[kind](fields, columns, rows)
    return f'<section {attrs} data-status="ok" data-points="{points}">{head}{drawing}</section>'


# --- from field wells to SQL -------------------------------------------------------------------------------------------


def visual_fields(kind: str, body: dict) -> dict[str, list[dict]]:
    """{"dims": [...], "colors": [...], "measures": [...]}: each {FieldId, Column, ...}."""
    wells = ((body.get("ChartConfiguration") or {}).get("FieldWells") or {})
    if kind == "LineChartVisual":
        w = wells.get("LineChartAggregatedFieldWells") or {}
        out = {"dims": w.get("Category") or [], "colors": w.get("Colors") or [], "measures": w.get("Values") or []}
    elif kind == "BarChartVisual":
        w = wells.get("BarChartAggregatedFieldWells") or {}
        out = {"dims": w.get("Category") or [], "colors": w.get("Colors") or [], "measures": w.get("Values") or []}
    elif kind == "KPIVisual":
        out = {"dims": [], "colors": [], "measures": wells.get("Values") or []}
    else:
        w = wells.get("TableAggregatedFieldWells") or {}
        out = {"dims": w.get("GroupBy") or [], "colors": [], "measures": w.get("Values") or []}
    if not out["measures"] and not out["dims"]:
        raise VisualError("This visual has no fields in its field wells.")
    return {k: [_unwrap(f) for f in v] for k, v in out.items()}


def _unwrap(field: dict) -> dict:
    kind, inner = next(iter(field.items()))
    return {"kind": kind, **inner}


def sort_of(kind: str, body: dict) -> list[tuple[str, str]]:
    config = (body.get("ChartConfiguration") or {}).get("SortConfiguration") or {}
    options = config.get("CategorySort") if kind != "TableVisual" else config.get("RowSort")
    out = []
    for option in options or []:
        sort = option.get("FieldSort")
        if sort:
            out.append((sort["FieldId"], sort.get("Direction", "ASC")))
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _source(account: str, region: str, declared: dict, identifier: str) -> str:
    arn = declared.get(identifier)
    if arn is None:
        raise VisualError(f"Data set identifier {identifier!r} is not declared.")
    found = _arn_id(arn, "dataset")
    record = STORE.table(account, region, "data-sets").get(found[2]) if found else None
    if record is None:
        raise VisualError(f"Data set {arn} does not exist (deleted?).")
    table = next(iter(record["PhysicalTableMap"].values()))
    if "CustomSql" in table:
        return f"({table['CustomSql']['SqlQuery'].strip().rstrip(';')}) AS qs_src"
    rel = table["RelationalTable"]
    return f"{_quote(rel.get('Schema') or 'default')}.{_quote(rel['Name'])}"


def _aggregation(field: dict) -> str:
    """A measure's aggregation: NumericalMeasureField takes {"SimpleNumericalAggregation": ...}; categorical and
    date measures take the function's name (default: SUM for numbers, COUNT otherwise)."""
    agg = field.get("AggregationFunction")
    if field["kind"] == "NumericalMeasureField":
        return (agg or {}).get("SimpleNumericalAggregation", "SUM") if isinstance(agg, dict) else str(agg or "SUM")
    if field["kind"] in ("CategoricalMeasureField", "DateMeasureField"):
        return agg if isinstance(agg, str) else "COUNT"
    raise VisualError(f"{field['kind']} is not supported by the local viewer.")


def _label(field: dict) -> str:
    name = field["Column"]["ColumnName"]
    if field["kind"].endswith("MeasureField"):
        return f"{_aggregation(field)}({name})"
    return name


def _measure_sql(field: dict) -> str:
    fn = _aggregation(field)
    if fn not in AGGREGATIONS:
        raise VisualError(f"Aggregation {fn} is not supported by the local viewer.")
    return AGGREGATIONS[fn].format(_quote(field["Column"]["ColumnName"]))


def _dim_sql(field: dict) -> str:
    column = _quote(field["Column"]["ColumnName"])
    if field["kind"] == "DateDimensionField" and field.get("DateGranularity") in GRANULARITY:
        return f"date_trunc('{GRANULARITY[field['DateGranularity']]}', {column})"
    return column


def query_visual(account: str, region: str, declared: dict, fields: dict, sort: list[tuple[str, str]]):
    every = fields["dims"] + fields["colors"] + fields["measures"]
    identifiers = {f["Column"]["DataSetIdentifier"] for f in every}
    if len(identifiers) != 1:
        raise VisualError("A visual must take all its fields from one data set.")
    source = _source(account, region, declared, identifiers.pop())
    groups = fields["dims"] + fields["colors"]
    selects, names, by_field = [], [], {}
    for i, f in enumerate(groups):
        selects.append(f"{_dim_sql(f)} AS d{i}")
        names.append(_label(f))
        by_field[f.get("FieldId")] = f"d{i}"
    for i, f in enumerate(fields["measures"]):
        selects.append(f"{_measure_sql(f)} AS m{i}")
        names.append(_label(f))
        by_field[f.get("FieldId")] = f"m{i}"
    sql = f"SELECT {', '.join(selects)} FROM {source}"
    if groups:
        sql += " GROUP BY " + ", ".join(str(i + 1) for i in range(len(groups)))
    order = [f"{by_field[fid]} {'DESC' if d == 'DESC' else 'ASC'}" for fid, d in sort if fid in by_field]
    order += [f"d{i} ASC" for i in range(len(groups)) if f"d{i}" not in " ".join(order)]
    if order:
        sql += " ORDER BY " + ", ".join(order)
    table = run_query(account, region, sql)
    rows = [[_plain(v) for v in row.values()] for row in table.to_pylist()]
    return names, rows


def run_query(account: str, region: str, sql: str):
    """One SELECT through the Athena engine, in-process; a failure becomes a VisualError."""
    from ..athena import engine
    from ..athena.errors import QueryError

    ctx = engine.Context(query_id=engine.new_query_id(), sql=sql, account=account, region=region, database="default",
                         output_location="s3://unused/", catalog_writer=None, s3_writer=None)
    try:
        table, _, _ = engine.run_select(ctx, engine.parse(sql))
    except QueryError as exc:
        raise VisualError(f"The data set's query failed: {exc.message}") from None
    except Exception as exc:
        error = engine.translate_error(exc, sql)
        if isinstance(error, QueryError):
            raise VisualError(f"The data set's query failed: {error.message}") from None
        raise VisualError(f"The data set's query failed: {exc}") from None
    return table


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "is_finite"):  # Decimal
        return float(value)
    return value


# --- drawing ------------------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def _series(fields: dict, rows: list) -> tuple[list, dict[str, list]]:
    """(categories, {series name: values by category}) of a chart's rows."""
    n_dims, n_colors = len(fields["dims"]), len(fields["colors"])
    categories, series = [], {}
    for row in rows:
        cat = " / ".join(str(v) for v in row[:n_dims]) if n_dims else ""
        if cat not in categories:
            categories.append(cat)
    for row in rows:
        cat = " / ".join(str(v) for v in row[:n_dims]) if n_dims else ""
        for j, measure in enumerate(fields["measures"]):
            name = " / ".join(str(v) for v in row[n_dims:n_dims + n_colors]) if n_colors else _label(measure)
            if n_colors and len(fields["measures"]) > 1:
                name += f" ({_label(measure)})"
            values = series.setdefault(name, [None] * len(categories))
            values[categories.index(cat)] = row[n_dims + n_colors + j]
    return categories, series


def _axes(values: list) -> tuple[float, float]:
    """The value axis: from 0 (or below, for negatives) to a round number, in 4 round steps (1, 2, 2.5 or 5 x 10^k)."""
    nums = [v for v in values if isinstance(v, (int, float))]
    low, high = min(nums + [0]), max(nums + [0])
    if high <= low:
        high = low + 1
    magnitude = 10 ** math.floor(math.log10((high - low) / 4))
    for step in (m * magnitude for m in (1, 2, 2.5, 5, 10, 20)):
        bottom = math.floor(low / step) * step
        if bottom + 4 * step >= high:
            return (bottom, bottom + 4 * step)
    return (low, high)  # not reached: 20 x magnitude always covers the span


def _tick(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


W, H, PAD = 640, 280, 48


def _svg_frame(inner: str, low: float, high: float, label: str) -> str:
    ticks = "".join(
        f'<text x="{PAD - 6}" y="{H - PAD - (H - 2 * PAD) * t / 4 + 4:.1f}" font-size="10" text-anchor="end">'
        f'{_tick(low + (high - low) * t / 4)}</text>' for t in range(5))
    return (f'<svg role="img" aria-label="{html.escape(label)}" viewBox="0 0 {W} {H}" width="100%" '
            f'xmlns="http://www.w3.org/2000/svg"><line x1="{PAD}" y1="{H - PAD}" x2="{W - 10}" y2="{H - PAD}" '
            f'stroke="#999"/><line x1="{PAD}" y1="10" x2="{PAD}" y2="{H - PAD}" stroke="#999"/>{ticks}{inner}</svg>')


def _legend(series: dict) -> str:
    return "<p class=\"legend\">" + " ".join(
        f'<span style="color:{PALETTE[i % len(PALETTE)]}">&#9632; {html.escape(name)}</span>'
        for i, name in enumerate(series)) + "</p>"


def _y(value: float, low: float, high: float) -> float:
    return H - PAD - (H - 2 * PAD) * (value - low) / (high - low)


def _line_svg(fields: dict, columns: list, rows: list) -> str:
    categories, series = _series(fields, rows)
    low, high = _axes([v for vs in series.values() for v in vs])
    step = (W - PAD - 20) / max(1, len(categories) - 1)
    inner = []
    for i, (name, values) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        pts = [(PAD + step * k, _y(v, low, high), categories[k], v) for k, v in enumerate(values) if v is not None]
        inner.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" data-series="{html.escape(name)}" '
                     f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in pts)}"/>')
        inner += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"><title>{html.escape(name)} '
                  f'{html.escape(str(c))}: {_fmt(v)}</title></circle>' for x, y, c, v in pts]
    if categories:
        inner.append(f'<text x="{PAD}" y="{H - PAD + 16}" font-size="10">{html.escape(str(categories[0]))}</text>')
        inner.append(f'<text x="{W - 10}" y="{H - PAD + 16}" font-size="10" text-anchor="end">'
                     f'{html.escape(str(categories[-1]))}</text>')
    return _svg_frame("".join(inner), low, high, "line chart") + _legend(series)


def _bar_svg(fields: dict, columns: list, rows: list) -> str:
    categories, series = _series(fields, rows)
    low, high = _axes([v for vs in series.values() for v in vs])
    slot = (W - PAD - 20) / max(1, len(categories))
    width = slot * 0.8 / max(1, len(series))
    inner = []
    for k, cat in enumerate(categories):
        for i, (name, values) in enumerate(series.items()):
            v = values[k]
            if v is None:
                continue
            x = PAD + slot * k + slot * 0.1 + width * i
            y0, y1 = _y(max(0, low), low, high), _y(v, low, high)
            inner.append(f'<rect x="{x:.1f}" y="{min(y0, y1):.1f}" width="{width:.1f}" height="{abs(y0 - y1):.1f}" '
                         f'fill="{PALETTE[i % len(PALETTE)]}"><title>{html.escape(cat)} {html.escape(name)}: '
                         f'{_fmt(v)}</title></rect>')
        inner.append(f'<text x="{PAD + slot * (k + 0.5):.1f}" y="{H - PAD + 14}" font-size="10" '
                     f'text-anchor="middle">{html.escape(cat)}</text>')
    return _svg_frame("".join(inner), low, high, "bar chart") + _legend(series)


def _kpi_html(fields: dict, columns: list, rows: list) -> str:
    value = rows[0][0] if rows and rows[0] else None
    return f'<div class="kpi-value" data-value="{html.escape(str(value))}">{_fmt(value)}</div>' \
           f'<div class="kpi-label">{html.escape(columns[0])}</div>'


def _table_html(fields: dict, columns: list, rows: list) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
