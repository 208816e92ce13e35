"""The Gauss rules of numerics.quadrature and the reduced ray integral (SPEC §C.2) against
independent references: exact moments of each law, and adaptive QUADPACK integration."""

import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import expit, gammaln, roots_genlaguerre

from numerics import quadrature as qr
from numerics.gaussian_mixtures.priors import TaskPrior
from numerics.gaussian_mixtures.reduced_loss import LADDER, alpha_star, ray_derivatives, reduced_nodes

N_NODES = 6  # a 6-point Gauss rule integrates degree <= 11 exactly


def _moments(rule: qr.Rule, top: int) -> np.ndarray:
    x, w = rule
    return np.array([w @ x**k for k in range(top + 1)])


def _normal_moments(top: int) -> np.ndarray:
    """E t^k = (k-1)!! for even k, 0 for odd k."""
    return np.array([0.0 if k % 2 else math.prod(range(k - 1, 0, -2)) for k in range(top + 1)])


def _chi_square_moments(dof: int, top: int) -> np.ndarray:
    """E X^k = dof (dof + 2) ... (dof + 2k - 2)."""
    return np.array([math.prod(dof + 2 * i for i in range(k)) for k in range(top + 1)], dtype=float)


def _cos_angle_moments(d: int, top: int) -> np.ndarray:
    """E c^k for the cosine c of two random directions in R^d: odd moments vanish and
    c^2 ~ Beta(1/2, (d-1)/2), so E c^(2m) = prod_(i<m) (1/2 + i) / (d/2 + i)."""
    return np.array([0.0 if k % 2 else math.prod((0.5 + i) / (d / 2 + i) for i in range(k // 2))
                     for k in range(top + 1)])


def _binomial_fraction_moments(n_trials: int, p: float, top: int) -> np.ndarray:
    k = np.arange(n_trials + 1)
    pmf = stats.binom.pmf(k, n_trials, p)
    return np.array([pmf @ (k / n_trials) ** j for j in range(top + 1)])


@pytest.mark.parametrize("rule,reference", [
    (qr.standard_normal(N_NODES), _normal_moments(2 * N_NODES - 1)),
    (qr.chi_square(1, N_NODES), _chi_square_moments(1, 2 * N_NODES - 1)),
    (qr.chi_square(5, N_NODES), _chi_square_moments(5, 2 * N_NODES - 1)),
    (qr.cos_angle(2, N_NODES), _cos_angle_moments(2, 2 * N_NODES - 1)),
    (qr.cos_angle(6, N_NODES), _cos_angle_moments(6, 2 * N_NODES - 1)),
    (qr.binomial_fraction(40, 0.5, N_NODES), _binomial_fraction_moments(40, 0.5, 2 * N_NODES - 1)),
    (qr.binomial_fraction(1000, 0.7, N_NODES), _binomial_fraction_moments(1000, 0.7, 2 * N_NODES - 1)),
], ids=["normal", "chi2_1", "chi2_5", "cos_d2", "cos_d6", "binom_40", "binom_1000_p07"])
def test_gauss_rule_is_exact_to_degree_2n_minus_1(rule: qr.Rule, reference: list[float]) -> None:
    """Reference: closed-form moments (normal (k-1)!!, chi-square, beta; binomial: the full pmf sum)."""
    np.testing.assert_allclose(_moments(rule, 2 * N_NODES - 1), reference, rtol=1e-10, atol=1e-13)


def test_small_binomial_rule_is_the_law_itself() -> None:
    x, w = qr.binomial_fraction(3, 0.3, N_NODES)
    np.testing.assert_allclose(x, [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(w, stats.binom.pmf(np.arange(4), 3, 0.3))


def _quadpack_ray_derivative(prior: TaskPrior, n: int, alpha: float, order: int) -> float:
    """``d^k/dalpha^k L`` on the ray for the balanced antipodal prior, by nested adaptive
    QUADPACK over (t, xi1[, chi]) -- none of the Gauss rules under test is used.

    X = R a1 + sqrt(a1^2 + chi/N) t,  a1 = R + xi1/sqrt(N),  chi ~ chi^2_(d-1)  (SPEC §C.2).
    """
    big_r = prior.snr

    def integrand(t: float, xi: float, chi: float = 0.0) -> float:
        a1 = big_r + xi / math.sqrt(n)
        x = big_r * a1 + math.sqrt(a1 * a1 + chi / n) * t
        q, r = expit(alpha * x), expit(-alpha * x)
        h_k = (math.log1p(math.exp(-abs(alpha * x))) + max(-alpha * x, 0.0), -r, q * r)[order]
        # math.exp, not stats.norm.pdf: QUADPACK calls this ~1e5 times
        return x**order * h_k * math.exp(-(t * t + xi * xi) / 2) / (2 * math.pi)

    opts = {"epsabs": 1e-14, "epsrel": 1e-12, "limit": 200}
    if prior.d == 1:
        return integrate.nquad(integrand, [[-40, 40], [-40, 40]], opts=opts)[0]
    chi_pdf = stats.chi2(prior.d - 1).pdf
    return integrate.nquad(lambda t, xi, c: integrand(t, xi, c) * chi_pdf(c),
                           [[-40, 40], [-40, 40], [0, 250]], opts=opts)[0]


def _check_against_quadpack(prior: TaskPrior, n: int) -> None:
    star = alpha_star(prior, n, rtol=1e-13)
    g = _quadpack_ray_derivative(prior, n, star.alpha, 1)
    h = _quadpack_ray_derivative(prior, n, star.alpha, 2)
    # one Newton step from our alpha onto QUADPACK's root
    assert abs(g / h) <= 1e-10
    assert abs(g / h) <= star.error + 1e-12  # our error estimate covers the distance
    ours = ray_derivatives(reduced_nodes(prior, n, LADDER[-1]), star.alpha, LADDER[-1], orders=(2,))
    assert ours[0] == pytest.approx(h, rel=1e-10)


def test_reduced_ray_integral_against_quadpack_d1() -> None:
    """alpha(N) to 1e-10 against adaptive QUADPACK (SPEC §C.2; issue 2's "~1e-10" reference).

    Also cross-checked once with mpmath (dps 20, tanh-sinh): L'(alpha_quad) = -2.2e-14 there.
    """
    _check_against_quadpack(TaskPrior(d=1, kind="antipodal", snr=1.0), 16)


@pytest.mark.slow
def test_reduced_ray_integral_against_quadpack_d3() -> None:
    """As above with the chi-square axis (three nested QUADPACK levels: ~8 min)."""
    _check_against_quadpack(TaskPrior(d=3, kind="antipodal", snr=1.0), 16)


@pytest.mark.parametrize("n_trials,p", [(10**12, 0.3), (2**53, 0.5), (10**9, 1e-6)])
def test_binomial_rule_for_huge_prompts(n_trials: int, p: float) -> None:
    """The Krawtchouk recurrence gives the rule in O(n) for any N up to 2^53 (enumerating the
    support would take ~1e8 points): mean p and variance p (1 - p) / N, the latter up to the
    rounding of nodes ``p + O(N^-1/2)`` stored next to p (relative ulp(p) sqrt(N), 3e-9 at 2^53)."""
    x, w = qr.binomial_fraction(n_trials, p, N_NODES)
    var = p * (1 - p) / n_trials
    assert w.sum() == pytest.approx(1, abs=1e-14)
    assert w @ x == pytest.approx(p, rel=1e-14)
    assert w @ (x - p) ** 2 == pytest.approx(var, rel=1e-7)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 10, 50, 300])
@pytest.mark.parametrize("n", [6, 24, 32])
def test_chi_square_rule_is_the_gauss_laguerre_rule(k: int, n: int) -> None:
    """Golub-Welsch against scipy's generalised Gauss-Laguerre rule divided by Gamma(k/2), which
    it replaces (that division overflows beyond k = 342): the nodes agree to 1e-12 (measured 7e-14
    at the smallest node of n = 32) and the weights to 1e-13 absolute (measured 6e-15)."""
    y, w = roots_genlaguerre(n, k / 2 - 1)
    x, v = qr.chi_square(k, n)
    np.testing.assert_allclose(x, 2 * y, rtol=1e-12)
    np.testing.assert_allclose(v, w / math.exp(gammaln(k / 2)), rtol=0, atol=1e-13)


@pytest.mark.parametrize("k", [342, 398, 10**4, 10**6])
def test_chi_square_rule_for_many_degrees_of_freedom(k: int) -> None:
    """Where Gamma(k/2) overflows: weights summing to 1, mean k, variance 2k and third moment
    k (k + 2) (k + 4), each to 1e-12 (measured at most 2e-14)."""
    x, w = qr.chi_square(k, 24)
    assert w.sum() == pytest.approx(1, rel=1e-12)
    assert w @ x == pytest.approx(k, rel=1e-12)
    assert w @ (x - k) ** 2 == pytest.approx(2 * k, rel=1e-12)
    assert w @ x**3 == pytest.approx(k * (k + 2) * (k + 4), rel=1e-12)


@pytest.mark.parametrize("f,exact", [
    (lambda x: np.exp(-x), 1.0),
    (lambda x: x**4 * np.exp(-x), 24.0),
    (lambda x: np.exp(-x) / np.sqrt(x), math.sqrt(math.pi)),  # endpoint singularity
    (lambda x: 1 / (1 + x * x), math.pi / 2),  # algebraic decay
    (lambda x: np.exp(-(x / 0.01) ** 2 / 2), math.sqrt(math.pi / 2) * 0.01),  # scale 1e-2
    (lambda x: (x / 10) ** 4 * np.exp(-x / 10), 240.0),  # scale 10
], ids=["exp", "x4_exp", "inverse_sqrt", "cauchy", "scale_0.01", "scale_10"])
def test_exp_sinh_rule(f, exact: float) -> None:
    """Closed forms over [0, inf) at scales 1e-2 .. 10 (where callers put their integrands; at
    1e-6 or 1e3 it is only good to 1e-6 .. 1e-8): 1e-14 relative at step 1/32 (measured at most
    1.5e-15), and the step-1/16 rule within 1e-6 (measured 3e-8 at scale 10; its difference from
    the fine rule is the constants' error estimate, so it must not be smaller than the fine
    rule's error)."""
    fine, coarse = (w @ f(x) for x, w in (qr.exp_sinh(1 / 32), qr.exp_sinh(1 / 16)))
    assert fine == pytest.approx(exact, rel=1e-14)
    assert coarse == pytest.approx(exact, rel=1e-6)
    assert abs(fine - exact) <= abs(fine - coarse) + 1e-15 * exact
