"""What ``icl-verify``'s exit status means: one meaning per status.

The README, the JUnit file (:mod:`checks.junit`) and the report's headline
(:mod:`checks.document`) quote :data:`MEANING`, so a CI job that gates on the status reads the
same thing everywhere.  A crash is never status 1: 1 means the evidence refutes a claim (or a
negative control went undetected), and a run that could not finish has its own status, 4.
"""

from __future__ import annotations

import enum

from checks.interrupt import Interrupted


class ExitStatus(enum.IntEnum):
    OK = 0
    REFUTED = 1
    BAD_INPUT = 2
    UNDECIDED = 3
    INCOMPLETE = 4


MEANING: dict[ExitStatus, str] = {
    ExitStatus.OK: "every claim PASSes and every control is detected",
    ExitStatus.REFUTED: "a claim FAILs or a control is missed",
    ExitStatus.BAD_INPUT: "bad input, or a setting that cannot be computed: one line naming the "
                          "field; nothing was written",
    ExitStatus.UNDECIDED: "no claim FAILs and every control is detected, but some claim is "
                          "INCONCLUSIVE (the budget did not decide it)",
    ExitStatus.INCOMPLETE: "the run could not complete (I/O error, interrupted, out of memory): "
                           "one line saying why; the previous report, if any, is left as it was",
}


#: what status 0 means for a command that computes one answer (``minimizer``, ``tv``)
ANSWERED = "the answer was printed"


def summary(single_answer: bool = False) -> str:
    """Every status a command can return and its meaning, on one line (``--help`` epilogues);
    ``single_answer``: a command with no verdicts, which returns 0, 2 or 4."""
    if single_answer:
        return "; ".join([f"0 {ANSWERED}", *(f"{int(s)} {MEANING[s]}" for s in
                                             (ExitStatus.BAD_INPUT, ExitStatus.INCOMPLETE))])
    return "; ".join(f"{int(s)} {MEANING[s]}" for s in ExitStatus)


def status_of(claim_verdicts: list[str], controls_detected: list[bool]) -> ExitStatus:
    """The status of a completed run: OK if every claim PASSes and every control is detected;
    REFUTED if a claim FAILs or a control is missed; UNDECIDED otherwise (some claim is
    INCONCLUSIVE), so that a pipeline can tell "refuted" from "undecided"."""
    if any(v == "FAIL" for v in claim_verdicts) or not all(controls_detected):
        return ExitStatus.REFUTED
    if all(v == "PASS" for v in claim_verdicts):
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
    if isinstance(err, OSError):
        where = f" ({err.filename})" if err.filename else ""
        return f"I/O error: {err.strerror or err}{where}"
    return (f"internal error, {type(err).__name__}: {' '.join(str(err).split())} "
            "(a bug: please report it with the output of --debug)")
