"""The c-class constants (issue 13; :mod:`numerics.gaussian_mixtures.class_constants`): the
closed-form integrands against the sympy expansion they come from
(:mod:`theory.gaussian_mixtures.class_expansion`), and the constants against the finite-N
and finite-M numerics they are limits of, by Richardson extrapolation on common draws
(z-tests at alpha = 1e-3).  The two-class case against the binary quadrature is in
tests/test_constants.py, which has the independent prior's constants at hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from numerics.gaussian_mixtures.class_constants import (
    class_constants,
    draw_tasks,
    integrands,
    projections,
)
from numerics.gaussian_mixtures.minimizer import class_ray
from numerics.gaussian_mixtures.priors import MixturePrior
from numerics.gaussian_mixtures.sufficient_stats import draw_class_noise, sample_classes
from numerics.gaussian_mixtures.tv import class_tv_on_ray, class_tv_per_sample
from theory.gaussian_mixtures import class_expansion as ce

ALPHA = 1e-3
Z = stats.norm.ppf(1 - ALPHA / 2)


def _point(c: int, rng: np.random.Generator) -> tuple[np.ndarray, float, dict]:
    s = ce.symbols(c)
    m = rng.normal(size=c)
    w2 = float(m @ m / c + rng.chisquare(3))
    sub = {**dict(zip(s["p"], [sp.Rational(1, c)] * c, strict=True)),
           **dict(zip(s["m"], m, strict=True)), ce.w2: w2}
    return m, w2, sub


def test_the_closed_forms_are_the_expansion() -> None:
    """c = 3: ``E[lambda^2 coefficient]`` by sympy's differentiation equals (alpha^2/2) tr(H S),
    and ``E[(lambda coefficient of softmax_k)^2]`` equals ``c^2 pi_k^2 (e_k - pi)^T S (e_k - pi)``."""
    c = 3
    _, _, sub = _point(c, np.random.default_rng(3))
    forms = ce.trace_forms(c)
    at = {**sub, ce.alpha: sp.Rational(17, 10)}
    assert float(ce.second_order_coefficient(c).subs(at)) == pytest.approx(
        float(forms["F1_integrand"].subs(at)), rel=1e-12)
    at = {**sub, ce.alpha: c}
    for k, coefficient in enumerate(ce.first_order_tv(c)):
        second_moment = ce.expect(sp.expand(coefficient**2), c).subs(at)
        closed = (c * forms["pi"][k]) ** 2 * forms["tv_m_variance"][k]
        assert float(second_moment) == pytest.approx(float(closed.subs(at)), rel=1e-12)


def test_the_integrands_evaluate_the_closed_forms() -> None:
    """numpy's per-draw integrands against the lambdified closed forms at alpha = c: F0'' and
    F1' by sympy's differentiation in alpha, the TV terms from pi and the variances."""
    c = 4
    m, w2, sub = _point(c, np.random.default_rng(4))
    forms = ce.trace_forms(c)
    f1 = forms["F1_integrand"]
    logsumexp = sp.log(sum(sp.exp(ce.alpha * sp.Rational(1, c) * mk) for mk in ce.symbols(c)["m"]))
    at = {**sub, ce.alpha: c}
    expected = {
        "curvature": float(sp.diff(logsumexp, ce.alpha, 2).subs(at)),
        "slope": float(sp.diff(f1, ce.alpha).subs(at)),
        "tv_n": 0.5 * sum(abs(float(sp.diff(p, ce.alpha).subs(at))) for p in forms["pi"]),
        "tv_m": 0.5 * c * math.sqrt(2 / math.pi) * sum(
            float(p.subs(at)) * math.sqrt(float(v.subs(at)))
            for p, v in zip(forms["pi"], forms["tv_m_variance"], strict=True)),
    }
    got = integrands(m[None, :], np.array([w2]))
    for key, value in expected.items():
        assert got[key][0] == pytest.approx(value, rel=1e-10), key


@pytest.mark.parametrize("c", [3, 8])
def test_g1_is_the_limit_of_n_times_the_ray_gap(c: int) -> None:
    """Richardson ``2 x(2N) - x(N)``, ``x(N) = N (alpha_c(N) - alpha_c(inf))`` on the Monte Carlo
    ray (its gap covariance), N = 2048, 4096, against g1(c) at 4e5 draws."""
    prior = MixturePrior(d=3, classes=c)
    k = class_constants(prior, np.random.default_rng(10 + c), 400_000)
    grid = (2048, 4096)
    ray = class_ray(prior, draw_class_noise(np.random.default_rng(20 + c), 100_000, 3, c), grid)
    weights = np.array([-1.0, 2.0]) * grid
    se = math.hypot(math.sqrt(weights @ ray.gap_cov @ weights), k.g1.error)
    assert abs(weights @ ray.gap - k.g1.value) < Z * se


def _richardson_z(a: np.ndarray, b: np.ndarray, value: float, error: float) -> float:
    diff = 2 * b - a
    return float((diff.mean() - value) / math.hypot(diff.std(ddof=1) / math.sqrt(diff.size), error))


def test_c_n_is_the_limit_of_n_times_e_tv() -> None:
    """``N E[TV]`` at M = inf and ``alpha = c + g1/N`` (the first-order minimiser), N = 1024,
    2048 on common draws, extrapolated: C_N(c) / |g1(c)| is the slope of E[TV] in alpha."""
    c = 4
    prior = MixturePrior(d=3, classes=c)
    k = class_constants(prior, np.random.default_rng(5), 400_000)
    noise = draw_class_noise(np.random.default_rng(6), 200_000, 3, c)
    tv = class_tv_on_ray(prior, sample_classes(prior, noise, math.inf, test=True))
    a, b = (n * tv(c + k.g1.value / n) for n in (1024, 2048))
    # g1 is common to both sides: the constant's error is that of E[(1/2) sum |pi'|] only
    slope = integrands(*projections(prior.snr, *draw_tasks(prior, np.random.default_rng(9), 400_000)))["tv_n"]
    error = abs(k.g1.value) * slope.std(ddof=1) / math.sqrt(slope.size)
    assert abs(_richardson_z(a, b, abs(k.g1.value) * slope.mean(), error)) < Z


def test_c_m_is_the_limit_of_sqrt_m_times_e_tv() -> None:
    c = 4
    prior = MixturePrior(d=3, classes=c)
    k = class_constants(prior, np.random.default_rng(7), 400_000)
    noise = draw_class_noise(np.random.default_rng(8), 200_000, 3, c)
    a, b = (math.sqrt(m) * class_tv_per_sample(prior, noise, m, c * prior.precision)
            for m in (40_000, 160_000))
    assert abs(_richardson_z(a, b, k.tv_m.value, k.tv_m.error)) < Z


def test_constants_refuse_a_law_off_the_paper() -> None:
    with pytest.raises(ValueError, match="prior"):
        class_constants(MixturePrior(d=3, classes=4, class_prior=(0.4, 0.3, 0.2, 0.1)),
                        np.random.default_rng(0), 100)


def test_projections_equal_the_explicit_means() -> None:
    """``m_k = R (g_k . w) / |g_k|`` against ``mu_k^T w`` with the (B, c, d) means of the
    whitened prior (:meth:`MixturePrior.means`), formed explicitly."""
    prior = MixturePrior(d=4, classes=5, snr=1.7)
    g, y, z = draw_tasks(prior, np.random.default_rng(3), 500)
    mu = prior.with_(cov=None, test_cov=None).means(g)
    w = mu[np.arange(500), y] + z
    m, w2 = projections(prior.snr, g, y, z)
    np.testing.assert_allclose(m, np.einsum("bkd,bd->bk", mu, w), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w2, np.einsum("bd,bd->b", w, w), rtol=1e-12)
