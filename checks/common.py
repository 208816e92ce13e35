"""Pieces several claim checks share: rate outcomes and common-random-number grids."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from checks.setting import Setting
from checks.verdict import Outcome, Verdict, upper_bound_verdict
from numerics.priors import MixturePrior
from numerics.rates import fit_loglog


def class_priors(setting: Setting) -> tuple[list[MixturePrior], bool]:
    """The c-class priors a multi-class check runs on, and whether it sweeps c.

    A sweep (``setting.classes``) varies c under the paper's assumptions (equal norms,
    uniform class prior); otherwise the check runs on the setting's own prior only.
    """
    template = setting.prior
    if setting.classes is None:
        return [template], False
    if not template.satisfies_paper_assumptions:
        raise ValueError("classes: a sweep over c needs equal norms and a uniform class prior")
    return [template.with_(classes=c, norm_scales=None, class_prior=None) for c in setting.classes], True


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
    return samples.mean(axis=0), np.cov(samples, rowvar=False) / samples.shape[0]


def rate_outcome(name: str, setting: str, x: np.ndarray, y: np.ndarray, cov: np.ndarray, *,
                 claimed: float, correction: float | None, confidence: float,
                 correction_terms: int = 2,
                 resolution: float, x_name: str, y_name: str, method: str) -> Outcome:
    """Outcome of "y = O(x^claimed)": the fitted asymptotic log-log slope against the claim."""
    keep = y > 0
    # slope, intercept and the correction terms, plus one degree of freedom to judge the fit
    needed = max(4, 3 + (correction_terms if correction is not None else 0))
    if keep.sum() < needed:
        return Outcome(name=name, setting=setting, statistic=float("nan"),
                       uncertainty={"method": method}, verdict=Verdict.INCONCLUSIVE,
                       criterion=f"needs >= {needed} positive estimates",
                       evidence={"x": x.tolist(), "y": y.tolist()})
    cov = cov[np.ix_(keep, keep)] if cov.ndim == 2 else cov[keep]
    fit = fit_loglog(x[keep], y[keep], cov, confidence=confidence, correction_exponent=correction,
                     correction_terms=correction_terms)
    return Outcome(
        name=name, setting=setting, statistic=fit.slope,
        uncertainty={"stderr": fit.slope_stderr, "ci": list(fit.ci),
                     "confidence": confidence, "method": method},
        criterion=(f"asymptotic log-log slope <= {claimed:g}: FAIL if the {100 * confidence:.3g}% "
                   f"CI lies above {claimed:g}; PASS if it reaches below and ends within "
                   f"{resolution:g} of it"),
        verdict=upper_bound_verdict(fit.ci, claimed, resolution),
        evidence={"fit": fit.as_dict(), "table": fit.table(x_name, y_name)},
    )

