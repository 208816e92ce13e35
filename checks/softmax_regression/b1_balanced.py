"""B1: balanced features -- GD reaches near-zero prediction error in finite time, through
two phases of the attention dynamics (seed 001; SPEC §B.3).

Method: GD from Q = 0 on the exact population loss of the balanced family
(:class:`numerics.softmax_regression.symmetric.BalancedFamily`), ``eta`` fixed, at the
setting's K and N (``N = N_PER_K K`` on the base settings):

* **near-zero error in finite time** -- GD until L <= eps (or within eps/10 of the floor, a
  stationary point, or the budget), read ``at_most(eps, 0)`` on ``[lowest reachable, L
  reached]``: the lower end is the floor (L never goes below it), or L itself where GD is
  stationary.  So a floor above eps (prompts too short; linear attention) or a stall above eps
  FAILs, reaching eps PASSes, and running out of budget is INCONCLUSIVE;
* **time to eps against K** -- T(K), the first step within eps of the floor, on
  ``budget.b1_sweep`` at the setting's prompt length per feature, N = (N / K) K (8K on the
  base); its log-log slope fitted with corrections ``K^-1 log K``,
  ``K^-1``, ``K^-2`` (T = K^2 + O(K log K): :mod:`checks.softmax_regression.setting`) and read
  ``at_most`` the claimed exponent (:data:`setting.K_EXPONENT_BOUND`, reconstructed).  T is an
  integer first-passage step: its error is the rounding, SE ``1/sqrt(12)``.  A K not reached
  within the budget leaves the fit INCONCLUSIVE;
* **phases** (a reading) -- the phases of :mod:`checks.softmax_regression.phases`, and their
  boundary, up to T.
"""

from __future__ import annotations

import numpy as np

from checks.common import per_check_confidence, rate_outcome
from checks.context import RunContext
from checks.decision import Decision, Quantile, equivalent
from checks.softmax_regression.common import (
    model_and_floor,
    near_zero,
    near_zero_outcome,
    time_to_eps,
)
from checks.softmax_regression.phases import PHASE_READING, RULE, phases
from checks.softmax_regression.setting import (
    EPSILON,
    K_EXPONENT_REASON,
    SLOPE_TOLERANCE_REASON,
    Budget,
    Setting,
)
from checks.trajectory import trajectory_evidence
from checks.verdict import Outcome
from numerics.softmax_regression import gd

ID = "B1"
STATEMENT = ("balanced features: GD reaches near-zero prediction error in finite time, through "
             "two phases of the attention dynamics")
METHOD = ("exact GD on the balanced symmetry family from Q = 0; the floor in closed form; the "
          "first step within eps of the floor, its growth in K (N / K fixed: 8 on the base) fitted "
          "on log-log axes; "
          "phases by the stated rule")

#: the paper's two phases, read (not gated) by the stated rule
TWO_PHASES = equivalent(2.0, 0.5, "0.5: a count is an integer, so within 1/2 of 2 is 2")


def outcomes(setting: Setting, budget: Budget, rng: np.random.Generator, context: RunContext
             ) -> list[Outcome]:
    model, fl = model_and_floor(setting)
    reached, interval, t_end, how = near_zero(model, fl, budget, features=False)
    t_eps, dropped = time_to_eps(model, fl, budget)
    steps = max(t_eps, t_end)
    # twice the time shows the approach to the floor in the figures
    traj = gd.descend(model, budget.eta, 2 * steps)
    seen = phases(traj, 0, until=t_eps if t_eps >= 0 else None)
    evidence = trajectory_evidence(traj, fl, budget.trajectory_points, seen, [0], EPSILON)
    evidence.update(times_to_eps={"within eps of the floor": t_eps}, dropped_mass=dropped)
    out = [near_zero_outcome(f"near-zero error in finite time: L at most eps = {EPSILON:g}",
                             setting.label, reached, interval, t_end, how, evidence, "trajectory")]
    out.append(Outcome(
        name="number of phases up to T (beyond the paper's text: the stated rule)",
        setting=setting.label, statistic=float(len(seen)),
        uncertainty={"method": "exact trajectory; " + RULE},
        decision=Decision(TWO_PHASES, (len(seen), len(seen)), None, Quantile.DETERMINISTIC),
        gating=False, evidence={"phases": seen, "boundaries": [p["start"] for p in seen[1:]],
                                "reading": PHASE_READING}))
    if setting.k_exponent is not None:
        out.append(_k_exponent(setting, budget, context))
    return out


def sweep_lengths(setting: Setting, budget: Budget) -> tuple[int, ...]:
    """The prompt length N at every K of the sweep: the setting's N / K times K, rounded."""
    return tuple(round(K * setting.N / setting.K) for K in budget.b1_sweep)


def _sweep_times(budget: Budget, lengths: tuple[int, ...]) -> list[int]:
    """T(K) at each K of the sweep and its prompt length."""
    times = []
    for K, N in zip(budget.b1_sweep, lengths, strict=True):
        model, fl = model_and_floor(Setting(label="", K=K, N=N))
        times.append(time_to_eps(model, fl, budget)[0])
    return times


def _k_exponent(setting: Setting, budget: Budget, context: RunContext) -> Outcome:
    ks = np.array(budget.b1_sweep, dtype=float)
    # deterministic: in a run the claim and the control that claims K^0 share it (in a
    # calibration each draws its own instance, so each computes its own)
    lengths = sweep_lengths(setting, budget)
    times = context.shared("B1 times to eps", {"lengths": lengths, "eps": EPSILON},
                           (budget.b1_sweep, budget.eta, budget.max_steps),
                           lambda _: _sweep_times(budget, lengths))
    t = np.array(times, dtype=float)
    # a K whose time was not reached within the budget censors the fit: no verdict from the rest
    reached = t > 0 if np.all(t > 0) else np.zeros(t.size, dtype=bool)
    outcome = rate_outcome(
        "exponent of K in the time to eps", setting.label, ks[reached], t[reached],
        np.full(int(reached.sum()), np.sqrt(1 / 12)), claimed=setting.k_exponent, correction=1.0,
        confidence=per_check_confidence(budget.confidence, 1), correction_terms=2,
        log_correction=True, resolution=budget.slope_resolution,
        tolerance_reason=SLOPE_TOLERANCE_REASON, x_name="K", y_name="GD steps to eps",
        method="exact first-passage steps (rounding: SE 1/sqrt(12)); WLS log-log fit with "
               "corrections K^-1 log K, K^-1, K^-2",
        read_bound=f"K^{setting.k_exponent:g} bound")
    outcome.evidence.update(prompt_lengths=list(lengths), times=times,
                            k_exponent_reason=K_EXPONENT_REASON)
    return outcome
