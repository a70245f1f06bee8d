"""Local Spark for the Glue tests: one session per test process (the JVM takes 5-10 s to start).

``spark_session()`` builds it once (test modules wrap it in a session-scoped
``spark`` fixture). The session matches the job
process's set-up (``local_aws/engines/glue_jobs/awsglue/_local/env.py``):
local[2], 4 shuffle partitions, UTC, INT64 timestamps in Parquet, quiet logs,
a Java found by ``java.py``.

``awsglue_on_path()`` makes the kit's local ``awsglue`` importable for the
duration of a ``with`` block only -- the kit's own environment must not see it.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLUE_JOBS = ROOT / "local_aws" / "engines" / "glue_jobs"
GLUE_SCRIPTS = ROOT / "glue_scripts"
LOG4J2 = GLUE_JOBS / "awsglue" / "log4j2.properties"


def load_java_module():
    spec = importlib.util.spec_from_file_location("_glue_java_for_tests", GLUE_JOBS / "java.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@functools.cache
def spark_session():
    os.environ.update(load_java_module().java_environment(os.environ))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]").appName("dsca-glue-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J2.as_uri()} -Duser.timezone=UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    atexit.register(session.stop)
    return session


def import_transforms():
    """``glue_scripts/sensor_transforms.py`` as the job imports it (a top-level module)."""
    if str(GLUE_SCRIPTS) not in sys.path:
        sys.path.insert(0, str(GLUE_SCRIPTS))
    import sensor_transforms

    return sensor_transforms


@contextlib.contextmanager
def awsglue_on_path():
    """The local ``awsglue`` importable inside the block; afterwards gone from sys.path and sys.modules.

    Importing it prepares the process for Spark (environment variables); those are restored too.
    """
    saved = dict(os.environ)
    sys.path.insert(0, str(GLUE_JOBS))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(GLUE_JOBS))
        for name in [m for m in sys.modules if m == "awsglue" or m.startswith("awsglue.")]:
            del sys.modules[name]
