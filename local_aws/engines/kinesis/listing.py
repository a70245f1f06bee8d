"""``ListStreams`` as AWS pages it.

moto never returns ``NextToken`` and returns every stream's
summary on every page, so boto3's paginator stops after the first page of
10 and code that pages correctly misses streams. Here it pages as AWS does:
``Limit`` (default 100, at most 10,000), ``NextToken`` or
``ExclusiveStartStreamName``, names in alphabetical order, summaries for the
page only.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ...dispatch import AwsError, KitRequest, Registry
from .._moto import backend, epoch

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


def _token(name: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": name}).encode()).decode()


def _untoken(token: str) -> str:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (ValueError, KeyError, TypeError):
        raise AwsError("InvalidArgumentException", "The NextToken is invalid or expired.") from None


def list_streams(request: KitRequest) -> dict[str, Any]:
    from moto.kinesis.models import kinesis_backends

    params = request.json()
    limit = params.get("Limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise AwsError("ValidationException", f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                       f"constraint: Member must have value between 1 and {MAX_LIMIT}")
    if params.get("NextToken") and params.get("ExclusiveStartStreamName"):
        raise AwsError("InvalidArgumentException", "NextToken and ExclusiveStartStreamName cannot be provided together.")
    after = _untoken(params["NextToken"]) if params.get("NextToken") else params.get("ExclusiveStartStreamName")

    streams = sorted(backend(kinesis_backends, request).list_streams(), key=lambda s: s.stream_name)
    if after:
        streams = [s for s in streams if s.stream_name > after]
    page, more = streams[:limit], len(streams) > limit
    result: dict[str, Any] = {
        "StreamNames": [s.stream_name for s in page],
        "HasMoreStreams": more,
        "StreamSummaries": [
            {
                "StreamName": s.stream_name,
                "StreamARN": s.arn,
                "StreamStatus": s.status,
                "StreamModeDetails": s.stream_mode,
                "StreamCreationTimestamp": epoch(s.creation_datetime),
            }
            for s in page
        ],
    }
    if more:
        result["NextToken"] = _token(page[-1].stream_name)
    return result


def install(registry: Registry) -> None:
    registry.register("kinesis", "ListStreams", list_streams)
