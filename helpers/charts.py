"""Charts for step 7, drawn with matplotlib from query results (pandas DataFrames).

Each function takes the DataFrame an Athena query returned, names its columns
explicitly, and returns a matplotlib ``Figure`` with a title, axis labels with
units and readable defaults. ``save_png`` writes one figure; ``dashboard_html``
writes several into a single self-contained HTML file (images embedded, no
other files, opens offline in any browser).

The functions never aggregate: the SQL does that (notebook 06), so what a chart
shows is exactly what the query returned.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Iterable

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from .errors import KitError

SIZE = (8, 4)
STATUS_COLOURS = {"OK": "#4c9f70", "WARN": "#e0a030", "FAIL": "#c8423b"}


def _require(df: pd.DataFrame, columns: Iterable[str], chart: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KitError(f"The {chart} chart needs the column(s) {', '.join(missing)}; "
                       f"the data has {', '.join(map(str, df.columns)) or 'no columns'}.")
    if df.empty:
        raise KitError(f"The {chart} chart got no rows: check the query's filters.")


def _figure(title: str) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    plt.close(fig)  # returned, not shown twice in a notebook
    return fig, ax


def readings_over_time(df: pd.DataFrame, time: str = "second", value: str = "avg_reading", series: str = "site",
                       title: str = "Average temperature by site", unit: str = "°C") -> Figure:
    """One line per ``series`` value (e.g. site): ``value`` against ``time``, sorted by time."""
    _require(df, [time, value, series], "readings over time")
    fig, ax = _figure(title)
    for name, group in df.sort_values(time).groupby(series, sort=True):
        ax.plot(group[time], group[value], marker="o", markersize=3, linewidth=1.5, label=str(name))
    ax.set_xlabel(time.replace("_", " ") + " (UTC)")
    ax.set_ylabel(f"{value.replace('_', ' ')} ({unit})")
    ax.legend(title=series, frameon=False)
    fig.autofmt_xdate()
    return fig


def alerts_by_status(df: pd.DataFrame, category: str = "site", stacks: tuple[str, ...] = ("warn", "fail"),
                     title: str = "Alerts by site and status") -> Figure:
    """Stacked bars: for each ``category`` value, the counts in the ``stacks`` columns (e.g. WARN, FAIL)."""
    _require(df, [category, *stacks], "alerts by status")
    fig, ax = _figure(title)
    data = df.sort_values(category)
    bottom = pd.Series(0, index=data.index, dtype="float64")
    for stack in stacks:
        values = data[stack].astype("float64")
        ax.bar(data[category].astype(str), values, bottom=bottom, label=stack.upper(),
               color=STATUS_COLOURS.get(stack.upper()))
        bottom = bottom + values
    ax.set_xlabel(category.replace("_", " "))
    ax.set_ylabel("readings")
    ax.legend(frameon=False)
    return fig


def low_battery(df: pd.DataFrame, device: str = "device_id", value: str = "battery_pct", threshold: float = 20,
                title: str = "Devices with a low battery") -> Figure:
    """Horizontal bars of each device's battery level, lowest first, with the alert threshold marked."""
    _require(df, [device, value], "low battery")
    fig, ax = _figure(title)
    data = df.sort_values([value, device], ascending=[False, False])
    ax.barh(data[device].astype(str), data[value].astype("float64"), color=STATUS_COLOURS["FAIL"])
    ax.axvline(threshold, color="grey", linestyle="--", linewidth=1, label=f"threshold {threshold:g} %")
    ax.set_xlim(0, 100)
    ax.set_xlabel("battery (%)")
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    ax.legend(frameon=False, loc="lower right")
    return fig


def curated_vs_quarantined(df: pd.DataFrame, period: str = "batch_id", curated: str = "curated",
                           quarantined: str = "quarantined", title: str = "Records curated and quarantined") -> Figure:
    """Side-by-side bars per ``period`` (a batch, an hour): how many records were curated and quarantined."""
    _require(df, [period, curated, quarantined], "curated vs quarantined")
    fig, ax = _figure(title)
    data = df.sort_values(period)
    positions = range(len(data))
    width = 0.4
    ax.bar([p - width / 2 for p in positions], data[curated].astype("float64"), width, label=curated,
           color=STATUS_COLOURS["OK"])
    ax.bar([p + width / 2 for p in positions], data[quarantined].astype("float64"), width, label=quarantined,
           color=STATUS_COLOURS["FAIL"])
    ax.set_xticks(list(positions), [str(v) for v in data[period]])
    ax.set_xlabel(period.replace("_", " "))
    ax.set_ylabel("records")
    ax.legend(frameon=False)
    return fig


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})  # no version stamp: same bytes every run
    return buffer.getvalue()


def save_png(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write the figure as a PNG file (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(fig, dpi))
    return path


def dashboard_html(figures: dict[str, Figure], path: str | Path, title: str = "Sensor fleet dashboard",
                   note: str = "") -> Path:
    """One self-contained HTML page with every figure embedded as a PNG (no external files or scripts)."""
    if not figures:
        raise KitError("A dashboard needs at least one chart.")
    cards = "\n".join(
        f'<section class="card"><h2>{html.escape(name)}</h2>'
        f'<img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(png_bytes(fig)).decode()}"></section>'
        for name, fig in figures.items())
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; background: #f6f7f9; color: #222; }}
main {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 1rem; }}
.card {{ background: white; border-radius: 8px; padding: 1rem; box-shadow: 0 1px 3px rgba(0,0,0,.1); }}
.card h2 {{ font-size: 1rem; margin: 0 0 .5rem; }} img {{ width: 100%; height: auto; }}
</style></head>
<body><h1>{html.escape(title)}</h1>{f"<p>{html.escape(note)}</p>" if note else ""}
<main>
{cards}
</main></body></html>
"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
