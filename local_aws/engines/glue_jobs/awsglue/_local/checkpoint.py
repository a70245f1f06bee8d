"""The checkpoint of a local streaming job: an offset log and a commit log, as Spark keeps them.

Layout under ``checkpointLocation`` (an ``s3://`` path, or a local directory):

``metadata``        ``{"id", "created_at", "stream_arn"}`` -- written once; a
                    checkpoint is tied to one stream
``sources/0/0``     the starting position resolved at the very first start
                    (``LATEST`` is recorded as the time of that start, so a
                    restart before the first batch loses nothing)
``offsets/<id>``    the plan of batch ``<id>``, written *before* it is processed:
                    per shard the first and last sequence number and the count,
                    and every shard's position after the batch
``commits/<id>``    written after the batch function returned

On start: the newest offsets file without a commit is re-run with the same
batch id and exactly the same records; committed batches are never re-run.
The logs of batches older than the last 100 are deleted, as Spark does.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .s3 import S3Path, client, delete_keys, is_s3, list_objects

__all__ = ["Checkpoint", "RETAIN_BATCHES"]

RETAIN_BATCHES = 100


class Checkpoint:
    def __init__(self, location: str, s3=None):
        self.location = location
        if is_s3(location):
            self._s3path: S3Path | None = S3Path(location)
            self._s3 = s3 or client("s3")
            self._dir: Path | None = None
        else:
            self._s3path = None
            self._s3 = None
            self._dir = Path(location[len("file://"):] if location.startswith("file://") else location)

    # -- storage ---------------------------------------------------------------------------------
    def read(self, name: str) -> dict[str, Any] | None:
        if self._s3path is not None:
            try:
                body = self._s3.get_object(Bucket=self._s3path.bucket, Key=self._s3path.child(name).key)["Body"].read()
            except self._s3.exceptions.NoSuchKey:
                return None
            except self._s3.exceptions.NoSuchBucket:
                raise FileNotFoundError(f"the checkpoint location {self.location} is in a bucket that does not exist") from None
            return json.loads(body)
        path = self._dir / name  # type: ignore[operator]
        if not path.exists():
            return None
        return json.loads(path.read_text())

    def write(self, name: str, value: dict[str, Any]) -> None:
        body = json.dumps(value, indent=1, sort_keys=True).encode()
        if self._s3path is not None:
            self._s3.put_object(Bucket=self._s3path.bucket, Key=self._s3path.child(name).key, Body=body)
            return
        path = self._dir / name  # type: ignore[operator]
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def delete(self, name: str) -> None:
        if self._s3path is not None:
            delete_keys(self._s3, self._s3path.bucket, [self._s3path.child(name).key])
            return
        path = self._dir / name  # type: ignore[operator]
        path.unlink(missing_ok=True)

    def ids(self, folder: str) -> list[int]:
        """The batch ids that have a file in ``offsets/`` or ``commits/``, ascending."""
        names: list[str] = []
        if self._s3path is not None:
            prefix = self._s3path.child(folder).prefix
            names = [obj["Key"][len(prefix):] for obj in list_objects(self._s3, self._s3path.bucket, prefix)]
        elif (self._dir / folder).is_dir():  # type: ignore[operator]
            names = [p.name for p in (self._dir / folder).iterdir()]  # type: ignore[operator]
        return sorted(int(n) for n in names if n.isdigit())

    # -- the logs ------------------------------------------------------------------------------------
    def latest(self) -> tuple[int | None, int | None]:
        """(newest planned batch id, newest committed batch id)."""
        offsets, commits = self.ids("offsets"), self.ids("commits")
        return (offsets[-1] if offsets else None), (commits[-1] if commits else None)

    def plan(self, batch_id: int) -> dict[str, Any] | None:
        return self.read(f"offsets/{batch_id}")

    def write_plan(self, batch_id: int, plan: dict[str, Any]) -> None:
        self.write(f"offsets/{batch_id}", plan)

    def commit(self, batch_id: int, info: dict[str, Any]) -> None:
        self.write(f"commits/{batch_id}", info)
        old = batch_id - RETAIN_BATCHES
        if old >= 0:
            self.delete(f"offsets/{old}")
            self.delete(f"commits/{old}")
