"""The files a command reads from a place users share (a report directory, a records file, a
calibration cache), and the files it creates beside them.

* **Reads** are of regular files only (not a FIFO, a device such as ``/dev/zero``, or a
  directory) and bounded: a file over its limit is refused before it is read, and reading
  stops at the limit however the file grows meanwhile.
* **Creation** never follows a symlink and is exclusive (``O_CREAT | O_EXCL | O_NOFOLLOW``):
  a link planted where a lock or a temporary file goes cannot redirect the write to another
  file.  A lock that already exists is reopened only if it is a regular file with one link,
  owned by this user, so that truncating it cannot truncate anything else.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any


class UnsafeFile(OSError):
    """A path that is not what it must be (a symlink, a device, too large); ``str(err)`` is
    one line."""


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: Path, limit: int | None = None) -> int:
    """A read-only descriptor of the regular file ``path`` (following a symlink there: the
    file it names is what is read), refused with :class:`UnsafeFile` if it is anything else or
    larger than ``limit`` bytes.  Opened non-blocking, so that a FIFO cannot hang the open."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(errno.EINVAL, f"{_describe(info.st_mode)}, not a regular file", str(path))
        if limit is not None and info.st_size > limit:
            raise UnsafeFile(errno.EFBIG, f"{info.st_size} bytes, more than the {limit} allowed", str(path))
        os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, limit: int) -> bytes:
    """The content of the regular file ``path``, at most ``limit`` bytes (:func:`open_regular`);
    a file that grows past the limit while it is read is refused too."""
    fd = open_regular(path, limit)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UnsafeFile(errno.EFBIG, f"more than the {limit} bytes allowed", str(path))
    return data


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON (NaN and the infinities are written as strings)")


def strict_json(text: str | bytes) -> Any:
    """``text`` parsed as standard JSON: ``NaN`` and ``Infinity``, which Python's parser takes,
    are refused, so that non-finite numbers are written and read one way (as strings).  Raises
    ValueError (an integer of more digits than Python converts among them) or RecursionError."""
    return json.loads(text, parse_constant=_not_json)


def create_exclusive(path: Path, mode: int = 0o644) -> int:
    """A new file at ``path``, opened for writing: never an existing file, never through a
    symlink (``O_CREAT | O_EXCL | O_NOFOLLOW``)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)


def open_lock(path: Path) -> int:
    """A descriptor of the lock file ``path`` (read and write): created exclusively, or, if it
    exists, reopened without following a symlink and only if it is a regular file with one
    link owned by this user -- so that writing a PID into it cannot truncate another file
    through a link.  Raises :class:`UnsafeFile` naming what is wrong."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        pass
    try:
        fd = os.open(path, flags | os.O_NONBLOCK)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnsafeFile(errno.ELOOP, "a symlink where the lock file goes", str(path)) from None
        raise
    info = os.fstat(fd)
    problem = (None if stat.S_ISREG(info.st_mode) else _describe(info.st_mode)) \
        or (f"a file with {info.st_nlink} hard links" if info.st_nlink != 1 else None) \
        or (f"a file owned by user {info.st_uid}" if info.st_uid != os.geteuid() else None)
    if problem:
        os.close(fd)
        raise UnsafeFile(errno.EPERM, f"{problem} where the lock file goes", str(path))
    os.set_blocking(fd, True)
    return fd


def write_temporary(path: Path, text: str) -> Path:
    """A new file beside ``path`` (``.NAME.XXXXXXXX.tmp``, created exclusively and never
    through a symlink, by :func:`tempfile.mkstemp`) holding ``text``, synced to disk: what is
    renamed onto ``path`` to publish it whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); a report is for reading (CI artifacts, web servers)
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash never leaves a half-written file."""
    tmp = write_temporary(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
