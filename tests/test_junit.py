"""The JUnit XML file: one testcase per claim and control, in the structure pytest writes
(the reference CI systems read), with counts that agree with its testcases."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checks import cli
from checks.exit_status import MEANING, ExitStatus
from checks.junit import junit_incomplete, junit_xml


def _claim(cid: str, verdict: str) -> dict:
    return {"id": cid, "statement": f"claim {cid}", "verdict": verdict, "deciding_outcome": "slope",
            "statistic": -1.0, "criterion": "slope <= -1", "elapsed_s": 1.5}


def _control(cid: str, verdict: str) -> dict:
    return {"id": cid, "claim": "A3", "setting": "broken", "expected": "FAIL", "verdict": verdict,
            "detected": verdict == "FAIL", "statistic": 0.0, "elapsed_s": 0.5}


REPORT = {"generated": "2026-11-23T00:00:00+00:00", "exit_status": 1, "papers": [
    {"id": "A", "claims": [_claim("A1", "PASS"), _claim("A3", "FAIL"), _claim("A3m", "INCONCLUSIVE")],
     "controls": [_control("A3-unequal-norms", "FAIL"), _control("A3-rate-too-fast", "PASS"),
                  _control("A5-rate-too-fast", "INCONCLUSIVE")]}]}


def _shape(root: ET.Element) -> dict[tuple[str, str], set[str]]:
    """Attribute names seen for each (parent tag, tag) pair."""
    shape: dict[tuple[str, str], set[str]] = {("", root.tag): set(root.attrib)}
    for parent in root.iter():
        for child in parent:
            shape.setdefault((parent.tag, child.tag), set()).update(child.attrib)
    return shape


@pytest.fixture(scope="module")
def pytest_reference(tmp_path_factory) -> dict[tuple[str, str], set[str]]:
    """pytest's own --junitxml for a pass, a failure, a skip, an error and a suite property."""
    d = tmp_path_factory.mktemp("ref")
    (d / "test_ref.py").write_text(
        "import pytest\n\ndef test_pass(record_testsuite_property):\n"
        "    record_testsuite_property('exit_status', '1')\n\ndef test_fail():\n    assert False\n\n"
        "def test_skip():\n    pytest.skip('undecided')\n\n"
        "@pytest.fixture\ndef broken():\n    raise RuntimeError('cannot run')\n\n"
        "def test_error(broken):\n    pass\n")
    out = d / "ref.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(d / "test_ref.py"),
                    f"--junitxml={out}"], capture_output=True, cwd=d)
    return _shape(ET.parse(out).getroot())


@pytest.mark.parametrize("xml", [junit_xml(REPORT), junit_incomplete("interrupted by SIGTERM", 2.0)],
                         ids=["verdicts", "incomplete"])
def test_structure_is_what_pytest_writes(pytest_reference, xml: str) -> None:
    ours = _shape(ET.fromstring(xml))
    for key, attrs in ours.items():
        assert key in pytest_reference, key
        assert attrs <= pytest_reference[key], (key, attrs - pytest_reference[key])


def test_the_suite_says_what_its_exit_status_means() -> None:
    properties = {p.get("name"): p.get("value")
                  for p in ET.fromstring(junit_xml(REPORT)).iter("property")}
    assert properties["exit_status"] == "1"
    assert properties["exit_status_meaning"] == MEANING[ExitStatus.REFUTED]
    assert all(f"{int(s)} {MEANING[s]}" in properties["exit_statuses"] for s in ExitStatus)


def test_a_run_that_could_not_complete_is_an_error_not_a_failure() -> None:
    suite = ET.fromstring(junit_incomplete("interrupted by SIGTERM", 2.0)).find("testsuite")
    (case,) = suite.findall("testcase")
    assert case.find("error").get("message") == "interrupted by SIGTERM"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "0", "1")


def test_one_case_per_claim_and_control_with_consistent_counts() -> None:
    suite = ET.fromstring(junit_xml(REPORT)).find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests")) == 6
    outcome = {c.get("name").split(":")[0].split(" ")[0]: [e.tag for e in c] for c in cases}
    # a control decided the wrong way is a failure (a defect of the suite); an undecided one
    # is skipped, as an undecided claim is
    assert outcome == {"A1": [], "A3": ["failure"], "A3m": ["skipped"], "A3-unequal-norms": [],
                       "A3-rate-too-fast": ["failure"], "A5-rate-too-fast": ["skipped"]}
    assert (suite.get("failures"), suite.get("skipped"), suite.get("errors")) == ("2", "2", "0")


def test_run_writes_junit_xml(tmp_path: Path) -> None:
    path = tmp_path / "out" / "junit.xml"
    cli.main(["run", "--profile", "smoke", "--claims", "A1", "--report-dir", str(tmp_path / "report"),
              "--junit-xml", str(path)])
    cases = ET.parse(path).getroot().find("testsuite").findall("testcase")
    assert [c.get("classname") for c in cases] == ["icl-verify.claims"] + ["icl-verify.controls"] * 2
