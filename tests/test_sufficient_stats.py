"""SPEC §C.1: the O(d) sufficient-statistic sampler against explicit prompts (§A.2)."""

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from numerics.gaussian_mixtures import sufficient_stats
from numerics.gaussian_mixtures.attention import attention_output, build_class_prompts, build_prompts
from numerics.gaussian_mixtures.priors import MixturePrior, TaskPrior, toeplitz_cov
from numerics.gaussian_mixtures.sufficient_stats import (
    binomial_count,
    draw_class_noise,
    draw_noise,
    sample,
    sample_classes,
    sobol_class_noise,
)

#: family-wise significance level of each distributional comparison
ALPHA = 1e-3


def _statistics(s, v: np.ndarray) -> dict[str, np.ndarray]:
    """1-D summaries whose joint law pins down that of (a, x_q, y_q)."""
    out = {f"a.v{i}": s.a @ vi for i, vi in enumerate(v)}
    out |= {f"x_q.v{i}": s.x_q @ vi for i, vi in enumerate(v)}
    out["|a|^2"] = np.einsum("bi,bi->b", s.a, s.a)
    out["a.x_q"] = np.einsum("bi,bi->b", s.a, s.x_q)
    out["y_q a.x_q"] = s.y_q * out["a.x_q"]
    return out


@pytest.mark.parametrize("kind,p_plus,scale", [("antipodal", 0.5, 1.0), ("independent", 0.7, 0.5)])
def test_same_distribution_as_explicit_prompts(kind: str, p_plus: float, scale: float,
                                               rng: np.random.Generator) -> None:
    """Two-sample KS tests on 9 projections, Bonferroni at family-wise level ALPHA."""
    prior = TaskPrior(d=3, kind=kind, cov=toeplitz_cov(3), p_plus=p_plus, minus_scale=scale)
    n, size = 12, 4000
    _, explicit = build_prompts(prior, rng, size, n)
    reduced = sample(prior, draw_noise(rng, size, 3), n)
    v = rng.standard_normal((3, 3))
    a, b = _statistics(explicit, v), _statistics(reduced, v)
    p_values = {k: stats.ks_2samp(a[k], b[k]).pvalue for k in a}
    # labels: a two-sample test of the proportion of y_q = +1
    table = [[np.sum(explicit.y_q > 0), np.sum(explicit.y_q < 0)],
             [np.sum(reduced.y_q > 0), np.sum(reduced.y_q < 0)]]
    p_values["y_q"] = stats.chi2_contingency(table).pvalue
    assert min(p_values.values()) > ALPHA / len(p_values), p_values


def test_detects_a_wrong_reduction(rng: np.random.Generator) -> None:
    """Power check: the same test rejects a sampler with the noise scaled as 1/N."""
    prior = TaskPrior(d=3, cov=toeplitz_cov(3))
    n, size = 12, 4000
    _, explicit = build_prompts(prior, rng, size, n)
    noise = draw_noise(rng, size, 3)
    right = sample(prior, noise, n)
    wrong = replace(right, a=right.a + noise.xi @ prior.cov_sqrt * (1 / n - 1 / np.sqrt(n)))
    v = rng.standard_normal((3, 3))
    a, b = _statistics(explicit, v), _statistics(wrong, v)
    p_min = min(stats.ks_2samp(a[k], b[k]).pvalue for k in a)
    assert p_min < ALPHA / len(a)


def test_attention_as_written_equals_reduced_output(rng: np.random.Generator) -> None:
    prior = TaskPrior(d=4, kind="independent", cov=toeplitz_cov(4), p_plus=0.6)
    z, s = build_prompts(prior, rng, 64, 9)
    w = rng.standard_normal((4, 4))
    np.testing.assert_allclose(attention_output(z, w)[:, 0],
                               np.einsum("bi,ij,bj->b", s.a, w, s.x_q), rtol=1e-12, atol=1e-12)


def test_class_attention_as_written_equals_reduced_output(rng: np.random.Generator) -> None:
    """c = 5 label rows: the query column's label rows of f(Z) are ``A W x_q``."""
    prior = MixturePrior(d=3, classes=5, cov=toeplitz_cov(3))
    z, s = build_class_prompts(prior, rng, 64, 11)
    w = rng.standard_normal((3, 3))
    np.testing.assert_allclose(attention_output(z, w), np.einsum("bki,ij,bj->bk", s.a, w, s.x_q),
                               rtol=1e-12, atol=1e-12)


def _class_statistics(s, v: np.ndarray) -> dict[str, np.ndarray]:
    """1-D summaries of (A, x_q, k_q): projections of every row of A and of x_q, the norms
    of the rows, and the query's own-class and other-class scores."""
    rows = s.a.shape[1]
    out = {f"A{k}.v{i}": s.a[:, k] @ vi for k in range(rows) for i, vi in enumerate(v)}
    out |= {f"|A{k}|^2": np.einsum("bi,bi->b", s.a[:, k], s.a[:, k]) for k in range(rows)}
    out |= {f"x_q.v{i}": s.x_q @ vi for i, vi in enumerate(v)}
    scores = np.einsum("bki,bi->bk", s.a, s.x_q)
    own = scores[np.arange(scores.shape[0]), s.k_q]
    out["A_own.x_q"] = own
    out["sum A.x_q - own"] = scores.sum(axis=1) - own
    return out


def _class_sampler_p_values(explicit, reduced, v: np.ndarray) -> dict[str, float]:
    a, b = _class_statistics(explicit, v), _class_statistics(reduced, v)
    p_values = {k: stats.ks_2samp(a[k], b[k]).pvalue for k in a}
    c = explicit.a.shape[1]
    table = [np.bincount(explicit.k_q, minlength=c), np.bincount(reduced.k_q, minlength=c)]
    p_values["k_q"] = stats.chi2_contingency(table).pvalue
    return p_values


@pytest.mark.parametrize("prior", [
    MixturePrior(d=2, classes=3, cov=toeplitz_cov(2)),
    MixturePrior(d=2, classes=4, norm_scales=(1, 0.5, 1, 2), class_prior=(0.4, 0.3, 0.2, 0.1)),
], ids=["balanced", "unbalanced"])
def test_class_sampler_same_distribution_as_explicit_prompts(prior: MixturePrior,
                                                             rng: np.random.Generator) -> None:
    """SPEC §C.1 for c classes: KS tests on the summaries above and a chi-square test of the
    query class, Bonferroni at family-wise level ALPHA."""
    n, size = 7, 4000
    _, explicit = build_class_prompts(prior, rng, size, n)
    reduced = sample_classes(prior, draw_class_noise(rng, size, prior.d, prior.classes), n)
    p_values = _class_sampler_p_values(explicit, reduced, rng.standard_normal((2, prior.d)))
    assert min(p_values.values()) > ALPHA / len(p_values), p_values


def test_class_sampler_test_detects_a_wrong_reduction(rng: np.random.Generator) -> None:
    """Power check: a sampler without the multinomial count fluctuations is rejected."""
    prior = MixturePrior(d=2, classes=3, class_prior=(0.6, 0.3, 0.1))
    n, size = 7, 4000
    _, explicit = build_class_prompts(prior, rng, size, n)
    noise = draw_class_noise(rng, size, 2, 3)
    right = sample_classes(prior, noise, n)
    # counts frozen at their mean n p_k and one noise scale for every row
    wrong = replace(right, a=prior.class_prior[:, None] * right.means
                    + (noise.xi @ prior.cov_sqrt) / np.sqrt(3 * n))
    p_values = _class_sampler_p_values(explicit, wrong, rng.standard_normal((2, 2)))
    assert min(p_values.values()) < ALPHA / len(p_values)


@pytest.mark.parametrize("n,p", [(1, 0.5), (7, 0.3), (1000, 0.7), (10**6, 0.5)])
def test_binomial_inversion_is_exact(n: int, p: float, rng: np.random.Generator) -> None:
    u = rng.random(20000)
    np.testing.assert_array_equal(binomial_count(u, n, p), stats.binom.ppf(u, n, p))


@pytest.mark.parametrize("n,p", [(10**8, 0.3), (10**10, 0.01)])
def test_binomial_beyond_the_table(n: int, p: float, rng: np.random.Generator, monkeypatch) -> None:
    """Where the CDF table would be too large (sd > ~5000), the Cornish-Fisher quantile: off by
    at most one count, for at most 1e-5 of the draws (reference: the exact table, built anyway)."""
    u = rng.random(200_000)
    approximate = binomial_count(u, n, p)
    monkeypatch.setattr(sufficient_stats, "_CDF_TABLE", 10**9)
    exact = binomial_count(u, n, p)
    assert np.abs(approximate - exact).max() <= 1
    assert np.count_nonzero(approximate != exact) <= 2


def test_population_limit() -> None:
    prior = TaskPrior(d=2, p_plus=0.7)
    noise = draw_noise(np.random.default_rng(0), 10, 2)
    s = sample(prior, noise, np.inf)
    np.testing.assert_allclose(s.a, 0.7 * s.mu_plus - 0.3 * s.mu_minus)


def test_sobol_counts_are_multinomial(rng: np.random.Generator) -> None:
    """The quasi-Monte Carlo noise's counts (conditional binomial inversion) sum to n and have
    the multinomial's means (Hotelling's T^2 on c - 1 coordinates, with the multinomial
    covariance) and variances n p (1 - p) (z-tests at alpha = 1e-3; 2^14 points of one
    scrambling, which are marginally uniform; i.i.d. reference laws, conservative for
    quasi-random points)."""
    p, n = np.array([0.4, 0.3, 0.2, 0.1]), 50
    counts = sufficient_stats.class_counts(sobol_class_noise(rng, 2**14, 2, 4), n, p)
    assert np.all(counts.sum(axis=1) == n) and np.all(counts >= 0)
    resid = (counts - n * p)[:, :-1]
    cov = n * (np.diag(p) - np.outer(p, p))[:-1, :-1]
    t2 = counts.shape[0] * resid.mean(axis=0) @ np.linalg.solve(cov, resid.mean(axis=0))
    assert stats.chi2.sf(t2, 3) > 1e-3
    var = counts.var(axis=0, ddof=1)
    # Var(s^2) ~ 2 sigma^4 / B for near-normal counts
    z = (var - n * p * (1 - p)) / (n * p * (1 - p) * np.sqrt(2 / counts.shape[0]))
    assert np.all(np.abs(z) < stats.norm.ppf(1 - 1e-3 / 8))
