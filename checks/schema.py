"""The schema of ``report.json`` (``report.schema.json``, JSON Schema 2020-12), checked with
``jsonschema`` before ``icl-verify report DIR`` writes anything, and on every report a run writes.

Beyond the schema, relations a schema cannot state: the saved exit status, and ``ok``, must be
the ones the saved verdicts give (:func:`checks.exit_status.status_of`).
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema

from checks.exit_status import status_of

SCHEMA_VERSION = 5
SCHEMA: dict[str, Any] = json.loads(
    files("checks").joinpath("report.schema.json").read_text(encoding="utf-8"))
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def claims_of(report: dict) -> list[dict]:
    """Every claim of a saved report, paper by paper."""
    return [c for p in report["papers"] for c in p["claims"]]


def controls_of(report: dict) -> list[dict]:
    """Every control of a saved report, paper by paper."""
    return [c for p in report["papers"] for c in p["controls"]]


class ReportError(ValueError):
    """A report.json that this version cannot read; ``str(err)`` is one line."""


def first_problem(validator: jsonschema.protocols.Validator, document: Any) -> str | None:
    """The first problem ``validator`` finds in ``document``, in one line naming where it is
    ("at papers/0/id: ..."), or None."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    message = " ".join(error.message.split())
    if len(message) > 160:  # jsonschema quotes the offending value, which may be huge
        message = message[:157] + "..."
    return f"at {where}: {message}"


def validate_report(report: Any) -> None:
    """Raise :class:`ReportError` naming the first problem (one line) unless ``report`` is a
    whole report of :data:`SCHEMA_VERSION`."""
    why = first_problem(_VALIDATOR, report)
    if why is not None:
        raise ReportError(why)
    expected = status_of([(c["id"], c["verdict"]) for c in claims_of(report)],
                         [(c["claim"], c["verdict"], c["expected"]) for c in controls_of(report)])
    if report["exit_status"] != expected:
        raise ReportError(f"at exit_status: {report['exit_status']} does not follow from the "
                          f"verdicts, which give {int(expected)}")
    if report["ok"] != (expected == 0):
        raise ReportError(f"at ok: {report['ok']} disagrees with exit status {int(expected)}")
