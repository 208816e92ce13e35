"""A report directory written whole: a reader or a crash sees the old report or the new one,
never a mix of the two.

:class:`ReportTarget` claims the directory *before* any computation, so an unusable path is
refused in one line at once instead of after minutes of checks:

* the path is checked (not a file, not the working directory or a mount point, its parent
  creatable and writable) and, if it exists, must hold only what a run writes;
* a lock (``flock`` on ``.<name>.lock`` beside it, released by the kernel however the process
  ends) refuses a second concurrent run into the same directory;
* staging directories that an interrupted run left beside it are removed;
* the whole set (``report.json``, ``config.json``, ``report.md``, ``report.html``,
  ``figures/``, and a JUnit file placed inside it) is written into a fresh staging directory
  beside the target, which :meth:`ReportTarget.publish` then swaps in with one
  ``renameat2(RENAME_EXCHANGE)``: atomic on Linux.  Where the kernel or file system lacks it,
  two renames are used, and the only intermediate state is a missing directory, never a mixed one.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from checks.files import UnsafeFile, atomic_write, open_lock, read_bytes, write_temporary
from checks.interrupt import deferred, settle
from checks.names import longest
from numerics.config import ConfigError

#: what a run writes into its report directory
REPORT_ENTRIES = frozenset({"config.json", "report.json", "report.md", "report.html", "figures"})
#: staging directories are ``.<name>.icl-verify-staging-<mkdtemp's 8 characters>`` beside the
#: target: matched exactly, so that no other target's staging (``reports.x``, ``r[1]``) is taken
_STAGING = "icl-verify-staging-"
_MKDTEMP_SUFFIX = r"[a-z0-9_]{8}"

#: the longest name and path Linux file systems take, and the room the deepest file of the
#: set needs below the target's path: the staging directory's name beside it (longer than the
#: target's by ``..``, :data:`_STAGING` and mkdtemp's 8 characters), ``/figures/``, a figure's
#: name (hashed from 3 texts, the check id, the panel's title and its kind:
#: :func:`checks.plots.figure_name`) with ``.svg``, and the temporary name it is written under
#: (``.NAME.`` and mkstemp's 8 characters, ``.tmp``: :func:`checks.files.write_temporary`)
_NAME_MAX, _PATH_MAX = 255, 4096
_INNER_PATH = (len(f"..{_STAGING}") + 8 + len("/figures/") + longest(3) + len(".svg")
               + len("..") + 8 + len(".tmp"))

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically; False where the kernel or file system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: the largest JUnit file taken for one of the set's (a run's is a few kB per check)
_MAX_JUNIT = 16 << 20


def _is_junit_of_a_run(path: Path) -> bool:
    """A JUnit file that an earlier run wrote into the set (:mod:`checks.junit`): a regular file,
    not too large to parse, that parses as one."""
    try:
        root = ET.fromstring(read_bytes(path, _MAX_JUNIT))
    except (ET.ParseError, OSError):
        return False
    suite = root.find("testsuite")
    return root.tag == "testsuites" and suite is not None and suite.get("name") == "icl-verify"


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def writable_folder(field: str, path: Path, start: Path) -> Path:
    """The nearest folder that exists from ``start`` up (``path`` itself or its parent), checked
    without writing anything to be a directory this process can create the rest of ``path``
    in and write to; else bad input naming ``field``."""
    try:
        above = next(a for a in (start, *Path(os.path.abspath(start)).parents) if os.path.lexists(a))
        if not above.is_dir():
            raise ConfigError(field, f"{str(above)!r} is a file, so {str(path)!r} cannot be created")
    except OSError as err:  # a name too long, a loop of symlinks
        raise ConfigError(field, f"cannot use {str(path)!r}: {_reason(err)}") from None
    if not os.access(above, os.W_OK | os.X_OK):
        raise ConfigError(field, f"cannot write {str(path)!r}: no permission to write in {str(above)!r}")
    return above


def check_writable_file(field: str, path: Path) -> None:
    """A file path the run will write at its end, checked now (:func:`writable_folder`): not a
    directory, and creatable."""
    if os.path.isdir(path):  # False where the path cannot be looked at: writable_folder says why
        raise ConfigError(field, f"{str(path)!r} is a directory; give a file path")
    writable_folder(field, path, path.parent)


def _is_temporary_of_the_set(name: str) -> bool:
    """The temporary file of a per-file write (:func:`checks.files.atomic_write`) of a report
    entry or of a JUnit file in the set: ``.NAME.XXXXXXXX.tmp``."""
    return (name.endswith(".tmp") and name.startswith(".")
            and (any(name.startswith(f".{n}.") for n in REPORT_ENTRIES) or ".xml." in name))


class ReportTarget:
    """The report directory of one ``run`` or ``report DIR``, claimed for its whole duration.

    Constructing it validates the path and writes nothing (bad input is refused before any
    write: :meth:`holds` checks another output the same way).  Use it as a context manager:
    entering creates the parent, locks the directory and creates :attr:`staging`; write the
    set there, then call :meth:`publish`.  Leaving without publishing (an error, an
    interruption) removes the staging directory and leaves the target as it was.  ``field``
    names the CLI option in error messages.
    """

    def __init__(self, directory: Path, field: str = "report_dir") -> None:
        self.field = field
        self.target = Path(os.path.abspath(directory))
        self._check_length()
        try:
            if self.target.exists():
                self.target = self.target.resolve()  # a symlink: replace what it points to
                self._check_length()
        except OSError as err:
            raise self._refuse(f"cannot use {str(self.target)!r}: {_reason(err)}") from None
        self._check_path()
        self.staging: Path = self.target  # set on entry
        self.junit_files: list[Path] = []  # JUnit files of the set found on entry
        self._lock_fd: int | None = None
        self._published = False
        #: files staged beside their destinations (:meth:`add`): (temporary file, destination)
        self._companions: list[tuple[Path, Path]] = []

    # -- claiming -------------------------------------------------------------------
    def _refuse(self, reason: str) -> ConfigError:
        return ConfigError(self.field, reason)

    def _check_length(self) -> None:
        """Every name the set needs fits the file system: each component of the target's path,
        the staging directory's beside it (the longest, ``.NAME.icl-verify-staging-XXXXXXXX``),
        and the whole path of a figure inside it."""
        name = len(os.fsencode(self.target.name))
        most = _NAME_MAX - (len(os.fsencode(f"..{_STAGING}")) + 8)
        if any(len(os.fsencode(part)) > _NAME_MAX for part in self.target.parent.parts):
            raise self._refuse(f"a folder name on the path is longer than {_NAME_MAX} bytes")
        if name > most:
            raise self._refuse(f"the directory's name is {name} bytes long; at most {most} (the "
                               "staging directory beside it needs the rest of the file system's 255)")
        if len(os.fsencode(str(self.target))) + _INNER_PATH > _PATH_MAX:
            raise self._refuse(f"the path is {len(os.fsencode(str(self.target)))} bytes long; at most "
                               f"{_PATH_MAX - _INNER_PATH}")

    def _check_path(self) -> None:
        t = self.target
        cwd = Path.cwd().resolve()
        if t == cwd or t in cwd.parents or t == t.parent:
            raise self._refuse(f"{str(t)!r} is the working directory or contains it; give the "
                               "report a directory of its own (e.g. reports)")
        if t.is_symlink():  # resolved on construction when it exists: this one points nowhere
            raise self._refuse(f"{str(t)!r} is a symlink to a missing directory")
        if t.exists() and not t.is_dir():
            raise self._refuse(f"{str(t)!r} is a file, not a directory")
        writable_folder(self.field, t, t.parent)  # the staging directory and the lock go beside it
        if t.exists() and os.path.ismount(t):
            raise self._refuse(f"{str(t)!r} is a mount point; give a directory below it")
        if t.is_dir():
            foreign = sorted(p.name for p in t.iterdir() if not self._belongs(p))
            if foreign:
                raise self._refuse(
                    f"{str(t)!r} holds files that are not an icl-verify report (e.g. {foreign[0]!r}); "
                    "give an empty directory or one that a run wrote")

    @property
    def published(self) -> bool:
        """Whether this run's set has been swapped in."""
        return self._published

    def _belongs(self, entry: Path) -> bool:
        """Part of a report set: a report file, a JUnit file of a run, or the temporary file
        of an earlier version's per-file writes."""
        name = entry.name
        if name == "figures":  # replaced with the rest: only figures may be in it
            return entry.is_dir() and all(f.suffix == ".svg" and f.is_file() for f in entry.iterdir())
        if name in REPORT_ENTRIES:
            return True
        if _is_temporary_of_the_set(name):
            return True
        return entry.suffix == ".xml" and entry.is_file() and _is_junit_of_a_run(entry)

    def __enter__(self) -> ReportTarget:
        parent, name = self.target.parent, self.target.name
        try:
            parent.mkdir(parents=True, exist_ok=True)
            fd = open_lock(parent / f".{name}.lock")
        except UnsafeFile as err:
            raise self._refuse(f"{err.filename}: {err.strerror}; remove it") from None
        except OSError as err:
            raise self._refuse(f"cannot write {str(self.target)!r}: {_reason(err)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise self._refuse(f"another icl-verify run (pid {holder}) is writing {str(self.target)!r}; "
                               "wait for it to finish or choose another directory") from None
        self._lock_fd = fd
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._clean_up_after_killed_runs()
            self.junit_files = [p for p in self.target.glob("*.xml") if self._belongs(p)]
            self.staging = Path(tempfile.mkdtemp(prefix=self._staging_prefix, dir=parent))
            os.chmod(self.staging, 0o777 & ~_umask())
        except OSError as err:
            self._release()
            raise self._refuse(f"cannot write {str(self.target)!r}: {_reason(err)}") from None
        except BaseException:
            self._release()
            raise
        return self

    @property
    def _staging_prefix(self) -> str:
        return f".{self.target.name}.{_STAGING}"

    def _clean_up_after_killed_runs(self) -> None:
        """Remove the staging directories that killed runs into this target left (under the
        lock, none is live).  A run killed between the two renames of the fallback swap left
        the target missing and the previous report in its staging directory's ``old``: that
        is put back first."""
        parent, prefix = self.target.parent, self._staging_prefix
        for stale in sorted(parent.iterdir()):
            if not re.fullmatch(re.escape(prefix) + _MKDTEMP_SUFFIX, stale.name):
                continue
            old = stale / "old"
            if not self.target.exists() and old.is_dir() and not old.is_symlink():
                os.rename(old, self.target)
            shutil.rmtree(stale, ignore_errors=True)
        if self.target.is_dir():  # a per-file write that SIGKILL cut short (a JUnit file's)
            for leftover in self.target.iterdir():
                if _is_temporary_of_the_set(leftover.name) and leftover.is_file():
                    leftover.unlink()

    def holds(self, field: str, path: Path) -> bool:
        """Whether the file ``path`` (another output of the run) belongs to the set: True if it
        lies directly in the target, False if outside it (then checked writable now); refused
        below the target, where the swap would drop it, and where the set itself goes (the
        target, a folder above it, its lock or staging directories beside it)."""
        path = Path(os.path.abspath(path))
        if path == self.target or path in self.target.parents:
            raise ConfigError(field, f"{str(path)!r} is the report directory or holds it; give a file")
        if path.parent == self.target.parent and path.name.startswith(f".{self.target.name}."):
            raise ConfigError(field, f"{str(path)!r} is a name the report directory's lock and staging "
                                     "use; give another")
        if path.parent == self.target:
            if path.name in REPORT_ENTRIES:
                raise ConfigError(field, f"{str(path)!r} is a file of the report itself")
            return True
        if self.target in path.parents:
            raise ConfigError(field, f"{str(path)!r} lies below the report directory, which is "
                                     "replaced whole; put it directly in it or outside it")
        check_writable_file(field, path)
        return False

    def add(self, field: str, path: Path, text: str) -> None:
        """Stage the file ``path`` with ``text`` to be published with the set: inside the
        target, into the staging directory; outside it, into a temporary file beside ``path``
        (written and synced now, so that a full disk fails before the publication), which
        :meth:`publish` renames in the same step as the swap."""
        if self.holds(field, path):
            atomic_write(self.staging / path.name, text)
            return
        path = Path(os.path.abspath(path))
        self._companions.append((write_temporary(path, text), path))

    # -- publishing -----------------------------------------------------------------
    def publish(self, status: int) -> None:
        """Swap the staged set in for the target's content, atomically, and rename the files
        staged beside it (:meth:`add`) into place in the same step: if a rename fails, the swap
        is undone and the old set stays, so that nothing is published unless all is.  SIGINT,
        SIGTERM and SIGHUP wait until it is done (a signal between the fallback's two renames
        would leave neither report in place); SIGKILL cannot wait, and the next run repairs
        what it left (:meth:`_clean_up_after_killed_runs`).  Once it is done the command has
        its exit status, ``status`` (:func:`checks.interrupt.settle`): a signal from then on,
        while the old set is deleted, ends the command with it, never with 4."""
        for path in self.staging.rglob("*"):
            if path.is_dir():
                _fsync_directory(path)
        _fsync_directory(self.staging)
        with deferred(resume=False):  # a signal during the swap comes too late (checks.interrupt.settle)
            undo = self._swap()
            try:
                for tmp, path in self._companions:
                    os.replace(tmp, path)
            except BaseException:
                undo()
                raise
            self._published = True
            settle(status)
        _fsync_directory(self.target.parent)
        for _, path in self._companions:
            _fsync_directory(path.parent)
        if self.staging != self.target:  # now holds the previous report
            shutil.rmtree(self.staging, ignore_errors=True)

    def _swap(self) -> Callable[[], None]:
        """Put the staged set in the target's place; return what puts the old one back."""
        staged = self.staging
        if not self.target.exists():
            os.rename(staged, self.target)
            self.staging = self.target

            def undo() -> None:
                os.rename(self.target, staged)
                self.staging = staged
            return undo
        if _exchange(staged, self.target):  # staged now holds the old set
            return lambda: _exchange(staged, self.target)
        old = Path(tempfile.mkdtemp(prefix=self._staging_prefix, dir=self.target.parent))
        os.rename(self.target, old / "old")
        os.rename(staged, self.target)
        self.staging = old

        def undo_fallback() -> None:
            os.rename(self.target, staged)
            os.rename(old / "old", self.target)
            os.rmdir(old)
            self.staging = staged
        return undo_fallback

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if not self._published:
                if self.staging != self.target:
                    shutil.rmtree(self.staging, ignore_errors=True)
                for tmp, _ in self._companions:
                    tmp.unlink(missing_ok=True)
        finally:
            self._release()
