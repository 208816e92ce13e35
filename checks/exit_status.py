"""What ``icl-verify``'s exit status means: one meaning per status.

The README, the JUnit file (:mod:`checks.junit`) and the report's headline
(:mod:`checks.document`) quote :data:`MEANING`, so a CI job that gates on the status reads the
same thing everywhere.  1 means only that the evidence refutes a claim.  A negative control
that could not be decided (INCONCLUSIVE: the budget could not show that the check can fail)
leaves the run undecided, 3; a control decided the wrong way (a broken setting PASSes, or
the true setting a control keeps FAILs) is a defect of the suite, 5, which a FAIL of that
control's claim does not outweigh.  A crash is never 1: a
run that could not finish has its own status, 4.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum

from checks.interrupt import Interrupted

#: what Dask raises on the client when its scheduler or a worker is gone mid-computation
_CLUSTER_LOST = {"FutureCancelledError", "CommClosedError", "KilledWorker", "FuturesCancelledError"}


class ExitStatus(enum.IntEnum):
    OK = 0
    REFUTED = 1
    BAD_INPUT = 2
    UNDECIDED = 3
    INCOMPLETE = 4
    SUITE_DEFECT = 5


MEANING: dict[ExitStatus, str] = {
    ExitStatus.OK: "every claim PASSes and every negative control is detected",
    ExitStatus.REFUTED: "a claim FAILs, and its check was not shown to FAIL a true setting (no "
                        "control of that claim that expects PASS FAILed)",
    ExitStatus.BAD_INPUT: "bad input, or a setting that cannot be computed: one line naming the "
                          "field; nothing was written",
    ExitStatus.UNDECIDED: "no claim FAILs, but a claim or a negative control is INCONCLUSIVE (the "
                          "budget decided neither the claim nor, for a control, that the check "
                          "can fail)",
    ExitStatus.INCOMPLETE: "the run could not complete (I/O error, interrupted, out of memory): "
                           "one line saying why; the previous report, if any, is left as it was",
    ExitStatus.SUITE_DEFECT: "a negative control was decided the wrong way (a broken setting "
                             "PASSed, or a true one FAILed), and no claim FAILs whose check held "
                             "on its true settings: a defect of the suite, whose checks then cannot "
                             "be trusted",
}


#: the statuses of a command that completed with verdicts (:func:`status_of`)
COMPLETED = frozenset({ExitStatus.OK, ExitStatus.REFUTED, ExitStatus.UNDECIDED, ExitStatus.SUITE_DEFECT})

#: what status 0 means for a command that computes one answer (``minimizer``, ``tv``)
ANSWERED = "the answer was printed"


def summary(single_answer: bool = False) -> str:
    """Every status a command can return and its meaning, on one line (``--help`` epilogues);
    ``single_answer``: a command with no verdicts, which returns 0, 2 or 4."""
    if single_answer:
        return "; ".join([f"0 {ANSWERED}", *(f"{int(s)} {MEANING[s]}" for s in
                                             (ExitStatus.BAD_INPUT, ExitStatus.INCOMPLETE))])
    return "; ".join(f"{int(s)} {MEANING[s]}" for s in ExitStatus)


class ControlState(enum.StrEnum):
    """How a negative control came out: its expected verdict (``detected``), INCONCLUSIVE
    (``undecided``: the budget could not show the check can fail), or the other decided
    verdict (``wrong``: a broken setting PASSed, or a true one FAILed)."""

    DETECTED = "detected"
    UNDECIDED = "undecided"
    WRONG = "wrong"


def control_state(verdict: str, expected: str) -> ControlState:
    """See :class:`ControlState`."""
    if verdict == expected:
        return ControlState.DETECTED
    if verdict == "INCONCLUSIVE":
        return ControlState.UNDECIDED
    return ControlState.WRONG


def status_of(claims: list[tuple[str, str]], controls: list[tuple[str, str, str]]) -> ExitStatus:
    """The status of a completed run from its claims' (id, verdict) and its controls' (claim
    id, verdict, expected verdict).

    REFUTED if a claim FAILs and its check was not shown to FAIL a true setting (none of that
    claim's controls that expect PASS, such as A3-unbalanced-antipodal, FAILed: then the check
    is too strict and its FAIL no evidence; a control that expects FAIL and PASSed shows the
    check too lenient, which makes a FAIL stronger evidence, not weaker); else SUITE_DEFECT if
    any control was decided the wrong way; else UNDECIDED if a claim or a control is
    INCONCLUSIVE; else OK.  A pipeline can so tell "refuted" from "undecided" from "the suite
    is broken"."""
    wrong = [(claim, expected) for claim, verdict, expected in controls
             if control_state(verdict, expected) is ControlState.WRONG]
    too_strict = {claim for claim, expected in wrong if expected == "PASS"}
    if any(verdict == "FAIL" and claim not in too_strict for claim, verdict in claims):
        return ExitStatus.REFUTED
    if wrong:
        return ExitStatus.SUITE_DEFECT
    if all(v == "PASS" for _, v in claims) and all(v == e for _, v, e in controls):
        return ExitStatus.OK
    return ExitStatus.UNDECIDED


class Incomplete(Exception):
    """A command that could not complete for a reason it can name (status 4)."""


def incomplete_reason(err: BaseException) -> str:
    """Why a command could not complete (status 4), in one line."""
    if isinstance(err, (Interrupted, Incomplete)):
        return str(err)
    if isinstance(err, KeyboardInterrupt):
        return "interrupted by SIGINT"
    if isinstance(err, MemoryError):
        return "out of memory"
    if isinstance(err, BrokenPipeError):
        return "the output pipe was closed before everything was written"
    if isinstance(err, (concurrent.futures.CancelledError, asyncio.CancelledError)) \
            or type(err).__name__ in _CLUSTER_LOST:
        return (f"the cluster cancelled the work ({type(err).__name__}): its scheduler or a "
                "worker went away")
    if isinstance(err, OSError):
        where = f" ({err.filename})" if err.filename else ""
        return f"I/O error: {err.strerror or err}{where}"
    return (f"internal error, {type(err).__name__}: {' '.join(str(err).split())} "
            "(a bug: please report it with the output of --debug)")
