"""Every IAM policy the kit creates, and the policy a learner's own IAM user needs, pass parliament with no findings.

parliament (duo-labs/parliament) checks actions, resource ARN formats, condition keys and known bad patterns
against its bundled copy of AWS's IAM reference. Two documented gaps of that copy are handled explicitly:

* it lints every document as an identity policy, so a role's trust policy, which must *not* have a Resource,
  is reported as MALFORMED (duo-labs/parliament#229); the trust policy is therefore also linted with its
  role's ARN as the Resource it applies to;
* actions newer than the bundled reference are UNKNOWN_ACTION; the only one the kit needs is listed in
  ``NEWER_THAN_PARLIAMENT`` with the helper that calls it.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
from parliament import analyze_policy_string

from helpers import catalog, iam, s3
from helpers.config import PROJECT_TAG, Config

ROOT = Path(__file__).resolve().parent.parent
LEARNER_POLICY = ROOT / "docs" / "learner-iam-policy.json"
ACCOUNT = "111122223333"  # AWS's documentation placeholder account
REGION = "eu-west-1"

# Actions the kit calls that parliament 1.6.4's bundled IAM reference does not know yet.
NEWER_THAN_PARLIAMENT = {
    "quicksight:DescribeDashboardDefinition": "helpers.quicksight.ensure_dashboard",
}

# The names notebooks 01-08 give their resources, for a learner whose prefix is dsca-ana.
CFG = Config("aws", REGION, None, "dsca-ana", ACCOUNT, {"project": PROJECT_TAG, "prefix": "dsca-ana"})
BUCKET = s3.data_bucket_name(CFG.prefix, ACCOUNT, REGION)
DATABASE = CFG.prefix.replace("-", "_") + "_analytics"
STREAM_ARN = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{CFG.name('sensor-stream')}"


def findings(policy: dict, include_community_auditors: bool = False) -> list[tuple[str, str]]:
    analysed = analyze_policy_string(json.dumps(policy, indent=2), include_community_auditors=include_community_auditors)
    return [(f.issue, json.dumps(f.detail, default=str) if not isinstance(f.detail, str) else f.detail)
            for f in analysed.findings]


def learner_policy() -> dict:
    return json.loads(LEARNER_POLICY.read_text())


KIT_POLICIES = {
    "glue job role (helpers.iam.glue_job_policy)": iam.glue_job_policy(STREAM_ARN, BUCKET, DATABASE, ACCOUNT, REGION),
    "glue job role, other prefixes": iam.glue_job_policy(STREAM_ARN, BUCKET, DATABASE, ACCOUNT, "us-east-1",
                                                         write_prefixes=("out/",), read_prefixes=("code/", "lib/")),
    "crawler role (helpers.catalog.crawler_policy)": catalog.crawler_policy(BUCKET, ["curated/", "quarantine/"],
                                                                            DATABASE, ACCOUNT, REGION),
    "crawler role, notebook 05's exercise": catalog.crawler_policy(BUCKET, ["curated", "/quarantine/", "metrics/"],
                                                                   DATABASE, ACCOUNT, REGION),
    "bucket policy (helpers.s3.tls_only_policy)": s3.tls_only_policy(BUCKET),
}


@pytest.mark.parametrize("name", list(KIT_POLICIES))
def test_the_kits_policies_have_no_findings(name):
    assert findings(KIT_POLICIES[name]) == []


@pytest.mark.parametrize("name", [n for n in KIT_POLICIES if "role" in n])
def test_the_kits_role_policies_have_no_findings_from_the_community_auditors_either(name):
    # privilege escalation, credentials exposure, permissions management, sensitive access, ...
    assert findings(KIT_POLICIES[name], include_community_auditors=True) == []


def test_the_trust_policy_lets_only_glue_assume_the_role():
    trust = iam.GLUE_TRUST_POLICY
    assert trust["Version"] == "2012-10-17"
    assert [(s["Effect"], s["Principal"], s["Action"]) for s in trust["Statement"]] == [
        ("Allow", {"Service": "glue.amazonaws.com"}, "sts:AssumeRole")]
    # parliament lints it as an identity policy: its only finding is the missing Resource a trust policy must not have
    assert findings(trust) == [("MALFORMED", "Statement contains neither Resource nor NotResource")]
    # ... and with the role it applies to as the Resource, nothing at all
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{CFG.name('glue-etl-role')}"
    as_identity = {**trust, "Statement": [{**s, "Resource": role_arn} for s in trust["Statement"]]}
    assert findings(as_identity) == []


def test_the_learner_policy_has_no_findings():
    unknown = [(issue, detail) for issue, detail in findings(learner_policy())]
    expected = [("UNKNOWN_ACTION", f"Unknown action {action}") for action in NEWER_THAN_PARLIAMENT]
    assert unknown == expected  # nothing but the actions parliament's reference predates


def _allows(policy: dict, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    """A small evaluator for this policy's shape: Allow statements, Action/Resource lists, StringEquals conditions."""
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        wanted = statement.get("Condition", {}).get("StringEquals", {})
        if all((context or {}).get(k) == v for k, v in wanted.items()):
            return True
    return False


def test_the_learner_policy_covers_the_names_the_notebooks_use():
    policy = learner_policy()
    arn = {"region": REGION, "account": ACCOUNT}
    role = f"arn:aws:iam::{ACCOUNT}:role/{CFG.name('glue-etl-role')}"
    crawler_role = f"arn:aws:iam::{ACCOUNT}:role/{CFG.name('glue-crawler-role')}"
    cases = [
        ("kinesis:CreateStream", f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{CFG.name('sensor-stream')}"),
        ("kinesis:PutRecords", f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{CFG.name('exercise-stream')}"),
        ("s3:CreateBucket", f"arn:aws:s3:::{BUCKET}"),
        ("s3:PutBucketPolicy", f"arn:aws:s3:::{BUCKET}"),
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/scripts/sensor_stream_etl.py"),
        ("iam:CreateRole", role),
        ("iam:PutRolePolicy", crawler_role),
        ("glue:CreateJob", "arn:aws:glue:{region}:{account}:job/dsca-ana-sensor-etl".format(**arn)),
        ("glue:StartCrawler", "arn:aws:glue:{region}:{account}:crawler/dsca-ana-curated-crawler".format(**arn)),
        ("glue:CreateTable", "arn:aws:glue:{region}:{account}:table/{db}/hourly_summary".format(db=DATABASE, **arn)),
        ("glue:GetDatabase", "arn:aws:glue:{region}:{account}:database/{db}".format(db=DATABASE, **arn)),
        ("athena:StartQueryExecution", "arn:aws:athena:{region}:{account}:workgroup/dsca-ana-workgroup".format(**arn)),
        ("quicksight:CreateDashboard", "arn:aws:quicksight:{region}:{account}:dashboard/dsca-ana-dashboard".format(**arn)),
        ("logs:GetLogEvents", "arn:aws:logs:{region}:{account}:log-group:/aws-glue/jobs/error:log-stream:jr_1".format(**arn)),
    ]
    for action, resource in cases:
        assert _allows(policy, action, resource), f"{action} on {resource}"
    # iam:PassRole: only the kit's two roles, and only to Glue
    glue = {"iam:PassedToService": "glue.amazonaws.com"}
    assert _allows(policy, "iam:PassRole", role, glue) and _allows(policy, "iam:PassRole", crawler_role, glue)
    assert not _allows(policy, "iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"})
    assert not _allows(policy, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/dsca-ana-admin", glue)
    assert not _allows(policy, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole", glue)
    # crawlers on Resource "*" (parliament's reference has no crawler ARN for it) only with the kit's tag
    assert _allows(policy, "glue:CreateCrawler", "*", {"aws:RequestTag/project": PROJECT_TAG})
    assert not _allows(policy, "glue:CreateCrawler", "*", {})
    # and nothing outside the prefix
    for action, resource in [("s3:GetObject", "arn:aws:s3:::someone-elses-bucket/key"),
                             ("kinesis:DeleteStream", f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/production"),
                             ("glue:DeleteJob", f"arn:aws:glue:{REGION}:{ACCOUNT}:job/nightly-etl"),
                             ("glue:DeleteTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/sales/orders"),
                             ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/dsca-ana-admin"),
                             ("athena:DeleteWorkGroup", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/primary")]:
        assert not _allows(policy, action, resource), f"{action} on {resource}"


def test_resource_star_only_where_the_action_has_no_resource_to_name():
    star_actions = set()
    for statement in learner_policy()["Statement"]:
        if statement["Resource"] == "*":
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            star_actions |= set(actions)
    assert star_actions == {
        "sts:GetCallerIdentity", "s3:ListAllMyBuckets", "kinesis:ListStreams", "glue:GetJobs", "glue:GetCrawlers",
        "glue:GetCrawlerMetrics", "iam:ListRoles", "iam:ListPolicies", "athena:ListWorkGroups", "logs:DescribeLogGroups",
        "quicksight:ListDataSets", "quicksight:ListDataSources", "glue:CreateCrawler", "quicksight:CreateDataSource"}
    # no wildcard actions at all: every permission is named
    for statement in learner_policy()["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any("*" in a for a in actions), statement["Sid"]


def test_no_account_id_or_region_is_baked_into_the_learner_policy():
    text = LEARNER_POLICY.read_text()
    import re

    assert not re.search(r"\b\d{12}\b", text)
    assert not re.search(r"\b(us|eu|ap|sa|ca|me|af)-[a-z]+-\d\b", text)
