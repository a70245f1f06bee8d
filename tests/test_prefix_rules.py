"""The per-learner prefix makes a valid name in every service the kit names things in.

``DSCA_PREFIX`` starts every resource name, so a class can share one account. Each name the kit
derives from it is found in the notebooks and helpers (``cfg.name("...")``, the bucket, the catalog
database, the roles' inline policies) and checked against that service's naming rule, written out
below with where AWS states it. Every prefix ``resolve_prefix`` accepts must pass all of them, and
every prefix it refuses gets one sentence naming what is wrong.

Hypothesis runs derandomized (same examples every run) and without its example database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import athena, config, iam
from helpers import s3 as s3h
from helpers.config import Config, resolve_prefix
from helpers.errors import KitError

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(derandomize=True, database=None, max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# The longest region names of every partition botocore knows (us-isof-south-1 has 15 characters),
# and 12-digit account ids: the bucket name carries both.
_botocore = botocore.session.get_session()
REGIONS = sorted({r for p in _botocore.get_available_partitions() for r in _botocore.get_available_regions("s3", p)},
                 key=lambda r: (-len(r), r))[:3] + ["us-east-1"]
ACCOUNTS = ["123456789012", "111122223333"]  # moto's account and AWS docs' placeholder: 12 digits, like any


# --- the services' rules --------------------------------------------------------------------------------


def _s3_bucket(name: str) -> list[str]:
    """General purpose bucket naming rules, Amazon S3 User Guide, "General purpose bucket naming rules"
    (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)."""
    problems = []
    if not 3 <= len(name) <= 63:
        problems.append("3-63 characters")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        problems.append("lowercase letters, digits, '.' and '-', starting and ending with a letter or digit")
    if ".." in name:
        problems.append("no two adjacent periods")
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        problems.append("not formatted as an IP address")
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        problems.append("no reserved prefix xn--, sthree-, amzn-s3-demo-")
    if name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")):
        problems.append("no reserved suffix -s3alias, --ol-s3, .mrap, --x-s3, --table-s3")
    return problems


def _pattern(pattern: str, low: int, high: int, flags: int = 0) -> Callable[[str], list[str]]:
    def check(name: str) -> list[str]:
        problems = []
        if not low <= len(name) <= high:
            problems.append(f"{low}-{high} characters")
        if not re.fullmatch(pattern, name, flags):
            problems.append(f"matches {pattern}")
        return problems
    return check


# Glue's NameString: "Single-line string pattern", 1-255 (AWS Glue API reference, "Common data types").
_GLUE_NAME = r"[\u0020-\uD7FF\uE000-\uFFFD\t]*"

RULES: dict[str, Callable[[str], list[str]]] = {
    "s3 bucket": _s3_bucket,
    # Kinesis API reference, CreateStream: StreamName, 1-128, [a-zA-Z0-9_.-]+.
    "kinesis stream": _pattern(r"[a-zA-Z0-9_.-]+", 1, 128),
    # AWS Glue API reference, CreateJob / CreateCrawler: Name is a NameString, 1-255.
    "glue job": _pattern(_GLUE_NAME, 1, 255),
    "glue crawler": _pattern(_GLUE_NAME, 1, 255),
    # Athena User Guide, "Name databases, tables, and columns": lowercase, only '_' as a special
    # character, at most 255; names starting with a digit or '_' need quoting, which the kit's SQL
    # helpers refuse (helpers.athena.check_identifier), so the kit's rule starts with a letter.
    # The same name is the Glue database (NameString, 1-255).
    "glue/athena database": _pattern(r"[a-z][a-z0-9_]*", 1, 255),
    # Athena API reference, CreateWorkGroup: Name, [a-zA-Z0-9._-]{1,128}.
    "athena work group": _pattern(r"[a-zA-Z0-9._-]+", 1, 128),
    # IAM API reference, CreateRole: RoleName, 1-64, [\w+=,.@-]+ (IAM quotas: role name 64 characters).
    "iam role": _pattern(r"[\w+=,.@-]+", 1, 64, re.ASCII),
    # IAM API reference, PutRolePolicy: PolicyName, 1-128, [\w+=,.@-]+.
    "iam policy": _pattern(r"[\w+=,.@-]+", 1, 128, re.ASCII),
    # QuickSight API reference, CreateDashboard: DashboardId, 1-512, [\w\-]+. DataSetId and
    # DataSourceId have no pattern in the reference; the kit holds them to the same rule.
    "quicksight id": _pattern(r"[\w-]+", 1, 512, re.ASCII),
    # QuickSight API reference, CreateDataSource / CreateDataSet: Name, 1-128.
    "quicksight name": _pattern(r".+", 1, 128),
    # CloudWatch Logs API reference, CreateLogStream: logStreamName, 1-512, [^:*]* (a crawler logs
    # to the stream named after it).
    "log stream": _pattern(r"[^:*]*", 1, 512),
    # Tag values (the "prefix" tag): 0-256 characters, [\p{L}\p{Z}\p{N}_.:/=+\-@]* (IAM TagResource,
    # the strictest of the services the kit tags).
    "tag value": _pattern(r"[\w\s.:/=+\-@]*", 0, 256),
}

# The same limits as botocore's service models state them, so a change upstream shows here.
MODEL_RULES = [
    ("kinesis", "CreateStream", "StreamName", 1, 128, "[a-zA-Z0-9_.-]+"),
    ("athena", "CreateWorkGroup", "Name", None, None, "[a-zA-Z0-9._-]{1,128}"),
    ("iam", "CreateRole", "RoleName", 1, 64, "[\\w+=,.@-]+"),
    ("iam", "PutRolePolicy", "PolicyName", 1, 128, "[\\w+=,.@-]+"),
    ("quicksight", "CreateDashboard", "DashboardId", 1, 512, "[\\w\\-]+"),
    ("glue", "CreateJob", "Name", 1, 255, None),
    ("glue", "CreateCrawler", "Name", 1, 255, None),
    ("logs", "CreateLogStream", "logStreamName", 1, 512, "[^:*]*"),
]


@pytest.mark.parametrize("service,operation,member,low,high,pattern", MODEL_RULES)
def test_the_rules_agree_with_botocores_service_models(service, operation, member, low, high, pattern):
    shape = _botocore.get_service_model(service).operation_model(operation).input_shape.members[member]
    assert (shape.metadata.get("min"), shape.metadata.get("max")) == (low, high)
    if pattern:
        assert shape.metadata.get("pattern") == pattern


# --- the names the kit derives from the prefix ----------------------------------------------------------

# What each cfg.name("<suffix>") names. A new cfg.name(...) in a notebook or helper must be added
# here (test_every_derived_name_is_classified), so its service's rule gets checked.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "sensor-stream": ("kinesis stream",),
    "exercise-stream": ("kinesis stream",),
    "forgotten-stream": ("kinesis stream",),  # notebook 08's exercise
    "throttle-demo": ("kinesis stream",),
    "sensor-etl": ("glue job",),
    "curated-crawler": ("glue crawler", "log stream"),
    "quarantine-crawler": ("glue crawler", "log stream"),
    "metrics-crawler": ("glue crawler", "log stream"),
    "glue-etl-role": ("iam role",),
    "glue-crawler-role": ("iam role",),
    "workgroup": ("athena work group",),
    "athena": ("quicksight id", "quicksight name"),
    "readings": ("quicksight id", "quicksight name"),
    "low-battery": ("quicksight id", "quicksight name"),
    "dashboard": ("quicksight id",),
}


def _sources() -> dict[str, str]:
    """Python source of the helpers and of every notebook code cell, by file."""
    found = {str(p.relative_to(ROOT)): p.read_text() for p in sorted((ROOT / "helpers").rglob("*.py"))}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found[str(path.relative_to(ROOT))] = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return found


def _found(pattern: str) -> dict[str, set[str]]:
    hits: dict[str, set[str]] = {}
    for file, text in _sources().items():
        for match in re.finditer(pattern, text):
            hits.setdefault(match.group(1), set()).add(file)
    return hits


def test_every_derived_name_is_classified():
    used = _found(r"""cfg\.name\(\s*["']([^"']+)["']\s*\)""")
    assert used, "no cfg.name(...) found: has the naming moved?"
    unknown = {s: sorted(files) for s, files in used.items() if s not in SUFFIXES}
    assert not unknown, f"add these names to SUFFIXES with the services they name: {unknown}"
    # Other shapes of derived names, so a new one is noticed too.
    assert set(_found(r"""cfg\.prefix\.replace\("-", "_"\) \+ "([^"]+)\"""")) <= {"_analytics"}
    assert set(_found(r"""data_bucket_name\([^)]*purpose\s*=\s*["']([^"']+)""")) <= {"data"}


def _policy_name(role: str) -> str:
    """The inline policy name helpers.iam.ensure_role gives a role (asked of the helper itself)."""
    calls: list[dict[str, Any]] = []

    class FakeIam:
        def get_role(self, **kw):
            return {"Role": {"Arn": f"arn:aws:iam::123456789012:role/{kw['RoleName']}"}}

        def update_assume_role_policy(self, **kw):
            pass

        def put_role_policy(self, **kw):
            calls.append(kw)

        def tag_role(self, **kw):
            pass

    iam.ensure_role(role, iam.GLUE_TRUST_POLICY, {"Version": "2012-10-17", "Statement": []}, iam=FakeIam(), verbose=False)
    return calls[0]["PolicyName"]


def derived_names(prefix: str) -> list[tuple[str, str]]:
    """(service rule, name) for every name the kit builds from ``prefix``."""
    cfg = Config("aws", "us-east-1", None, prefix, "123456789012", {"project": config.PROJECT_TAG, "prefix": prefix})
    names = [("tag value", cfg.tags["prefix"])]
    for suffix, services in SUFFIXES.items():
        names += [(service, cfg.name(suffix)) for service in services]
    for role in ("glue-etl-role", "glue-crawler-role"):
        names.append(("iam policy", _policy_name(cfg.name(role))))
    database = prefix.replace("-", "_") + "_analytics"  # as the notebooks write it
    names += [("glue/athena database", database), ("glue/athena database", athena.sql_name(prefix, "analytics"))]
    for region in REGIONS:
        for account in ACCOUNTS:
            names.append(("s3 bucket", s3h.data_bucket_name(prefix, account, region)))
    return names


def _broken(prefix: str) -> list[str]:
    found = []
    for service, name in derived_names(prefix):
        problems = RULES[service](name)
        if problems:
            found.append(f"{service} {name!r}: {', '.join(problems)}")
    return found


def _resolve(monkeypatch, prefix: str) -> str:
    monkeypatch.setenv("DSCA_PREFIX", prefix)
    return resolve_prefix()


# --- good prefixes ----------------------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyz"
ALNUM = LETTERS + "0123456789"
EDGE_CASES = [
    "dsca-learner", "dsca-t0", "dsca-t9", "dsca-t123", "dsca-ana", "abc", "a-b", "a00",
    "z" * 20, "a" + "-9" * 9 + "z", "dsca-abcdefghijklmno", "a9" * 10,
    "sthreex", "amzn-s3", "amzn-s3-dem", "xn-a", "xna-b", "s3alias", "dsca-s3alias", "ip-1-2-3-4",
]


@pytest.mark.parametrize("prefix", EDGE_CASES)
def test_edge_case_prefixes_are_accepted_and_make_valid_names(monkeypatch, prefix):
    assert _resolve(monkeypatch, prefix) == prefix
    assert _broken(prefix) == []


def test_the_longest_prefix_makes_the_longest_names_still_valid(monkeypatch):
    longest = "a" * 20
    assert _resolve(monkeypatch, longest) == longest
    monkeypatch.setenv("DSCA_PREFIX", longest + "a")
    with pytest.raises(KitError, match="21 characters"):
        resolve_prefix()
    bucket = max((n for s, n in derived_names(longest) if s == "s3 bucket"), key=len)
    assert len(bucket) == 20 + len("-data-123456789012-") + 15 <= 63
    role = max((n for s, n in derived_names(longest) if s == "iam role"), key=len)
    assert len(role) <= 64


@st.composite
def good_prefixes(draw) -> str:
    """Lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit."""
    size = draw(st.integers(3, 20))
    chars = [draw(st.sampled_from(LETTERS))]
    while len(chars) < size:
        hyphen = chars[-1] != "-" and len(chars) < size - 1 and draw(st.integers(0, 3)) == 0
        chars.append("-" if hyphen else draw(st.sampled_from(ALNUM)))
    prefix = "".join(chars)
    return prefix


@SETTINGS
@given(good_prefixes())
def test_every_well_formed_prefix_is_accepted_and_makes_valid_names(monkeypatch, prefix):
    reserved = re.match(r"(sthree|amzn-s3-demo)(-|$)", prefix)
    if reserved:
        with pytest.raises(KitError, match="reserves"):
            _resolve(monkeypatch, prefix)
        return
    assert _resolve(monkeypatch, prefix) == prefix
    assert _broken(prefix) == []


@SETTINGS
@given(st.text(alphabet=st.sampled_from(ALNUM + "-_.AZ é/:@+=*" + "\t"), max_size=30))
def test_whatever_resolve_prefix_accepts_makes_valid_names(monkeypatch, text):
    """The rule's guarantee, for any text at all: accepted means every derived name is valid."""
    monkeypatch.setenv("DSCA_PREFIX", text)
    try:
        prefix = resolve_prefix()
    except KitError as exc:
        _assert_one_sentence(str(exc), text)
        return
    assert _broken(prefix) == []


@SETTINGS
@given(st.text(max_size=40))
def test_the_default_prefix_is_always_valid(monkeypatch, user):
    monkeypatch.setattr(config.getpass, "getuser", lambda: user)
    monkeypatch.delenv("DSCA_PREFIX", raising=False)
    prefix = resolve_prefix()
    assert prefix.startswith("dsca-")
    assert _broken(prefix) == []


# --- bad prefixes -------------------------------------------------------------------------------------------

BAD = [
    ("Dsca-Ana", "uppercase"),
    ("DSCA", "uppercase"),
    ("dsca_ana", "'_'"),
    ("x" * 21, "21 characters"),
    ("dsca-a-very-long-learner-name", "29 characters"),
    ("ab", "shorter than 3"),
    ("1dsca", "start with a letter"),
    ("-dsca", "start with a letter"),
    ("dsca-", "ends with '-'"),
    ("dsca--ana", "'--'"),
    ("xn--dsca", "'--'"),
    ("sthree", "'sthree'"),
    ("sthree-ana", "'sthree'"),
    ("amzn-s3-demo", "'amzn-s3-demo'"),
    ("amzn-s3-demo-ana", "'amzn-s3-demo'"),
    ("dsca.ana", "'.'"),
    ("dsca ana", "' '"),
    ("dsca/ana", "'/'"),
    ("dscä", "'ä'"),
    (" ", "shorter than 3"),
]


def _assert_one_sentence(message: str, prefix: str) -> None:
    assert message.startswith(f"DSCA_PREFIX={prefix!r} is not a usable prefix: ")
    rest = message.removeprefix(f"DSCA_PREFIX={prefix!r} ")
    assert rest.endswith(".") and rest.count(". ") == 0 and "\n" not in rest, message


@pytest.mark.parametrize("prefix,what", BAD)
def test_bad_prefixes_get_one_sentence_naming_the_problem(monkeypatch, prefix, what):
    monkeypatch.setenv("DSCA_PREFIX", prefix)
    with pytest.raises(KitError) as caught:
        resolve_prefix()
    message = str(caught.value)
    _assert_one_sentence(message, prefix)
    assert what in message, message


def test_prefixes_that_would_collide_are_not_both_valid(monkeypatch):
    """The catalog database turns '-' into '_': only one spelling may be a prefix."""
    assert _resolve(monkeypatch, "dsca-ana") == "dsca-ana"
    monkeypatch.setenv("DSCA_PREFIX", "dsca_ana")
    with pytest.raises(KitError):
        resolve_prefix()


def test_derived_names_for_one_learner():
    """What one learner's names look like (and that the list is plain data a teacher can print)."""
    names = derived_names("dsca-ana")
    assert ("kinesis stream", "dsca-ana-sensor-stream") in names
    assert ("glue/athena database", "dsca_ana_analytics") in names
    assert ("iam policy", "dsca-ana-glue-crawler-role-access") in names
    assert ("s3 bucket", "dsca-ana-data-123456789012-us-east-1") in names
    json.dumps(names)
