"""SPEC §C.1: the O(d) sufficient-statistic sampler against explicit prompts (§A.2)."""

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from numerics.attention import attention_output, build_prompts
from numerics.priors import TaskPrior, toeplitz_cov
from numerics.sufficient_stats import binomial_count, draw_noise, sample

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
    np.testing.assert_allclose(attention_output(z, w),
                               np.einsum("bi,ij,bj->b", s.a, w, s.x_q), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,p", [(1, 0.5), (7, 0.3), (1000, 0.7), (10**6, 0.5)])
def test_binomial_inversion_is_exact(n: int, p: float, rng: np.random.Generator) -> None:
    u = rng.random(20000)
    np.testing.assert_array_equal(binomial_count(u, n, p), stats.binom.ppf(u, n, p))


def test_population_limit() -> None:
    prior = TaskPrior(d=2, p_plus=0.7)
    noise = draw_noise(np.random.default_rng(0), 10, 2)
    s = sample(prior, noise, np.inf)
    np.testing.assert_allclose(s.a, 0.7 * s.mu_plus - 0.3 * s.mu_minus)
