"""B2: imbalanced features -- stage-wise convergence: queries of the dominant feature reach
near-zero error first (one phase), those of the under-represented features later (four
phases) (seed 001; SPEC §B.3).

Method: GD from Q = 0 on the exact population loss of the five-parameter imbalanced family
(:class:`numerics.softmax_regression.symmetric.ImbalancedFamily`):

* **stage order** -- t_1, the first step at which the dominant feature's error is within eps
  of its floor, over the minority features' t_m: ``at_most(1, 0)`` (exact; a feature that
  does not get there within the budget bounds its time by the budget);
* **near-zero error in finite time** -- every feature's error ``at_most(eps, 0)`` on
  ``[lowest reachable, reached]``, as B1 (:func:`checks.softmax_regression.common.near_zero`);
* **phases** (readings) -- the dominant and a minority query's phases by the stated rule
  (:mod:`checks.softmax_regression.phases`), against the paper's one and four.
"""

from __future__ import annotations

import numpy as np

from checks.context import RunContext
from checks.decision import Decision, Quantile, at_most, equivalent
from checks.softmax_regression.common import (
    model_and_floor,
    near_zero,
    near_zero_outcome,
    times_to_eps,
)
from checks.softmax_regression.phases import PHASE_READING, RULE, phases
from checks.softmax_regression.setting import EPSILON, Budget, Setting
from checks.trajectory import trajectory_evidence
from checks.verdict import Outcome
from numerics.softmax_regression import gd

ID = "B2"
STATEMENT = ("imbalanced features: the dominant feature's queries reach near-zero error first "
             "(one phase), the under-represented features' later (four phases)")
METHOD = ("exact GD on the five-parameter imbalanced family from Q = 0; each feature's floor; "
          "the first step each feature's error is within eps of its floor; phases by the "
          "stated rule")

FIRST = at_most(1.0, 0.0, "none: an order of exact first-passage steps")


def _phase_count(count: int, claimed: int, label: str, seen: list[dict], which: str) -> Outcome:
    rule = equivalent(float(claimed), 0.5, f"0.5: a count is an integer, so within 1/2 of "
                                           f"{claimed} is {claimed}")
    return Outcome(name=f"number of phases of the {which} feature's queries (the stated rule)",
                   setting=label, statistic=float(count),
                   uncertainty={"method": "exact trajectory; " + RULE},
                   decision=Decision(rule, (count, count), None, Quantile.DETERMINISTIC),
                   gating=False, evidence={"phases": seen, "boundaries": [p["start"] for p in seen[1:]],
                                           "reading": PHASE_READING})


def stage_ratio(first: int, later: int, max_steps: int, dominant_first: bool
                ) -> tuple[float, tuple[float, float]]:
    """The claimed-first feature's time over the claimed-later one's, with exact bounds where
    one was not reached within ``max_steps`` (its time is then beyond it)."""
    a, b = (first, later) if dominant_first else (later, first)
    lo_a, hi_a = (a, a) if a >= 0 else (max_steps + 1, np.inf)
    lo_b, hi_b = (b, b) if b >= 0 else (max_steps + 1, np.inf)
    value = a / b if a >= 0 and b >= 0 else np.nan
    return value, (lo_a / hi_b, hi_a / lo_b)


def outcomes(setting: Setting, budget: Budget, rng: np.random.Generator, context: RunContext
             ) -> list[Outcome]:
    model, fl = model_and_floor(setting)
    first, dropped = times_to_eps(model, fl, budget)
    t1, tm = int(first[0]), int(first[1])
    horizon = max(first.max(), 0) if np.all(first >= 0) else budget.max_steps
    traj = gd.descend(model, budget.eta, 2 * horizon)
    seen_1 = phases(traj, 0, until=t1 if t1 >= 0 else None)
    seen_m = phases(traj, 1, until=tm if tm >= 0 else None)
    evidence = trajectory_evidence(traj, fl, budget.trajectory_points, seen_m, [0, 1], EPSILON)
    value, interval = stage_ratio(t1, tm, budget.max_steps, setting.dominant_first)
    order = "dominant before minority" if setting.dominant_first else "minority before dominant"
    evidence.update(times_to_eps={"dominant": t1, "minority": tm}, dropped_mass=dropped,
                    dominant_phases=seen_1, claim=f"claimed order: {order}")
    return [
        Outcome(name=f"stage order ({order}): ratio of the times to eps", setting=setting.label,
                statistic=value,
                uncertainty={"method": f"exact first-passage steps: dominant {t1}, minority {tm} "
                                       "(-1: not within the budget)"},
                decision=Decision(FIRST, interval, None, Quantile.EXACT), evidence=evidence,
                figure="trajectory"),
        near_zero_outcome(f"near-zero error in finite time: every feature's error at most eps = "
                          f"{EPSILON:g}", setting.label, *near_zero(model, fl, budget, features=True)),
        _phase_count(len(seen_1), 1, setting.label, seen_1, "dominant"),
        _phase_count(len(seen_m), 4, setting.label, seen_m, "minority"),
    ]
