"""A5m: c classes, inference error ``O(c^2/N + c^(3/2)/sqrt(M))`` (seed 002; paper TL;DR).

Method (SPEC §A.3, §A.5): E[TV] between the test-time Bayes posterior and
``softmax(A_M W x_q)`` by Monte Carlo, one test-noise bundle per c (common random numbers
over the grid).

* N direction, ``M = inf``: ``W = (alpha_ref + gap(N)) Lambda^-1`` with the gap
  ``alpha_c(N) - alpha_c(inf)`` of :func:`numerics.minimizer.class_ray` (claim A3m) and
  ``alpha_ref = c`` where the training law has equal norms and balanced classes (the
  first-order condition of :mod:`theory.minimizer`; A3m z-tests it), else the Monte Carlo
  alpha_c(inf).  The gap's covariance is propagated through ``dE[TV]/dalpha`` (central
  differences on the same draws) and added to the test Monte Carlo covariance.
  Slope in N <= -1.
* M direction, ``N = inf`` (``W = alpha_ref Lambda^-1``): slope in M <= -1/2.
* c-dependence (the base setting, which sweeps c): exponents of c in E[TV] at fixed N
  (M = inf) and at fixed M (N = inf), against the claimed 2 and 3/2, each with a 1/c
  correction term.  Beyond the paper the fitted exponents say how tight the bounds are.
"""

from __future__ import annotations

import math

import numpy as np

from checks.common import (
    asymptotic_window,
    class_priors,
    crn_grid,
    per_check_confidence,
    rate_outcome,
    training_ray,
)
from checks.setting import Budget, Setting
from checks.verdict import Outcome
from numerics.priors import MixturePrior
from numerics.sufficient_stats import draw_class_noise, sample_classes
from numerics.tv import class_tv_on_ray, class_tv_per_sample

ID = "A5m"
STATEMENT = "c classes: E[TV] = O(c^2/N + c^(3/2)/sqrt(M))"
METHOD = ("Monte Carlo E[TV] with common random numbers; W*(N) from the A3m ray gap with its "
          "covariance propagated; WLS log-log fits in N, M and c")
INF = math.inf


def _tv_grids(prior: MixturePrior, budget: Budget, rng: np.random.Generator) -> dict:
    """E[TV] on the N grid (M = inf) and the M grid (N = inf), with their covariances."""
    ray = training_ray(prior, budget, rng)
    alpha_ref = float(prior.classes) if prior.trains_like_paper else ray.alpha_inf
    test = draw_class_noise(rng, budget.class_tv_size, prior.d, prior.classes)
    tv_inf = class_tv_on_ray(prior, sample_classes(prior, test, INF, test=True))  # M = inf

    alphas = alpha_ref + ray.gap
    y_n, cov_n = crn_grid(tv_inf, tuple(alphas))
    step = 1e-4 * alpha_ref
    slope = np.array([(tv_inf(a + step).mean() - tv_inf(a - step).mean()) / (2 * step) for a in alphas])
    cov_n = cov_n + slope[:, None] * ray.gap_cov * slope[None, :]
    y_m, cov_m = crn_grid(lambda m: class_tv_per_sample(prior, test, m, alpha_ref * prior.precision),
                          budget.m_grid)
    return {"n": ray.n, "tv_n": y_n, "cov_n": cov_n, "m": np.array(budget.m_grid, dtype=float),
            "tv_m": y_m, "cov_m": cov_m, "alpha_ref": alpha_ref}


def outcomes(setting: Setting, budget: Budget, rng: np.random.Generator) -> list[Outcome]:
    priors, sweep = class_priors(setting)
    parts = 2 * len(priors) + (2 if sweep else 0)
    common = {"confidence": per_check_confidence(budget.confidence, parts),
              "resolution": budget.slope_resolution, "y_name": "E[TV]"}
    grids = [_tv_grids(p, budget, rng) for p in priors]
    result = []
    for prior, g in zip(priors, grids, strict=True):
        label = f"{setting.label}, c={prior.classes}"
        fit = asymptotic_window(g["n"], prior.classes)
        result.append(rate_outcome(
            f"slope of E[TV] in N, M = inf (c={prior.classes})", label, g["n"][fit], g["tv_n"][fit],
            g["cov_n"][np.ix_(fit, fit)], claimed=setting.n_order, correction=1.0, x_name="N",
            method="CRN Monte Carlo covariance + propagated W*(N) covariance, sandwich WLS over "
                   "N >= c^2", **common))
        result.append(rate_outcome(
            f"slope of E[TV] in M, N = inf (c={prior.classes})", label, g["m"], g["tv_m"], g["cov_m"],
            claimed=setting.m_order, correction=0.5, x_name="M",
            method="CRN Monte Carlo covariance, sandwich WLS", **common))
    if sweep:
        cs = np.array(setting.classes, dtype=float)
        for key, cov_key, at, claimed, what in (
                ("tv_n", "cov_n", list(grids[0]["n"]).index(budget.class_fixed_n[-1]), 2.0,
                 f"N={budget.class_fixed_n[-1]}, M=inf"),
                ("tv_m", "cov_m", len(budget.m_grid) - 1, 1.5, f"M={budget.m_grid[-1]}, N=inf")):
            y = np.array([g[key][at] for g in grids])
            se = np.sqrt([g[cov_key][at, at] for g in grids])
            out = rate_outcome(f"exponent of c in E[TV] at {what}", f"{setting.label}, c sweep", cs, y, se,
                               claimed=claimed, correction=1.0, correction_terms=1, x_name="c",
                               method="independent Monte Carlo per c, sandwich WLS", **common)
            result.append(out)
    return result
