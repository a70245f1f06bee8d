"""S3 bucket policies evaluated with the request's context, as AWS evaluates them.

moto evaluates a bucket policy's conditions without any context values, and a
condition whose key is absent counts as met -- so the usual "deny requests
not made over HTTPS" statement (``aws:SecureTransport`` = ``false``) denies
*every* request; moto also knows only the ``StringEquals`` operator and
treats others (``Bool``) as met. Here ``Bool`` is evaluated, and the context
carries ``aws:SecureTransport = true``: the
endpoint listens on loopback only, which plays the part of AWS's TLS, so the
kit's TLS-only bucket policy behaves as it does on AWS for boto3 (HTTPS there).
"""

from __future__ import annotations

import json
from typing import Any

from ..dispatch import Registry

CONTEXT = {"aws:SecureTransport": "true"}


def _get_permission(self: Any, action: str, resource: str) -> Any:
    """AWS's order: an explicit Deny whose conditions hold wins, then an Allow, else neutral.

    (moto answers DENIED for any statement whose conditions do not hold, which
    turns a conditional Deny into a Deny for everyone else.)
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.iam.policy_conditions import TrustRelationShipConditions

    if self.policy is None:
        return PermissionResult.NEUTRAL
    statements = json.loads(self.policy.decode()).get("Statement", [])
    allowed = False
    for statement in statements if isinstance(statements, list) else [statements]:
        checker = IAMPolicyStatement(statement)
        if "NotAction" in statement:
            concerned = not checker._check_element_matches("NotAction", action)
        else:
            concerned = checker._check_element_matches("Action", action)
        if not concerned or not checker._check_element_matches("Resource", resource):
            continue
        conditions = statement.get("Condition") or {}
        if not all(c.verify_condition([CONTEXT[k] for k in c.context_keys if k in CONTEXT])
                   for c in TrustRelationShipConditions(conditions)):
            continue
        if statement.get("Effect") == "Deny":
            return PermissionResult.DENIED
        allowed = True
    return PermissionResult.PERMITTED if allowed else PermissionResult.NEUTRAL


def _bool_equals(expected: list[str] | str | bool, actual: str) -> bool:
    values = expected if isinstance(expected, list) else [expected]
    return str(actual).lower() in {str(v).lower() for v in values}


ACCESS_DENIED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
    "<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
)


def _access_denied_body(key_response: Any) -> Any:
    """moto answers an object request its bucket policy denies with a bare 403 and no
    body (boto3 then shows "(403) Forbidden"); S3 sends an AccessDenied error document."""
    import functools
    import uuid

    @functools.wraps(key_response)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        response = key_response(self, *args, **kwargs)
        if isinstance(response, tuple) and len(response) == 3 and response[0] == 403 and not response[2]:
            request_id = uuid.uuid4().hex[:16].upper()
            headers = {**(response[1] or {}), "content-type": "application/xml", "x-amz-request-id": request_id}
            return 403, headers, ACCESS_DENIED.format(request_id=request_id)
        return response

    return wrapper


def install(registry: Registry) -> None:
    from moto.iam.policy_conditions import CONDITION_OPERATIONS
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    CONDITION_OPERATIONS.setdefault("Bool", _bool_equals)
    FakeBucket.get_permission = _get_permission
    if not getattr(S3Response._key_response, "__wrapped__", None):
        S3Response._key_response = _access_denied_body(S3Response._key_response)
