"""A5: binary ``E[TV(y_q, yhat_q)] = O(1/N + 1/sqrt(M))`` (seed 002, Theorem 3.6).

Method (SPEC §A.5): E[TV] by Monte Carlo over (test task, test prompt, query), one noise
bundle for every grid point (common random numbers), so each grid's estimates come with
their full covariance.

* N direction, ``M = inf`` (population ``a``), ``W = W*(N)``: slope in N <= -1.
* M direction, ``N = inf`` (``W = 2 Lambda^-1``): slope in M <= -1/2.
* Joint, along ``M = N^2``, where both terms are ~1/N and a cross term would be largest
  against them: ``E[TV] / (1/N + 1/sqrt(M))`` stays bounded iff the slope in N along that
  path is <= -1.
* Joint, over the whole (N, M) grid (SPEC §A.5): the ratio's growth exponent at the grid's
  edge is <= 0 (:func:`_ratio_outcome` states the rule).

Correction exponents: ``W*(N)`` carries ``1/N`` corrections, so q = 1 in N; TV is
``E|eps sigma'(L) + O(eps^2)|`` with ``eps ~ M^-1/2``, so q = 1/2 in M (and q = 1 along
``M = N^2``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from checks.common import crn_grid, per_check_confidence, rate_outcome
from checks.decision import Decision, Quantile, at_most
from checks.setting import SLOPE_TOLERANCE_REASON, Budget, Setting
from checks.verdict import Outcome
from numerics.priors import TaskPrior
from numerics.sufficient_stats import PromptNoise, draw_noise
from numerics.tv import trained_weights, tv_per_sample

ID = "A5"
STATEMENT = "binary: E[TV(y_q, yhat_q)] = O(1/N + 1/sqrt(M))"
METHOD = "Monte Carlo with common random numbers over the grid; WLS log-log fits"
INF = math.inf


def outcomes(setting: Setting, budget: Budget, rng: np.random.Generator) -> list[Outcome]:
    prior = setting.prior
    noise = draw_noise(rng, budget.mc_size, prior.d)
    w_of = {n: trained_weights(prior, n, rng).w for n in (*budget.n_grid, INF)}
    conf = per_check_confidence(budget.confidence, 4)
    common = {"confidence": conf, "resolution": budget.slope_resolution, "y_name": "E[TV]",
              "method": "CRN Monte Carlo covariance, sandwich WLS"}
    n = np.array(budget.n_grid, dtype=float)
    m = np.array(budget.m_grid, dtype=float)

    y, cov = crn_grid(lambda k: tv_per_sample(prior, noise, INF, w_of[k]), budget.n_grid)
    in_n = rate_outcome("slope of E[TV] in N (M = inf)", setting.label, n, y, cov,
                        claimed=setting.n_order, correction=1.0, x_name="N", **common)

    y, cov = crn_grid(lambda k: tv_per_sample(prior, noise, k, w_of[INF]), budget.m_grid)
    in_m = rate_outcome("slope of E[TV] in M (N = inf)", setting.label, m, y, cov,
                        claimed=setting.m_order, correction=0.5, x_name="M", **common)

    path_order = max(setting.n_order, 2 * setting.m_order)  # both terms along M = N^2
    y, cov = crn_grid(lambda k: tv_per_sample(prior, noise, k * k, w_of[k]), budget.n_grid)
    joint = rate_outcome("slope of E[TV] along M = N^2 (ratio to 1/N + 1/sqrt(M) bounded)",
                         setting.label, n, y, cov, claimed=path_order, correction=1.0,
                         x_name="N (M = N^2)", **common)
    return [in_n, in_m, joint,
            _ratio_outcome(prior, noise, w_of, budget, setting, per_check_confidence(budget.confidence, 4))]


def _ratio_outcome(prior: TaskPrior, noise: PromptNoise, w_of: dict, budget: Budget,
                   setting: Setting, level: float) -> Outcome:
    """SPEC §A.5's joint-grid condition: ``r = E[TV] / (N^n_order + M^m_order)`` stays bounded
    over the (N, M) grid (every other point of each axis, both ends included).

    Rule: the growth exponent ``e = log(max_outer r / max_inner r) / log(s)`` -- the outer
    shell is the cells at the largest N or the largest M, the inner grid the rest, s the
    grid's step -- is at most 0 up to the slope tolerance: a bounded, settling ratio has
    ``e <= 0`` (its supremum is reached or approached), a rate slower than claimed in any
    direction of the grid, or a floor, makes it grow at that rate.  The interval of e comes
    from simultaneous (Bonferroni) intervals of every cell, which bound both maxima."""
    ns = _every_other(budget.n_grid)
    ms = _every_other(budget.m_grid)
    means, ses = np.empty((len(ns), len(ms))), np.empty((len(ns), len(ms)))
    for i, n in enumerate(ns):
        for j, m in enumerate(ms):
            values = tv_per_sample(prior, noise, m, w_of[n]) / (n**setting.n_order + m**setting.m_order)
            means[i, j], ses[i, j] = values.mean(), values.std(ddof=1) / math.sqrt(values.size)
    z = stats.norm.ppf(1 - (1 - level) / (2 * means.size))
    outer = np.zeros(means.shape, dtype=bool)
    outer[-1, :] = outer[:, -1] = True
    lo, hi = means - z * ses, means + z * ses
    step = math.log(ns[-1] / ns[-2])

    def growth_of(edge: float, inside: float) -> float:
        if edge <= 0:  # interval ends at or below 0: no growth is excluded
            return -math.inf
        return math.log(edge / inside) / step if inside > 0 else math.inf

    growth = growth_of(means[outer].max(), means[~outer].max())
    interval = (growth_of(lo[outer].max(), hi[~outer].max()), growth_of(hi[outer].max(), lo[~outer].max()))
    return Outcome(
        name="growth exponent of E[TV] / (1/N + 1/sqrt(M)) at the (N, M) grid's edge",
        setting=setting.label, statistic=growth,
        uncertainty={"confidence": level, "method": "simultaneous normal intervals of every cell's "
                     f"CRN Monte Carlo mean (Bonferroni over {means.size} cells) bound both maxima"},
        decision=Decision(at_most(0.0, budget.slope_resolution, SLOPE_TOLERANCE_REASON),
                          interval, level, Quantile.NORMAL),
        evidence={"ratio_grid": {"N": list(ns), "M": list(ms), "ratio": means.tolist(),
                                 "stderr": ses.tolist()}},
    )


def _every_other(grid: tuple[int, ...]) -> tuple[int, ...]:
    """Every other point of a grid, from its largest down (both ends kept when the length is odd)."""
    return tuple(reversed(grid[::-1][::2]))
