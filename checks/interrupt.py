"""SIGINT, SIGTERM and SIGHUP end a command by an exception, :class:`Interrupted`, so that its
``finally`` blocks run: the staging directory is removed, the lock released, and the previous
report stays whole (:mod:`checks.publish`).  CI timeouts send SIGTERM; Ctrl-C sends SIGINT to
the whole process group, so worker processes ignore it (:func:`ignore_interrupts`) and leave
the ending to the parent.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """A signal asked the command to stop (a BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` on the way swallows it)."""

    def __init__(self, signum: int) -> None:
        self.signal = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal}")


_deferring = False
#: the last signal received: kept until the command ends, since the exception raised for it
#: can be lost -- a handler that runs inside a weakref callback or ``__del__`` raises into
#: code whose exceptions Python prints as "Exception ignored" and drops
_pending: int | None = None
#: the exit status of a command whose output is published (:func:`settle`), else None
_settled: int | None = None


#: the process whose command installed :func:`_raise` (:func:`interruptible`)
_owner: int | None = None


def _raise(signum: int, _frame: FrameType | None) -> None:
    global _pending
    if os.getpid() != _owner:
        # a worker forked from the command, before its initializer (ignore_interrupts) ran: the
        # signal is the pool stopping it, or the command's own, which reached the fork; the
        # worker ends as the signal's default action would, without a traceback
        os._exit(128 + signum)
    _pending = signum
    if not _deferring:
        raise Interrupted(signum)


def check_pending() -> None:
    """Raise :class:`Interrupted` for a signal whose first exception was lost."""
    if _pending is not None:
        raise Interrupted(_pending)


@contextmanager
def deferred(resume: bool = True) -> Iterator[None]:
    """Within the block a signal is only recorded, and raised as :class:`Interrupted` once the
    block is done (a step that must not stop halfway, such as swapping a report in); a signal
    already received (its exception lost) stops it from starting.  ``resume=False``: a block
    that completes leaves the signal pending instead (a publication: what follows it is
    :func:`settle`, for which the signal comes too late).

    Done in Python, not with ``pthread_sigmask``: that blocks the calling thread only, and a
    process-directed signal is then delivered through another (numpy's BLAS threads)."""
    global _deferring
    check_pending()
    _deferring = True
    try:
        yield
    except BaseException:
        _deferring = False
        check_pending()
        raise
    _deferring = False
    if resume:
        check_pending()


def settle(status: int) -> None:
    """The command's output is published and its exit status is ``status``: a signal received
    during the publication is forgotten, and one received from now on ends the process at once
    with that status (nothing is left to clean up, and the status already says what the
    published output says).  Exit 4 never follows a publication."""
    global _pending, _settled
    _pending, _settled = None, status
    if threading.current_thread() is threading.main_thread():
        for s in SIGNALS:
            if signal.getsignal(s) is _raise:  # a command's (:func:`interruptible`), not a caller's
                signal.signal(s, lambda *_: os._exit(status))


def settled() -> int | None:
    """The status :func:`settle` fixed, if the command's output is published: an error after
    that (syncing a folder, closing a pool) is reported but cannot make the status 4."""
    return _settled


def _quiet_unraisable(previous: Callable[[Any], object]) -> Callable[[Any], None]:
    def hook(unraisable: Any) -> None:  # sys.UnraisableHookArgs
        if not isinstance(unraisable.exc_value, Interrupted):  # kept in _pending instead
            previous(unraisable)
    return hook


@contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, each of :data:`SIGNALS` raises :class:`Interrupted` (main thread only:
    Python delivers signals there).  Where that exception is lost (see :data:`_pending`) it is
    not printed, and is raised again before a report is swapped in and by :func:`check_pending`
    (which the command calls when it is done)."""
    global _pending, _settled, _owner
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _pending, _settled, _owner = None, None, os.getpid()
    previous = {s: signal.signal(s, _raise) for s in SIGNALS}
    hook, sys.unraisablehook = sys.unraisablehook, _quiet_unraisable(sys.unraisablehook)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        sys.unraisablehook = hook
        _pending, _settled = None, None


def ignore_interrupts(parent: int) -> None:
    """Initializer of worker processes: Ctrl-C and a closed terminal reach the whole process
    group, and the parent alone decides how to stop.  SIGTERM gets its default action back (a
    forked worker inherits the parent's handler, which would raise :class:`Interrupted` and
    print a traceback): it is how the parent's pool ends its workers (``Pool.terminate``)."""
    for s in (signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _end_with_parent(parent)


#: prctl(2) option: the signal a process gets when its parent dies
_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """Have the kernel send SIGTERM when the parent dies (Linux): a parent killed by SIGKILL
    cannot end its workers, which then printed a BrokenPipeError traceback on its terminal
    when they tried to hand back a figure (tests/test_interruption.py).  The workers are
    forked there (:func:`checks.plots.report_figures`), so ``parent`` is their parent until it
    dies.  Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    # it died before prctl took effect: asked by its pid, since a worker started by a fork
    # server (Python 3.14's default) has the server, not ``parent``, for its parent
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        os._exit(0)


def as_completed(futures: Iterable[Future]) -> Iterator[Future]:
    """The futures as they finish, like :func:`concurrent.futures.as_completed`, but waking the
    main thread each second: a process-directed signal may be delivered to another thread (an
    executor's manager thread), and Python runs its handler in the main thread only once that
    thread wakes, which a plain wait would delay until the next future finished (measured: 36 s
    from Ctrl-C to exit in a calibration at the smoke profile).  Each wake also raises a signal
    whose exception was lost (:func:`check_pending`): one received while the pool forked its
    workers left the drawing running to its end (issue 26, under load)."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
        check_pending()
        yield from done
