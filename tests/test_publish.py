"""checks.publish: a report directory is replaced whole, under a lock, after its path was
checked; what an interrupted run leaves beside it is cleaned up by the next."""

from __future__ import annotations

import fcntl
import os
import signal
from pathlib import Path

import pytest

from checks import publish
from checks.interrupt import check_pending, interruptible
from checks.publish import ReportTarget
from numerics.config import ConfigError

OLD = {"report.json": "old json", "report.md": "old md", "figures/a.svg": "<svg>a</svg>"}
NEW = {"report.json": "new json", "report.md": "new md", "figures/b.svg": "<svg>b</svg>"}


def _write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)


def _read(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): p.read_text() for p in directory.rglob("*") if p.is_file()}


@pytest.fixture
def old_report(tmp_path: Path) -> Path:
    target = tmp_path / "reports"
    _write(target, OLD)
    return target


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_publish_replaces_the_whole_set(old_report: Path, monkeypatch, exchange: bool) -> None:
    if not exchange:  # a file system without RENAME_EXCHANGE
        monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    with ReportTarget(old_report) as target:
        _write(target.staging, NEW)
        assert _read(old_report) == OLD  # nothing changes before the swap
        target.publish(0)
    assert _read(old_report) == NEW
    assert sorted(p.name for p in old_report.parent.iterdir()) == [".reports.lock", "reports"]
    assert oct(old_report.stat().st_mode & 0o777) == oct(0o777 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_leaving_without_publishing_leaves_the_old_set_and_no_staging(old_report: Path) -> None:
    with pytest.raises(RuntimeError), ReportTarget(old_report) as target:
        _write(target.staging, NEW)
        raise RuntimeError("interrupted while writing")
    assert _read(old_report) == OLD
    assert not list(old_report.parent.glob(".reports.icl-verify-staging-*"))


def test_a_new_directory_is_created_whole(tmp_path: Path) -> None:
    with ReportTarget(tmp_path / "a" / "b" / "reports") as target:
        _write(target.staging, NEW)
        target.publish(0)
    assert _read(tmp_path / "a" / "b" / "reports") == NEW


def test_stale_staging_of_a_killed_run_is_removed(old_report: Path) -> None:
    stale = old_report.parent / ".reports.icl-verify-staging-killed12"
    other = old_report.parent / ".reports.x.icl-verify-staging-live1234"  # target "reports.x"
    _write(stale, NEW)
    _write(other, NEW)
    with ReportTarget(old_report):
        assert not stale.exists()
    assert other.exists()  # another target's staging, under another lock


def test_a_kill_between_the_fallback_renames_is_repaired(old_report: Path) -> None:
    """SIGKILL after ``target -> staging/old`` and before ``staging -> target`` leaves no
    target: the next run puts the previous report back before it does anything else."""
    stale = old_report.parent / ".reports.icl-verify-staging-killed12"
    stale.mkdir()
    old_report.rename(stale / "old")
    with ReportTarget(old_report):
        assert _read(old_report) == OLD
    assert not stale.exists()


def test_signals_wait_for_the_swap(old_report: Path, monkeypatch) -> None:
    """A SIGTERM during publish waits for it: the new set is in place, and the command, whose
    output is published, is settled with the set's status (checks.interrupt.settle): the
    signal is forgotten, and one from now on would end the process with that status, not 4."""
    def swap_with_a_signal(a: Path, b: Path) -> bool:
        os.kill(os.getpid(), signal.SIGTERM)  # blocked: pending until the swap is done
        return False  # and take the two-rename fallback, where it would hurt

    monkeypatch.setattr(publish, "_exchange", swap_with_a_signal)
    with interruptible():
        raising = signal.getsignal(signal.SIGTERM)
        with ReportTarget(old_report) as target:
            _write(target.staging, NEW)
            target.publish(3)
        check_pending()  # nothing pending: the signal came too late to change the status
        assert signal.getsignal(signal.SIGTERM) is not raising
    assert _read(old_report) == NEW


@pytest.mark.parametrize("exchange", [True, False])
def test_a_file_published_beside_the_set_fails_with_it(old_report: Path, tmp_path: Path, monkeypatch,
                                                       exchange: bool) -> None:
    """A JUnit file outside the set is renamed in the same step as the swap: when its rename
    fails, the swap is undone and neither is published."""
    if not exchange:
        monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    junit = tmp_path / "ci" / "junit.xml"
    real_replace = os.replace

    def full_disk(src, dst):
        if Path(dst) == junit:
            raise OSError(28, "No space left on device", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(publish.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"), ReportTarget(old_report) as target:
        _write(target.staging, NEW)
        target.add("junit_xml", junit, "<testsuites/>")
        target.publish(0)
    assert _read(old_report) == OLD and not junit.exists()
    assert sorted(p.name for p in junit.parent.iterdir()) == []  # its temporary file is gone
    assert [p.name for p in old_report.parent.iterdir() if "staging" in p.name] == []


def test_outputs_where_the_set_goes_are_refused(old_report: Path) -> None:
    with ReportTarget(old_report) as target:
        for path in (old_report, old_report.parent, old_report.parent / ".reports.lock",
                     old_report / "figures" / "x.xml", old_report / "report.json"):
            with pytest.raises(ConfigError):
                target.holds("junit_xml", path)


def test_a_second_run_into_the_same_directory_is_refused(old_report: Path) -> None:
    lock = os.open(old_report.parent / ".reports.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.write(lock, b"4242\n")
        with pytest.raises(ConfigError, match=r"another icl-verify run \(pid 4242\) is writing"):
            ReportTarget(old_report).__enter__()
    finally:
        os.close(lock)
    with ReportTarget(old_report):  # released: the next run goes ahead
        pass


def test_a_directory_with_other_files_is_refused(old_report: Path) -> None:
    """Replacing it whole would delete them."""
    (old_report / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match=r"holds files that are not an icl-verify report .*notes\.txt"):
        ReportTarget(old_report).__enter__()
    assert (old_report / "notes.txt").read_text() == "mine"


def test_a_foreign_file_among_the_figures_is_refused(old_report: Path) -> None:
    (old_report / "figures" / "my-notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="figures"):
        ReportTarget(old_report).__enter__()


def test_paths_that_cannot_hold_a_report_are_refused(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="symlink to a missing directory"):
        ReportTarget(tmp_path / "dangling").__enter__()
    with pytest.raises(ConfigError, match="working directory or contains it"):
        ReportTarget(Path("/")).__enter__()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a directory"):
        ReportTarget(tmp_path / "file").__enter__()
    with pytest.raises(ConfigError, match=r"is a file, so .* cannot be created"):
        ReportTarget(tmp_path / "file" / "reports").__enter__()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="working directory or contains it"):
        ReportTarget(Path(".")).__enter__()
    with pytest.raises(ConfigError, match="cannot write"):
        ReportTarget(Path("/proc/icl-verify-reports")).__enter__()


def test_a_junit_file_directly_inside_belongs_to_the_set(old_report: Path) -> None:
    with ReportTarget(old_report) as target:
        assert target.holds("junit_xml", old_report / "junit.xml")
        assert not target.holds("junit_xml", old_report.parent / "junit.xml")
        with pytest.raises(ConfigError, match="below the report directory"):
            target.holds("junit_xml", old_report / "figures" / "junit.xml")
        with pytest.raises(ConfigError, match="is the report directory or holds it"):
            target.holds("junit_xml", old_report.parent)
        (old_report.parent / "elsewhere").mkdir()
        with pytest.raises(ConfigError, match="is a directory"):
            target.holds("junit_xml", old_report.parent / "elsewhere")
