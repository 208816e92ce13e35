"""A report.json read back: the one way every report is read, whether a run has just written
it or ``icl-verify report DIR`` was handed it with a paper's review.

A saved report is data from elsewhere, so it is read as data and nothing else:

1. **The file**: a regular file of at most :data:`MAX_BYTES` (:func:`checks.files.read_bytes`).
2. **The text**: UTF-8; strict JSON (``NaN`` and ``Infinity`` are not JSON; an integer of more
   digits than Python converts, or nesting deeper than it parses, is refused).
3. **The schema** (:func:`checks.schema.validate_report`): every field the renderers read has
   its type.
4. **The bounds** (:func:`_check_shape`, before the schema, whose validator's work grows with
   the report): nesting, lengths of lists, objects and strings, the number of outcomes and of
   figures; every integer within a double's range; every string text (no lone surrogate).
5. **The relations a schema cannot state**: ids unique; every control's claim in its paper;
   every outcome's verdict the one its decision record's rule gives, its criterion that rule's
   words and its ``ci`` the interval decided on (present exactly when the interval has width);
   every check's verdict the one its gating outcomes give, and its statistic, uncertainty and
   criterion its deciding outcome's; every control's ``detected`` and the exit status the ones
   the verdicts give; every figure's data consistent (its arrays of one length:
   :attr:`checks.plots.FigureKind.check`).  What an outcome's uncertainty holds beyond its
   ``ci`` (a standard error, a p-value) is shown as saved.
6. **The numbers**: NaN and the infinities, which JSON lacks, are written as the strings
   ``"nan"``, ``"inf"`` and ``"-inf"`` (:func:`checks.report.to_json`); where the schema types
   a value as a number they are read back as floats here, once, so that no renderer meets a
   number as a string (a text that reads "nan" stays text).

Any failure is a :class:`checks.schema.ReportError` of one line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from checks.decision import Verdict, claim_verdict, criterion_of
from checks.files import read_bytes, strict_json
from checks.plots import kinds
from checks.schema import SCHEMA, ReportError, claims_of, controls_of, validate_report
from checks.verdict import deciding_index

#: the largest report.json read (a quick run's is about 2 MB, a smoke run's 0.9 MB): its
#: parsed objects take about 15 times its size in memory, under 1 GiB
MAX_BYTES = 64 << 20

#: the strings that stand for the non-finite floats in a saved report, where its schema's
#: ``real`` allows them
NON_FINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}
_REAL = "#/$defs/real"


#: the bounds a report is read within, each far beyond a real one's and each keeping the
#: work of reading and drawing bounded (a rate fit of 200,000 points took minutes to draw): the
#: nesting (a smoke run's report is 12 levels deep; the parser, the schema's validator and the
#: renderers recurse, and 500 levels overflowed one), a list's length (a drawn trajectory has
#: about 400 points), a string's length (the longest text is a few hundred characters), the
#: outcomes (a quick run has about 240) and the figures (a quick run draws about 80, at about
#: a second each)
MAX_DEPTH, MAX_ITEMS, MAX_STRING, MAX_OUTCOMES, MAX_FIGURES = 32, 4096, 1 << 16, 4096, 512


def parse(text: str) -> dict:
    """The report in ``text``, validated and with its non-finite numbers restored."""
    try:
        report = strict_json(text)
    except RecursionError:
        raise ReportError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as err:  # JSONDecodeError, a 5000-digit integer, NaN
        raise ReportError(" ".join(str(err).split())[:160]) from None
    _check_shape(report)
    _check_counts(report)
    validate_report(report)
    _relations(report)
    return restore(report)


def _check_shape(value: Any) -> None:
    """Refuse nesting, lists, objects or strings (keys too) beyond :data:`MAX_DEPTH`,
    :data:`MAX_ITEMS` and :data:`MAX_STRING`, an integer no double holds (a 400-digit one made
    ``float`` overflow), and a lone surrogate (``"\\ud800"`` is valid JSON but not text: no
    file can hold it).  Walked without recursing."""
    _leaf(value)
    todo = [(value, 1)] if isinstance(value, (list, dict)) else []
    while todo:  # containers only: a report is mostly numbers, each checked where it is met
        node, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise ReportError(f"nested deeper than {MAX_DEPTH} levels")
        if len(node) > MAX_ITEMS:
            raise ReportError(f"{len(node)} items in one list or object, more than the {MAX_ITEMS} allowed")
        for child in (node if isinstance(node, list) else [*node, *node.values()]):
            if type(child) is float:
                continue
            if isinstance(child, (list, dict)):
                todo.append((child, depth + 1))
            else:
                _leaf(child)


def _leaf(value: Any) -> None:
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ReportError(f"a string of {len(value)} characters, more than the {MAX_STRING} allowed")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ReportError("a string holds a lone surrogate (\\ud800 to \\udfff), which is "
                              "not text") from None
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > sys.float_info.max:
        raise ReportError(f"an integer of {len(str(abs(value)))} digits, beyond a double's range")


def _check_counts(report: Any) -> None:
    """Refuse more than :data:`MAX_OUTCOMES` outcomes or :data:`MAX_FIGURES` figures, counted
    before the schema is checked (so defensively: what is not yet known to be a list of
    objects counts as none)."""
    def items(node: Any, key: str) -> list:
        found = node.get(key) if isinstance(node, dict) else None
        return found if isinstance(found, list) else []

    outcomes = [o for paper in items(report, "papers") for group in ("claims", "controls")
                for check in items(paper, group) for o in items(check, "outcomes")]
    figures = sum(isinstance(o, dict) and o.get("figure") is not None for o in outcomes)
    if len(outcomes) > MAX_OUTCOMES or figures > MAX_FIGURES:
        raise ReportError(f"{len(outcomes)} outcomes with {figures} figures, more than the "
                          f"{MAX_OUTCOMES} and {MAX_FIGURES} a report holds")


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


def restore(report: dict) -> dict:
    """``report`` with every string of :data:`NON_FINITE` in a place its schema types as a
    number (``$defs/real``) the float it stands for: the inverse of
    :func:`checks.report.to_json`'s cleaning.  A text that reads "nan" stays text."""
    return _restore(report, SCHEMA)


def _restore(value: Any, schema: dict) -> Any:
    if schema.get("$ref") == _REAL:
        return NON_FINITE.get(value, value) if isinstance(value, str) else value
    if "$ref" in schema:  # the schema's own definitions: "#/$defs/NAME"
        schema = SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    for part in schema.get("allOf", ()):
        value = _restore(value, part)
    if isinstance(value, dict):
        named, rest = schema.get("properties", {}), schema.get("additionalProperties")
        other = rest if isinstance(rest, dict) else {}
        return {k: _restore(v, named.get(k, other)) for k, v in value.items()}
    if isinstance(value, list):
        first, rest = schema.get("prefixItems", []), schema.get("items")
        return [_restore(v, first[i] if i < len(first) else rest if isinstance(rest, dict) else {})
                for i, v in enumerate(value)]
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
            _outcome(outcome, f"{where}, outcome {outcome['name']!r}", figure_kinds)
        pairs = [(Verdict(o["verdict"]), o["gating"]) for o in check["outcomes"]]
        verdict = claim_verdict([v for v, gates in pairs if gates])
        if verdict.value != check["verdict"]:
            raise ReportError(f"{where}: the verdict {check['verdict']} does not follow from its "
                              f"gating outcomes, which give {verdict.value}")
        deciding = check["outcomes"][deciding_index(verdict, pairs)]
        for field, theirs in (("deciding_outcome", "name"), ("statistic", "statistic"),
                              ("stderr_or_ci", "uncertainty"), ("criterion", "criterion")):
            if check[field] != deciding[theirs]:
                raise ReportError(f"{where}: its {field} is not its deciding outcome's "
                                  f"({deciding['name']!r})")


def _outcome(outcome: dict, where: str, figure_kinds: dict) -> None:
    """An outcome agrees with its decision record: the verdict and the criterion's words are
    the record's, the interval shown is the one decided on, and its figure's data fit."""
    try:
        criterion = criterion_of(outcome["decision"])
        lo, hi = (float(v) for v in outcome["decision"]["interval"])
        verdict = criterion.decide(lo, hi)
    except ValueError as err:  # a negative tolerance, an interval with lo > hi
        raise ReportError(f"{where}: its decision record is not one a rule can read: {err}") from None
    if verdict.value != outcome["verdict"]:
        raise ReportError(f"{where}: the verdict {outcome['verdict']} does not follow from its "
                          "decision record")
    if outcome["criterion"] != criterion.describe():
        raise ReportError(f"{where}: its criterion is not the words of its decision record's rule")
    uncertainty = outcome["uncertainty"]
    if ("ci" in uncertainty) != (lo < hi) or uncertainty.get("ci", outcome["decision"]["interval"]) \
            != outcome["decision"]["interval"]:
        raise ReportError(f"{where}: its ci is not the interval its verdict was decided on")
    if outcome["figure"] is not None:
        try:
            figure_kinds[outcome["figure"]].check(outcome)
        except ValueError as err:
            raise ReportError(f"{where}: {err}") from None
