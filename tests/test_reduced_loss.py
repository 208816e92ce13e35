"""SPEC §C.2: the reduced quadrature on the ray W = alpha Lambda^-1, validated three ways."""

import math

import mpmath
import numpy as np
import pytest
from scipy import stats

from numerics import estimators
from numerics import quadrature as qr
from numerics.minimizer import full_minimizer
from numerics.priors import TaskPrior, toeplitz_cov
from numerics.reduced_loss import LADDER, alpha_star, ray_derivatives, reduced_nodes
from numerics.sufficient_stats import draw_noise, sample
from theory.losses import derivative_fn

ALPHA = 1e-3  # significance level of each statistical comparison


@pytest.mark.parametrize("m,v", [(0.3, 0.5), (-2.0, 4.0), (4.0, 30.0), (1.0, 1e-4)])
def test_trapezoid_gaussian_smoothing_against_mpmath(m: float, v: float) -> None:
    """E softplus(-(m + sqrt(v) t)), reference: mpmath quad at 30 digits."""
    mpmath.mp.dps = 30
    ref = mpmath.quad(lambda t: mpmath.log(1 + mpmath.e ** (-(m + mpmath.sqrt(v) * t)))
                      * mpmath.npdf(t), [-mpmath.inf, *sorted({0.0, -m / math.sqrt(v)}), mpmath.inf])
    step = min(0.25, math.pi / (LADDER[-1].t_resolution * math.sqrt(v)))
    t, w = qr.normal_trapezoid(step)
    ours = w @ np.logaddexp(0, -(m + math.sqrt(v) * t))
    assert abs(ours - float(ref)) < 1e-12


@pytest.mark.parametrize("kind,d", [("antipodal", 3), ("independent", 2)])
def test_quadrature_loss_and_slope_match_monte_carlo(kind: str, d: int,
                                                     rng: np.random.Generator) -> None:
    """L(alpha) and dL/dalpha = <grad L, Lambda^-1> by quadrature vs Monte Carlo (z-tests)."""
    prior = TaskPrior(d=d, kind=kind, cov=toeplitz_cov(d))
    n, alpha = 24, 1.7
    l0, l1, _ = ray_derivatives(reduced_nodes(prior, n, LADDER[3]), alpha, LADDER[3])
    s = sample(prior, draw_noise(rng, 400_000, d), n)
    w = alpha * prior.precision
    loss = estimators.loss(s, w)
    grad = estimators.gradient(s, w)
    # the directional derivative along Lambda^-1, with its own standard error
    h1 = derivative_fn("logistic", 1)(estimators.margins(s, w))
    dir_terms = h1 * s.y_q * np.einsum("bi,ij,bj->b", s.a, prior.precision, s.x_q)
    z_crit = stats.norm.ppf(1 - ALPHA / 4)
    assert abs(loss.value - l0) < z_crit * loss.stderr
    assert abs(dir_terms.mean() - l1) < z_crit * dir_terms.std(ddof=1) / math.sqrt(dir_terms.size)
    # symmetry: at W = alpha Lambda^-1 the gradient is (L'(alpha)/d) Lambda
    chi2 = float(np.sum(((grad.value - l1 / d * prior.cov) / grad.stderr) ** 2))
    assert stats.chi2.sf(chi2, d * d) > ALPHA / 4


def test_alpha_at_infinity_is_two() -> None:
    for kind in ("antipodal", "independent"):
        assert alpha_star(TaskPrior(d=3, kind=kind), math.inf).alpha == pytest.approx(2, abs=1e-12)


def test_error_estimate_is_honest() -> None:
    """The rung-to-rung error estimate bounds the distance to a much finer computation."""
    prior = TaskPrior(d=4, cov=toeplitz_cov(4), snr=1.5)
    coarse = alpha_star(prior, 16, rtol=1e-4)
    fine = alpha_star(prior, 16, rtol=1e-13)
    assert abs(coarse.alpha - fine.alpha) <= max(coarse.error, 1e-13)
    assert fine.error < 1e-10


@pytest.mark.parametrize("kind,d", [("antipodal", 3), ("independent", 2)])
def test_full_matrix_minimizer_agrees_with_symmetry_reduction(kind: str, d: int,
                                                              rng: np.random.Generator) -> None:
    """Chi-square test of vec(W*_B - alpha(N) Lambda^-1) with the sandwich covariance."""
    prior = TaskPrior(d=d, kind=kind, cov=toeplitz_cov(d))
    n = 32
    full = full_minimizer(sample(prior, draw_noise(rng, 100_000, d), n))
    delta = (full.w - alpha_star(prior, n).w(prior)).ravel()
    chi2 = float(delta @ np.linalg.solve(full.cov, delta))
    assert stats.chi2.sf(chi2, d * d) > ALPHA
    # and the test has power: a 5% error in alpha is rejected
    delta_wrong = (full.w - 1.05 * alpha_star(prior, n).w(prior)).ravel()
    assert stats.chi2.sf(float(delta_wrong @ np.linalg.solve(full.cov, delta_wrong)), d * d) < ALPHA


def test_non_invariant_prior_needs_the_full_matrix(rng: np.random.Generator) -> None:
    prior = TaskPrior(d=2, kind="aligned", cov=toeplitz_cov(2))
    with pytest.raises(ValueError, match="invariant"):
        alpha_star(prior, 16)
    w = full_minimizer(sample(prior, draw_noise(rng, 50_000, 2), 16)).w
    assert abs(w[0, 1] - w[1, 0]) > 0 or abs(w[0, 0] - w[1, 1]) > 0.1  # not alpha Lambda^-1
