"""The report set of a run: ``report.json``, ``config.json``, ``report.md`` with its figures,
and ``report.html``.

These functions write into a fresh directory, the staging directory of
:class:`checks.publish.ReportTarget`, which swaps the whole set in at once.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import platform
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sympy

from checks.document import markdown
from checks.files import atomic_write
from checks.page import page
from checks.plots import report_figures
from checks.runner import RunResult
from checks.saved_report import parse
from checks.schema import SCHEMA_VERSION


def _default(obj: Any) -> Any:
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _clean(obj: Any) -> Any:
    """NaN/inf are not JSON: write them as strings so the file stays standard."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def to_json(obj: Any) -> str:
    return json.dumps(_clean(json.loads(json.dumps(obj, default=_default))), indent=2)


def run_config(result: RunResult, profile: str, seed: int, options: dict) -> dict:
    """The configuration a run ran with (written into every report): each paper's budget at
    the profile, and the values of the papers' run options."""
    return {
        "profile": profile, "seed": seed, "claims": [c.id for c in result.claims],
        "options": options,
        "budgets": {p.paper.id: p.budget.describe() for p in result.papers},
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "sympy": sympy.__version__},
    }


def report_dict(result: RunResult, config: dict) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": config,
        "ok": result.ok,
        "exit_status": int(result.exit_status),
        "papers": [p.as_dict() for p in result.papers],
    }


def render(report: dict, directory: Path) -> None:
    """``config.json``, ``report.md`` (its figures as SVG files in ``figures/`` beside it) and the
    self-contained ``report.html``, from a report dict alone: ``icl-verify report DIR`` calls
    this on a saved report.json without recomputing anything."""
    figures = report_figures(report)
    atomic_write(directory / "config.json", to_json(report["config"]))
    for f in (f for fs in figures.values() for f in fs if not f.note):
        atomic_write(directory / "figures" / f"{f.name}.svg", f.svg)
    atomic_write(directory / "report.md", markdown(report, figures, lambda f: f"figures/{f.name}.svg"))
    atomic_write(directory / "report.html", page(report, figures))


def write_reports(result: RunResult, config: dict, directory: Path) -> dict:
    """The whole set of a run into ``directory``; return the report as saved.  It is read back
    as ``report DIR`` reads it (:func:`checks.saved_report.parse`), so what a run writes can be
    redrawn, and both draw from one form."""
    text = to_json(report_dict(result, config))
    return rebuild(text, parse(text), directory)


def rebuild(text: str, report: dict, directory: Path) -> dict:
    """The whole set from a saved report.json's ``text`` and the report it holds (read by
    :func:`checks.saved_report.parse`) into ``directory``."""
    atomic_write(directory / "report.json", text)
    render(report, directory)
    return report
