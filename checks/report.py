"""report.json and report.md, each written atomically (temporary file, then rename)."""

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


def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{x:.4g}"
    return str(x)


def _uncertainty(u: dict) -> str:
    if "ci" in u:
        return f"CI [{_fmt(u['ci'][0])}, {_fmt(u['ci'][1])}]"
    if "lower" in u:
        return f"[{u['lower']:.3g}, {u['upper']:.3g}]"
    if "p_value" in u:
        return f"p = {u['p_value']:.3g}"
    return u.get("method", "")


_OVERALL = {0: "OK: every claim PASSes and every control is detected",
            1: "NOT OK: a claim FAILs or a control is missed",
            3: "UNDECIDED: no claim FAILs and every control is detected, but some claim is "
               "INCONCLUSIVE"}


def markdown(report: dict) -> str:
    cfg = report["config"]
    lines = [
        "# icl-verify report", "",
        f"Profile `{cfg['profile']}`, seed {cfg['seed']}, generated {report['generated']}. "
        f"Overall: **{_OVERALL[report['exit_status']]}** (exit status {report['exit_status']}).", "",
        "## Claims", "",
        "| id | claim | verdict | statistic | uncertainty | deciding criterion |",
        "|---|---|---|---|---|---|",
    ]
    for c in report["claims"]:
        lines.append(f"| {c['id']} | {c['statement']} | **{c['verdict']}** | "
                     f"{_fmt(c['statistic'])} | {_uncertainty(c['stderr_or_ci'])} | "
                     f"{c['deciding_outcome']}: {c['criterion']} |")
    lines += ["", "## Negative controls (SPEC §A.6)", "",
              "| id | claim | broken setting | expected | verdict | detected |",
              "|---|---|---|---|---|---|"]
    for c in report["controls"]:
        lines.append(f"| {c['id']} | {c['claim']} | {c['setting']} | {c['expected']} | "
                     f"{c['verdict']} | {'yes' if c['detected'] else '**NO**'} |")
    for c in report["claims"]:
        lines += ["", f"## {c['id']}: {c['statement']}", "", f"Method: {c['method']}.", "",
                  f"Seed {c['seed']}; {c['elapsed_s']:.1f} s.", ""]
        for o in c["outcomes"]:
            lines += [f"### {o['name']} ({o['setting']}): {o['verdict']}", "",
                      f"- statistic: {_fmt(o['statistic'])}",
                      f"- uncertainty: {_uncertainty(o['uncertainty'])} "
                      f"({o['uncertainty'].get('method', '')})",
                      f"- criterion: {o['criterion']}", ""]
            if "reading" in o["evidence"]:
                lines[-1:] = [f"- beyond the paper: {o['evidence']['reading']}", ""]
            if "table" in o["evidence"]:
                lines += [o["evidence"]["table"], ""]
    return "\n".join(lines) + "\n"


def write_reports(result: RunResult, config: dict, directory: Path) -> dict:
    """Write config.json, report.json and report.md; return the report as written."""
    text = to_json(report_dict(result, config))
    report = json.loads(text)
    atomic_write(directory / "config.json", to_json(config))
    atomic_write(directory / "report.json", text)
    atomic_write(directory / "report.md", markdown(report))
    return report
