"""Every subcommand over the whole documented domain of each of its options (hypothesis).

Whatever the input, the exit status is a documented one (0-4; 1 and 3 only from ``run`` and
``report``), nothing but the answer and at most one line reaches the user -- no traceback, no
warning -- no internal error is reported, and the process's peak memory stays within
``--max-memory`` plus the interpreter's own.  ``minimizer`` and ``tv`` run in a fresh process
each, so that the memory is theirs (its own peak resident set, VmHWM); ``run`` does too, for real
at the smoke profile and with ``--dry-run`` (which checks every option) at the others;
``report`` redraws mutated copies of a saved report in-process.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks import cli
from checks.exit_status import COMPLETED
from checks.paper import PROFILE_NAMES
from checks.papers import all_claims
from numerics.config import MAX_PROMPT_LENGTH
from numerics.gaussian_mixtures.estimators import MIN_SAMPLES

#: above numerics.memory.QUADRATURE (600 MiB), so that binary finite-N settings are computed, not refused
LIMIT_GIB = 1.0
#: the interpreter with numpy, scipy, sympy and matplotlib loaded, and the figure workers:
#: ~180 MB resident measured; what the estimates of numerics.memory cover comes on top
INTERPRETER_GIB = 0.45
EXAMPLES = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _number(x: float) -> str:
    return repr(float(x))


positive = st.floats(min_value=5e-324, max_value=1.7e308, allow_nan=False, allow_infinity=False)
lengths = st.one_of(st.just("inf"), st.integers(1, 64).map(str), st.integers(1, MAX_PROMPT_LENGTH).map(str))


@st.composite
def setting_options(draw: st.DrawFn) -> list[str]:
    """The options ``minimizer`` and ``tv`` share, each over its documented domain."""
    d = draw(st.one_of(st.integers(1, 6), st.integers(1, 10**7)))
    argv = ["--d", str(d), "--max-memory", _number(LIMIT_GIB)]
    classes = draw(st.one_of(st.none(), st.just(3), st.integers(2, 10**7)))
    if classes is not None:
        argv += ["--classes", str(classes)]
    if draw(st.booleans()):
        argv += ["--snr", _number(draw(positive))]
    if draw(st.booleans()):
        argv += ["--prior", draw(st.sampled_from(["antipodal", "independent", "aligned"]))]
    if d <= 6 and draw(st.booleans()):
        argv += ["--cov-diag", ",".join(_number(v) for v in draw(st.lists(positive, min_size=d, max_size=d)))]
    if draw(st.booleans()):
        argv += ["--minus-scale", _number(draw(positive))]
    if draw(st.booleans()):
        argv += ["--p-plus", _number(draw(st.floats(0, 1, exclude_min=True, exclude_max=True)))]
    if draw(st.booleans()):
        argv += ["--seed", str(draw(st.integers(0, 2**128)))]
    if draw(st.booleans()):
        samples = st.one_of(st.integers(MIN_SAMPLES, 20_000), st.integers(MIN_SAMPLES, 10**12))
        argv += ["--samples", str(draw(samples))]
    if draw(st.booleans()):
        argv.append("--json")
    return argv


#: runs the CLI and, at its exit, writes its own peak resident set (VmHWM) to the file named
#: by argv[1].  Not wait4's ru_maxrss: on Linux that keeps the high-water mark of the forking
#: process (pytest, ~1 GB late in the suite) across fork and exec
_MEASURED = """
import atexit, sys
def peak():
    with open("/proc/self/status") as status, open(sys.argv[1], "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM")).split()[1])
atexit.register(peak)
from checks.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _run(argv: list[str]) -> tuple[int, str, str, float]:
    """Exit status, stdout, stderr and peak resident memory (GiB) of one fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        peak = Path(tmp) / "peak"
        proc = subprocess.run([sys.executable, "-c", _MEASURED, str(peak), *argv], capture_output=True,
                              text=True)
        return proc.returncode, proc.stdout, proc.stderr, int(peak.read_text()) * 1024 / 2**30


def _assert_answered(status: int, err: str, peak: float, allowed: set[int]) -> None:
    assert status in allowed, (status, err)
    lines = err.splitlines()
    assert "Traceback" not in err and "Warning" not in err, err
    assert "internal error" not in err, err
    if status in (2, 4):
        assert len(lines) == 1 and lines[0].startswith("icl-verify: "), err
    assert peak <= LIMIT_GIB + INTERPRETER_GIB, peak


@EXAMPLES
@given(setting_options(), lengths)
def test_minimizer_over_its_domain(options: list[str], n: str) -> None:
    status, out, err, peak = _run(["minimizer", "--N", n, *options])
    _assert_answered(status, err, peak, {0, 2})
    if status == 0 and "--json" in options:
        assert set(json.loads(out)) >= {"W", "alpha", "error_estimate", "method"}


@EXAMPLES
@given(setting_options(), lengths, lengths)
def test_tv_over_its_domain(options: list[str], n: str, m: str) -> None:
    status, out, err, peak = _run(["tv", "--N", n, "--M", m, *options])
    _assert_answered(status, err, peak, {0, 2})
    if status == 0 and "--json" in options:
        answer = json.loads(out)
        assert 0 <= answer["tv"] <= 1 and answer["stderr"] >= 0


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PROFILE_NAMES), st.lists(st.sampled_from(all_claims()), min_size=1, max_size=3),
       st.one_of(st.none(), st.integers(2, 10**6)), st.integers(0, 2**64))
def test_run_over_its_domain(profile: str, claims: list[str], classes: int | None, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["run", "--profile", profile, "--claims", ",".join(claims), "--seed", str(seed),
                "--report-dir", f"{tmp}/reports", "--junit-xml", f"{tmp}/junit.xml",
                "--max-memory", _number(LIMIT_GIB), "--jobs", "1"]  # the peak measured is this process's
        if classes is not None:
            argv += ["--classes", str(classes)]
        if profile != "smoke":
            argv.append("--dry-run")  # checks every option; the computation takes minutes to hours
        status, out, err, peak = _run(argv)
        plain = "\n".join(line for line in err.splitlines() if not line.startswith("[icl-verify] "))
        _assert_answered(status, plain, peak, {2, *COMPLETED})
        if status in COMPLETED and profile == "smoke":
            assert out.splitlines()[-2].startswith(f"exit status {status}: ")


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("saved") / "reports"
    argv = ["run", "--profile", "smoke", "--claims", "A2,A3", "--report-dir", str(target)]
    assert cli.main(argv) in COMPLETED
    return target


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                           | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


@st.composite
def damaged(draw: st.DrawFn, report: dict) -> dict:
    """The report with one value replaced, or one key removed, anywhere in its tree."""
    report = copy.deepcopy(report)
    node, path = report, []
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        path.append((node, key))
        node = node[key]
    if not path:
        return draw(json_values)
    parent, key = path[-1]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[key]
    else:
        parent[key] = draw(json_values)
    return report


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_report_over_damaged_reports(saved: Path, data, capsys) -> None:
    report = json.loads((saved / "report.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "reports"
        shutil.copytree(saved, target)
        (target / "report.json").write_text(json.dumps(data.draw(damaged(report))))
        status = cli.main(["report", str(target)])
        err = capsys.readouterr().err
        _assert_answered(status, err, 0.0, {0, 1, 2, 3})
