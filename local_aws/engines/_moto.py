"""How engines reach moto's in-process backends for the caller's account and region."""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from typing import Any

from ..dispatch import KitRequest

_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")


def account_id(request: KitRequest) -> str:
    """The account moto would serve this request from (same precedence as moto)."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    header = request.headers.get("X-Moto-Account-Id")
    if header:
        return header
    from moto.iam.models import get_account_id_from

    match = _ACCESS_KEY.search(request.headers.get("Authorization", ""))
    return get_account_id_from(match.group(1) if match else "AKIAEXAMPLE")


def backend(backends: Any, request: KitRequest) -> Any:
    return backends[account_id(request)][request.region]


def epoch(value: Any) -> Any:
    """JSON-protocol timestamps are epoch seconds (moto keeps naive UTC datetimes)."""
    if not isinstance(value, datetime):
        return value
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()


class moto_errors:
    """Turn moto's exceptions into AwsError, so engines answer them AWS-shaped."""

    def __enter__(self) -> "moto_errors":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        from moto.core.exceptions import ServiceException, _RESTError

        from ..dispatch import AwsError

        if isinstance(exc, _RESTError):  # moto's older JSON/XML errors
            raise AwsError(exc.error_type, exc.message, exc.code) from None
        if isinstance(exc, ServiceException):  # moto's newer serializable errors
            raise AwsError(exc.code, exc.message, 400) from None
        return False
