"""A5: binary ``E[TV(y_q, yhat_q)] = O(1/N + 1/sqrt(M))`` (seed 002, Theorem 3.6).

Method (SPEC §A.5): E[TV] by Monte Carlo over (test task, test prompt, query), one noise
bundle for every grid point (common random numbers), so each grid's estimates come with
their full covariance.

* N direction, ``M = inf`` (population ``a``), ``W = W*(N)``: slope in N <= -1.
* M direction, ``N = inf`` (``W = 2 Lambda^-1``): slope in M <= -1/2.
* Joint: along ``M = N^2`` both terms are ~1/N, so ``E[TV] / (1/N + 1/sqrt(M))`` stays
  bounded iff the slope in N along that path is <= -1.  The ratio on a coarse (N, M) grid
  is tabulated as evidence.

Correction exponents: ``W*(N)`` carries ``1/N`` corrections, so q = 1 in N; TV is
``E|eps sigma'(L) + O(eps^2)|`` with ``eps ~ M^-1/2``, so q = 1/2 in M (and q = 1 along
``M = N^2``).
"""

from __future__ import annotations

import math

import numpy as np

from checks.common import crn_grid, per_check_confidence, rate_outcome
from checks.setting import Budget, Setting
from checks.verdict import Outcome
from numerics.sufficient_stats import draw_noise
from numerics.tv import trained_weights, tv_per_sample

ID = "A5"
STATEMENT = "binary: E[TV(y_q, yhat_q)] = O(1/N + 1/sqrt(M))"
METHOD = "Monte Carlo with common random numbers over the grid; WLS log-log fits"
INF = math.inf


def outcomes(setting: Setting, budget: Budget, rng: np.random.Generator) -> list[Outcome]:
    prior = setting.prior
    noise = draw_noise(rng, budget.mc_size, prior.d)
    w_of = {n: trained_weights(prior, n, rng).w for n in (*budget.n_grid, INF)}
    conf = per_check_confidence(budget.confidence, 3)
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
    coarse = budget.n_grid[:: max(1, len(budget.n_grid) // 3)]
    joint.evidence["ratio_grid"] = {
        "N": list(coarse), "M": list(coarse),
        "ratio": [[float(tv_per_sample(prior, noise, mm, w_of[nn]).mean()
                         / (1 / nn + 1 / math.sqrt(mm))) for mm in coarse] for nn in coarse],
    }
    return [in_n, in_m, joint]
