"""The dispatch seam: an operation can be answered by a kit engine instead of moto.

The app runs in-process on a free port so the test can register engines on it;
the clients are ordinary boto3 clients speaking the wire protocol.
"""

from __future__ import annotations

import threading
import time

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError
from werkzeug.serving import make_server

from local_aws.dispatch import AwsError, KitRequest, Registry
from local_aws.server import build_app


@pytest.fixture(scope="module")
def endpoint():
    registry = Registry()
    app = build_app(registry, {"service": "local_aws", "started_at": time.time()})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", registry
    server.shutdown()
    thread.join()


def client(service: str, url: str):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )


def test_a_registered_engine_answers_instead_of_moto(endpoint):
    url, registry = endpoint
    seen: list[KitRequest] = []

    def start_query(request: KitRequest):
        seen.append(request)
        return {"QueryExecutionId": "from-the-kit-engine"}

    registry.register("athena", "StartQueryExecution", start_query)
    try:
        athena = client("athena", url)
        answer = athena.start_query_execution(QueryString="SELECT 1", ResultConfiguration={"OutputLocation": "s3://b/r/"})
        assert answer["QueryExecutionId"] == "from-the-kit-engine"
        (request,) = seen
        assert (request.service, request.operation, request.region, request.protocol) == (
            "athena", "StartQueryExecution", "eu-west-1", "json")
        assert request.json()["QueryString"] == "SELECT 1"
        # Operations without an engine still reach moto.
        assert "WorkGroups" in athena.list_work_groups()
    finally:
        registry.unregister("athena", "StartQueryExecution")
    # Unregistered again: moto answers with its own (random) id.
    assert client("athena", url).start_query_execution(QueryString="SELECT 1")["QueryExecutionId"] != "from-the-kit-engine"


@pytest.mark.parametrize(
    "service, operation, call, protocol",
    [
        ("sts", "GetCallerIdentity", lambda c: c.get_caller_identity(), "query"),
        ("quicksight", "ListDashboards", lambda c: c.list_dashboards(AwsAccountId="123456789012"), "rest-json"),
        ("glue", "StartCrawler", lambda c: c.start_crawler(Name="c1"), "json"),
        ("s3", "ListObjectsV2", lambda c: c.list_objects_v2(Bucket="some-bucket"), "rest-xml"),
    ],
)
def test_operations_of_every_protocol_are_identified(endpoint, service, operation, call, protocol):
    url, registry = endpoint
    seen: list[KitRequest] = []

    def record(request: KitRequest):
        seen.append(request)
        raise AwsError("KitEngineSawIt", f"{request.service}.{request.operation}")

    registry.register(service, operation, record)
    try:
        with pytest.raises(ClientError) as caught:
            call(client(service, url))
    finally:
        registry.unregister(service, operation)
    assert [(r.service, r.operation, r.protocol) for r in seen] == [(service, operation, protocol)]
    assert caught.value.response["Error"]["Code"] == "KitEngineSawIt"
    assert caught.value.response["Error"]["Message"] == f"{service}.{operation}"


def test_an_engine_error_is_aws_shaped(endpoint):
    url, registry = endpoint

    def refuse(request: KitRequest):
        raise AwsError("InvalidRequestException", "line 1:8: Column 'x' cannot be resolved")

    registry.register("athena", "GetQueryExecution", refuse)
    try:
        with pytest.raises(ClientError) as caught:
            client("athena", url).get_query_execution(QueryExecutionId="q")
    finally:
        registry.unregister("athena", "GetQueryExecution")
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidRequestException", "line 1:8: Column 'x' cannot be resolved")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_crashing_engine_gives_internal_failure_and_the_endpoint_survives(endpoint):
    url, registry = endpoint

    def crash(request: KitRequest):
        raise RuntimeError("bug in an engine")

    registry.register("kinesis", "ListStreams", crash)
    try:
        with pytest.raises(ClientError) as caught:
            client("kinesis", url).list_streams()
    finally:
        registry.unregister("kinesis", "ListStreams")
    assert caught.value.response["Error"]["Code"] == "InternalFailure"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "StreamNames" in client("kinesis", url).list_streams()


def test_unsigned_and_garbage_requests_do_not_crash_the_endpoint(endpoint):
    import urllib.error
    import urllib.request

    url, _ = endpoint
    for request in [
        urllib.request.Request(url + "/", data=b"\x00\xff garbage", method="POST",
                               headers={"X-Amz-Target": "Kinesis_20131202.PutRecord", "Authorization": "nonsense"}),
        urllib.request.Request(url + "/?X-Amz-Credential=bad", method="GET"),
    ]:
        try:
            urllib.request.urlopen(request, timeout=10).read()
        except urllib.error.HTTPError as exc:
            assert exc.code < 600
    assert "StreamNames" in client("kinesis", url).list_streams()
