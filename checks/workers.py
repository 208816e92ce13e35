"""Local worker processes: a calibration's cells (:mod:`checks.calibrate`), a run's checks on
``--jobs`` and a report's figures (:mod:`checks.plots`) run on a
:class:`concurrent.futures.ProcessPoolExecutor` whose workers leave the ending to this process.

Ctrl-C reaches the whole process group, so the workers ignore it and this process stops them
(:func:`stop`), without waiting for what they hold: a pool shut down by its own
``shutdown(wait=True)``, or a :class:`multiprocessing.pool.Pool` terminated after a worker died,
can wait forever (issue 26 saw ``report DIR`` hang on SIGTERM 4 times in 7).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from checks.interrupt import ignore_interrupts


def cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def local_executor(jobs: int, fork: bool = False) -> ProcessPoolExecutor | None:
    """A process pool of ``jobs`` workers (None: in this process, for ``jobs == 1``) that leave
    Ctrl-C to this process (which stops them with :func:`stop`).  ``fork``: start the workers
    by forking (on Linux), which is faster than a fresh interpreter when each task is short."""
    if jobs == 1:
        return None
    context = multiprocessing.get_context("fork") if fork and sys.platform.startswith("linux") else None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=ignore_interrupts,
                               initargs=(os.getpid(),))


def stop(executor: Executor) -> None:
    """Shut a local pool down without waiting for its queued or running tasks (an interrupted
    or failed command).  The workers are ended, and the pool, broken, fails what was queued;
    cancelling the queued futures as well races with that in Python 3.11 (InvalidStateError)."""
    # Python 3.14 has executor.terminate_workers(); before it the processes are reachable only
    # so, and only before shutdown() drops them
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False)
    for process in processes:
        process.terminate()


@contextmanager
def processes(jobs: int, fork: bool = False) -> Iterator[ProcessPoolExecutor | None]:
    """:func:`local_executor` for the block, stopped (:func:`stop`) when the block is left by
    an exception or a signal, shut down normally otherwise."""
    executor = local_executor(jobs, fork)
    if executor is None:
        yield None
        return
    try:
        yield executor
    except BaseException:
        stop(executor)
        raise
    executor.shutdown(wait=True)
