"""boto3 clients to the endpoint itself, signed as the caller (so their writes land in the caller's account)."""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[tuple, Any] = {}
_lock = threading.Lock()


def client(service: str, url: str, region: str, access_key: str, account_header: str | None = None) -> Any:
    key = (service, url, region, access_key, account_header)
    with _lock:
        found = _clients.get(key)
        if found is None:
            import boto3
            import botocore.config

            found = boto3.session.Session().client(
                service, endpoint_url=url, region_name=region, aws_access_key_id=access_key,
                aws_secret_access_key="local-athena",
                config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 5}, read_timeout=300,
                                              max_pool_connections=32),
            )
            if account_header:
                found.meta.events.register(
                    f"before-sign.{found.meta.service_model.endpoint_prefix}.*",
                    lambda request, **kw: request.headers.__setitem__("X-Moto-Account-Id", account_header))
            _clients[key] = found
        return found


def reset() -> None:
    with _lock:
        _clients.clear()
