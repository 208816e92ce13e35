"""Diff the verdicts, statistics and intervals of two runs' report.json (issue 27: a speed-up
must leave every number unchanged to the printed digits, or within its Monte Carlo error).

    python docs/perf/report_diff.py OLD_DIR NEW_DIR [ROWS]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def outcomes(directory: Path) -> dict[tuple[str, str], dict]:
    """Each check's verdict and each outcome's verdict, statistic, interval and standard error."""
    report = json.loads((directory / "report.json").read_text())
    out = {}
    for paper in report["papers"]:
        for check in paper["claims"] + paper["controls"]:
            out[(check["id"], "(verdict of the check)")] = {"verdict": check["verdict"]}
            for o in check["outcomes"]:
                uncertainty = o["uncertainty"] if isinstance(o["uncertainty"], dict) else {}
                out[(check["id"], o["name"])] = {
                    "verdict": o["verdict"], "statistic": o["statistic"],
                    "interval": o["decision"].get("interval") or [], "stderr": uncertainty.get("stderr")}
    return out


def _relative(a: float, b: float) -> float:
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))


def diff(old: Path, new: Path, rows: int = 15) -> str:
    a, b = outcomes(old), outcomes(new)
    if a.keys() != b.keys():
        return f"different outcomes: {sorted(set(a) ^ set(b))}"
    verdicts = [k for k in a if a[k]["verdict"] != b[k]["verdict"]]
    numbers = []
    for k in a:
        if "statistic" not in a[k] or not isinstance(a[k]["statistic"], (int, float)):
            continue
        pairs = [(a[k]["statistic"], b[k]["statistic"]),
                 *zip(a[k]["interval"], b[k]["interval"], strict=True)]
        rel = max(_relative(x, y) for x, y in pairs if isinstance(x, (int, float)))
        se = a[k]["stderr"]
        z = abs(a[k]["statistic"] - b[k]["statistic"]) / se if se else None
        numbers.append((rel, z, k))
    changed = sorted((n for n in numbers if n[0] > 0), key=lambda n: -n[0])
    lines = [f"{len(a)} checks and outcomes compared; verdicts that differ: {len(verdicts)}",
             *(f"  VERDICT {k}: {a[k]['verdict']} -> {b[k]['verdict']}" for k in verdicts),
             f"statistics or interval ends that differ: {len(changed)} of {len(numbers)} outcomes; "
             "the largest relative changes (and the statistic's change in its own standard errors):"]
    for rel, z, (check, name) in changed[:rows]:
        shift = f"  |diff|/SE {z:.1e}" if z is not None else ""
        lines.append(f"  {check:<26} {name[:60]:<60} rel {rel:.1e}{shift}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(diff(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 15))
