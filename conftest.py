"""One local endpoint for the whole test session, helpers tests and notebooks alike.

At the repository root so that it applies to tests/ and to the notebooks nbval collects.

It is started in ``pytest_configure`` (not in a fixture) because nbval's notebook
kernels are separate processes that only see this process's environment, and
session fixtures never run for nbval items.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "notebooks"))

from run_all import NOTEBOOK_ENV, fresh_endpoint  # noqa: E402

_session = contextlib.ExitStack()


def pytest_configure(config: pytest.Config) -> None:
    # Nothing from the developer's own AWS set-up may leak into the tests
    # (DSCA_CHROMIUM only says where the browser for the dashboard test is).
    for name in list(os.environ):
        if name.startswith(("AWS_", "DSCA_")) and name != "DSCA_CHROMIUM" or name in ("LOCAL_AWS_HOME", "LOCAL_AWS_PORT"):
            del os.environ[name]
    # `!python` and `!aws` in notebook cells run this environment's tools.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    url = _session.enter_context(fresh_endpoint())
    os.environ.update(NOTEBOOK_ENV)
    os.environ["DSCA_ENDPOINT_URL"] = url


def pytest_collectstart(collector: pytest.Collector) -> None:
    # Progress bars and timing summaries go to stderr and change from run to
    # run; nbval compares what the notebooks print on stdout and display.
    if str(getattr(collector, "path", "")).endswith(".ipynb") and hasattr(collector, "skip_compare"):
        collector.skip_compare += ("stderr",)


def pytest_unconfigure(config: pytest.Config) -> None:
    _session.close()


@pytest.fixture(scope="session")
def endpoint_url() -> str:
    return os.environ["DSCA_ENDPOINT_URL"]


_prefixes = itertools.count()


@pytest.fixture
def cfg(monkeypatch):
    """helpers.setup() with a resource prefix of its own, so tests never see each other's resources."""
    import helpers

    monkeypatch.setenv("DSCA_PREFIX", f"dsca-t{next(_prefixes)}")
    return helpers.setup(quiet=True)
