"""Issue 26's probe, row by row: a report, a cache or a records file that a user shares must
never run code, write elsewhere, or lie; every input gets a right answer or exit 2 with one
line; a signal ends every command.  (The fuzz tests, ``test_fuzz_*.py``, search the same
inputs at random; these are the rows the probe found, kept as regressions.)"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
import tracemalloc
import weakref
from pathlib import Path

import joblib.memory
import pytest

from checks import calibrate, cli, publish, workers
from checks.exit_status import COMPLETED, status_of
from checks.report import report_dict, run_config, to_json
from checks.runner import run

SMOKE_A4 = ["--profile", "smoke", "--claims", "A4"]


def _main(capsys, *argv: str) -> tuple[int, list[str]]:
    status = cli.main(list(argv))
    return status, capsys.readouterr().err.strip().splitlines()


def _refused(capsys, field: str, *argv: str) -> str:
    """The one line of a refusal naming ``field``, after checking the status and the line."""
    status, err = _main(capsys, *argv)
    assert status == 2 and len(err) == 1 and field in err[0], (status, err)
    return err[0]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict:
    """A real report (smoke, A4 and its control), as report.json holds it."""
    result = run(["A4"], "smoke", 3)
    return json.loads(to_json(report_dict(result, run_config(result, "smoke", 3, {}))))


def _report_dir(tmp_path: Path, report: dict) -> Path:
    directory = tmp_path / "reports"
    directory.mkdir()
    (directory / "report.json").write_text(json.dumps(report))
    return directory


# -- 1, 2: a saved report is data, never a path or markup ------------------------------------

@pytest.mark.parametrize("hostile_id", ["../../../outside/evil", "/ABSOLUTE/evil", "a/b", "..", ""])
def test_ids_never_reach_a_path(tmp_path: Path, saved: dict, capsys, hostile_id: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    report = json.loads(json.dumps(saved))
    hostile_id = hostile_id.replace("/ABSOLUTE", str(outside))
    report["papers"][0]["claims"][0]["id"] = hostile_id
    for control in report["papers"][0]["controls"]:
        control["claim"] = hostile_id
    directory = _report_dir(tmp_path, report)
    status, err = _main(capsys, "report", str(directory))
    if hostile_id == "":  # the schema wants an id
        assert status == 2, err
        return
    assert status == report["exit_status"], err
    assert not list(outside.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == [".reports.lock", "outside", "reports"]
    assert all(p.parent == directory / "figures" for p in (directory / "figures").iterdir())


def test_the_longest_figure_names_fit_the_deepest_directory_allowed(tmp_path: Path, saved: dict,
                                                                    capsys) -> None:
    """A report directory whose path is as long as publish allows, and ids and titles whose
    figure names are the longest: every file is written (no ENAMETOOLONG after drawing)."""
    report = json.loads(json.dumps(saved))
    paper = report["papers"][0]
    claim = paper["claims"][0]
    claim["id"] = "i" * 300
    for control in paper["controls"]:
        if control["claim"] == saved["papers"][0]["claims"][0]["id"]:
            control["claim"] = claim["id"]
    for o in claim["outcomes"]:
        o["name"] = "t" * 300 + o["name"]
    claim["deciding_outcome"] = "t" * 300 + claim["deciding_outcome"]
    room = publish._PATH_MAX - publish._INNER_PATH - len(os.fsencode(str(tmp_path)))
    directory = tmp_path
    while room > 201 + 100:  # folders of 200 bytes, then the directory, to the longest path allowed
        directory, room = directory / ("d" * 200), room - 201
    directory = directory / ("r" * (room - 1))
    directory.mkdir(parents=True)
    assert len(os.fsencode(str(directory))) == publish._PATH_MAX - publish._INNER_PATH
    (directory / "report.json").write_text(json.dumps(report))
    status, err = _main(capsys, "report", str(directory))
    assert status == report["exit_status"], err
    drawn = [p.name for p in (directory / "figures").iterdir()]
    assert any(n.startswith("i" * 48 + "-" + "t" * 48 + "-") for n in drawn), drawn  # slugs at their longest


# A criterion is not here: it must be its rule's own words, so a script there is refused
# ("a criterion not the rule's words" below).
@pytest.mark.parametrize("where", ["statement", "title", "outcome name", "outcome setting", "reading",
                                   "control setting", "settings label", "budget"])
def test_markup_in_a_report_is_text(tmp_path: Path, saved: dict, capsys, where: str) -> None:
    script = "<script>alert(1)</script>"
    report = json.loads(json.dumps(saved))
    paper = report["papers"][0]
    claim, control = paper["claims"][0], paper["controls"][0]
    outcome = claim["outcomes"][0]
    if where == "statement":
        claim["statement"] = script
    elif where == "title":
        paper["title"] = script
    elif where == "outcome name":
        for check in (claim, control):  # every name, and the deciding one with it
            for o in check["outcomes"]:
                o["name"] = script + o["name"]
            check["deciding_outcome"] = script + check["deciding_outcome"]
    elif where == "outcome setting":
        outcome["setting"] = script
    elif where == "reading":
        outcome["evidence"]["reading"] = script
    elif where == "control setting":
        control["setting"] = script
    elif where == "settings label":
        claim["settings"] = {script: {"label": script, "note": script}}
    else:
        paper["budget"] = script
    directory = _report_dir(tmp_path, report)
    assert _main(capsys, "report", str(directory))[0] == report["exit_status"]
    for name in ("report.html", "report.md"):
        text = (directory / name).read_text()
        assert "<script" not in text.lower() and "&lt;script&gt;" in text, name


# -- 3: the cache runs nothing ---------------------------------------------------------------

class _Planted:
    """A pickle that, loaded, would create a file: the proof that it ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_planted_cache_entry_is_not_run_and_is_recomputed(tmp_path: Path, capsys) -> None:
    cache = tmp_path / "cache"
    argv = ["calibrate", *SMOKE_A4, "--seeds", "1", "--json", "--cache", str(cache)]
    assert cli.main(argv) == 0
    fresh = json.loads(capsys.readouterr().out)
    entries = sorted(cache.rglob("output.json"))
    assert len(entries) == 2
    marker = tmp_path / "the-pickle-ran"
    forged = json.loads(entries[0].read_text())
    forged["result"]["verdict"] = "PASS" if forged["result"]["verdict"] != "PASS" else "FAIL"
    entries[0].write_bytes(pickle.dumps(_Planted(marker)))  # joblib's old format: would run
    (entries[0].parent / "output.pkl").write_bytes(pickle.dumps(_Planted(marker)))
    entries[1].write_text(json.dumps(forged))  # a verdict its outcomes do not give
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    assert not marker.exists()
    again = json.loads(out)
    assert again["cells"] == {"computed": 2, "cached": 0}
    assert again["per_seed"] == fresh["per_seed"] and again["outcomes"] == fresh["outcomes"]
    refused = [line for line in err.splitlines() if line.startswith("icl-verify: cache:")]
    assert len(refused) == 2 and "recomputed" in refused[0], err
    # an entry that is right for another cell is refused too
    entries = sorted(cache.rglob("output.json"))
    entries[0].write_text(entries[1].read_text())
    assert cli.main(argv) == 0
    assert "stored for another cell" in capsys.readouterr().err


def test_a_symlinked_folder_in_the_cache_is_not_written_through(tmp_path: Path, capsys) -> None:
    cache, elsewhere = tmp_path / "cache", tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache.mkdir()
    (cache / ".gitignore").symlink_to(elsewhere / "gitignore")  # a dangling link joblib would follow
    (cache / "checks").symlink_to(elsewhere, target_is_directory=True)
    status, err = _main(capsys, "calibrate", *SMOKE_A4, "--seeds", "1", "--cache", str(cache))
    assert status == 4 and "outside the cache directory" in err[-1], err
    assert not list(elsewhere.iterdir())


# -- 4: locks never follow a link ------------------------------------------------------------

@pytest.mark.parametrize("link", ["symlink", "hard link"])
def test_the_lock_never_truncates_another_file(tmp_path: Path, capsys, link: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    lock = tmp_path / ".rep.lock"
    if link == "symlink":
        lock.symlink_to(victim)
    else:
        os.link(victim, lock)
    line = _refused(capsys, "--report-dir", "run", "--dry-run", "--report-dir", str(tmp_path / "rep"))
    assert "lock file" in line
    assert victim.read_text() == "precious\n"


# -- 5: records are checked against themselves -----------------------------------------------

@pytest.fixture(scope="module")
def records_lines(tmp_path_factory) -> list[str]:
    path = tmp_path_factory.mktemp("records") / "records.jsonl"
    calibrate.sweep(calibrate.cells(["A4"], "smoke", [3]), None, None, records=path)
    return path.read_text().splitlines()


def _calibrate_records(capsys, path: Path, *extra: str) -> tuple[int, list[str]]:
    return _main(capsys, "calibrate", *SMOKE_A4, "--seeds", "1", "--first-seed", "3", "--records",
                 str(path), *extra)


@pytest.mark.parametrize("forge", ["PASS over a FAIL", "BANANA", "gating hidden"])
def test_a_forged_record_is_refused_with_its_line(tmp_path: Path, capsys, records_lines, forge) -> None:
    record = json.loads(records_lines[1])  # the control, which FAILs
    assert record["verdict"] == "FAIL"
    if forge == "PASS over a FAIL":
        record["verdict"] = "PASS"
    elif forge == "BANANA":
        record["verdict"] = "BANANA"
    else:  # the FAILing outcome declared not gating: its verdict then does not follow
        record["outcomes"] = [[n, v, g and v != "FAIL"] for n, v, g in record["outcomes"]]
    path = tmp_path / "records.jsonl"
    path.write_text(f"{records_lines[0]}\n{json.dumps(record)}\n")
    status, err = _calibrate_records(capsys, path)
    assert status == 2 and len(err) == 1 and f"{path}:2:" in err[0] and "--records" in err[0], err


def test_verify_recomputes_and_catches_a_forgery_consistent_with_itself(tmp_path: Path, capsys,
                                                                         records_lines) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(records_lines) + "\n")
    status, err = _calibrate_records(capsys, path, "--verify", "2", "--json")
    assert status == 0
    record = json.loads(records_lines[1])
    record["verdict"] = "PASS"
    record["outcomes"] = [[n, "PASS" if g else v, g] for n, v, g in record["outcomes"]]
    path.write_text(f"{records_lines[0]}\n{json.dumps(record)}\n")
    assert _calibrate_records(capsys, path)[0] == 0  # consistent with itself: taken as read
    status, err = _calibrate_records(capsys, path, "--verify", "2")
    assert status == 2 and f"{path}:2: A4-covariance-shift at seed 3 recomputes to FAIL" in err[0], err


# -- 6, 11: bounded reads and memory ---------------------------------------------------------

@pytest.mark.parametrize("device", ["/dev/full", "/dev/null", "/dev/zero"])
def test_records_must_be_a_regular_file(capsys, device: str) -> None:
    line = _refused(capsys, "--records", "calibrate", *SMOKE_A4, "--seeds", "1", "--records", device)
    assert "not a regular file" in line


def test_a_records_line_without_end_is_refused_unread(tmp_path: Path, capsys) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"x" * (1 << 20))
    assert "longer than" in _refused(capsys, "--records", "calibrate", *SMOKE_A4, "--seeds", "1",
                                     "--records", str(path))


@pytest.mark.parametrize(("argv", "field"), [
    (["calibrate", "--seeds", "1000000000"], "--seeds"),
    (["calibrate", "--seeds", "300", "--jobs", "60"], "--jobs"),
    (["calibrate", "--seeds", "2", "--max-memory", "1e-9"], "--max-memory"),
    (["run", "--dry-run", "--max-memory", "1e-9"], "--max-memory"),
])
def test_memory_is_estimated_before_anything_is_allocated(tmp_path: Path, capsys, argv, field) -> None:
    """Refused in one line having allocated little: under 64 MiB, where a billion seeds' cells
    would take terabytes (measured with tracemalloc, which counts every Python allocation)."""
    if argv[0] == "run":
        argv = [*argv, "--report-dir", str(tmp_path / "r")]
    tracemalloc.start()
    try:
        _refused(capsys, field, *argv)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20, peak


def test_jobs_beyond_the_seeds_start_no_idle_processes(monkeypatch, capsys) -> None:
    started = []
    real = workers.local_executor
    monkeypatch.setattr(workers, "local_executor",
                        lambda jobs, fork=False: started.append(jobs) or real(jobs, fork))
    assert cli.main(["calibrate", *SMOKE_A4, "--seeds", "2", "--jobs", "6"]) == 0
    assert started == [2]


def test_a_report_too_large_is_refused_unread(tmp_path: Path, capsys, monkeypatch) -> None:
    from checks import saved_report

    directory = tmp_path / "reports"
    directory.mkdir()
    (directory / "report.json").write_bytes(b" " * 2048)
    monkeypatch.setattr(saved_report, "MAX_BYTES", 1024)
    assert "more than the 1024 allowed" in _refused(capsys, "DIR", "report", str(directory))
    (directory / "report.json").unlink()
    (directory / "report.json").symlink_to("/dev/zero")
    assert "not a regular file" in _refused(capsys, "DIR", "report", str(directory))


# -- 7: SIGTERM ends a report's drawing at once ----------------------------------------------

def test_sigterm_while_drawing_leaves_nothing_running(tmp_path: Path, saved: dict) -> None:
    """Forty copies of a claim: the figures go to a pool of worker processes; SIGTERM once they
    are drawing ends the command with status 4, its workers with it, and the old set stays."""
    report = json.loads(json.dumps(saved))
    paper = report["papers"][0]
    paper["claims"] = [dict(paper["claims"][0], id=f"A4-{i}") for i in range(40)]
    paper["controls"] = []
    report["exit_status"] = int(status_of([(c["id"], c["verdict"]) for c in paper["claims"]], []))
    report["ok"] = report["exit_status"] == 0
    directory = _report_dir(tmp_path, report)
    proc = subprocess.Popen([sys.executable, "-m", "checks.cli", "report", str(directory)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not _children(proc.pid) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    children = _children(proc.pid)
    assert children, "the figures were not drawn in worker processes"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 4
    assert proc.stderr.read().strip() == "icl-verify: incomplete: interrupted by SIGTERM"
    for child in children:  # every worker is gone (a zombie is gone too: it only waits to be reaped)
        state = Path(f"/proc/{child}/stat")
        assert not state.exists() or state.read_text().split(")")[-1].split()[0] == "Z"
    assert sorted(p.name for p in directory.iterdir()) == ["report.json"]
    assert not list(tmp_path.glob(".reports.icl-verify-staging-*"))


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in found.read_text().split()] if found.exists() else []


# -- 9, 10: exit statuses a CI can act on ----------------------------------------------------

def test_an_output_where_the_report_goes_is_refused_before_computing(tmp_path: Path, capsys) -> None:
    target = tmp_path / "rep"
    for argv in (["--dry-run"], []):  # a dry run says it too
        line = _refused(capsys, "--junit-xml", "run", *SMOKE_A4, "--report-dir", str(target),
                        "--junit-xml", str(target), *argv)
        assert "is the report directory" in line


def test_a_junit_file_that_cannot_be_written_publishes_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    from checks import publish

    target = tmp_path / "rep"
    assert cli.main(["run", *SMOKE_A4, "--report-dir", str(target)]) in COMPLETED
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    capsys.readouterr()
    real = publish.write_temporary

    def full_disk(path, text):
        if path.name == "junit.xml":
            raise OSError(28, "No space left on device", str(path))
        return real(path, text)

    monkeypatch.setattr(publish, "write_temporary", full_disk)
    status, err = _main(capsys, "run", *SMOKE_A4, "--seed", "9", "--report-dir", str(target),
                        "--junit-xml", str(tmp_path / "ci" / "junit.xml"))
    assert status == 4 and "No space left on device" in err[-1]
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before


# -- 11, 13: bad input is one line -----------------------------------------------------------

@pytest.mark.parametrize(("argv", "field"), [
    (["calibrate", "--seeds", "1", "--cache", ""], "--cache"),
    (["softmax", "--K", "4", "--N", "١٢"], "--N"),
    (["minimizer", "--d", "٣", "--N", "8"], "--d"),
    (["tv", "--d", "2", "--N", "8", "--M", "8", "--snr", "١"], "--snr"),
    (["minimizer", "--d", "2", "--N", "8", "--sam", "2000"], "--sam"),
    (["run", "--claims", "A1", "--claims", "A2", "--dry-run"], "--claims"),
    (["run", "--report-dir", "", "--dry-run"], "--report-dir"),
])
def test_small_defects_are_refused_in_one_line(capsys, argv: list[str], field: str) -> None:
    _refused(capsys, field, *argv)


def test_a_report_path_too_long_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    line = _refused(capsys, "--report-dir", "run", "--dry-run", "--report-dir", str(tmp_path / ("r" * 300)))
    assert "bytes long" in line


@pytest.mark.parametrize("damage", ["x and y lengths", "a coefficient short", "NaN strings"])
def test_a_report_that_passes_its_schema_but_contradicts_itself(tmp_path: Path, saved: dict, capsys,
                                                                damage: str) -> None:
    report = json.loads(json.dumps(saved))
    outcome = next(o for o in report["papers"][0]["claims"][0]["outcomes"] if o["figure"] == "rate")
    fit = outcome["evidence"]["fit"]
    if damage == "x and y lengths":
        fit["y"] = fit["y"][:-1]
    elif damage == "a coefficient short":
        fit["coefficients"] = fit["coefficients"][:-1]
    else:  # what the writer itself writes for NaN, where a real is allowed: drawn, not refused
        fit["slope"] = "nan"
        fit["local_slopes"] = ["nan"] * len(fit["local_slopes"])
        outcome["statistic"] = "nan"
    directory = _report_dir(tmp_path, report)
    status, err = _main(capsys, "report", str(directory))
    if damage == "NaN strings":
        assert status == report["exit_status"], err
    else:
        assert status == 2 and len(err) == 1 and ("coefficient" in err[0] or "length" in err[0]), err


def test_a_lost_scheduler_is_incomplete_in_one_line(tmp_path: Path) -> None:
    """A Dask scheduler killed while a sweep's cells are on its worker: status 4 with one
    line saying so, no traceback (Dask's own logging of the lost connection is off), and the
    records of the seeds that finished kept."""
    pytest.importorskip("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    cli_of = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen([*cli_of, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 **quiet)
    cli_of[-1] = "distributed.cli.dask_worker"
    worker = subprocess.Popen([*cli_of, address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                              **quiet)
    records = tmp_path / "records.jsonl"
    try:
        sweep = subprocess.Popen([sys.executable, "-m", "checks.cli", "calibrate", *SMOKE_A4, "--seeds", "30",
                                  "--scheduler", address, "--records", str(records)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 240
        while not (records.exists() and records.read_text()) and time.monotonic() < deadline:
            assert sweep.poll() is None, sweep.stderr.read()
            time.sleep(0.2)
        scheduler.kill()
        _, err = sweep.communicate(timeout=120)
    finally:
        for proc in (scheduler, worker):
            proc.kill()
            proc.wait()
    said = [line for line in err.splitlines() if not line.startswith("[icl-verify]")]
    assert sweep.returncode == 4 and len(said) == 1, err
    assert "its scheduler or a worker went away" in said[0] or "I/O error" in said[0], said
    assert records.read_text().count("\n") >= 2  # a seed's two cells


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_workers_on_other_code_are_refused_before_any_cell(monkeypatch, capsys) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        # this process's code is "other": the workers run the checkout's own
        monkeypatch.setattr(calibrate, "code_version", lambda paper: "0" * 64)
        line = _refused(capsys, "--scheduler", "calibrate", *SMOKE_A4, "--seeds", "1", "--scheduler",
                        cluster.scheduler_address)
    assert "runs other code of paper A" in line


def test_nothing_is_left_beside_the_report(tmp_path: Path) -> None:
    """The lock is the one file a run leaves beside its report directory."""
    assert cli.main(["run", *SMOKE_A4, "--report-dir", str(tmp_path / "rep")]) in COMPLETED
    assert sorted(p.name for p in tmp_path.iterdir()) == [".rep.lock", "rep"]


# -- found by the review of this change: each a report that once crashed or hung -------------

def _rate(report: dict) -> dict:
    return next(o for o in report["papers"][0]["claims"][0]["outcomes"] if o["figure"] == "rate")


def _deep(depth: int) -> object:
    node: object = 1
    for _ in range(depth):
        node = {"x": node}
    return node


HOSTILE_REPORTS = {
    "500 levels deep": lambda r: r["config"]["options"].update(deep=_deep(500)),
    "a lone surrogate": lambda r: r["papers"][0]["claims"][0].update(statement="\ud800"),
    "a huge dof": lambda r: _rate(r)["evidence"]["fit"].update(dof=10**4000, quantile="student-t"),
    "200,000 points": lambda r: _rate(r)["evidence"]["fit"].update(x=[1.0] * 200_000),
    "a fit on an outcome with no rate figure": lambda r: next(
        o for o in r["papers"][0]["claims"][0]["outcomes"] if o["figure"] is None)["evidence"].update(
        fit=dict(_rate(r)["evidence"]["fit"], correction_terms=10**9)),
    "a statistic not its deciding outcome's": lambda r: r["papers"][0]["claims"][0].update(statistic=-7.0),
    "a ci not the interval decided on": lambda r: _rate(r)["uncertainty"].update(ci=[-9.0, -5.0]),
    "a criterion not the rule's words": lambda r: _rate(r).update(criterion="statistic >= 0"),
}


@pytest.mark.parametrize("damage", HOSTILE_REPORTS)
def test_a_hostile_report_is_refused_in_one_line(tmp_path: Path, saved: dict, capsys, damage: str) -> None:
    report = json.loads(json.dumps(saved))
    HOSTILE_REPORTS[damage](report)
    directory = tmp_path / "reports"
    directory.mkdir()
    (directory / "report.json").write_text(json.dumps(report))  # \ud800 stays an escape
    _refused(capsys, "DIR", "report", str(directory))


@pytest.mark.parametrize("field", ["id", "setting", "statement"])
def test_a_text_that_reads_nan_or_inf_stays_text(tmp_path: Path, saved: dict, capsys, field: str) -> None:
    report = json.loads(json.dumps(saved))
    claim = report["papers"][0]["claims"][0]
    if field == "id":
        claim["id"] = "inf"
        for control in report["papers"][0]["controls"]:
            control["claim"] = "inf"
    elif field == "setting":
        for o in claim["outcomes"]:
            o["setting"] = "nan"
    else:
        claim["statement"] = "-inf"
    directory = _report_dir(tmp_path, report)
    assert _main(capsys, "report", str(directory))[0] == report["exit_status"]


def test_a_signal_after_the_swap_keeps_the_reports_status(tmp_path: Path, saved: dict) -> None:
    """SIGTERM while the old set is deleted, after the new one is in place: the command ends
    with the new report's status, not 4 (checks.interrupt.settle)."""
    directory = _report_dir(tmp_path, saved)
    assert cli.main(["report", str(directory)]) == saved["exit_status"]
    slow_delete = ("import os, signal, sys\nfrom checks import cli, publish\nreal = publish.shutil.rmtree\n"
                   "def rmtree(path, *a, **k):\n    os.kill(os.getpid(), signal.SIGTERM)\n"
                   "    return real(path, *a, **k)\npublish.shutil.rmtree = rmtree\n"
                   "sys.exit(cli.main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", slow_delete, "report", str(directory)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == saved["exit_status"], done.stderr


def test_an_error_after_the_swap_keeps_the_reports_status(tmp_path: Path, saved: dict, capsys,
                                                          monkeypatch) -> None:
    """Syncing the report's parent folder fails once the new set is in place: a warning line,
    and the new report's status, not 4 (checks.interrupt.settled)."""
    directory = _report_dir(tmp_path, saved)
    real = publish._fsync_directory

    def fsync(path: Path) -> None:
        if Path(path) == directory.parent:
            raise OSError(5, "Input/output error")
        real(path)

    monkeypatch.setattr(publish, "_fsync_directory", fsync)
    status, err = _main(capsys, "report", str(directory))
    assert status == saved["exit_status"], err
    assert err[-1:] == ["icl-verify: warning: after the output was published: "
                                        "I/O error: Input/output error"], err


@pytest.mark.parametrize("planted", [b"# first line: x\n", b"\xff\xfe not UTF-8",
                                     b"# first line: " + b"9" * 5000 + b"\n"])
def test_a_planted_function_record_in_the_cache_is_recomputed(tmp_path: Path, capsys, monkeypatch,
                                                              planted: bytes) -> None:
    """joblib's record of the cached function's source (func_code.py), replaced: read as
    missing, written anew, and the cells computed (the 5000-digit line made joblib's int()
    raise)."""
    # joblib remembers, per process, the functions whose record it has checked: forgotten here,
    # so that this process reads the planted record as a fresh one would
    monkeypatch.setattr(joblib.memory, "_FUNCTION_HASHES", weakref.WeakKeyDictionary())
    cache = tmp_path / "cache"
    record = cache / "checks" / "calibrate" / "cell_entry" / "func_code.py"
    record.parent.mkdir(parents=True)
    record.write_bytes(planted)
    status, err = _main(capsys, "calibrate", *SMOKE_A4, "--seeds", "1", "--cache", str(cache))
    assert status == 0, err
    rewritten = record.read_text()
    assert rewritten.startswith("# first line: ") and "def cell_entry" in rewritten
    assert len(list(cache.rglob("output.json"))) == 2


def test_verify_covers_the_cache_and_a_random_subset(tmp_path: Path, capsys) -> None:
    """A cache entry consistent with itself but forged is found by --verify; K below the
    number of reused cells recomputes exactly K of them."""
    cache, records = tmp_path / "cache", tmp_path / "records.jsonl"
    argv = ["calibrate", *SMOKE_A4, "--seeds", "2", "--json", "--cache", str(cache),
            "--records", str(records)]
    assert cli.main(argv) == 0
    capsys.readouterr()
    assert cli.main([*argv, "--verify", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["cells"]["verified"]["cells"] == 3
    records.unlink()
    for entry in cache.rglob("output.json"):  # every entry forged, consistently with itself
        stored = json.loads(entry.read_text())
        result = stored["result"]
        result["verdict"] = "PASS"
        result["outcomes"] = [[n, "PASS", g] for n, _, g in result["outcomes"]]
        entry.write_text(json.dumps(stored))
    line = _refused(capsys, "--cache", "calibrate", *SMOKE_A4, "--seeds", "2", "--cache", str(cache),
                    "--verify", "1")  # a cache alone, no records
    assert "its cache entry" in line and "recomputes to" in line


@pytest.mark.parametrize("argv", [
    ["minimizer", "--d", "3", "--N", "٨"],
    ["tv", "--d", "3", "--N", "8", "--M", "٨"],
])
def test_prompt_lengths_in_other_digits_are_refused(capsys, argv: list[str]) -> None:
    _refused(capsys, "--" + argv[-2].lstrip("-"), *argv)


def test_bad_input_writes_nothing(tmp_path: Path, capsys) -> None:
    """Status 2 means nothing was written: an output refused after the report directory was
    named leaves no folder and no lock behind; nor does a calibration refused for its memory."""
    existing = tmp_path / "a-directory"
    existing.mkdir()
    target = tmp_path / "new" / "deeper" / "rep"
    _refused(capsys, "--junit-xml", "run", *SMOKE_A4, "--report-dir", str(target),
             "--junit-xml", str(existing))
    _refused(capsys, "--seeds", "calibrate", "--seeds", "1000000000", "--cache", str(tmp_path / "cache"),
             "--records", str(tmp_path / "records.jsonl"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-directory"]
