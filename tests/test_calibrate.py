"""``icl-verify calibrate`` (issue 14): the exact bounds, cells that reproduce a run, and a
killed sweep that resumes from its cache without recomputing and without changing a result."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from scipy import stats

from checks import calibrate, papers
from checks.papers import PAPERS
from checks.runner import check_cell, run
from tests.settings_of import settings_of


def test_bounds_are_exact_clopper_pearson() -> None:
    """0 failures in 300: the one-sided 95% upper bound is 1 - 0.05^(1/300) = 0.00994 (the
    "rule of three"'s exact form); the lower bound of 300 detections in 300 is 0.05^(1/300);
    otherwise the ends of scipy's exact two-sided 90% interval."""
    assert calibrate.upper_bound(0, 300) == pytest.approx(1 - 0.05 ** (1 / 300), rel=1e-12)
    assert calibrate.lower_bound(300, 300) == pytest.approx(0.05 ** (1 / 300), rel=1e-12)
    interval = stats.binomtest(7, 120).proportion_ci(confidence_level=0.90, method="exact")
    assert calibrate.upper_bound(7, 120) == pytest.approx(interval.high, rel=1e-10)
    assert calibrate.lower_bound(7, 120) == pytest.approx(interval.low, rel=1e-10)
    assert calibrate.upper_bound(5, 5) == 1.0 and calibrate.lower_bound(0, 5) == 0.0


@pytest.mark.parametrize("claims", [["A4"], ["A5m"], ["B1"]])
def test_a_cell_is_what_a_run_computes(claims: list[str]) -> None:
    """Each cell has the outcomes a whole run with its seed gives, also where a control
    re-judges its claim's shared numbers (A5m's c-rate control; B1's K-exponent control shares
    the claim's sweep: one shared computation in the run); a cell its paper varies (all of
    paper B's) has those of the check alone on its random instance."""
    whole = run(claims, "smoke", 3)
    if claims == ["B1"]:
        assert whole.shared_computations == 1
    results, counts = calibrate.sweep(calibrate.cells(claims, "smoke", [3]), None, None)
    assert counts == {"computed": len(results), "cached": 0}
    for cell, result in results.items():
        paper = papers.paper_by_id(cell.paper)
        if paper.varies(cell.check):
            alone = check_cell(cell.paper, cell.check, cell.is_control, "smoke", 3, vary_instance=True)
        else:
            alone = next(c for c in [*whole.claims, *(k.result for k in whole.controls)]
                         if c.id == cell.check)
        assert result["outcomes"] == [[o.name, o.verdict.value, o.gating] for o in alone.outcomes]


def _calibrate(*args: str) -> list[str]:
    return [sys.executable, "-m", "checks.cli", "calibrate", "--profile", "smoke", "--claims", "A4",
            "--seeds", "3", "--json", *args]


def test_a_killed_sweep_resumes_from_its_cache(tmp_path: Path) -> None:
    """Kill a sweep once its first cell is stored, start it again: the stored cells are
    reused, the rest computed, and the result is the uninterrupted sweep's."""
    cache = tmp_path / "cache"
    sweep = subprocess.Popen(_calibrate("--cache", str(cache)), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(cache.rglob("output.json")) and time.monotonic() < deadline and sweep.poll() is None:
        time.sleep(0.05)
    sweep.send_signal(signal.SIGKILL)
    sweep.wait()
    stored = len(list(cache.rglob("output.json")))
    assert 1 <= stored < 6, stored  # killed part-way: some, not all, of the 6 cells
    resumed = json.loads(subprocess.run(_calibrate("--cache", str(cache)), capture_output=True,
                                        text=True, check=True).stdout)
    assert resumed["cells"] == {"computed": 6 - stored, "cached": stored}
    fresh = json.loads(subprocess.run(_calibrate("--jobs", "2"), capture_output=True, text=True,
                                      check=True).stdout)
    assert resumed["per_seed"] == fresh["per_seed"] and resumed["outcomes"] == fresh["outcomes"]


def test_records_resume_a_calibration_and_survive_a_torn_append(tmp_path: Path) -> None:
    """``--records``: a second sweep reuses every recorded cell; a last line cut short (a
    sweep killed while appending) is dropped and its cell computed again, with the same
    result as the uninterrupted sweep."""
    records = tmp_path / "records.jsonl"
    todo = calibrate.cells(["A4"], "smoke", [3, 4])
    first, counts = calibrate.sweep(todo, None, None, records=records)
    assert counts == {"computed": 4, "cached": 0}
    lines = records.read_text().splitlines()
    assert len(lines) == 4
    assert all(json.loads(line)["version"] == calibrate.code_version("A") for line in lines)
    assert calibrate.sweep(todo, None, None, records=records) == (first, {"computed": 0, "cached": 4})
    records.write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])
    again, counts = calibrate.sweep(todo, None, None, records=records)
    assert counts == {"computed": 1, "cached": 3}
    assert _untimed(again) == _untimed(first)
    assert [json.loads(line) for line in records.read_text().splitlines()][:3] == \
        [json.loads(line) for line in lines[:3]]
    # a whole last line that is JSON but no record is not a torn append: kept, and refused
    records.write_text("\n".join(lines) + '\n{"seed": 3}')
    with pytest.raises(calibrate.ConfigError, match=r":5: not a calibration record: at \(top level\)"):
        calibrate.read_records(records, set(todo))
    assert records.read_text().endswith('{"seed": 3}')


def test_ctrl_c_stops_a_local_sweep_without_finishing_its_queue(tmp_path: Path) -> None:
    """SIGINT once the first seed is recorded: status 4 with one line, and the queued seeds
    are cancelled and the running ones' workers ended (not waited for: the records stop short
    of the sweep's cells)."""
    records = tmp_path / "records.jsonl"
    # A4 alone: a seed is recorded within seconds, not after a whole smoke seed (a minute)
    sweep = subprocess.Popen([sys.executable, "-m", "checks.cli", "calibrate", "--profile", "smoke",
                              "--claims", "A4", "--seeds", "15", "--jobs", "2", "--records", str(records)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (records.exists() and records.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    sweep.send_signal(signal.SIGINT)
    _, err = sweep.communicate(timeout=300)
    assert sweep.returncode == 4
    # one line besides the progress lines: no worker's traceback
    assert [line for line in err.splitlines() if not line.startswith("[icl-verify]")] == \
        ["icl-verify: incomplete: interrupted by SIGINT"]
    assert 0 < len(records.read_text().splitlines()) < len(calibrate.cells(["A4"], "smoke", range(15)))


def test_records_are_locked_and_a_missing_final_newline_is_mended(tmp_path: Path) -> None:
    """A second sweep on a records file in use is refused (one line); a file whose last record
    lacks its newline (concatenated, edited) gets one before the next record is appended."""
    records = tmp_path / "records.jsonl"
    todo = calibrate.cells(["A4"], "smoke", [3, 4])
    calibrate.sweep(todo[:2], None, None, records=records)
    records.write_text(records.read_text().rstrip("\n"))
    with calibrate.records_file(records), pytest.raises(calibrate.ConfigError, match="in use"):
        calibrate.sweep(todo, None, None, records=records)
    assert calibrate.sweep(todo, None, None, records=records)[1] == {"computed": 2, "cached": 2}
    assert len(calibrate.read_records(records, set(todo))) == 4


def _untimed(results: dict) -> dict:
    """A sweep's results without the cells' timings (which differ between any two runs)."""
    return {cell: {k: v for k, v in r.items() if k != "elapsed_s"} for cell, r in results.items()}


def _flipped(line: str) -> str:
    """The record with the other decided verdict, for the cell and every gating outcome: a
    record consistent with itself that another record of the cell contradicts."""
    record = json.loads(line)
    other = {"PASS": "FAIL", "FAIL": "PASS", "INCONCLUSIVE": "PASS"}
    record["verdict"] = other[record["verdict"]]
    record["outcomes"] = [[n, record["verdict"] if g else v, g] for n, v, g in record["outcomes"]]
    return json.dumps(record)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda line: line.replace(calibrate.code_version("A"), "0" * 64), "code version 000000000000"),
    (_flipped, "disagree"),
    (lambda line: line.replace('"verdict": "', '"verdict": "NOT', 1),
     ":1: not a calibration record: at verdict"),
    (lambda line: "not json", ":1: not a calibration record: not JSON"),
    # another version at a seed this sweep does not ask for: a calibration spans one version
    (lambda line: line.replace(calibrate.code_version("A"), "0" * 64).replace('"seed": 3', '"seed": 99'),
     "code version 000000000000"),
])
def test_bad_records_are_one_line_naming_the_option(tmp_path: Path, capsys, edit, message) -> None:
    """Records of another code version, two records of one cell that disagree, a line in the
    middle that is not a record: exit status 2, one line naming --records."""
    from checks import cli

    records = tmp_path / "records.jsonl"
    calibrate.sweep(calibrate.cells(["A4"], "smoke", [3]), None, None, records=records)
    line = records.read_text().splitlines()[0]
    records.write_text(f"{edit(line)}\n{line}\n")
    assert cli.main(["calibrate", "--profile", "smoke", "--claims", "A4", "--seeds", "1",
                     "--first-seed", "3", "--records", str(records)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--records" in err[0] and message in err[0], err


def test_a_papers_code_version_covers_the_code_its_cells_run() -> None:
    """A paper's version hashes every module its cells import (its theory, numerics and checks,
    what they import, the runner and the decision rules), not the other paper's package, the
    CLI, the reports or the calibration's bookkeeping: those can change while a calibration
    spans sessions.  The static listing agrees with what an interpreter imports."""
    a, b = (calibrate._modules(paper) for paper in ("A", "B"))
    assert {"checks.runner", "checks.decision", "numerics.gaussian_mixtures.tv_quadrature",
            "checks.gaussian_mixtures.a5m_inference_error"} <= a
    assert "numerics.softmax_regression.models" in a  # A1's control on paper B's loss
    assert not a & {"checks.softmax_regression", "checks.softmax_regression.b1_balanced"}
    assert {"checks.softmax_regression.b1_balanced", "theory.softmax_regression.floor"} <= b
    assert not (a | b) & {"checks.cli", "checks.report", "checks.calibrate", "checks.papers"}
    loaded = subprocess.run([sys.executable, "-c", "import sys, checks.runner, checks.papers; print("
                             "' '.join(m for m in sys.modules if m.split('.')[0] in "
                             "('theory', 'numerics', 'checks')))"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert a | b | {"checks.papers"} == set(loaded)
    assert calibrate.code_version("A") != calibrate.code_version("B")


def test_a_dask_cluster_gives_the_local_result(capsys) -> None:
    """``--scheduler``: the cells go to a Dask cluster (here a LocalCluster of two worker
    processes) and the answer is the local one's."""
    distributed = pytest.importorskip("distributed")
    from checks import cli

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert cli.main(["calibrate", "--profile", "smoke", "--claims", "A4", "--seeds", "2", "--json",
                         "--scheduler", cluster.scheduler_address]) == 0
        on_dask = json.loads(capsys.readouterr().out)
    assert cli.main(["calibrate", "--profile", "smoke", "--claims", "A4", "--seeds", "2", "--json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert on_dask == local


def test_without_dask_the_scheduler_option_says_how_to_install_it(monkeypatch, capsys) -> None:
    from checks import cli

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    assert cli.main(["calibrate", "--seeds", "1", "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--scheduler" in err[0] and "pip install 'icl-verify[dask]'" in err[0]


def test_a_cell_whose_own_setting_fails_is_incomplete_not_bad_input(monkeypatch, capsys) -> None:
    """A check that cannot compute its random instance (a ConfigError from inside a cell) is
    exit status 4 with one line, not a complaint about an option the user never gave."""
    from checks import cli

    def refuse(*_args, **_kwargs):
        raise calibrate.ConfigError("d", "no such instance")

    monkeypatch.setattr(calibrate, "check_cell", refuse)
    assert cli.main(["calibrate", "--profile", "smoke", "--claims", "A4", "--seeds", "1"]) == 4
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[icl-verify]")]
    assert err == ["icl-verify: incomplete: a cell could not compute its own setting: no such instance"]


def test_a_worker_on_other_code_refuses_a_call(monkeypatch) -> None:
    """``run --scheduler``'s executor: each call first compares the worker's code versions
    with the client's (here the worker is this process, its code changed after submission's
    versions were taken)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as threads:
        executor = calibrate.Versioned(threads)
        assert executor.submit(int, "3").result() == 3
        monkeypatch.setattr(calibrate, "code_version", lambda paper: "0" * 64)
        with pytest.raises(calibrate.OtherCode, match="code of paper A is version 000000000000"):
            executor.submit(int, "3").result()


def test_a_calibration_cell_sent_to_other_code_is_refused() -> None:
    """``calibrate``, locally or on a cluster: the worker's entry point computes a cell only if
    its code of the cell's paper is the version the client sent with it."""
    cell = calibrate.cells(["A4"], "smoke", [0])[0]
    with pytest.raises(calibrate.OtherCode, match=r"paper A is version .*, the client's is 000000000000"):
        calibrate._call(([(cell, "0" * 64)], None))


def _verdicts(report_dir: Path) -> str:
    """report.json's papers, without the timings (which differ between any two runs)."""
    papers = json.loads((report_dir / "report.json").read_text())["papers"]
    for paper in papers:
        for check in paper["claims"] + paper["controls"]:
            check.pop("elapsed_s", None)
    return json.dumps(papers, sort_keys=True)


def test_run_on_a_dask_cluster_writes_the_same_report(tmp_path: Path, monkeypatch) -> None:
    """``run --scheduler``: each work unit (here a claim with its controls) a call on the
    cluster, every call through the workers' code-version check, the report's verdicts,
    statistics and evidence as in one process."""
    distributed = pytest.importorskip("distributed")
    from checks import cli

    checked = []

    class Counted(calibrate.Versioned):
        def submit(self, fn, /, *args, **kwargs):
            checked.append(fn)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(calibrate, "Versioned", Counted)
    argv = ["run", "--profile", "smoke", "--claims", "A4,B3"]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        cli.main([*argv, "--report-dir", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address])
    papers_run = json.loads((tmp_path / "dask" / "report.json").read_text())["papers"]
    assert len(checked) == sum(len(p["claims"]) for p in papers_run) == 2
    cli.main([*argv, "--jobs", "1", "--report-dir", str(tmp_path / "local")])
    assert _verdicts(tmp_path / "dask") == _verdicts(tmp_path / "local")


def test_seed_free_checks_are_varied_by_instance_or_counted_once(monkeypatch) -> None:
    """A3 (quadrature) and its controls, and paper B's exact GD, run on a new random instance
    per seed; a seed-free check that no instance rule varies (paper B with its rule taken
    away) runs once and counts as one trial, with no bound."""
    todo = calibrate.cells(["A3", "B3"], "smoke", [0, 1, 2])
    by_check = {}
    for cell in todo:
        by_check.setdefault(cell.check, []).append(cell.seed)
    assert by_check["A3"] == by_check["A3-unequal-norms"] == by_check["B3-limit-one"] == [0, 1, 2]
    for paper, check, is_control in (("A", "A3", False), ("A", "A3-unequal-norms", True),
                                     ("B", "B3", False)):
        labels = [set(check_cell(paper, check, is_control, "smoke", seed, vary_instance=True).settings)
                  for seed in (0, 1)]
        subject = papers.paper_by_id(paper)
        base = {s.label for s in settings_of(subject, check, subject.profiles["smoke"])}
        assert labels[0] != labels[1] and not (labels[0] | labels[1]) & base
    fixed = tuple(replace(p, instance=None, varied=frozenset()) if p.id == "B" else p for p in PAPERS)
    monkeypatch.setattr(papers, "PAPERS", fixed)
    monkeypatch.setattr(calibrate, "PAPERS", fixed)
    todo = calibrate.cells(["A3", "B3"], "smoke", [0, 1, 2])
    assert [c.seed for c in todo if c.check in ("B3", "B3-limit-one")] == [0, 0]
    summary = calibrate.summarise(calibrate.sweep(todo, None, None)[0], [0, 1, 2])
    rows = {o["id"]: o for o in summary["outcomes"]}
    assert rows["A3"]["trials"] == 3 and rows["A3"]["varied_by_instance"]
    assert rows["A3"]["false_fail_upper_bound"] == calibrate.upper_bound(rows["A3"]["FAIL"], 3)
    # one evaluation of a deterministic check: its verdict, and no bound
    assert rows["B3"]["trials"] == 1 and rows["B3"]["deterministic"] and not rows["B3"]["varied_by_instance"]
    assert rows["B3"]["false_fail_upper_bound"] is None
    assert rows["B3-limit-one"]["detection_lower_bound"] is None
    # the control that must PASS (a true setting) counts its PASSes
    unbalanced = rows["A3-unbalanced-antipodal"]
    assert unbalanced["expected"] == "PASS" and unbalanced["detected"] == unbalanced["PASS"]


def test_whole_runs_count_a_seed_by_its_worst_cell() -> None:
    """Hand-made verdicts of A4 and one of its controls (expected FAIL) on three seeds: a
    seed is clean only if every cell gave its expected verdict, and counts as a claim FAIL
    if any claim FAILed (a missed control or an INCONCLUSIVE claim is not a claim FAIL)."""
    verdicts = {0: ("PASS", "FAIL"), 1: ("FAIL", "FAIL"), 2: ("INCONCLUSIVE", "PASS")}
    results = {}
    for seed, (claim, control) in verdicts.items():
        results[calibrate.Cell("A", "A4", False, "quick", seed)] = {"verdict": claim}
        results[calibrate.Cell("A", "A4-covariance-shift", True, "quick", seed)] = {"verdict": control}
    summary = calibrate.summarise(results, [0, 1, 2])
    assert summary["runs"] == {"clean": 1, "seeds": 3, "not_clean_upper_bound": calibrate.upper_bound(2, 3),
                               "claim_fail": 1, "claim_fail_upper_bound": calibrate.upper_bound(1, 3)}
    rows = {o["id"]: o for o in summary["outcomes"]}
    assert (rows["A4"]["FAIL"], rows["A4"]["INCONCLUSIVE"], rows["A4"]["PASS"]) == (1, 1, 1)
    assert rows["A4-covariance-shift"]["detected"] == 2
    assert rows["A4-covariance-shift"]["detection_lower_bound"] == calibrate.lower_bound(2, 3)
