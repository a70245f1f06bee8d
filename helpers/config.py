"""Where the notebooks' AWS calls go, and how resources are named and tagged.

The one place the two targets differ. ``setup()`` reads three environment
variables and configures *this Python process* so that plain boto3,
awswrangler, PyAthena and ``!aws ...`` shell commands all reach the target:

=================  =====================================================
``DSCA_TARGET``    ``local`` (default): the kit's local endpoint;
                   ``aws``: real AWS through the standard credential chain.
``DSCA_PREFIX``    prefix of every resource name (default ``dsca-<user>``),
                   so several learners can share one account.
``DSCA_ENDPOINT_URL``  local target only: use this already-running endpoint
                   instead of starting ``python -m local_aws`` (tests, a
                   class sharing one endpoint).
=================  =====================================================

The region comes from ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` (default
``us-east-1``).
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import boto3
import botocore.config
import botocore.exceptions

from .errors import KitError, show_kit_errors_briefly

PROJECT_TAG = "data-stream-cloud-analytics"
TARGETS = ("local", "aws")
DEFAULT_REGION = "us-east-1"

# Credentials the local endpoint accepts. They are fake on purpose: the local
# endpoint never sees real keys, and setup() refuses to send these to AWS.
LOCAL_ACCESS_KEY = "LOCALAWSDUMMYACCESSKEY"
LOCAL_SECRET_KEY = "local-aws-dummy-secret-key"

# Retries with backoff for every client the helpers make ("standard" mode
# retries throttling such as ProvisionedThroughputExceededException).
RETRY_CONFIG = botocore.config.Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=5, read_timeout=60)

# The per-learner prefix starts every name the kit makes, so it must be valid in all of them
# (tests/test_prefix_rules.py checks each service's rule): 3-20 characters, so that the longest
# name, the bucket <prefix>-data-<account>-<region>, stays within S3's 63; lowercase letters,
# digits and single hyphens, starting with a letter and ending with a letter or digit (S3 bucket
# and Athena database names); no "_", because the Glue database turns "-" into "_" and "a_b" would
# collide with "a-b"; and no start that S3 reserves ("xn--", "sthree-", "amzn-s3-demo-").
_PREFIX_RULE = re.compile(r"^(?=[a-z0-9-]{3,20}$)(?!sthree(?:-|$)|amzn-s3-demo(?:-|$))[a-z](?:-?[a-z0-9])+$")


@dataclass(frozen=True)
class Config:
    """What ``setup()`` resolved: target, region, endpoint and naming."""

    target: str
    region: str
    endpoint_url: str | None  # None means AWS's own endpoints
    prefix: str
    account: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def name(self, suffix: str) -> str:
        """A resource name under the learner's prefix, e.g. ``dsca-ana-sensor-stream``."""
        return f"{self.prefix}-{suffix}"

    def tag_list(self) -> list[dict[str, str]]:
        """Tags in the ``[{"Key": ..., "Value": ...}]`` form most AWS APIs take."""
        return [{"Key": k, "Value": v} for k, v in self.tags.items()]

    def client(self, service: str):
        """A boto3 client for the target with the kit's retry settings."""
        return boto3.client(service, region_name=self.region, config=RETRY_CONFIG)

    def account_id(self) -> str:
        """The AWS account id (asked of STS once on the local target, where it is moto's 123456789012)."""
        if self.account:
            return self.account
        return self.client("sts").get_caller_identity()["Account"]

    def summary(self) -> str:
        endpoint = self.endpoint_url or "AWS (default endpoints)"
        account = f"  account={self.account}" if self.target == "aws" else ""
        return f"target={self.target}  region={self.region}  endpoint={endpoint}  prefix={self.prefix}{account}"


def default_prefix() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "learner"
    user = re.sub(r"[^a-z0-9]+", "-", user.lower()).strip("-")[:14] or "learner"
    return f"dsca-{user}".rstrip("-")


def resolve_prefix() -> str:
    """``DSCA_PREFIX`` (default ``dsca-<user>``), or a KitError saying in one sentence what is wrong with it."""
    prefix = os.environ.get("DSCA_PREFIX") or default_prefix()
    if _PREFIX_RULE.match(prefix):
        return prefix
    others = sorted(set(prefix.lower()) - set("abcdefghijklmnopqrstuvwxyz0123456789-_"))
    reserved = next((r for r in ("sthree", "amzn-s3-demo") if prefix == r or prefix.startswith(r + "-")), None)
    if len(prefix) > 20:
        problem = (f"it is {len(prefix)} characters long; use at most 20, so that the longest name built from it, "
                   "the S3 bucket <prefix>-data-<account>-<region>, fits S3's limit of 63")
    elif len(prefix) < 3:
        problem = "it is shorter than 3 characters; use 3 to 20 lowercase letters, digits or hyphens"
    elif prefix != prefix.lower():
        problem = "it has uppercase letters; use lowercase, as S3 bucket and Glue database names must"
    elif "_" in prefix:
        problem = ("it contains '_'; use '-' instead, since S3 bucket names cannot contain '_' "
                   "and the Glue database name turns every '-' into '_'")
    elif others:
        problem = f"it contains {''.join(others)!r}; use only lowercase letters, digits and hyphens"
    elif not prefix[0].isalpha():
        problem = "it does not start with a letter; start with one, as the Athena database name built from it must"
    elif prefix.endswith("-"):
        problem = "it ends with '-'; end with a letter or digit, or names such as <prefix>-sensor-stream would contain '--'"
    elif "--" in prefix:
        problem = "it contains '--'; use single hyphens, since S3 reserves bucket names starting with 'xn--' and suffixes with '--'"
    elif reserved:
        problem = f"it starts with {reserved!r}, which S3 reserves for bucket names; choose another start such as 'dsca-'"
    else:  # pragma: no cover - every way to fail the rule is named above
        problem = "use 3-20 lowercase letters, digits or single hyphens, starting with a letter"
    raise KitError(f"DSCA_PREFIX={prefix!r} is not a usable prefix: {problem}.")


def resolve_target() -> str:
    target = (os.environ.get("DSCA_TARGET") or "local").strip().lower()
    if target not in TARGETS:
        raise KitError(f"DSCA_TARGET={target!r} is not a target: use 'local' (the default) or 'aws'.")
    return target


def resolve_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def setup(quiet: bool = False) -> Config:
    """Resolve the target and configure this process for it; print one summary line.

    Safe to call again (each notebook starts with it). Never prompts.
    """
    show_kit_errors_briefly()
    target = resolve_target()
    prefix = resolve_prefix()
    region = resolve_region()
    tags = {"project": PROJECT_TAG, "prefix": prefix}
    if target == "local":
        config = _setup_local(region, prefix, tags)
    else:
        config = _setup_aws(region, prefix, tags)
    if not quiet:
        print(config.summary())
    return config


def _setup_local(region: str, prefix: str, tags: dict[str, str]) -> Config:
    url = os.environ.get("DSCA_ENDPOINT_URL") or _start_local_endpoint()
    _check_is_local(url)
    _check_answers(url)
    # Dummy credentials replace whatever this process had, so real keys are
    # never sent to the local endpoint; a profile could otherwise supply them.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_KEY,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
        }
    )
    boto3.DEFAULT_SESSION = None  # forget a session made before setup()
    return Config("local", region, url, prefix, None, tags)


def _start_local_endpoint() -> str:
    """Start (or find) the kit's endpoint through its own CLI, and return its URL."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "local_aws", "start"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KitError(f"Could not start the local endpoint (python -m local_aws start): {exc}.") from None
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no message"
        raise KitError(f"Could not start the local endpoint: {reason.removeprefix('error: ')}")
    return done.stdout.strip().splitlines()[-1]


def _check_is_local(url: str) -> None:
    host = urllib.parse.urlparse(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise KitError(
            f"DSCA_ENDPOINT_URL={url!r} is not on this machine; the local target only talks to a loopback "
            "endpoint. For real AWS set DSCA_TARGET=aws."
        )


def _check_answers(url: str) -> None:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/_local_aws/health", timeout=5) as response:
            response.read()
    except urllib.error.HTTPError:
        return  # something AWS-like answers (e.g. a plain moto server): good enough
    except OSError:
        raise KitError(
            f"No endpoint answers at {url}: start one with 'python -m local_aws start' "
            "or unset DSCA_ENDPOINT_URL to let setup() start it."
        ) from None


def _setup_aws(region: str, prefix: str, tags: dict[str, str]) -> Config:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        host = urllib.parse.urlparse(endpoint).hostname or ""
        if host in ("localhost", "127.0.0.1", "::1") or host.startswith("127."):
            raise KitError(
                f"DSCA_TARGET=aws but AWS_ENDPOINT_URL={endpoint!r} points at a local endpoint; "
                "unset AWS_ENDPOINT_URL (or restart the kernel) to reach AWS."
            )
    try:
        session = boto3.Session(region_name=region)
        credentials = session.get_credentials()
        # SSO and other refreshable credentials load lazily: reading the key is what fails on a missing login.
        access_key = credentials.access_key if credentials is not None else None
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise KitError(f"DSCA_TARGET=aws but the AWS credentials could not be loaded: {exc}{_credentials_hint(exc)}") from None
    if credentials is None:
        raise KitError(
            "DSCA_TARGET=aws but no AWS credentials were found: configure them (aws configure, AWS_PROFILE or SSO), "
            "or use the local target."
        )
    if access_key == LOCAL_ACCESS_KEY:
        raise KitError(
            "DSCA_TARGET=aws but this process still holds the local endpoint's dummy credentials; "
            "restart the kernel so the standard credential chain is used."
        )
    try:
        account = session.client("sts", config=RETRY_CONFIG).get_caller_identity()["Account"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise KitError(f"DSCA_TARGET=aws but AWS did not accept the credentials: {exc}{_credentials_hint(exc)}") from None
    os.environ.update({"AWS_REGION": region, "AWS_DEFAULT_REGION": region})
    boto3.setup_default_session(region_name=region)
    return Config("aws", region, None, prefix, account, tags)


_EXPIRED = ("ExpiredToken", "ExpiredTokenException", "RequestExpired")
_REJECTED = ("InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId")


def _credentials_hint(exc: Exception) -> str:
    """What to do about a credentials error, as the end of the sentence (empty when there is nothing specific)."""
    if isinstance(exc, (botocore.exceptions.SSOError, botocore.exceptions.TokenRetrievalError)):
        return "; sign in again with 'aws sso login' (add --profile <name> for a named profile), then restart the kernel"
    code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, botocore.exceptions.ClientError) else ""
    if code in _EXPIRED:
        return ("; they have expired: get new ones ('aws sso login', or a new session token), "
                "then restart the kernel")
    if code in _REJECTED:
        return "; the access key is wrong or deactivated: check it with 'aws sts get-caller-identity' or run 'aws configure'"
    return ""
