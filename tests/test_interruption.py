"""A run killed during its write phase leaves one whole report: the old one or the new one,
never a mix (issue 10 saw a mix in 16 of 26 such kills).

Twelve runs in CI, fifty with ``--runslow`` (smoke profile, claim A4, seeds alternating so
that consecutive reports differ), are each killed at a random moment of their write phase --
measured from the progress line that starts it to the end of a run left alone, one moment in
each of as many equal slices of it as there are runs (uniform, and spread over the whole
phase) -- by SIGKILL, SIGTERM or SIGINT in turn.  A defect that mixes reports in a share p of
kills passes 12 of them with probability (1 - p)^12: for issue 10's 16 in 26, 1e-5.
After each, the directory must hold exactly one run's report, every file of it consistent with
the others; a staging directory that SIGKILL left behind is removed by the next run.
"""

from __future__ import annotations

import base64
import json
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checks.exit_status import COMPLETED
from checks.publish import REPORT_ENTRIES
from checks.schema import validate_report

#: kills in CI, and with --runslow (each is a smoke run: about 8 s)
TRIALS, SLOW_TRIALS = 12, 50
SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT)


def _start(target: Path, seed: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "checks.cli", "run", "--profile", "smoke", "--claims",
                             "A4", "--seed", str(seed), "--report-dir", str(target)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for_write_phase(proc: subprocess.Popen) -> float:
    for line in proc.stderr:
        if "writing the report" in line:
            return time.monotonic()
    raise AssertionError("the run ended before its write phase")


def _assert_whole(target: Path) -> int:
    """One run's report, consistent across its files; returns its seed."""
    assert {p.name for p in target.iterdir()} == REPORT_ENTRIES
    report = json.loads((target / "report.json").read_text())
    validate_report(report)
    assert json.loads((target / "config.json").read_text()) == report["config"]
    stamp = f"Profile <code>smoke</code>, seed {report['config']['seed']}, generated {report['generated']}"
    md, html = (target / "report.md").read_text(), (target / "report.html").read_text()
    assert stamp in md and report["generated"] in html
    named = re.findall(r"\(figures/([^)]+\.svg)\)", md)
    files = {p.name: p.read_text() for p in (target / "figures").iterdir()}
    assert sorted(named) == sorted(files)
    embedded = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert sorted(base64.b64decode(e).decode() for e in embedded) == sorted(files.values())
    return report["config"]["seed"]


@pytest.fixture(scope="module")
def write_phase(tmp_path_factory) -> tuple[Path, float]:
    """A first whole report, and how long a write phase lasts when left alone."""
    target = tmp_path_factory.mktemp("interrupted") / "reports"
    proc = _start(target, 7)
    begun = _wait_for_write_phase(proc)
    assert proc.wait(timeout=300) in COMPLETED
    return target, time.monotonic() - begun


def test_every_kill_during_the_write_phase_leaves_one_whole_report(write_phase, request) -> None:
    target, duration = write_phase
    trials = SLOW_TRIALS if request.config.getoption("--runslow") else TRIALS
    choose = random.Random(20241015)
    moments = [(i + choose.random()) / trials * duration for i in range(trials)]
    choose.shuffle(moments)
    seeds = [_assert_whole(target)]
    for trial, moment in enumerate(moments):
        seed = 8 if seeds[-1] == 7 else 7
        proc = _start(target, seed)
        begun = _wait_for_write_phase(proc)
        time.sleep(max(0.0, begun + moment - time.monotonic()))
        proc.send_signal(SIGNALS[trial % len(SIGNALS)])
        status = proc.wait(timeout=300)
        said = [line for line in proc.stderr.read().splitlines() if not line.startswith("[icl-verify] ")]
        assert not any("Traceback" in line for line in said), said
        if status == 4:  # interrupted: one line saying so
            assert len(said) == 1 and said[0].startswith("icl-verify: "), said
        found = _assert_whole(target)
        assert found in (seeds[-1], seed)  # the old report or the new one
        assert status in (-signal.SIGKILL, 4) or found == seed  # a finished run published
        seeds.append(found)
    # the kills landed on both sides of the swap, and most before it
    assert seeds.count(7) > 1 and seeds.count(8) > 1, seeds
    # a clean run removes any staging that SIGKILL left
    proc = _start(target, 9)
    assert proc.wait(timeout=300) in COMPLETED
    assert _assert_whole(target) == 9
    assert not list(target.parent.glob(".reports.icl-verify-staging-*"))
