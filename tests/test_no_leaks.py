"""No secrets, no leaks: scan every file git tracks (notebooks with their outputs) for what must never be committed.

What counts as a leak: AWS access key ids, secret keys and session tokens, private keys, 12-digit
account ids (and ARNs carrying them) other than the documented placeholders in ALLOWED, and absolute
paths of a developer's machine. Each finding is reported as ``file:line: what``.

Run it alone to see the findings: ``.venv/bin/python tests/test_no_leaks.py``.

The planted examples in the self-tests are built by concatenation, so that this file never holds
the very strings it looks for.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest

from helpers.config import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

ROOT = Path(__file__).resolve().parent.parent

# Values that look like a leak but are not, each with the reason it is allowed.
ALLOWED: dict[str, str] = {
    "123456789012": "moto's default account id: the account of the local target, shown in the committed "
                    "notebooks' bucket names and ARNs; also AWS documentation's example account",
    "111122223333": "AWS documentation's placeholder account id (IAM User Guide examples), used by tests",
    "AKIA" "REALLOOKINGKEY01": "a made-up key in tests/test_helpers_config.py, which checks that real keys are "
                                "never sent to the local endpoint",
    LOCAL_ACCESS_KEY: "the local endpoint's dummy access key (helpers/config.py); it is not valid on AWS",
    LOCAL_SECRET_KEY: "the local endpoint's dummy secret key (helpers/config.py); it is not valid on AWS",
}


class Finding(NamedTuple):
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


_B64 = r"[A-Za-z0-9/+=]"
# (pattern, what; the first group is the value checked against ALLOWED).
RULES_EVERYWHERE: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?<![A-Za-z0-9])((?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])"), "AWS access key id"),
    (re.compile(r"(?i)(?:aws_?secret_?access_?key|secret_?access_?key|secret_?key)[\"']?\s*[:=]\s*[\"']?"
                rf"({_B64}{{40}})(?!{_B64})"), "AWS secret access key"),
    (re.compile(r"(?i)(?:aws_?session_?token|aws_?security_?token|session_?token)[\"']?\s*[:=]\s*[\"']?"
                rf"({_B64}{{16,}})"), "AWS session token"),
    (re.compile(rf"((?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE){_B64}{{20,}})"), "AWS session token"),
    (re.compile(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)"), "private key"),
    (re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:[^\s\"',]*)"), "ARN with a real-looking account id"),
    (re.compile(r"(?<![0-9A-Za-z])([0-9]{12})(?![0-9A-Za-z])"), "12-digit account id"),
    # The paths are split ("/" "home/") so that this file does not hold what it looks for.
    (re.compile(r"(?<![\w.\-])(/" r"home/[^/\s\"'\\]+/)"), "absolute path of a developer's machine"),
    (re.compile(r"(?<![\w.\-])(/" r"Users/[^/\s\"'\\]+/)"), "absolute path of a developer's machine"),
    (re.compile(r"(?<![\w.\-])([A-Za-z]:\\{1,2}Users\\{1,2})"), "absolute path of a developer's machine"),
    (re.compile(r"(?<![\w.\-])(/" r"work/)"), "absolute path of a developer's machine"),
]
# Only in notebook outputs: paths a kernel prints about the machine it ran on.
RULES_IN_OUTPUTS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?<![\w.\-])(/(?:root|tmp|var/folders|private/var|mnt|opt/conda)/)"),
     "absolute path of the machine the notebook ran on, in an output"),
]


def _account_of(value: str) -> str | None:
    match = re.match(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):", value)
    return match.group(1) if match else None


def _not_an_account(line: str, start: int) -> bool:
    """12 digits that are part of something else: a Kinesis shard id, or the last group of a UUID."""
    before = line[:start]
    return before.endswith("shardId-") or re.search(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-$", before) is not None


def _output_lines(lines: list[str]) -> set[int]:
    """Line numbers (1-based) inside a cell's ``"outputs": [...]`` in a notebook's JSON."""
    inside: set[int] = set()
    end = None
    for number, line in enumerate(lines, 1):
        if end is None:
            match = re.match(r'^(\s*)"outputs": \[(\])?', line)
            if match and not match.group(2):
                end = match.group(1) + "]"
        elif line.rstrip().rstrip(",") == end:
            end = None
        else:
            inside.add(number)
    return inside


def scan_text(path: str, text: str) -> list[Finding]:
    """Every leak in one file's text; ``.ipynb`` files are also checked for machine paths in outputs."""
    lines = text.splitlines()
    outputs = _output_lines(lines) if path.endswith(".ipynb") else set()
    findings = []
    for number, line in enumerate(lines, 1):
        rules = RULES_EVERYWHERE + (RULES_IN_OUTPUTS if number in outputs else [])
        taken: list[tuple[int, int]] = []  # spans already reported (an ARN's account is not reported twice)
        for pattern, what in rules:
            for match in pattern.finditer(line):
                value, span = match.group(1), match.span(1)
                if any(s <= span[0] < e for s, e in taken):
                    continue
                if value in ALLOWED or _account_of(value) in ALLOWED:
                    taken.append(span)
                    continue
                if what == "12-digit account id" and _not_an_account(line, span[0]):
                    continue
                taken.append(span)
                shown = value if len(value) <= 60 else value[:57] + "..."
                if what in ("AWS secret access key", "AWS session token", "private key"):
                    shown = value[:4] + "..."  # never repeat a secret in a report
                findings.append(Finding(path, number, f"{what}: {shown}"))
    return findings


def tracked_files() -> list[str]:
    """Every file git tracks, plus new files not yet added (but not ignored ones)."""
    done = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                          cwd=ROOT, capture_output=True, check=True)
    return sorted({name for name in done.stdout.decode().split("\0") if name and (ROOT / name).is_file()})


def scan_repository() -> list[Finding]:
    findings = []
    for name in tracked_files():
        data = (ROOT / name).read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary (images): nothing a person typed
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        findings += scan_text(name, text)
    return findings


# --- the repository ---------------------------------------------------------------------------------------


def test_no_file_git_tracks_leaks_anything():
    findings = scan_repository()
    assert not findings, "leaks in committed files:\n" + "\n".join(map(str, findings))


def test_the_scan_covers_the_notebooks_and_this_file():
    names = tracked_files()
    assert "tests/test_no_leaks.py" in names
    assert sum(n.startswith("notebooks/") and n.endswith(".ipynb") for n in names) >= 7


def test_every_allowed_value_has_a_reason():
    assert all(reason.strip() for reason in ALLOWED.values())


# --- self-tests: the scanner catches planted examples --------------------------------------------------------

KEY_ID = "AKIA" + "Q7XZ" * 4
SESSION_KEY_ID = "AS" + "IA" + "JQ2W" * 4
SECRET = "wJal" + "rXUtnFEMI/K7MDENG/bPxRfiCY" + "0123456789"  # 40 characters of base64
TOKEN = "IQoJ" + "b3JpZ2luX2Vj" + "EJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"
ACCOUNT = "4636" + "23607974"


@pytest.mark.parametrize("text,what", [
    (f"aws_access_key_id = {KEY_ID}", "AWS access key id"),
    (f'"AccessKeyId": "{SESSION_KEY_ID}"', "AWS access key id"),
    (f"aws_secret_access_key = {SECRET}", "AWS secret access key"),
    (f'    "SecretAccessKey": "{SECRET}",', "AWS secret access key"),
    (f"AWS_SECRET_ACCESS_KEY='{SECRET}'", "AWS secret access key"),
    (f"aws_session_token={TOKEN}", "AWS session token"),
    (f'"SessionToken": "{"Fwo" + "GZXIvYXdzE" + "A" * 40}"', "AWS session token"),
    ("-----BEGIN " + "RSA PRIVATE KEY-----", "private key"),
    ("-----BEGIN " + "OPENSSH PRIVATE KEY-----", "private key"),
    ("-----BEGIN " + "PRIVATE KEY-----", "private key"),
    (f"role arn:aws:iam::{ACCOUNT}:role/service-role/GlueRole", "ARN with a real-looking account id"),
    (f'"Account": "{ACCOUNT}"', "12-digit account id"),
    (f"bucket dsca-ana-data-{ACCOUNT}-eu-west-1", "12-digit account id"),
    ("credentials_location = '/ho" + "me/alexey/.google/credentials.json'", "absolute path"),
    ("open('/Us" + "ers/ana/Downloads/data.csv')", "absolute path"),
    ("C:" + "\\Users\\ana\\data.csv", "absolute path"),
    ('"C:' + '\\\\Users\\\\ana\\\\data.csv"', "absolute path"),
    ("file:///ho" + "me/ana/report.html", "absolute path"),
    ("sys.path.append('/wo" + "rk/main')", "absolute path"),
])
def test_the_scanner_finds_planted_leaks(text, what):
    findings = scan_text("planted.py", "first line\n" + text + "\n")
    assert findings and findings[0].line == 2 and what in findings[0].what, findings
    assert str(findings[0]).startswith("planted.py:2: ")
    for secret in (SECRET, TOKEN):
        assert secret not in str(findings[0]), "a report must not repeat the secret"


@pytest.mark.parametrize("text", [
    "arn:aws:iam::123456789012:role/dsca-learner-glue-etl-role",
    "s3://dsca-learner-data-123456789012-us-east-1/curated/",
    '"Principal": {"AWS": "arn:aws:iam::111122223333:root"}',
    "shardId-000000000001",
    '"event_id": "5d2a6c1e-0000-4000-8000-000000000001"',
    "event time 1767225600000 ms; sequence 49660532768451983652378237489123489123498123489",
    f'os.environ["AWS_ACCESS_KEY_ID"] = "{LOCAL_ACCESS_KEY}"',
    f'aws_secret_access_key="{LOCAL_SECRET_KEY}"',
    'aws_access_key_id="x", aws_secret_access_key="y"',
    "Resource: arn:aws:s3:::dsca-learner-data-123456789012-us-east-1/tmp/*",
    "http://127.0.0.1:4750/tmp/page.html and s3://bucket/home/x/",
    'checkpointLocation": "/tm' + 'p/x"',  # a path in code, not in an output
    "the key " + "AKIA" + "Q7XZ" * 3 + " is too short",
    "a sha256 of 0123456789abcdef" + "0" * 48,
])
def test_the_scanner_lets_documented_and_harmless_values_pass(text):
    assert scan_text("fine.py", text + "\n") == []


def _notebook(output_text: str, source: str = "print(1)") -> str:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.id = "c1"
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output_text)]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    nb.cells[0].id = "m1"
    return nbformat.writes(nb) + "\n"


@pytest.mark.parametrize("path", ["/ro" + "ot/.cache/x", "/t" + "mp/pytest-of-ana/out.csv", "/var/fol" + "ders/xy/T/tmp1",
                                  "/ho" + "me/ana/.venv/lib/python3.11/site-packages/pandas/io.py"])
def test_machine_paths_in_notebook_outputs_are_found(path):
    text = _notebook(f"wrote {path}\n")
    findings = scan_text("notebooks/99_x.ipynb", text)
    assert len(findings) == 1, findings
    line = text.splitlines()[findings[0].line - 1]
    assert path.split("/")[1] in line and "absolute path" in findings[0].what


def test_temporary_paths_in_notebook_sources_are_not_outputs():
    assert scan_text("notebooks/99_x.ipynb", _notebook("done\n", source="out = '/t" + "mp/x'")) == []


def test_a_leak_in_a_notebook_output_is_reported_at_its_line():
    text = _notebook(f"account {ACCOUNT}\n")
    [finding] = scan_text("notebooks/99_x.ipynb", text)
    assert ACCOUNT in text.splitlines()[finding.line - 1]
    assert str(finding) == f"notebooks/99_x.ipynb:{finding.line}: 12-digit account id: {ACCOUNT}"


if __name__ == "__main__":
    found = scan_repository()
    print("\n".join(map(str, found)) or "no leaks found")
    sys.exit(1 if found else 0)
