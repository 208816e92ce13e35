"""Verdicts (SPEC §D) and the records a check returns."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Verdict(enum.StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


_SEVERITY = {Verdict.PASS: 0, Verdict.INCONCLUSIVE: 1, Verdict.FAIL: 2}


def combine(verdicts: list[Verdict]) -> Verdict:
    """FAIL if any part fails, else INCONCLUSIVE if any part is, else PASS."""
    return max(verdicts, key=_SEVERITY.__getitem__, default=Verdict.INCONCLUSIVE)


def upper_bound_verdict(ci: tuple[float, float], claimed: float, resolution: float) -> Verdict:
    """Verdict on "the quantity is <= claimed" from a confidence interval.

    FAIL when the whole interval lies above ``claimed`` (the data contradict the claim);
    PASS when the interval reaches below ``claimed`` and its upper end is within
    ``resolution`` of it (a violation larger than the resolution would have been seen);
    INCONCLUSIVE otherwise (the interval is too wide to decide: widen the budget).
    """
    lo, hi = ci
    if lo > claimed:
        return Verdict.FAIL
    if hi <= claimed + resolution:
        return Verdict.PASS
    return Verdict.INCONCLUSIVE


@dataclass
class Outcome:
    """One measured criterion of a check."""

    name: str
    setting: str
    statistic: float
    uncertainty: dict[str, Any]
    criterion: str
    verdict: Verdict
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckResult:
    """A claim (or a control) as checked: its verdict and every outcome behind it."""

    id: str
    statement: str
    verdict: Verdict
    outcomes: list[Outcome]
    seed: int
    budget: dict[str, Any]
    settings: dict[str, Any]
    method: str
    elapsed_s: float = 0.0

    @property
    def deciding(self) -> Outcome:
        """The outcome that fixes the verdict (the first with the combined verdict)."""
        return next(o for o in self.outcomes if o.verdict == self.verdict)

    def as_dict(self) -> dict[str, Any]:
        d = self.deciding
        out = asdict(self)
        out.update(statistic=d.statistic, stderr_or_ci=d.uncertainty, criterion=d.criterion,
                   deciding_outcome=d.name)
        return out
