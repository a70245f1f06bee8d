"""``glueContext.get_logger()``: Glue's driver logger, writing to the job's stderr.

On AWS, GlueLogger lines land in the job's driver log (CloudWatch Logs); the
local runtime ships the job process's stderr to the same log groups.
"""

from __future__ import annotations

import sys
import time

__all__ = ["GlueLogger"]


class GlueLogger:
    def __init__(self, stream=None):
        self._stream = stream

    def _log(self, level: str, message: object) -> None:
        now = time.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)) + f",{int(now * 1000) % 1000:03d}"
        stream = self._stream or sys.stderr
        stream.write(f"{stamp} {level} [main] glue.GlueLogger: {message}\n")
        stream.flush()

    def info(self, message: object) -> None:
        self._log("INFO", message)

    def warn(self, message: object) -> None:
        self._log("WARN", message)

    warning = warn

    def error(self, message: object) -> None:
        self._log("ERROR", message)

    def debug(self, message: object) -> None:
        self._log("DEBUG", message)
