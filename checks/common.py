"""Pieces several claim checks share: rate outcomes, common-random-number grids and the
c-class ray."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from checks.decision import Decision, Quantile, Verdict, at_most
from checks.setting import (
    LIMIT_MARGIN_FRACTION,
    LIMIT_MARGIN_REASON,
    SLOPE_TOLERANCE_REASON,
    Budget,
    Setting,
    stream,
)
from checks.verdict import Outcome
from numerics.minimizer import ClassRay, class_ray
from numerics.priors import MixturePrior
from numerics.rates import fit_loglog
from numerics.sufficient_stats import draw_class_noise

T = TypeVar("T")


def class_priors(setting: Setting) -> tuple[list[MixturePrior], bool]:
    """The c-class priors a multi-class check runs on, and whether it sweeps c.

    A sweep (``setting.classes``) varies c under the paper's assumptions (equal norms,
    uniform class prior); otherwise the check runs on the setting's own prior only.
    """
    if setting.classes is None:
        return [setting.prior], False
    return _sweep(setting.prior, setting.classes), True


def _sweep(template: MixturePrior, classes: tuple[int, ...]) -> list[MixturePrior]:
    if not template.satisfies_paper_assumptions:
        raise ValueError("classes: a sweep over c needs equal norms and a uniform class prior")
    return [template.with_(classes=c, norm_scales=None, class_prior=None) for c in classes]


def exponent_rays(setting: Setting, budget: Budget, rng: np.random.Generator
                  ) -> list[tuple[MixturePrior, ClassRay]]:
    """The priors and rays of the exponent-of-c fits, c in ``budget.class_exponent_classes``.

    The c values the N-slopes sweep reuse their ray (cached by :func:`training_ray`); the
    larger ones, there only to reach further in c, are solved at ``budget.class_fixed_n`` only.
    """
    return [(p, training_ray(p, budget, rng, None if p.classes in setting.classes else budget.class_fixed_n))
            for p in _sweep(setting.prior, budget.class_exponent_classes)]


_SHARED: dict[tuple, Any] = {}


def shared(tag: str, law: dict, key: tuple, rng: np.random.Generator,
           compute: Callable[[np.random.Generator], T]) -> T:
    """``compute(stream)`` once per run seed, ``tag``, law and ``key``.

    The stream is keyed by ``tag`` and the law under the run's seed (the seed of ``rng``, one
    of :func:`checks.setting.stream`'s), not by the calling check, so every check of a run
    that needs the same computation on the same law -- a claim and the controls that change
    only its claimed exponents, or A3m and A5m training on one law -- gets the same draws,
    and the result is computed once.
    """
    seed = rng.bit_generator.seed_seq.entropy
    text = json.dumps(law, sort_keys=True)
    memo = (seed, tag, text, key)
    if memo not in _SHARED:
        _SHARED[memo] = compute(stream(seed, f"{tag} {text}"))
    return _SHARED[memo]


def training_ray(prior: MixturePrior, budget: Budget, rng: np.random.Generator,
                 grid: tuple[int, ...] | None = None) -> ClassRay:
    """alpha_c(N) on ``grid`` (default: the budget's N grid) for ``prior``'s training law,
    shared by every check of the run that trains on that law (:func:`shared`)."""
    grid = budget.class_n_grid if grid is None else grid
    law = {k: v for k, v in prior.describe().items() if k != "test_cov"}
    return shared("class ray", law, (grid, budget.class_mc_size), rng, lambda s: class_ray(
        prior, draw_class_noise(s, budget.class_mc_size, prior.d, prior.classes), grid))


def asymptotic_window(n: np.ndarray, classes: int) -> np.ndarray:
    """Which points of an N grid a c-class rate fit in N uses: ``N >= c^2``.

    The pre-asymptotic range grows with c: at d = 3, N max|G| comes within 10% of its limit
    near N = 300, 900 and 2000 for c = 4, 8 and 16 (about c^1.5).  Below N = c^2 the
    pre-asymptotic terms are more than the fit's two 1/N correction terms absorb: for c = 16
    the fit from N = 64 has Birge ratio 2.3 and truncation error 0.04, from N = 256 1.0 and 0.01.
    """
    return np.asarray(n) >= classes**2


def largest_classes(budget: Budget) -> int:
    """The largest c whose N-slope fit has its points: ``N >= c^2`` (:func:`asymptotic_window`)
    on at least :func:`points_needed` points of the budget's N grid."""
    needed = points_needed(correction=True)
    grid = sorted(budget.class_n_grid)
    return math.isqrt(grid[-needed]) if len(grid) >= needed else 1


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


def limit_margin(smallest: float, what: str) -> tuple[float, str]:
    """The margin of "tends to 0" (A4's limit, A3m's alpha_c(inf) = c) and its reason: a
    tenth of ``smallest``, the smallest ``what`` measured (NaN, hence INCONCLUSIVE, where no
    positive value was measured to compare with)."""
    margin = LIMIT_MARGIN_FRACTION * smallest if smallest > 0 else math.nan
    return margin, (f"{LIMIT_MARGIN_FRACTION:g} x the smallest {what} ({smallest:.3g}): "
                    f"{LIMIT_MARGIN_REASON}")


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


def points_needed(correction: bool, correction_terms: int = 2) -> int:
    """Points a rate fit needs: slope, intercept and the correction terms, plus one degree of
    freedom to judge the fit (at least 4)."""
    return max(4, 3 + (correction_terms if correction else 0))


def rate_outcome(name: str, setting: str, x: np.ndarray, y: np.ndarray, cov: np.ndarray, *,
                 claimed: float, correction: float | None, confidence: float,
                 correction_terms: int = 2,
                 resolution: float, x_name: str, y_name: str, method: str,
                 read_bound: str | None = None, plausible: tuple[float, ...] = ()) -> Outcome:
    """Outcome of "y = O(x^claimed)": the fitted asymptotic log-log slope against the claim
    (``plausible``: other correction exponents the theory allows;
    :func:`numerics.rates.fit_loglog`).

    ``read_bound`` names the bound (e.g. "c^1 bound at N=1024") whose tightness the evidence
    then reads from the fitted CI (:func:`bound_reading`, beyond the paper)."""
    keep = y > 0
    needed = points_needed(correction is not None, correction_terms)
    criterion = at_most(claimed, resolution, SLOPE_TOLERANCE_REASON)
    if keep.sum() < needed:
        return Outcome(name=name, setting=setting, statistic=float("nan"),
                       uncertainty={"method": method, "note": f"needs >= {needed} positive estimates"},
                       decision=Decision(criterion, (math.nan, math.nan), confidence, Quantile.NORMAL),
                       evidence={"x": x.tolist(), "y": y.tolist()})
    cov = cov[np.ix_(keep, keep)] if cov.ndim == 2 else cov[keep]
    fit = fit_loglog(x[keep], y[keep], cov, confidence=confidence, correction_exponent=correction,
                     correction_terms=correction_terms, plausible_exponents=plausible)
    evidence = {"fit": fit.as_dict(), "table": fit.table(x_name, y_name), "claimed": claimed,
                "resolution": resolution, "x_name": x_name, "y_name": y_name}
    if read_bound is not None:
        evidence["reading"] = bound_reading(fit.ci, claimed, read_bound)
    return Outcome(
        name=name, setting=setting, statistic=fit.slope,
        uncertainty={"stderr": fit.slope_stderr, "ci": list(fit.ci),
                     "confidence": confidence, "method": method},
        decision=Decision(criterion, fit.ci, confidence, Quantile(fit.quantile)),
        evidence=evidence,
    )
