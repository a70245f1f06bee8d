"""`make demo`'s runner: executes every notebook headless and summarises what is left running."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import nbformat
from support import ROOT


def test_run_all_executes_the_notebooks_and_prints_a_summary(tmp_path, endpoint_url):
    env = dict(os.environ, DSCA_PREFIX="dsca-demotest")
    result = subprocess.run(
        [sys.executable, "notebooks/run_all.py", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=1800,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert "08_teardown.ipynb" in notebooks and "08_teardown.ipynb" not in result.stdout  # the demo leaves it all up
    for name in notebooks[:-1]:
        assert f"ok   {name}" in result.stdout
        executed = nbformat.read(tmp_path / name, as_version=4)
        outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
        assert outputs and not [o for o in outputs if o.output_type == "error"]
    assert "What the pipeline left running:" in result.stdout
    assert "stream dsca-demotest-sensor-stream: ACTIVE" in result.stdout
    assert "Glue job dsca-demotest-sensor-etl: 0 run(s) in progress" in result.stdout  # notebook 03 stopped its runs
    assert "QuickSight dashboard dsca-demotest-dashboard: http://127.0.0.1:" in result.stdout  # notebook 07's viewer
    assert "charts: build/dashboard/dashboard.html" in result.stdout
    assert f"aws --endpoint-url {endpoint_url} --region us-east-1 kinesis list-streams" in result.stdout
    assert "make teardown" in result.stdout

    # `make teardown` afterwards: everything of the demo's prefix goes, found by tags, and nothing else.
    teardown = [sys.executable, "-m", "helpers.teardown", "--prefix", "dsca-demotest"]
    first = subprocess.run(teardown, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "could not" not in first.stdout and "deleted" in first.stdout
    again = subprocess.run(teardown, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert again.returncode == 0 and "Nothing was found" in again.stdout, again.stdout + again.stderr
    tagging = boto3.client("resourcegroupstaggingapi", endpoint_url=endpoint_url, region_name="us-east-1",
                           aws_access_key_id="local", aws_secret_access_key="local")
    left = [r["ResourceARN"] for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "prefix", "Values": ["dsca-demotest"]}]) for r in page["ResourceTagMappingList"]]
    assert left == []
