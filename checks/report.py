"""report.json, report.md (with its figures) and report.html, each file written atomically
(temporary file, then rename)."""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sympy

from checks.document import markdown
from checks.page import page
from checks.plots import report_figures
from checks.runner import RunResult


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


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); a report is for reading (CI artifacts, web servers)
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_json(obj: Any) -> str:
    return json.dumps(_clean(json.loads(json.dumps(obj, default=_default))), indent=2)


def run_config(profile: str, budget: dict, claims: list[str], seed: int, classes: int | None = None
               ) -> dict:
    """The configuration a run ran with (written into every report)."""
    return {
        "profile": profile, "seed": seed, "claims": claims, "classes": classes, "budget": budget,
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "sympy": sympy.__version__},
    }


def report_dict(result: RunResult, config: dict) -> dict:
    return {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": config,
        "ok": result.ok,
        "exit_status": result.exit_status,
        "claims": [c.as_dict() for c in result.claims],
        "controls": [c.as_dict() for c in result.controls],
    }


def render(report: dict, directory: Path) -> None:
    """report.md (its figures as SVG files in ``figures/`` beside it) and the self-contained
    report.html, from a report dict alone: ``icl-verify report DIR`` calls this on a saved
    report.json without recomputing anything."""
    figures = report_figures(report)
    folder = directory / "figures"
    names = {f"{f.name}.svg" for fs in figures.values() for f in fs}
    for fs in figures.values():
        for f in fs:
            atomic_write(folder / f"{f.name}.svg", f.svg)
    atomic_write(directory / "report.md", markdown(report, figures, lambda f: f"figures/{f.name}.svg"))
    atomic_write(directory / "report.html", page(report, figures))
    # figures of an earlier run that this one no longer draws are stale; removed last, so that
    # a crash before this point leaves the earlier report.md with every figure it names
    for old in folder.glob("*.svg"):
        if old.name not in names:
            old.unlink()


def write_reports(result: RunResult, config: dict, directory: Path) -> dict:
    """Write config.json, report.json, then report.md and report.html; return the report."""
    text = to_json(report_dict(result, config))
    report = json.loads(text)
    atomic_write(directory / "config.json", to_json(config))
    atomic_write(directory / "report.json", text)
    render(report, directory)
    return report


def rebuild(directory: Path) -> dict:
    """Redraw report.md and report.html from ``directory/report.json``; return the report."""
    report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    render(report, directory)
    return report
