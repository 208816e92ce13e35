"""What a command prints for a person: numbers at the precision their uncertainty supports,
and the verdict table that ends ``icl-verify run``."""

from __future__ import annotations

import math

from checks.exit_status import MEANING, ControlState, ExitStatus, control_state
from checks.schema import claims_of, controls_of


def _decimals(spread: float) -> int | None:
    """Decimal places that show ``spread`` (an interval's width, or a standard error) to two
    significant digits; None when there is no finite positive spread to go by."""
    if not (math.isfinite(spread) and spread > 0):
        return None
    return max(0, 1 - math.floor(math.log10(spread)))


def _fixed(x: float, places: int | None) -> str:
    """``x`` to ``places`` decimals; beyond 8 decimals, or where the digits wanted end left of
    the decimal point (``x`` >= 1e15, or an error of 1e3), in scientific notation with as many
    significant digits."""
    if places is None or not math.isfinite(x):
        return f"{x:.4g}"
    if x:  # no more than the 15 significant digits a double carries
        places = min(places, 14 - math.floor(math.log10(abs(x))))
    if 0 <= places <= 8:
        return f"{x:.{places}f}"
    digits = max(1, math.floor(math.log10(abs(x))) + places + 1) if x else 1
    return f"{x:#.{digits}g}"


def plus_minus(value: float, error: float) -> str:
    """``value ± error`` with the error to two significant digits and the value to match;
    with error 0 (an exact value, or every Monte Carlo draw alike), 12 significant digits."""
    if error == 0:
        return f"{value:.12g} ± 0"
    places = _decimals(error)
    return f"{_fixed(value, places)} ± {error:.2g}"


def interval(value: float, lo: float, hi: float) -> str:
    """``value [lo, hi]`` at the precision the interval's width supports."""
    places = _decimals(hi - lo)
    return f"{_fixed(value, places)} [{_fixed(lo, places)}, {_fixed(hi, places)}]"


def estimate(statistic: object, uncertainty: dict) -> str:
    """A check's deciding statistic with the uncertainty it was saved with."""
    if not isinstance(statistic, (int, float)):
        return str(statistic)  # "nan": written as a string in report.json
    if "ci" in uncertainty:
        return interval(statistic, *uncertainty["ci"])
    if "lower" in uncertainty and "upper" in uncertainty:
        return interval(statistic, uncertainty["lower"], uncertainty["upper"])
    for key in ("stderr", "richardson_error"):
        if key in uncertainty:
            return plus_minus(statistic, uncertainty[key])
    if "p_value" in uncertainty:
        return f"{statistic:.4g} (p = {uncertainty['p_value']:.2g})"
    return f"{statistic:.4g}"


def verdict_table(report: dict) -> str:
    """Each claim's verdict, its deciding outcome and statistic; the controls detected; the
    exit status and its meaning."""
    rows = [("claim", "verdict", "deciding outcome", "statistic [interval] or ± SE")]
    rows += [(c["id"], c["verdict"], c["deciding_outcome"], estimate(c["statistic"], c["stderr_or_ci"]))
             for c in claims_of(report)]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(r[:3], widths, strict=True)), r[3]]).rstrip()
             for r in rows]
    controls = controls_of(report)
    states = [control_state(c["verdict"], c["expected"]) for c in controls]
    line = f"negative controls: {states.count(ControlState.DETECTED)} of {len(controls)} detected"
    for state, words in ((ControlState.UNDECIDED, "undecided"),
                         (ControlState.WRONG, "decided the wrong way")):
        ids = [c["id"] for c, s in zip(controls, states, strict=True) if s is state]
        line += f"; {words}: {', '.join(ids)}" if ids else ""
    lines.append(line)
    status = ExitStatus(report["exit_status"])
    lines.append(f"exit status {int(status)}: {MEANING[status]}")
    return "\n".join(lines)
