"""``getResolvedOptions``: job arguments as Glue hands them to a script.

Semantics follow AWS Glue 5 (awslabs/aws-glue-libs, branch glue-5.0), written
afresh for the kit:

* every name asked for must be given as ``--name value`` (or ``--name=value``),
  else ``GlueArgumentError`` ("the following arguments are required: --name");
* arguments not asked for are ignored (Glue passes many: ``--JOB_ID``,
  ``--job-bookmark-option``, ``--enable-metrics`` ...);
* ``--TempDir`` and ``--RedshiftTempDir`` are optional even when asked for,
  and each fills in the other;
* the result also holds ``job_bookmark_option`` (default
  ``job-bookmark-disable``), ``JOB_ID``, ``JOB_RUN_ID``,
  ``SECURITY_CONFIGURATION``, ``encryption_type`` (None when not given) and the
  bookmark range options; asking for a reserved name raises ``RuntimeError``;
* abbreviated names are accepted, as argparse does by default (Glue 5 does;
  Glue 6 no longer does).
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

__all__ = ["GlueArgumentError", "getResolvedOptions"]

_BOOKMARK = ("--job-bookmark-option", ("job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"))
_CONTINUATION = ("--continuation-option", ("continuation-enabled", "continuation-readonly", "continuation-ignore"))
_RANGE = ("--job-bookmark-from", "--job-bookmark-to")
_ID_PARAMS = ("--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION")  # --JOB_NAME is asked for by scripts
_ENCRYPTION = ("--encryption-type", ("sse-s3",))
_LINEAGE = "--enable-data-lineage"
_TEMP_DIRS = ("TempDir", "RedshiftTempDir")

_global_args: dict[str, Any] = {}


class GlueArgumentError(Exception):
    """A job argument is missing or invalid (raised instead of argparse's exit)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise GlueArgumentError(message)


def _reserved(options: Sequence[str]) -> None:
    reserved = [_BOOKMARK[0], _CONTINUATION[0], *_RANGE, *_ID_PARAMS, _ENCRYPTION[0], _LINEAGE]
    for flag in reserved:
        if flag[2:] in options:
            raise RuntimeError("Using reserved arguments " + flag)


def getResolvedOptions(args: Sequence[str], options: Sequence[str]) -> dict[str, Any]:  # noqa: N802 - Glue's name
    """The values of ``options`` (names without ``--``) found in ``args`` (usually ``sys.argv``)."""
    _reserved(options)
    parser = _Parser(add_help=False)
    parser.add_argument(_BOOKMARK[0], choices=_BOOKMARK[1], required=False)
    parser.add_argument(_CONTINUATION[0], choices=_CONTINUATION[1], required=False)
    for flag in (*_RANGE, *_ID_PARAMS, _LINEAGE):
        parser.add_argument(flag, required=False)
    parser.add_argument(_ENCRYPTION[0], choices=_ENCRYPTION[1], required=False)
    for name in _TEMP_DIRS:
        parser.add_argument("--" + name, required=False)
    for name in options:
        if name not in _TEMP_DIRS:
            parser.add_argument("--" + name, required=True)

    parsed, _unknown = parser.parse_known_args(list(args[1:]))
    values = vars(parsed)

    if values.get("TempDir") is not None:
        values["RedshiftTempDir"] = values["TempDir"]
    elif values.get("RedshiftTempDir") is not None:
        values["TempDir"] = values["RedshiftTempDir"]

    continuation = values.pop("continuation_option", None)
    if values.get("job_bookmark_option") is None:
        if continuation is None:
            values["job_bookmark_option"] = "job-bookmark-disable"
        else:  # old-style continuation option, translated
            values["job_bookmark_option"] = _BOOKMARK[1][_CONTINUATION[1].index(continuation)]

    absent = [flag for flag in _RANGE if values.get(flag[2:].replace("-", "_")) is None]
    if values["job_bookmark_option"] == "job-bookmark-pause":
        if len(absent) == 1:
            raise RuntimeError("Missing option or value for " + absent[0])
    elif not absent:
        raise RuntimeError("Invalid option(s)" + " ".join(_RANGE))

    _global_args.update(values)
    return values
