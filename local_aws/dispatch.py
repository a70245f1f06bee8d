"""The seam between the AWS wire protocol and the kit's engines.

Every request reaching the endpoint is identified as (service, operation) the way
AWS identifies it -- from the SigV4 credential scope plus the ``X-Amz-Target``
header (JSON protocols), the ``Action`` form field (query protocols) or the HTTP
method and path matched against botocore's service model (REST protocols).

If a kit engine registered a handler for that operation, the engine answers;
otherwise the request goes to moto unchanged. Later engines (Athena SQL, the
crawler, the Glue job runtime, QuickSight rendering) plug in with ``register``.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

import botocore.session

from .rwlock import RWLock

log = logging.getLogger("local_aws.dispatch")

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_QUERY_SCOPE = re.compile(r"^[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request$")


@dataclass
class KitRequest:
    """What an engine sees of one AWS API call."""

    service: str  # botocore service name, e.g. "kinesis", "glue", "athena"
    operation: str  # e.g. "StartQueryExecution"
    region: str
    protocol: str  # "json", "rest-json", "query", "rest-xml", "ec2"
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # What the journal should replay instead of ``body``, when an engine applied
    # only part of the request (e.g. PutRecords entries that were not throttled).
    journal_body: bytes | None = None
    # False when the engine changed nothing after all (e.g. every entry throttled).
    journal: bool = True

    def json(self) -> dict[str, Any]:
        """The request body parsed as JSON (``{}`` when empty)."""
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise AwsError("SerializationException", f"The request body is not valid JSON: {exc}") from None


@dataclass
class KitResponse:
    status: int
    body: bytes
    headers: dict[str, str]


class AwsError(Exception):
    """Raise from an engine to answer with an AWS-shaped error."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


Handler = Callable[[KitRequest], "dict[str, Any] | KitResponse"]


def json_response(payload: dict[str, Any], request: KitRequest, status: int = 200) -> KitResponse:
    content_type = "application/x-amz-json-1.1" if request.protocol == "json" else "application/json"
    return KitResponse(
        status,
        json.dumps(payload, default=str).encode(),
        {"Content-Type": content_type, "x-amzn-RequestId": request.request_id},
    )


def error_response(err: AwsError, request: KitRequest | None, protocol: str = "json") -> KitResponse:
    """An error in the shape botocore parses for the request's protocol."""
    request_id = request.request_id if request else str(uuid.uuid4())
    protocol = request.protocol if request else protocol
    if protocol in ("query", "rest-xml", "ec2"):
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{_xml(err.code)}</Code>"
            f"<Message>{_xml(err.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return KitResponse(err.status, body.encode(), {"Content-Type": "text/xml", "x-amzn-RequestId": request_id})
    body = json.dumps({"__type": err.code, "message": err.message, "Message": err.message})
    return KitResponse(
        err.status,
        body.encode(),
        {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id, "x-amzn-ErrorType": err.code},
    )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Registry:
    """Which kit engine answers which (service, operation)."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._lock = threading.Lock()

    def register(self, service: str, operation: str, handler: Handler) -> None:
        with self._lock:
            self._handlers[(service, operation)] = handler

    def unregister(self, service: str, operation: str) -> None:
        with self._lock:
            self._handlers.pop((service, operation), None)

    def get(self, service: str, operation: str) -> Handler | None:
        return self._handlers.get((service, operation))

    def routes(self) -> list[tuple[str, str]]:
        return sorted(self._handlers)


# --- identifying the operation -------------------------------------------------


@lru_cache(maxsize=1)
def _botocore() -> botocore.session.Session:
    return botocore.session.get_session()


# Signing names that differ from the botocore service name. Anything else is
# tried as a service name first; only an unknown name scans every model (slow:
# loading all ~400 service models takes seconds).
_SIGNING_ALIASES = {"monitoring": ["cloudwatch"], "execute-api": ["apigateway"], "states": ["stepfunctions"]}


@lru_cache(maxsize=None)
def _services_for_signing_name(signing_name: str) -> list[str]:
    session = _botocore()
    available = set(session.get_available_services())
    direct = [name for name in [signing_name, *_SIGNING_ALIASES.get(signing_name, [])] if name in available]
    if direct:
        return direct
    found = []
    for name in sorted(available):
        meta = session.get_service_data(name)["metadata"]
        if (meta.get("signingName") or meta.get("endpointPrefix") or name) == signing_name:
            found.append(name)
    return found


@lru_cache(maxsize=None)
def _service_meta(service: str) -> dict[str, Any]:
    return _botocore().get_service_data(service)["metadata"]


@lru_cache(maxsize=None)
def _service_for_target(prefix: str, signing_name: str) -> str | None:
    """The service whose X-Amz-Target prefix (e.g. 'Kinesis_20131202') this is."""
    for service in _services_for_signing_name(signing_name):
        if _service_meta(service).get("targetPrefix") == prefix:
            return service
    return None


@lru_cache(maxsize=None)
def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], frozenset[str], str]]:
    """(method, path regex, required query keys, operation) for a REST service.

    Most specific first: S3 tells ``ListObjectsV2`` (``GET /{Bucket}?list-type=2``)
    from ``ListObjects`` (``GET /{Bucket}``) only by the query string.
    """
    data = _botocore().get_service_data(service)
    routes = []
    for op_name, op in data["operations"].items():
        http = op.get("http", {})
        uri, _, query = http.get("requestUri", "/").partition("?")
        required = frozenset(part.split("=")[0] for part in query.split("&") if part)
        # A greedy label ({Key+}) spans slashes; so does an ARN label ({ResourceArn}): the client
        # percent-encodes the ARN's "/", but PATH_INFO (and the journal) hold it decoded.
        pattern = "^" + re.sub(
            r"\\\{([^}]+)\\\}",
            lambda m: "(.+)" if m.group(1).endswith("+") or m.group(1).lower().endswith("arn") else "([^/]+)",
            re.escape(uri),
        ) + "/?$"
        literal = len(re.sub(r"\{[^}]+\}", "", uri))
        routes.append((len(required), literal, http.get("method", "POST"), re.compile(pattern), required, op_name))
    routes.sort(key=lambda r: (-r[0], -r[1]))
    return [(method, pattern, required, op) for _, _, method, pattern, required, op in routes]


def identify(environ: dict[str, Any], get_body: Callable[[], bytes]) -> tuple[str, str, str, str] | None:
    """(service, operation, region, protocol) of a signed AWS request, or None.

    ``get_body`` is only called for query-protocol services (IAM, STS), whose
    operation name is in the form body; large S3 uploads are never read here.
    """
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _SCOPE.search(auth)
    if match is None:
        credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
        match = _QUERY_SCOPE.match(credential)
    if match is None:
        return None
    region, signing_name = match.group(1), match.group(2)
    candidates = _services_for_signing_name(signing_name)

    target = environ.get("HTTP_X_AMZ_TARGET")
    if target and "." in target:
        prefix, operation = target.rsplit(".", 1)
        service = _service_for_target(prefix, signing_name)
        if service:
            return service, operation, region, _service_meta(service)["protocol"]

    for service in candidates:
        try:
            meta = _service_meta(service)
        except Exception:  # an unknown signing name: leave it to moto
            continue
        protocol = meta["protocol"]
        if protocol in ("query", "ec2"):
            body = get_body() if environ.get("REQUEST_METHOD") == "POST" else b""
            form = parse_qs(body.decode("utf-8", "replace")) if body else parse_qs(environ.get("QUERY_STRING", ""))
            action = form.get("Action", [None])[0]
            if action:
                return service, action, region, protocol
        elif protocol in ("rest-json", "rest-xml"):
            method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            for route_method, pattern, required, operation in _rest_routes(service):
                if route_method == method and required <= query.keys() and pattern.match(path):
                    return service, operation, region, protocol
    return None


# --- the WSGI layer ------------------------------------------------------------


def _placeholder_request(found: tuple[str, str, str, str] | None, environ: dict[str, Any]) -> KitRequest | None:
    """Enough of a request to shape an error in the caller's protocol."""
    if not found:
        return None
    service, operation, region, protocol = found
    return KitRequest(service, operation, region, protocol, environ.get("REQUEST_METHOD", "GET"),
                      environ.get("PATH_INFO", "/"), {}, {}, b"")


class Dispatcher:
    """WSGI app: kit engines first, moto for everything else.

    Nothing a client sends may crash the endpoint: an engine's unexpected
    exception becomes an AWS ``InternalFailure`` and is logged with its traceback.

    With ``persistence`` set, every state-changing request runs alone (reads
    share a readers-writer lock) and, if it succeeded, is appended to the
    journal before its response leaves: what a client saw acknowledged is on
    disk. ``replaying`` is set while the journal is replayed at start-up.
    """

    def __init__(self, moto_app: Callable, registry: Registry, kit_paths: dict[str, Callable] | None = None):
        self.moto_app = moto_app
        self.registry = registry
        self.kit_paths = kit_paths or {}
        self.persistence = None  # local_aws.persistence.Persistence, when state is durable
        self.lock = RWLock()
        self.replaying = False
        self.on_change: Callable[[], None] | None = None  # called after each journaled change

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path in self.kit_paths:
            return self._send(self.kit_paths[path](environ), start_response)

        body_cache: list[bytes] = []

        def get_body() -> bytes:
            if not body_cache:
                body_cache.append(self._read_body(environ))
            return body_cache[0]

        try:
            found = identify(environ, get_body)
        except Exception:  # identification must never take the endpoint down
            log.exception("could not identify request %s %s", environ.get("REQUEST_METHOD"), path)
            found = None
        if self.persistence is None or self.replaying:
            return self._handle(environ, start_response, found, get_body, [])

        from .persistence import is_mutating

        if not is_mutating(found[1] if found else None, environ.get("REQUEST_METHOD", "GET")):
            with self.lock.read():
                return list(self._handle(environ, start_response, found, get_body, []))
        return self._handle_change(environ, start_response, found, get_body)

    def _handle_change(self, environ, start_response, found, get_body) -> Iterable[bytes]:
        """Apply a change alone, journal it if it succeeded, then answer."""
        persistence = self.persistence
        body = get_body()
        request = _placeholder_request(found, environ)
        if not persistence.has_room_for(len(body)):
            err = AwsError("ServiceUnavailable", f"The disk holding the local endpoint's state ({persistence.dir}) is full; "
                           "nothing was changed. Free some space and retry.", 503)
            return self._send(error_response(err, request), start_response)
        answer: list[Any] = []

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
            answer[:] = [status, headers]
            return lambda data: None

        with self.lock.write():
            seq = persistence.next_seq()
            persistence.seed(seq)
            applied_at = time.time()  # replay runs the change at this time again
            holder: list[KitRequest] = []
            chunks = list(self._handle(environ, capture, found, get_body, holder))
            status = int(answer[0].split()[0])
            if status < 300 and not (holder and not holder[0].journal):
                journal_body = holder[0].journal_body if holder and holder[0].journal_body is not None else body
                try:
                    persistence.record(seq, applied_at, found[0] if found else None, found[1] if found else None, environ, journal_body)
                except OSError as exc:
                    log.error("could not journal change %d (%s %s): %s", seq, *(found or ("?", "?"))[:2], exc)
                    err = AwsError("ServiceUnavailable", f"The local endpoint could not save this change ({exc.strerror or exc}); "
                                   "it was not acknowledged.", 503)
                    return self._send(error_response(err, request), start_response)
        if self.on_change is not None:
            self.on_change()
        start_response(*answer)
        return chunks

    def _handle(self, environ, start_response, found, get_body, holder: list) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        handler = self.registry.get(found[0], found[1]) if found else None
        if handler is None:
            return self._call_moto(environ, start_response)

        service, operation, region, protocol = found
        request = KitRequest(
            service=service,
            operation=operation,
            region=region,
            protocol=protocol,
            method=environ.get("REQUEST_METHOD", "GET"),
            path=path,
            query=parse_qs(environ.get("QUERY_STRING", "")),
            headers={k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")},
            body=get_body(),
        )
        holder.append(request)
        try:
            result = handler(request)
            response = result if isinstance(result, KitResponse) else json_response(result, request)
        except AwsError as err:
            response = error_response(err, request)
        except Exception:
            log.error("engine for %s.%s failed:\n%s", service, operation, traceback.format_exc())
            response = error_response(
                AwsError("InternalFailure", f"The local endpoint's {service} engine failed on {operation}; see its log.", 500),
                request,
            )
        return self._send(response, start_response)

    def _call_moto(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        try:
            return self.moto_app(environ, start_response)
        except Exception:
            log.error("moto failed on %s %s:\n%s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), traceback.format_exc())
            response = error_response(AwsError("InternalFailure", "The local endpoint failed on this request; see its log.", 500), None)
            return self._send(response, start_response)

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        """Read the body once and put it back, so moto can read it again."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        if length > 0:
            body = stream.read(length)
        elif environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            body = stream.read()
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        else:
            return b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    @staticmethod
    def _send(response: KitResponse, start_response: Callable) -> Iterable[bytes]:
        headers = dict(response.headers)
        headers["Content-Length"] = str(len(response.body))
        reason = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error",
                  503: "Service Unavailable"}
        start_response(f"{response.status} {reason.get(response.status, 'Status')}", list(headers.items()))
        return [response.body]
