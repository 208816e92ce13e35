"""The records a check returns: its outcomes, each decided by :mod:`checks.decision`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from checks.decision import Decision, Verdict, claim_verdict

__all__ = ["CheckResult", "Outcome", "Verdict"]


@dataclass
class Outcome:
    """One measured criterion of a check: a statistic, its uncertainty, and the decision that
    reads it (:mod:`checks.decision`).  ``gating``: whether the claim's verdict rests on it
    (readings beyond the paper are reported but do not gate).  ``figure``: the kind of figure
    the report draws from its evidence (:mod:`checks.plots`), or None."""

    name: str
    setting: str
    statistic: float
    uncertainty: dict[str, Any]
    decision: Decision
    gating: bool = True
    evidence: dict[str, Any] = field(default_factory=dict)
    figure: str | None = None

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict

    @property
    def criterion(self) -> str:
        return self.decision.criterion.describe()

    def as_dict(self) -> dict[str, Any]:
        uncertainty = dict(self.uncertainty)
        lo, hi = self.decision.interval
        if lo < hi:  # the interval the verdict was read from, for the reports' readers
            uncertainty["ci"] = [lo, hi]
        return {"name": self.name, "setting": self.setting, "statistic": self.statistic,
                "uncertainty": uncertainty, "criterion": self.criterion,
                "verdict": self.verdict, "decision": self.decision.record(), "gating": self.gating,
                "figure": self.figure, "evidence": self.evidence}


def deciding_index(verdict: Verdict, outcomes: list[tuple[Verdict, bool]]) -> int:
    """Which of a check's outcomes, each (verdict, gating), fixes its ``verdict``: the first
    gating one with that verdict (an INCONCLUSIVE check with no INCONCLUSIVE gating outcome has
    none gating: its first).  The reports show that outcome's statistic and criterion."""
    gating = [i for i, (_, gates) in enumerate(outcomes) if gates]
    return next((i for i in gating if outcomes[i][0] == verdict), (gating or [0])[0])


@dataclass
class CheckResult:
    """A claim (or a control) as checked: every outcome behind it, and the verdict its gating
    outcomes give (:func:`checks.decision.claim_verdict`)."""

    id: str
    statement: str
    outcomes: list[Outcome]
    seed: int
    budget: dict[str, Any]
    settings: dict[str, Any]
    method: str
    elapsed_s: float = 0.0

    @property
    def verdict(self) -> Verdict:
        return claim_verdict([o.verdict for o in self.outcomes if o.gating])

    @property
    def deciding(self) -> Outcome:
        """The outcome that fixes the verdict (:func:`deciding_index`)."""
        return self.outcomes[deciding_index(self.verdict, [(o.verdict, o.gating) for o in self.outcomes])]

    def as_dict(self) -> dict[str, Any]:
        outcomes = [o.as_dict() for o in self.outcomes]
        deciding = self.deciding
        d = next(dict_ for o, dict_ in zip(self.outcomes, outcomes, strict=True) if o is deciding)
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "outcomes"}
        out.update(verdict=self.verdict, outcomes=outcomes, statistic=d["statistic"],
                   stderr_or_ci=d["uncertainty"], criterion=d["criterion"], deciding_outcome=d["name"])
        return out
