"""The JUnit XML file: one testcase per claim and control, in the structure pytest writes
(the reference CI systems read), with counts that agree with its testcases."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checks import cli
from checks.junit import junit_xml


def _claim(cid: str, verdict: str) -> dict:
    return {"id": cid, "statement": f"claim {cid}", "verdict": verdict, "deciding_outcome": "slope",
            "statistic": -1.0, "criterion": "slope <= -1", "elapsed_s": 1.5}


def _control(cid: str, detected: bool) -> dict:
    return {"id": cid, "claim": "A3", "setting": "broken", "expected": "FAIL",
            "verdict": "FAIL" if detected else "PASS", "detected": detected, "statistic": 0.0,
            "elapsed_s": 0.5}


REPORT = {"generated": "2026-11-23T00:00:00+00:00",
          "claims": [_claim("A1", "PASS"), _claim("A3", "FAIL"), _claim("A3m", "INCONCLUSIVE")],
          "controls": [_control("A3-unequal-norms", True), _control("A3-rate-too-fast", False)]}


def _shape(root: ET.Element) -> dict[tuple[str, str], set[str]]:
    """Attribute names seen for each (parent tag, tag) pair."""
    shape: dict[tuple[str, str], set[str]] = {("", root.tag): set(root.attrib)}
    for parent in root.iter():
        for child in parent:
            shape.setdefault((parent.tag, child.tag), set()).update(child.attrib)
    return shape


@pytest.fixture(scope="module")
def pytest_reference(tmp_path_factory) -> dict[tuple[str, str], set[str]]:
    """pytest's own --junitxml for a pass, a failure and a skip."""
    d = tmp_path_factory.mktemp("ref")
    (d / "test_ref.py").write_text(
        "import pytest\n\ndef test_pass():\n    pass\n\ndef test_fail():\n    assert False\n\n"
        "def test_skip():\n    pytest.skip('undecided')\n")
    out = d / "ref.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(d / "test_ref.py"),
                    f"--junitxml={out}"], capture_output=True, cwd=d)
    return _shape(ET.parse(out).getroot())


def test_structure_is_what_pytest_writes(pytest_reference) -> None:
    ours = _shape(ET.fromstring(junit_xml(REPORT)))
    for key, attrs in ours.items():
        assert key in pytest_reference, key
        assert attrs <= pytest_reference[key], (key, attrs - pytest_reference[key])


def test_one_case_per_claim_and_control_with_consistent_counts() -> None:
    suite = ET.fromstring(junit_xml(REPORT)).find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests")) == 5
    outcome = {c.get("name").split(":")[0].split(" ")[0]: [e.tag for e in c] for c in cases}
    assert outcome == {"A1": [], "A3": ["failure"], "A3m": ["skipped"], "A3-unequal-norms": [],
                       "A3-rate-too-fast": ["failure"]}
    assert (suite.get("failures"), suite.get("skipped"), suite.get("errors")) == ("2", "1", "0")


def test_run_writes_junit_xml(tmp_path: Path) -> None:
    path = tmp_path / "out" / "junit.xml"
    cli.main(["run", "--profile", "smoke", "--claims", "A1", "--report-dir", str(tmp_path),
              "--junit-xml", str(path)])
    cases = ET.parse(path).getroot().find("testsuite").findall("testcase")
    assert [c.get("classname") for c in cases] == ["icl-verify.claims", "icl-verify.controls"]
