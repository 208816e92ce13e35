"""The CLI: bad input gives one line naming the field and exit 2; reports are atomic."""

import json
import math
import subprocess
import sys

import pytest

from checks import cli, report
from checks.registry import CONTROLS
from checks.runner import ControlResult, RunResult
from checks.verdict import CheckResult, Verdict


@pytest.mark.parametrize("argv,field", [
    (["minimizer", "--d", "0", "--N", "8"], "--d"),
    (["minimizer", "--d", "2", "--N", "0"], "--N"),
    (["minimizer", "--d", "2", "--N", "8", "--prior", "gaussian"], "--prior"),
    (["minimizer", "--d", "2", "--N", "8", "--cov-diag", "1,-2"], "--cov-diag"),
    (["minimizer", "--d", "2", "--N", "8", "--cov-diag", "1,nan"], "--cov-diag"),
    (["minimizer", "--d", "2", "--N", "8", "--snr", "nan"], "--snr"),
    (["minimizer", "--d", "2", "--N", "8", "--p-plus", "1.5"], "--p-plus"),
    (["tv", "--d", "2", "--N", "8", "--M", "x"], "--M"),
    (["run", "--claims", "A9"], "--claims"),
    (["run", "--profile", "huge"], "--profile"),
    (["run", "--seed", "-3"], "--seed"),
    (["run", "--classes", "1"], "--classes"),
    (["minimizer", "--d", "2", "--N", "8", "--classes", "1"], "--classes"),
    (["minimizer", "--d", "2", "--N", "8", "--classes", "3", "--prior", "antipodal"], "--prior"),
    (["tv", "--d", "2", "--N", "8", "--M", "8", "--classes", "3", "--p-plus", "0.6"], "--p-plus"),
])
def test_bad_input_exits_2_with_one_line(argv, field, capsys) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and field in err[0] and "Traceback" not in err[0]


def test_console_script_exit_status_and_no_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "checks.cli", "minimizer", "--d", "-1", "--N", "4"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--d" in proc.stderr


def test_minimizer_json(capsys) -> None:
    assert cli.main(["minimizer", "--d", "3", "--N", "64", "--cov-diag", "1,2,0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "quadrature" and out["error_estimate"] < 1e-6
    w = out["W"]
    assert w[1][1] == pytest.approx(out["alpha"] / 2) and w[0][1] == 0


def test_tv_limits(capsys) -> None:
    assert cli.main(["tv", "--d", "2", "--N", "inf", "--M", "inf", "--samples", "1000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tv"] < 1e-12  # W = 2 Lambda^-1 with the population a is the Bayes posterior
    assert cli.main(["tv", "--d", "2", "--N", "16", "--M", "inf", "--samples", "1000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tv"] > 10 * out["stderr"] > 0


def test_run_writes_reports(tmp_path, capsys) -> None:
    status = cli.main(["run", "--profile", "smoke", "--claims", "A3", "--report-dir", str(tmp_path)])
    assert status in (0, 1, 3)
    rep = json.loads((tmp_path / "report.json").read_text())
    claim = rep["claims"][0]
    for key in ("id", "statement", "verdict", "statistic", "stderr_or_ci", "criterion", "seed", "budget"):
        assert key in claim
    for ctrl in rep["controls"]:
        assert {"id", "claim", "setting", "verdict", "detected"} <= set(ctrl)
    assert (tmp_path / "report.md").read_text().startswith("# icl-verify report")
    assert json.loads((tmp_path / "config.json").read_text())["profile"] == "smoke"
    assert not math.isnan(claim["statistic"])


def test_crash_leaves_no_half_written_report(tmp_path, monkeypatch) -> None:
    (tmp_path / "report.md").write_text("previous report\n")

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report.os, "fsync", boom)
    with pytest.raises(RuntimeError):
        report.atomic_write(tmp_path / "report.md", "x" * 10_000)
    assert (tmp_path / "report.md").read_text() == "previous report\n"
    assert list(tmp_path.iterdir()) == [tmp_path / "report.md"]


def test_minimizer_and_tv_for_c_classes(capsys) -> None:
    """--classes 4: W* = c Lambda^-1 at N = inf exactly; at finite N a Monte Carlo alpha below c
    with its error; E[TV] with its standard error."""
    assert cli.main(["minimizer", "--d", "2", "--N", "inf", "--classes", "4", "--cov-diag", "1,2",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["alpha"] == 4 and out["W"] == [[4.0, 0.0], [0.0, 2.0]] and out["error_estimate"] == 0
    assert cli.main(["minimizer", "--d", "2", "--N", "32", "--classes", "4", "--samples", "20000",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "monte-carlo-ray" and 0 < out["error_estimate"] < 0.1 < 4 - out["alpha"]
    assert cli.main(["tv", "--d", "2", "--N", "32", "--M", "inf", "--classes", "4", "--samples", "20000",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert 0 < out["stderr"] < out["tv"] < 1


def test_run_exit_status_tells_refuted_from_undecided() -> None:
    """0 all PASS and all controls detected; 1 a FAIL or a missed control; 3 only INCONCLUSIVE."""

    def claim(verdict: Verdict) -> CheckResult:
        return CheckResult(id="A1", statement="", verdict=verdict, outcomes=[], seed=0, budget={},
                           settings={}, method="", elapsed_s=0.0)

    control = CONTROLS[0]  # expects FAIL
    detected, missed = (ControlResult(control, claim(v)) for v in (Verdict.FAIL, Verdict.PASS))
    assert RunResult([claim(Verdict.PASS)], [detected]).exit_status == 0
    assert RunResult([claim(Verdict.INCONCLUSIVE)], [detected]).exit_status == 3
    assert RunResult([claim(Verdict.INCONCLUSIVE), claim(Verdict.FAIL)], [detected]).exit_status == 1
    assert RunResult([claim(Verdict.INCONCLUSIVE)], [missed]).exit_status == 1
