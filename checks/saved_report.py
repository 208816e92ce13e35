"""A report.json read back: the one way every report is read, whether a run has just written
it or ``icl-verify report DIR`` was handed it with a paper's review.

A saved report is data from elsewhere, so it is read as data and nothing else:

1. **The file**: a regular file of at most :data:`MAX_BYTES` (:func:`checks.files.read_bytes`).
2. **The text**: UTF-8; strict JSON (``NaN`` and ``Infinity`` are not JSON; an integer of more
   digits than Python converts, or nesting deeper than it parses, is refused).
3. **The schema** (:func:`checks.schema.validate_report`): every field the renderers read has
   its type.
4. **The relations a schema cannot state**: ids unique; every control's claim in its paper;
   every outcome's verdict the one its decision record gives (:func:`checks.decision.from_record`),
   every check's the one its gating outcomes give, every control's ``detected`` and the exit
   status the ones the verdicts give; every figure's data consistent (its arrays of one length:
   :attr:`checks.plots.FigureKind.check`).
5. **The numbers**: NaN and the infinities, which JSON lacks, are written as the strings
   ``"nan"``, ``"inf"`` and ``"-inf"`` (:func:`checks.report.to_json`); they are read back as
   floats here, once, so that no renderer meets a number as a string.

Any failure is a :class:`checks.schema.ReportError` of one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checks.decision import Verdict, claim_verdict, from_record
from checks.files import read_bytes, strict_json
from checks.plots import kinds
from checks.schema import ReportError, claims_of, controls_of, validate_report

#: the largest report.json read (a quick run's is about 2 MB, a smoke run's 0.9 MB): its
#: parsed objects take about 15 times its size in memory, under 1 GiB
MAX_BYTES = 64 << 20

#: the strings that stand for the non-finite floats in a saved report
NON_FINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def parse(text: str) -> dict:
    """The report in ``text``, validated and with its non-finite numbers restored."""
    try:
        report = strict_json(text)
    except RecursionError:
        raise ReportError("nested deeper than a report is") from None
    except ValueError as err:  # JSONDecodeError, a 5000-digit integer, NaN
        raise ReportError(" ".join(str(err).split())[:160]) from None
    validate_report(report)
    _relations(report)
    return restore(report)


def read(path: Path) -> tuple[str, dict]:
    """The text of the report.json at ``path`` and the report it holds (:func:`parse`)."""
    try:
        data = read_bytes(path, MAX_BYTES)
    except OSError as err:
        raise ReportError(f"cannot read it: {err.strerror or err}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ReportError(f"not UTF-8 text (byte {err.start})") from None
    return text, parse(text)


def restore(value: Any) -> Any:
    """``value`` with every string of :data:`NON_FINITE` the float it stands for (the inverse
    of :func:`checks.report.to_json`'s cleaning)."""
    if isinstance(value, str):
        return NON_FINITE.get(value, value)
    if isinstance(value, dict):
        return {k: restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore(v) for v in value]
    return value


def _relations(report: dict) -> None:
    checks = claims_of(report) + controls_of(report)
    seen: set[str] = set()
    for check in checks:
        if check["id"] in seen:
            raise ReportError(f"at {check['id']!r}: two checks have this id")
        seen.add(check["id"])
    figure_kinds = kinds()
    for paper in report["papers"]:
        claims = {c["id"] for c in paper["claims"]}
        for control in paper["controls"]:
            if control["claim"] not in claims:
                raise ReportError(f"at {control['id']!r}: its claim {control['claim']!r} is not a claim "
                                  f"of paper {paper['id']!r}")
            if control["detected"] != (control["verdict"] == control["expected"]):
                raise ReportError(f"at {control['id']!r}: detected is {control['detected']}, but the "
                                  f"verdict is {control['verdict']} and {control['expected']} was expected")
    for check in checks:
        where = f"at {check['id']!r}"
        for outcome in check["outcomes"]:
            try:
                recomputed = from_record(outcome["decision"]).value
            except ValueError as err:  # a negative tolerance, an interval with lo > hi
                raise ReportError(f"{where}, outcome {outcome['name']!r}: its decision record is not "
                                  f"one a rule can read: {err}") from None
            if recomputed != outcome["verdict"]:
                raise ReportError(f"{where}, outcome {outcome['name']!r}: the verdict "
                                  f"{outcome['verdict']} does not follow from its decision record")
            if outcome["figure"] is not None:
                try:
                    figure_kinds[outcome["figure"]].check(outcome)
                except ValueError as err:
                    raise ReportError(f"{where}, outcome {outcome['name']!r}: {err}") from None
        gating = [Verdict(o["verdict"]) for o in check["outcomes"] if o["gating"]]
        if claim_verdict(gating).value != check["verdict"]:
            raise ReportError(f"{where}: the verdict {check['verdict']} does not follow from its "
                              f"gating outcomes, which give {claim_verdict(gating).value}")
        if check["deciding_outcome"] not in {o["name"] for o in check["outcomes"]}:
            raise ReportError(f"{where}: the deciding outcome {check['deciding_outcome']!r} is none of "
                              "its outcomes")
