"""Pieces the checks of every paper share: rate outcomes (the log-log fit read by the
decision layer), the Bonferroni split, common-random-number grids, geometric grids."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats

from checks.decision import Decision, Quantile, Verdict, at_most, equivalent
from checks.verdict import Outcome
from numerics.rates import fit_loglog


def geometric(lo: int, hi: int) -> tuple[int, ...]:
    """Powers of two from lo to hi."""
    return tuple(2**k for k in range(int(math.log2(lo)), int(math.log2(hi)) + 1))


def bound_reading(ci: tuple[float, float], claimed: float, what: str) -> str:
    """How tight a claimed exponent is, read from the CI of the fitted one (beyond the paper)
    by the decision layer's ``at_most(claimed, 0)``: PASS is a loose bound, FAIL one exceeded."""
    interval = f"the fitted exponent's CI [{ci[0]:.3g}, {ci[1]:.3g}]"
    verdict = at_most(claimed, 0.0, "none: a reading of tightness, not a verdict").decide(*ci)
    if verdict is Verdict.PASS:
        return f"{what}: loose -- {interval} lies below the claimed {claimed:g}"
    if verdict is Verdict.FAIL:
        return f"{what}: exceeded -- {interval} lies above the claimed {claimed:g}"
    return f"{what}: {interval} contains the claimed {claimed:g} (tight, or not resolved)"


def per_check_confidence(confidence: float, parts: int) -> float:
    """Bonferroni: each of ``parts`` outcomes at a level that keeps the check's level."""
    return 1 - (1 - confidence) / parts


def crn_grid(values: Callable[[float], np.ndarray], grid: tuple[float, ...]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Means over one noise bundle at each grid point, and their covariance matrix.

    ``values(x)`` returns the per-sample values at grid point x, always from the same
    draws, so the estimates are correlated and the covariance is the full matrix.
    """
    samples = np.column_stack([values(x) for x in grid])
    return samples.mean(axis=0), np.atleast_2d(np.cov(samples, rowvar=False)) / samples.shape[0]


def affordable_terms(points: int, most: int) -> int:
    """The correction terms a rate fit on ``points`` points affords, at most ``most``: slope,
    intercept and the terms leave a degree of freedom (a short grid, the smoke profile's
    five points, fits fewer)."""
    return max(1, min(most, points - 3))


def points_needed(correction: bool, correction_terms: int = 2) -> int:
    """Points a rate fit needs: slope, intercept and the correction terms, plus one degree of
    freedom to judge the fit (at least 4)."""
    return max(4, 3 + (correction_terms if correction else 0))


def rate_outcome(name: str, setting: str, x: np.ndarray, y: np.ndarray, cov: np.ndarray, *,
                 claimed: float, correction: float | None, confidence: float,
                 correction_terms: int = 2,
                 resolution: float, tolerance_reason: str, x_name: str, y_name: str, method: str,
                 read_bound: str | None = None, plausible: tuple[float, ...] = (),
                 log_correction: bool = False) -> Outcome:
    """Outcome of "y = O(x^claimed)": the fitted asymptotic log-log slope against the claim
    (``plausible``: other correction exponents the theory allows;
    :func:`numerics.rates.fit_loglog`).

    ``read_bound`` names the bound (e.g. "c^1 bound at N=1024") whose tightness the evidence
    then reads from the fitted CI (:func:`bound_reading`, beyond the paper)."""
    keep = y > 0
    needed = points_needed(correction is not None, correction_terms)
    criterion = at_most(claimed, resolution, tolerance_reason)
    if keep.sum() < needed:
        return Outcome(name=name, setting=setting, statistic=float("nan"),
                       uncertainty={"method": method, "note": f"needs >= {needed} positive estimates"},
                       decision=Decision(criterion, (math.nan, math.nan), confidence, Quantile.NORMAL),
                       evidence={"x": x.tolist(), "y": y.tolist()})
    cov = cov[np.ix_(keep, keep)] if cov.ndim == 2 else cov[keep]
    fit = fit_loglog(x[keep], y[keep], cov, confidence=confidence, correction_exponent=correction,
                     correction_terms=correction_terms, plausible_exponents=plausible,
                     log_correction=log_correction)
    evidence = {"fit": fit.as_dict(), "claimed": claimed,
                "resolution": resolution, "x_name": x_name, "y_name": y_name}
    if read_bound is not None:
        evidence["reading"] = bound_reading(fit.ci, claimed, read_bound)
    return Outcome(
        name=name, setting=setting, statistic=fit.slope,
        uncertainty={"stderr": fit.slope_stderr, "ci": list(fit.ci),
                     "confidence": confidence, "method": method},
        decision=Decision(criterion, fit.ci, confidence, Quantile(fit.quantile)),
        evidence=evidence, figure="rate",
    )


def richardson(x: tuple[float, float], values: tuple[np.ndarray, np.ndarray], order: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """``x^order v(x)`` at two points extrapolated to x = inf, assuming a remainder in
    ``x^-order``: ``(r b - a) / (r - 1)``, ``r = (x2/x1)^order``; and the weights on (v1, v2)
    of that linear combination (to propagate a covariance)."""
    ratio = (x[1] / x[0]) ** order
    weights = np.array([-x[0] ** order, ratio * x[1] ** order]) / (ratio - 1)
    return weights[0] * values[0] + weights[1] * values[1], weights


def constant_reading(name: str, label: str, value: float, stderr: float, constant: float,
                     constant_error: float, margin: float, reason: str, confidence: float,
                     method: str) -> Outcome:
    """A measured limit against a derived constant (beyond the paper; not gating): equivalent
    to ``constant`` within ``margin``, on the interval whose standard error combines the
    measurement's and the constant's own."""
    se = math.hypot(stderr, constant_error)
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * se
    return Outcome(
        name=name, setting=label, statistic=value,
        uncertainty={"stderr": se, "ci": [value - half, value + half], "confidence": confidence,
                     "method": f"{method}; derived constant {constant:.6g} +- {constant_error:.2g}"},
        decision=Decision(equivalent(constant, margin, reason), (value - half, value + half), confidence,
                          Quantile.NORMAL),
        gating=False, evidence={"constant": constant, "constant_error": constant_error})
