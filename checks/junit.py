"""The verdicts as a JUnit XML file, so that CI systems show each claim and control natively.

One ``<testcase>`` per claim (classname ``icl-verify.claims``) and per negative control
(``icl-verify.controls``): a FAILing claim, or a control decided the wrong way (a defect of
the suite), is a ``<failure>``; an INCONCLUSIVE claim or control is ``<skipped>`` (undecided,
not refuted).  A run that could not complete
(exit status 4) gets one ``<error>`` testcase instead, never a failure: JUnit's "error" is
"the test could not run", which is what it was.  The suite's ``<properties>`` give the exit
status and what each status means (:mod:`checks.exit_status`).  The elements and attributes
are those pytest's ``--junitxml`` writes, which Jenkins, GitLab and GitHub reporters read.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from checks.exit_status import MEANING, ControlState, ExitStatus, control_state, summary
from checks.schema import claims_of, controls_of


def _case(suite: ET.Element, classname: str, name: str, seconds: float, outcome: str | None,
          message: str) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.3f}")
    if outcome is not None:
        ET.SubElement(case, outcome, message=message).text = message


def _suite(timestamp: str, status: ExitStatus) -> tuple[ET.Element, ET.Element]:
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="icl-verify", timestamp=timestamp)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("exit_status", str(int(status))), ("exit_status_meaning", MEANING[status]),
                        ("exit_statuses", summary())):
        ET.SubElement(properties, "property", name=name, value=value)
    return root, suite


def _finish(root: ET.Element, suite: ET.Element) -> str:
    cases = suite.findall("testcase")
    counts = {tag: sum(case.find(tag) is not None for case in cases)
              for tag in ("failure", "error", "skipped")}
    suite.attrib.update(tests=str(len(cases)), failures=str(counts["failure"]),
                        errors=str(counts["error"]), skipped=str(counts["skipped"]),
                        time=f"{sum(float(case.get('time')) for case in cases):.3f}")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def junit_xml(report: dict) -> str:
    """JUnit XML for a report as written to ``report.json``."""
    root, suite = _suite(report["generated"], ExitStatus(report["exit_status"]))
    for c in claims_of(report):
        message = (f"{c['verdict']}: {c['deciding_outcome']}: statistic {c['statistic']}; "
                   f"criterion: {c['criterion']}")
        outcome = {"PASS": None, "FAIL": "failure", "INCONCLUSIVE": "skipped"}[c["verdict"]]
        _case(suite, "icl-verify.claims", f"{c['id']}: {c['statement']}", c["elapsed_s"], outcome,
              message)
    for c in controls_of(report):
        message = (f"{c['verdict']} (expected {c['expected']}) on {c['setting']}: "
                   f"statistic {c['statistic']}")
        outcome = {ControlState.DETECTED: None, ControlState.UNDECIDED: "skipped",
                   ControlState.WRONG: "failure"}[control_state(c["verdict"], c["expected"])]
        _case(suite, "icl-verify.controls", f"{c['id']} ({c['claim']})", c["elapsed_s"], outcome, message)
    return _finish(root, suite)


def junit_incomplete(reason: str, seconds: float) -> str:
    """JUnit XML for a run that could not complete (exit status 4): one ``<error>``."""
    root, suite = _suite(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), ExitStatus.INCOMPLETE)
    _case(suite, "icl-verify.run", "icl-verify run", seconds, "error", reason)
    return _finish(root, suite)
