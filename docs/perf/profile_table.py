"""The profile table of issue 27: each check's share of a run's summed check time (from the
run's report.json) and the run's hottest functions (from its cProfile output).

    python -m cProfile -o run.prof $(which icl-verify) run --profile quick --jobs 1 --report-dir DIR
    python docs/perf/profile_table.py DIR run.prof "heading line" > docs/perf/quick-profile-after.txt
"""

from __future__ import annotations

import io
import json
import pstats
import sys
from pathlib import Path


def check_times(report_dir: Path) -> list[tuple[str, float]]:
    report = json.loads((report_dir / "report.json").read_text())
    rows = [(c["id"], c["elapsed_s"]) for p in report["papers"] for c in p["claims"] + p["controls"]]
    return sorted(rows, key=lambda row: -row[1])


def table(report_dir: Path, profile: Path, heading: str, functions: int = 25) -> str:
    rows = check_times(report_dir)
    total = sum(t for _, t in rows)
    out = [f"# {heading}", f"# summed check time {total:.1f} s"]
    out += [f"{name:<40} {t:8.1f} s {100 * t / total:5.1f}%" for name, t in rows]
    text = io.StringIO()
    pstats.Stats(str(profile), stream=text).sort_stats("tottime").print_stats(functions)
    body = text.getvalue()
    return "\n".join(out) + "\n" + body[body.index(": internal time") if ": internal time" in body else 0:]


if __name__ == "__main__":
    print(table(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]))
