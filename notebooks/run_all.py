"""Run the numbered notebooks headless, in order, against the local endpoint.

    python notebooks/run_all.py --out build/demo      # `make demo`: executed copies in build/ (01-07)
    python notebooks/run_all.py --refresh             # `make notebooks`: rewrite committed outputs (all)

The demo stops before ``08_teardown.ipynb`` so that what the pipeline built stays there to look at
(the dashboard's URL works); ``make teardown`` deletes it. ``--teardown`` runs 08 too.

``--refresh`` runs against a fresh, throwaway endpoint with ``NOTEBOOK_ENV`` --
the same set-up the nbval tests use (tests/conftest.py) -- so the committed
outputs are exactly what the tests reproduce.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
from local_aws import DEFAULT_PORT  # noqa: E402  (the port a learner sees)

# The environment notebooks run in for committed outputs and for nbval.
NOTEBOOK_ENV = {"DSCA_TARGET": "local", "DSCA_PREFIX": "dsca-learner", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}


TEARDOWN = "08_teardown.ipynb"


def notebooks(teardown: bool = True) -> list[Path]:
    return [p for p in sorted(HERE.glob("[0-9][0-9]_*.ipynb")) if teardown or p.name != TEARDOWN]


def local_aws(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "local_aws", *args], capture_output=True, text=True, cwd=ROOT)


@contextlib.contextmanager
def fresh_endpoint():
    """A throwaway endpoint on a free port with its own home; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="local-aws-") as home:
        started = local_aws("start", "--port", "0", "--home", home)
        if started.returncode != 0:
            raise SystemExit(f"could not start a local endpoint: {started.stderr.strip()}")
        try:
            yield started.stdout.strip().splitlines()[-1]
        finally:
            local_aws("stop", "--home", home)


def show_default_port(nb, url: str) -> None:
    """Committed outputs show the default endpoint a learner sees, not the throwaway one's port."""
    default = f"http://127.0.0.1:{DEFAULT_PORT}"
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = output["text"].replace(url, default)
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str):
                    output["data"][mime] = value.replace(url, default)


def execute(path: Path, out: Path, env: dict[str, str]) -> tuple[bool, float, str]:
    """Execute one notebook into ``out``; return (ok, seconds, error summary)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    old = dict(os.environ)
    os.environ.update(env)  # the kernel inherits this process's environment
    # `!python` and `!aws` in cells run this environment's tools.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    start = time.monotonic()
    error = ""
    try:
        NotebookClient(
            nb,
            timeout=900,
            kernel_name="python3",
            # The kernel is local and short-lived: keep its start-up warnings out of the demo's output.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": str(HERE)}},
        ).execute()
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1]
    finally:
        os.environ.clear()
        os.environ.update(old)
    elapsed = time.monotonic() - start
    for cell in nb.cells:  # committed notebooks carry no execution metadata timings
        cell.get("metadata", {}).pop("execution", None)
    if env.get("DSCA_ENDPOINT_URL"):
        show_default_port(nb, env["DSCA_ENDPOINT_URL"])
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return not error, elapsed, error


def summary(env: dict[str, str]) -> list[str]:
    """What the notebooks left on the endpoint, read back through the AWS API."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import helpers
    from helpers import costs, glue, kinesis, quicksight
    from helpers import s3 as s3h

    cfg = helpers.setup(quiet=True)
    lines = [f"endpoint {cfg.endpoint_url}, resource prefix {cfg.prefix}"]
    client = cfg.client("kinesis")
    for name in kinesis.list_streams(cfg.prefix, client):
        summary = kinesis.stream_summary(name, client)
        count = len(kinesis.read_records(name, limit=100_000, kinesis=client))
        lines.append(
            f"stream {name}: {summary['StreamStatus']}, {summary['OpenShardCount']} shard(s), {count} record(s) held; "
            f"{costs.describe_kinesis_cost(summary['OpenShardCount'])}"
        )
    glue_client = cfg.client("glue")
    for page in glue_client.get_paginator("get_jobs").paginate():
        for job in page["Jobs"]:
            if job["Name"].startswith(cfg.prefix):
                running = glue.active_runs(job["Name"], glue_client)
                lines.append(f"Glue job {job['Name']}: {len(running)} run(s) in progress"
                             + (f"; {costs.describe_glue_streaming_cost(job['WorkerType'], job['NumberOfWorkers'])}"
                                if running and job.get("WorkerType") in costs.GLUE_WORKER_DPU else ""))
    s3 = cfg.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        if bucket["Name"].startswith(cfg.prefix):
            size = sum(o["Size"] for o in s3h.list_objects(f"s3://{bucket['Name']}/", s3))
            lines.append(f"bucket s3://{bucket['Name']}: {size / 1024**2:.1f} MiB stored "
                         f"(about ${costs.s3_monthly_usd(size):.4f}/month on AWS)")
    qs_client = cfg.client("quicksight")
    account = cfg.account_id()
    for page in qs_client.get_paginator("list_dashboards").paginate(AwsAccountId=account):
        for dashboard in page["DashboardSummaryList"]:
            if dashboard["DashboardId"].startswith(cfg.prefix):
                lines.append(f"QuickSight dashboard {dashboard['DashboardId']}: "
                             f"{quicksight.dashboard_url(dashboard['DashboardId'], qs_client)}")
    page = ROOT / "build" / "dashboard" / "dashboard.html"
    if page.exists():
        lines.append(f"charts: {page.relative_to(ROOT)} (self-contained) and the PNG files next to it")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", type=Path, help="write executed copies here (the endpoint from setup() is used)")
    mode.add_argument("--refresh", action="store_true", help="rewrite the committed notebooks' outputs on a fresh endpoint")
    parser.add_argument("--teardown", action="store_true", help=f"with --out: also run {TEARDOWN} (--refresh always does)")
    args = parser.parse_args()

    with fresh_endpoint() if args.refresh else contextlib.nullcontext(None) as url:
        env = dict(NOTEBOOK_ENV, DSCA_ENDPOINT_URL=url) if url else {}
        results = []
        for path in notebooks(teardown=args.refresh or args.teardown):
            out = path if args.refresh else args.out / path.name
            ok, seconds, error = execute(path, out, env)
            results.append((path.name, ok, seconds, error, out))
            print(f"{'ok  ' if ok else 'FAIL'} {path.name} ({seconds:.1f} s) -> {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}"
                  + (f"\n     {error}" if error else ""), flush=True)
            if not ok:
                break
        if all(ok for _, ok, *_ in results):
            print("\nWhat the pipeline left running:")
            lines = summary(env)
            for line in lines:
                print(f"  {line}")
            if not args.refresh:
                url = lines[0].split()[1].rstrip(",")
                print(f"\nExecuted notebooks: {args.out}/  (open them with `make lab` or any Jupyter)")
                print("The local endpoint keeps running; look at what the notebooks created with the AWS CLI:")
                print(f"  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local .venv/bin/aws --endpoint-url {url} --region {env.get('AWS_DEFAULT_REGION', 'us-east-1')} kinesis list-streams")
                print("Stop it with `make stop`. Delete what the notebooks created with `make teardown` "
                      "(`make teardown ARGS=--dry-run` only lists it).")
    failed = [name for name, ok, *_ in results if not ok]
    if failed:
        print(f"\n{failed[0]} failed; open the executed copy to see the cell and its error.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
