"""B3: the attention weight on the query's own feature tends to 1 (seed 001; SPEC §B.3).

At finite N it cannot: a prompt without the query's feature gives it no attention, so the
attention ``E[pi_k]`` tends to ``P(n_k > 0) = 1 - (1 - p_k)^N``, and that limit tends to 1
as N grows.  Method, on GD from Q = 0 on the exact balanced family:

* **the attention tends to P(n_k > 0)** -- the gap ``P(n_k > 0) - E[pi_k](t)`` on a
  sqrt(2)-geometric grid of steps, extrapolated to t = inf (:func:`numerics.rates.fit_limit`:
  leading ``t^-1/2``, four further powers of ``t^-1/2``) and read ``at_most(0, margin)``, the
  margin a tenth of the smallest gap measured: a gap that levels off (the attention claimed to
  tend to 1 at fixed N, a control) FAILs;
* readings: the gap's rate in t against the derived -1/2 (:data:`setting.ATTENTION_RATE`);
  ``1 - P(n_k > 0) = (1 - p_k)^N`` from the count pmf over N, its log-slope per token (this
  limit's own tending to 1 is arithmetic, so it is reported, not gated); the attention at the
  last step below its limit.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from checks.common import per_check_confidence, rate_outcome
from checks.context import RunContext
from checks.decision import Decision, Quantile, at_least, at_most
from checks.softmax_regression.common import model_and_floor
from checks.softmax_regression.setting import (
    ATTENTION_RATE,
    ATTENTION_RATE_REASON,
    EPSILON,
    LIMIT_MARGIN_FRACTION,
    LIMIT_MARGIN_REASON,
    Budget,
    Setting,
)
from checks.trajectory import trajectory_evidence
from checks.verdict import Outcome
from numerics.rates import fit_limit
from numerics.softmax_regression import gd

ID = "B3"
STATEMENT = "the attention weight on the query's own feature tends to 1"
METHOD = ("exact GD on the balanced family; the gap between P(n_k > 0) and the attention on "
          "the target, fitted in t on log-log axes; P(n_k > 0) from the count pmf over N")

DECAYS = at_most(0.0, 0.0, "none: a reading of (1 - p_k)^N, decay per token below 0")
#: no prompt without the query's feature attends to it: E[pi_k] <= P(n_k > 0) (a reading)
BELOW_LIMIT = at_least(0.0, 0.0, "none: an exact inequality")


def absent(N: int, p: float) -> float:
    """``P(n_k = 0)`` from the Bin(N, p) pmf."""
    return float(stats.binom.pmf(0, N, p))


def outcomes(setting: Setting, budget: Budget, rng: np.random.Generator, context: RunContext
             ) -> list[Outcome]:
    model, fl = model_and_floor(setting)
    times = np.array(budget.b3_times)
    traj = gd.descend(model, budget.eta, int(times[-1]))
    p = 1 / setting.K
    limit = 1 - absent(setting.N, p) if setting.attention_limit == "present" else 1.0
    gap = limit - traj.attention[times, 0]
    target = "P(n_k > 0)" if setting.attention_limit == "present" else "1"
    conf = per_check_confidence(budget.confidence, 1)
    fit = fit_limit(times.astype(float), gap, 1e-12 * gap, confidence=conf, leading=0.5,
                    correction_exponent=0.5, correction_terms=4)
    margin = LIMIT_MARGIN_FRACTION * float(gap.min())
    tends = Outcome(
        name=f"the attention tends to {target}: the gap extrapolated to t = inf", setting=setting.label,
        statistic=fit.limit,
        uncertainty={"stderr": fit.stderr, "ci": list(fit.ci), "confidence": conf,
                     "method": "exact population attention; weighted fit of the gap in powers of "
                               "t^-1/2 from t^-1/2 (numerics.rates.fit_limit)"},
        decision=Decision(at_most(0.0, margin, f"{margin:.3g} = {LIMIT_MARGIN_FRACTION:g} x the "
                                               f"smallest gap measured: {LIMIT_MARGIN_REASON}"),
                          fit.ci, conf, Quantile(fit.quantile)),
        evidence={"limit_fit": fit.as_dict(), "t": times.tolist(), "gap": gap.tolist()})
    rate = rate_outcome(
        f"slope of the gap to the limit ({target}) in t",
        setting.label, times.astype(float), gap, 1e-12 * gap, claimed=ATTENTION_RATE,
        correction=0.5, confidence=conf, correction_terms=3, resolution=budget.slope_resolution,
        tolerance_reason=ATTENTION_RATE_REASON, x_name="GD step t", y_name="limit - E[pi_k]",
        method="exact population attention (rounding 1e-12 relative); WLS log-log fit with "
               "three t^-1/2 correction terms")
    rate.gating = False
    evidence = trajectory_evidence(traj, fl, budget.trajectory_points, [], [0], EPSILON)
    evidence.update(attention_limit=limit)
    out = [tends, rate, Outcome(name="the attention stays below its limit: gap at the last step",
                         setting=setting.label, statistic=float(gap[-1]),
                         uncertainty={"method": "exact population attention at the last step"},
                         decision=Decision(BELOW_LIMIT, (float(gap[-1]),) * 2, None, Quantile.EXACT),
                         gating=False, evidence=evidence, figure="attention")]
    ns = np.array(budget.b3_n_grid, dtype=float)
    missing = np.array([absent(int(n), p) for n in ns])
    slope, _ = np.polyfit(ns, np.log(missing), 1)
    out.append(Outcome(
        name="P(n_k > 0) -> 1 in N: log-slope of 1 - P(n_k > 0) per token", setting=setting.label,
        statistic=float(slope),
        uncertainty={"method": f"exact pmf sums on N = {list(budget.b3_n_grid)}; least squares "
                               f"(log(1 - p_k) = {np.log1p(-p):.6g})"},
        decision=Decision(DECAYS, (float(slope), float(slope)), None, Quantile.EXACT), gating=False,
        evidence={"N": ns.tolist(), "absent": missing.tolist()}))
    return out
