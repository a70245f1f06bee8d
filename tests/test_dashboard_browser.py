"""The local dashboard viewer in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

The kit's dashboard (``helpers.quicksight.kit_definition``) is built through the
QuickSight API of the session's local endpoint over a curated table with known
rows (``athena_support.build_lake``); the page is opened in Chromium and what
the browser drew -- titles, statuses, the data behind each visual, and the SVG
marks, KPI text and table cells a learner sees -- is compared with what pandas
computes from the same rows. A second dashboard holds bad input (an unknown
visual type, a missing column, a data set whose query fails), each of which must
show a visible, labelled message. Screenshots go to ``build/test-artifacts/``.

Only the tests that need a browser are skipped when no chromium executable is
found (``make test`` installs Debian's chromium where it runs as root).
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from athena_support import build_lake, clients

from helpers import quicksight as qs
from helpers.errors import KitError

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = qs.find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium executable found (Debian: apt-get install chromium; `make test` installs "
                             "it when run as root)")
WIDTH = 1280

# Everything the browser shows of each visual, read from the live DOM (layout done, text as rendered).
READ_VISUALS = """() => Array.from(document.querySelectorAll('section.visual')).map(s => {
  const box = e => { const r = e.getBoundingClientRect(); return {width: r.width, height: r.height}; };
  const all = sel => Array.from(s.querySelectorAll(sel));
  return {
    id: s.dataset.visualId, type: s.dataset.visualType, title: s.dataset.title, status: s.dataset.status,
    points: s.dataset.points ? JSON.parse(s.dataset.points) : null,
    heading: s.querySelector('h2') ? s.querySelector('h2').innerText : null,
    text: s.innerText, box: box(s),
    svg: s.querySelector('svg') ? box(s.querySelector('svg')) : null,
    polylines: all('svg polyline').map(p => p.dataset.series),
    circles: all('svg circle').map(c => ({cx: +c.getAttribute('cx'), cy: +c.getAttribute('cy'), title: c.textContent})),
    rects: all('svg rect').map(r => ({x: +r.getAttribute('x'), height: +r.getAttribute('height'),
                                      drawn: box(r).height, title: r.textContent})),
    labels: all('svg text').map(t => t.textContent),
    kpi: s.querySelector('.kpi-value') ? s.querySelector('.kpi-value').innerText : null,
    headers: all('table thead th').map(c => c.innerText),
    cells: all('table tbody tr').map(r => Array.from(r.cells).map(c => c.innerText)),
    messages: all('.error, .placeholder').map(e => ({text: e.innerText, shown: e.checkVisibility(), box: box(e)})),
  };
})"""


# --- the data and the dashboards (built once per module) --------------------------------------------------------------


@pytest.fixture(scope="module")
def kit(endpoint_url):
    """The curated table (known rows), the kit's data sets and dashboard, and a dashboard of bad input."""
    name = f"browser_t{int(time.time() * 1000) % 100000}"
    lake = build_lake(endpoint_url, name)
    quicksight, sts = clients(endpoint_url, "quicksight", "sts")
    account = sts.get_caller_identity()["Account"]
    opts = {"account_id": account, "quicksight": quicksight, "verbose": False}
    source = qs.ensure_athena_data_source(f"{name}-athena", **opts)
    readings = qs.ensure_data_set(f"{name}-readings", source["Arn"], database=lake.db, table="sensor_readings",
                                  columns=qs.READING_COLUMNS, **opts)
    low = qs.ensure_data_set(f"{name}-low-battery", source["Arn"], sql=qs.low_battery_sql(lake.db), columns=qs.LOW_BATTERY_COLUMNS,
                             **opts)
    failing = qs.ensure_data_set(f"{name}-failing", source["Arn"], sql=f'SELECT x FROM "{lake.db}"."no_such_table"',
                                 columns=[("x", "INTEGER")], **opts)
    definition = qs.kit_definition(readings["Arn"], low["Arn"])
    qs.ensure_dashboard(f"{name}-kit", "Sensor stream", definition, **opts)

    def kpi(visual_id: str, ident: str, column: str) -> dict:
        return {"KPIVisual": {"VisualId": visual_id, "Title": {"FormatText": {"PlainText": f"KPI {visual_id}"}},
                              "ChartConfiguration": {"FieldWells": {"Values": [{"NumericalMeasureField": {
                                  "FieldId": f"{visual_id}-v", "Column": {"DataSetIdentifier": ident, "ColumnName": column},
                                  "AggregationFunction": {"SimpleNumericalAggregation": "MAX"}}}]}}}}

    bad = {"DataSetIdentifierDeclarations": [{"Identifier": "r", "DataSetArn": readings["Arn"]},
                                             {"Identifier": "f", "DataSetArn": failing["Arn"]}],
           "Sheets": [{"SheetId": "bad", "Name": "Bad input", "Visuals": [
               {"PieChartVisual": {"VisualId": "pie", "Title": {"FormatText": {"PlainText": "A pie"}}}},
               kpi("no-column", "r", "no_such_column"), kpi("failing-query", "f", "x"), kpi("fine", "r", "battery_pct")]}]}
    qs.ensure_dashboard(f"{name}-bad", "Bad input", bad, **opts)
    return {"lake": lake, "curated": lake.curated, "definition": definition, "quicksight": quicksight,
            "kit_url": qs.dashboard_url(f"{name}-kit", quicksight), "bad_url": qs.dashboard_url(f"{name}-bad", quicksight),
            "kit_id": f"{name}-kit"}


@pytest.fixture(scope="module")
def drawn(kit):
    """Both pages opened in headless Chromium: each visual as the browser drew it, and the screenshots' paths."""
    if CHROMIUM is None:
        pytest.skip("no chromium executable found (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = {}
    started = time.perf_counter()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=qs.CHROMIUM_ARGS, timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 800})
            for key, url, shot in (("kit", kit["kit_url"], "dashboard.png"), ("bad", kit["bad_url"], "dashboard-bad-input.png")):
                response = page.goto(url, wait_until="load", timeout=60_000)
                assert response is not None and response.status == 200, url
                page.wait_for_function(qs.VISUALS_DRAWN_JS, timeout=60_000)
                out[key] = {v["id"]: v for v in page.evaluate(READ_VISUALS)}
                out[key + "_title"] = page.title()
                page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
                out[key + "_png"] = ARTIFACTS / shot
        finally:
            browser.close()
    out["seconds"] = time.perf_counter() - started
    return out


def definition_visuals(definition: dict) -> list[tuple[str, str, str]]:
    """(VisualId, type, title) of each visual, in the definition's order."""
    found = []
    for sheet in definition["Sheets"]:
        for visual in sheet["Visuals"]:
            kind, body = next(iter(visual.items()))
            found.append((body["VisualId"], kind, body["Title"]["FormatText"]["PlainText"]))
    return found


def number(text: str) -> float:
    return float(text.replace(",", ""))


def assert_linear(xs: list[float], ys: list[float], slope_sign: int, tolerance: float = 0.2) -> None:
    """The drawn coordinates are one linear function of the values (what an axis means), rising or falling."""
    slope, intercept = np.polyfit(xs, ys, 1)
    assert np.sign(slope) == slope_sign
    assert max(abs(slope * x + intercept - y) for x, y in zip(xs, ys)) < tolerance


# --- the kit's dashboard ------------------------------------------------------------------------------------------------


@needs_chromium
def test_every_visual_of_the_definition_is_drawn_with_its_title(kit, drawn):
    expected = definition_visuals(kit["definition"])
    got = drawn["kit"]
    assert [(v["id"], v["type"], v["title"]) for v in got.values()] == expected
    assert drawn["kit_title"] == "Sensor stream"
    for ident, _, title in expected:
        visual = got[ident]
        assert visual["status"] == "ok", visual["text"]
        assert visual["heading"] == title  # the title a learner reads, not only the attribute
        assert visual["box"]["width"] > 250 and visual["box"]["height"] > 60, (ident, visual["box"])
    for chart in ("reading-over-time", "alerts-by-site"):
        assert got[chart]["svg"]["width"] > 250 and got[chart]["svg"]["height"] > 100


@needs_chromium
def test_the_line_chart_draws_the_hourly_average_per_site(kit, drawn):
    curated = kit["curated"]
    hours = curated["event_time"].dt.tz_convert(None).dt.floor("h").dt.strftime("%Y-%m-%d %H:%M:%S")
    expected = curated.assign(hour=hours).groupby(["hour", "site"])["reading"].mean().dropna()
    line = drawn["kit"]["reading-over-time"]
    got = {(h, s): v for h, s, v in line["points"]["rows"]}
    assert sorted(got) == sorted(expected.index)
    assert [got[k] for k in expected.index] == pytest.approx(expected.tolist())
    # What is drawn: one polyline per site, one point per (hour, site), each labelled with its value, ...
    assert sorted(line["polylines"]) == sorted(curated["site"].unique())
    assert len(line["circles"]) == len(expected)
    shown = {}
    for circle in line["circles"]:
        label, value = circle["title"].rsplit(": ", 1)
        site, hour = label.split(" ", 1)
        shown[(hour, site)] = (number(value), circle["cx"], circle["cy"])
    assert sorted(shown) == sorted(expected.index)
    for key, mean in expected.items():
        assert shown[key][0] == pytest.approx(mean, abs=0.0051)  # printed with 2 decimals
    # ... at a height that is a linear function of the value, and left to right in time.
    values = [expected[k] for k in shown]
    assert_linear(values, [shown[k][2] for k in shown], slope_sign=-1)
    order = sorted(expected.index.get_level_values("hour").unique())
    for site in curated["site"].unique():
        xs = [shown[(h, site)][1] for h in order if (h, site) in shown]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert line["labels"][-2:] == [order[0], order[-1]]  # the time axis' first and last hour


@needs_chromium
def test_the_bar_chart_draws_the_readings_per_site_and_status(kit, drawn):
    expected = kit["curated"].groupby(["site", "status"]).size()
    bar = drawn["kit"]["alerts-by-site"]
    assert {(s, st): n for s, st, n in bar["points"]["rows"]} == {k: int(v) for k, v in expected.items()}
    assert len(bar["rects"]) == len(expected)
    shown = {}
    for rect in bar["rects"]:
        label, value = rect["title"].rsplit(": ", 1)
        site, status = label.split(" ", 1)
        shown[(site, status)] = (int(number(value)), rect["height"], rect["drawn"], rect["x"])
    assert {k: v[0] for k, v in shown.items()} == {k: int(v) for k, v in expected.items()}
    counts = [shown[k][0] for k in shown]
    assert_linear(counts, [shown[k][1] for k in shown], slope_sign=1)  # bar height proportional to the count
    assert all(v[2] > 1 for v in shown.values())  # and really laid out on the page
    sites = sorted(kit["curated"]["site"].unique())
    assert [t for t in bar["labels"] if t in sites] == sites  # category labels, in ascending order
    for left, right in itertools.pairwise(sites):
        assert max(v[3] for k, v in shown.items() if k[0] == left) < min(v[3] for k, v in shown.items() if k[0] == right)
    for status in expected.index.get_level_values("status").unique():
        assert status in bar["text"]  # the legend


@needs_chromium
def test_the_kpi_shows_the_distinct_device_count(kit, drawn):
    devices = kit["curated"]["device_id"].nunique()
    kpi = drawn["kit"]["devices-kpi"]
    assert kpi["points"]["rows"] == [[devices]]
    assert kpi["kpi"] == f"{devices:,}"


@needs_chromium
def test_the_table_lists_the_low_battery_devices_lowest_first(kit, drawn):
    curated = kit["curated"]
    low = (curated[curated["battery_pct"] < 20].groupby(["device_id", "site"])["battery_pct"].min().reset_index()
           .sort_values(["battery_pct", "device_id", "site"]))
    assert len(low) > 3, "the known rows have low-battery devices"
    table = drawn["kit"]["low-battery"]
    assert table["points"]["rows"] == low.values.tolist()
    assert table["headers"] == ["device_id", "site", "MIN(battery_pct)"]
    assert table["cells"] == [[d, s, str(b)] for d, s, b in low.values.tolist()]


@needs_chromium
def test_the_screenshot_is_a_real_picture_of_the_dashboard(drawn):
    from PIL import Image

    path = drawn["kit_png"]
    assert path == ARTIFACTS / "dashboard.png" and path.stat().st_size > 20_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width == WIDTH and image.height >= 800
        pixels = image.convert("RGB")
        colors = pixels.getcolors(maxcolors=1 << 20)
    assert len(colors) > 50  # text, axes and series, not a blank page
    present = {rgb for _, rgb in colors}
    for hex_color in qs_palette()[:3]:  # the first series' colours are painted
        assert tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5)) in present


def qs_palette() -> list[str]:
    from local_aws.engines.quicksight.viewer import PALETTE

    return PALETTE


# --- bad input is visible, never a blank page -----------------------------------------------------------------------------


@needs_chromium
def test_bad_input_shows_labelled_placeholders_and_errors(kit, drawn):
    bad = drawn["bad"]
    assert list(bad) == ["pie", "no-column", "failing-query", "fine"]
    assert [bad[k]["status"] for k in bad] == ["unsupported", "error", "error", "ok"]
    expect = {"pie": "PieChartVisual is not rendered", "no-column": "no_such_column", "failing-query": "query failed"}
    for ident, words in expect.items():
        visual = bad[ident]
        assert visual["heading"] == visual["title"]
        assert len(visual["messages"]) == 1, visual
        message = visual["messages"][0]
        assert words in message["text"] and message["shown"], message
        assert message["box"]["height"] > 5 and message["box"]["width"] > 50
    assert "no_such_table" in bad["failing-query"]["messages"][0]["text"]
    assert bad["fine"]["kpi"] == f"{kit['curated']['battery_pct'].max():,}"  # the other visuals still draw
    assert drawn["bad_png"].stat().st_size > 5_000


# --- the snapshot helper ----------------------------------------------------------------------------------------------------


def _browser_processes() -> set[int]:
    import psutil

    me = psutil.Process(os.getpid())
    found = set()
    for child in me.children(recursive=True):
        try:
            if any(word in child.name().lower() for word in ("chrom", "node")):
                found.add(child.pid)
        except psutil.Error:
            pass
    return found


@needs_chromium
def test_snapshot_saves_the_dashboard_as_a_png_and_leaves_no_browser_behind(cfg, kit):
    from PIL import Image

    before = _browser_processes()
    path = qs.snapshot(kit["kit_id"], ARTIFACTS / "dashboard-snapshot.png", width=1000)  # the notebook's call
    assert path == ARTIFACTS / "dashboard-snapshot.png"
    with Image.open(path) as image:
        assert image.width == 1000 and image.height > 600
    assert path.stat().st_size > 20_000
    assert _browser_processes() - before == set()
    by_url = qs.snapshot(kit["kit_url"], ARTIFACTS / "dashboard-snapshot-by-url.png")
    assert by_url.stat().st_size > 20_000


@needs_chromium
def test_snapshot_of_a_missing_dashboard_or_a_stopped_endpoint_says_so(cfg, kit, tmp_path):
    with pytest.raises(KitError, match=r"answered HTTP 404: .*No dashboard no-such-dashboard on this endpoint"):
        qs.snapshot("no-such-dashboard", tmp_path / "none.png", timeout=30)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(KitError, match="ERR_CONNECTION_REFUSED.*local endpoint running"):
        qs.snapshot(f"http://127.0.0.1:{port}/_local/quicksight/dashboards/x", tmp_path / "none.png", timeout=30)
    assert not (tmp_path / "none.png").exists()


def test_snapshot_without_chromium_or_playwright_is_one_clear_sentence(monkeypatch, tmp_path):
    url = "http://127.0.0.1:9/_local/quicksight/dashboards/x"
    monkeypatch.setenv("DSCA_CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(KitError, match=r"DSCA_CHROMIUM=.*no-chromium is not an executable.*apt-get install chromium"):
        qs.snapshot(url, tmp_path / "x.png")
    monkeypatch.delenv("DSCA_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert qs.find_chromium() is None
    with pytest.raises(KitError, match="no chromium, chromium-browser or google-chrome on the PATH"):
        qs.snapshot(url, tmp_path / "x.png")
    monkeypatch.setitem(__import__("sys").modules, "playwright.sync_api", None)
    with pytest.raises(KitError, match="Playwright is not installed"):
        qs.snapshot(url, tmp_path / "x.png")


def test_snapshot_refuses_a_console_dashboard_on_aws(monkeypatch, tmp_path):
    import boto3

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_QUICKSIGHT"):
        monkeypatch.delenv(name, raising=False)
    aws = boto3.client("quicksight", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    with pytest.raises(KitError, match="local viewer only; on AWS open https://eu-west-1.quicksight"):
        qs.snapshot("d1", tmp_path / "x.png", quicksight=aws)


@needs_chromium
def test_snapshot_waits_for_every_visual_to_be_drawn(tmp_path):
    import functools
    import http.server
    import threading

    from PIL import Image

    flip = ("<script>setTimeout(() => { document.querySelector('section').dataset.status = 'ok'; "
            "document.body.style.background = '#00ff00'; }, 400)</script>")
    (tmp_path / "late.html").write_text(f'<html><body><section class="visual" data-status="loading">…</section>{flip}'
                                        f'</body></html>')
    (tmp_path / "never.html").write_text('<html><body><section class="visual" data-status="loading"></section></body></html>')
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        shot = qs.snapshot(f"{base}/late.html", tmp_path / "late.png", width=400, timeout=30)
        with Image.open(shot) as image:
            assert image.convert("RGB").getpixel((3, 3)) == (0, 255, 0)  # taken after the visual was drawn
        with pytest.raises(KitError, match=r"Could not wait for the visuals of .*never.html to be drawn: .*Timeout"):
            qs.snapshot(f"{base}/never.html", tmp_path / "never.png", timeout=1.5)
    finally:
        server.shutdown()
        server.server_close()
