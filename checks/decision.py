"""The decision layer: every verdict of every outcome, claims and controls alike (SPEC §D).

A verdict is read from a confidence interval ``[lo, hi]`` of the outcome's statistic by one
of three declared rules, each up to a stated tolerance ``t`` (or margin ``m``):

=====================  =====================  =====================================
rule                   PASS                   FAIL
=====================  =====================  =====================================
``at_most(b, t)``      ``hi < b + t``         ``lo > b + t``
``at_least(b, t)``     ``lo > b - t``         ``hi < b - t``
``equivalent(b, m)``   ``b - m < lo`` and     ``[lo, hi]`` wholly outside
                       ``hi < b + m``         ``(b - m, b + m)``
=====================  =====================  =====================================

and INCONCLUSIVE otherwise (an interval with a NaN end is INCONCLUSIVE).  Widening the
interval can therefore only move a verdict toward INCONCLUSIVE: no rule passes on failing
to reject (tests/test_decision.py proves it over all three).

A claim's verdict comes from its *gating* outcomes: FAIL if any FAILs, PASS if all PASS,
INCONCLUSIVE otherwise.  Readings beyond the paper are decided by the same rules but do not
gate.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class Verdict(enum.StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


class Rule(enum.StrEnum):
    AT_MOST = "at_most"
    AT_LEAST = "at_least"
    EQUIVALENT = "equivalent"


class Quantile(enum.StrEnum):
    """Where the interval's width comes from."""

    NORMAL = "normal"
    STUDENT_T = "student-t"
    EXACT = "exact"
    DETERMINISTIC = "deterministic"  # a computed value and its error bound, no sampling


@dataclass(frozen=True)
class Criterion:
    """A declared rule with its bound (the target for ``equivalent``) and its tolerance (the
    margin for ``equivalent``), and the one-line measured reason for that tolerance."""

    rule: Rule
    bound: float
    tolerance: float
    reason: str

    def __post_init__(self) -> None:
        # NaN: a tolerance that could not be computed (the verdict is then INCONCLUSIVE)
        if not (math.isnan(self.tolerance) or self.tolerance >= 0) \
                or (self.rule is Rule.EQUIVALENT and self.tolerance == 0):
            raise ValueError(f"tolerance: must be >= 0 (> 0 as a margin), got {self.tolerance}")
        if not self.reason:
            raise ValueError("reason: every tolerance states its measured reason")

    def decide(self, lo: float, hi: float) -> Verdict:
        """The verdict the rule gives the interval ``[lo, hi]``."""
        if math.isnan(lo) or math.isnan(hi) or math.isnan(self.bound) or math.isnan(self.tolerance):
            return Verdict.INCONCLUSIVE
        if lo > hi:
            raise ValueError(f"interval: lo {lo} > hi {hi}")
        b, t = self.bound, self.tolerance
        if self.rule is Rule.AT_MOST:
            return Verdict.PASS if hi < b + t else Verdict.FAIL if lo > b + t else Verdict.INCONCLUSIVE
        if self.rule is Rule.AT_LEAST:
            return Verdict.PASS if lo > b - t else Verdict.FAIL if hi < b - t else Verdict.INCONCLUSIVE
        if b - t < lo and hi < b + t:
            return Verdict.PASS
        if hi <= b - t or lo >= b + t:
            return Verdict.FAIL
        return Verdict.INCONCLUSIVE

    def describe(self, statistic: str = "statistic") -> str:
        """The rule in words, for the reports."""
        b, t = f"{self.bound:.6g}", f"{self.tolerance:.3g}"
        if self.rule is Rule.AT_MOST:
            return (f"{statistic} <= {b} (tolerance {t}): PASS if the interval ends below {b} + {t}, "
                    f"FAIL if it starts above")
        if self.rule is Rule.AT_LEAST:
            return (f"{statistic} >= {b} (tolerance {t}): PASS if the interval starts above {b} - {t}, "
                    f"FAIL if it ends below")
        return (f"{statistic} = {b} within {t}: PASS if the interval lies inside ({b} - {t}, {b} + {t}), "
                f"FAIL if wholly outside")


def at_most(bound: float, tolerance: float, reason: str) -> Criterion:
    return Criterion(Rule.AT_MOST, bound, tolerance, reason)


def at_least(bound: float, tolerance: float, reason: str) -> Criterion:
    return Criterion(Rule.AT_LEAST, bound, tolerance, reason)


def equivalent(target: float, margin: float, reason: str) -> Criterion:
    return Criterion(Rule.EQUIVALENT, target, margin, reason)


@dataclass(frozen=True)
class Decision:
    """A criterion applied to an interval at a level, by a kind of quantile."""

    criterion: Criterion
    interval: tuple[float, float]
    level: float | None
    quantile: Quantile

    @property
    def verdict(self) -> Verdict:
        return self.criterion.decide(*self.interval)

    def record(self) -> dict:
        """What report.json keeps: enough to recompute the verdict."""
        lo, hi = self.interval
        return {"rule": self.criterion.rule.value, "bound": self.criterion.bound,
                "tolerance": self.criterion.tolerance, "reason": self.criterion.reason,
                "interval": [lo, hi], "level": self.level, "quantile": self.quantile.value}


def criterion_of(record: dict) -> Criterion:
    """The criterion of a report.json decision record."""
    return Criterion(Rule(record["rule"]), float(record["bound"]), float(record["tolerance"]),
                     record["reason"])


def from_record(record: dict) -> Verdict:
    """The verdict a report.json decision record gives (tests recompute every verdict so)."""
    lo, hi = (float(v) for v in record["interval"])  # "nan", "inf" as report.json writes them
    return criterion_of(record).decide(lo, hi)


def claim_verdict(gating: list[Verdict]) -> Verdict:
    """FAIL if any gating outcome FAILs, PASS if all PASS, INCONCLUSIVE otherwise (and with
    no gating outcome at all)."""
    if Verdict.FAIL in gating:
        return Verdict.FAIL
    if gating and all(v is Verdict.PASS for v in gating):
        return Verdict.PASS
    return Verdict.INCONCLUSIVE
