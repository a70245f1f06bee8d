"""The chart helpers draw exactly the query results they are given."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest
from matplotlib.colors import to_hex

from helpers import charts
from helpers.errors import KitError


def test_readings_over_time_draws_one_line_per_site_with_its_values_in_time_order():
    df = pd.DataFrame({
        "second": pd.to_datetime(["2026-01-01 00:00:01", "2026-01-01 00:00:00", "2026-01-01 00:00:00", "2026-01-01 00:00:01"]),
        "site": ["oslo", "oslo", "berlin", "berlin"],
        "avg_reading": [2.0, 1.0, 10.0, 11.5],
    })
    fig = charts.readings_over_time(df)
    ax = fig.axes[0]
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
    assert lines == {"berlin": [10.0, 11.5], "oslo": [1.0, 2.0]}
    assert ax.get_title(loc="left") == "Average temperature by site"
    assert ax.get_ylabel() == "avg reading (°C)"


def test_alerts_are_stacked_per_site():
    df = pd.DataFrame({"site": ["oslo", "berlin"], "warn": [5, 3], "fail": [1, 2]})
    ax = charts.alerts_by_status(df).axes[0]
    bars = [(round(p.get_x() + p.get_width() / 2), p.get_y(), p.get_height(), to_hex(p.get_facecolor())) for p in ax.patches]
    # berlin first (sorted), WARN bars then FAIL bars stacked on them
    assert [(b[1], b[2]) for b in bars] == [(0, 3), (0, 5), (3, 2), (5, 1)]
    assert bars[2][3] == charts.STATUS_COLOURS["FAIL"].lower()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["berlin", "oslo"]


def test_low_battery_bars_show_each_device_level_and_the_threshold():
    df = pd.DataFrame({"device_id": ["a", "b", "c"], "battery_pct": [15, 2, 18]})
    ax = charts.low_battery(df, threshold=20).axes[0]
    levels = {label.get_text(): patch.get_width() for label, patch in zip(ax.get_yticklabels(), ax.patches)}
    assert levels == {"a": 15, "b": 2, "c": 18}
    assert ax.get_yticklabels()[-1].get_text() == "b"  # the lowest is on top
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [20]


def test_curated_and_quarantined_bars_per_batch():
    df = pd.DataFrame({"batch_id": [1, 0], "curated": [90, 80], "quarantined": [3, 7]})
    ax = charts.curated_vs_quarantined(df).axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [80, 90, 7, 3]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]


def test_a_missing_column_or_no_rows_is_one_sentence():
    with pytest.raises(KitError, match="needs the column\\(s\\) fail; the data has site, warn"):
        charts.alerts_by_status(pd.DataFrame({"site": ["x"], "warn": [1]}))
    with pytest.raises(KitError, match="got no rows"):
        charts.low_battery(pd.DataFrame({"device_id": [], "battery_pct": []}))


def test_png_and_dashboard_html_are_self_contained_and_reproducible(tmp_path):
    df = pd.DataFrame({"site": ["oslo"], "warn": [1], "fail": [2]})
    fig = charts.alerts_by_status(df)
    png = charts.save_png(fig, tmp_path / "charts" / "alerts.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts.png_bytes(fig) == charts.png_bytes(fig)
    page = charts.dashboard_html({"Alerts <by> site": fig}, tmp_path / "dashboard.html", note="local run")
    text = page.read_text()
    assert "Alerts &lt;by&gt; site" in text and "local run" in text
    (encoded,) = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert base64.b64decode(encoded) == charts.png_bytes(fig)
    assert "http" not in text.replace("http-equiv", "")  # nothing fetched from elsewhere
    with pytest.raises(KitError):
        charts.dashboard_html({}, tmp_path / "empty.html")
