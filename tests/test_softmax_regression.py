"""Paper B's numerics (SPEC §B.2) against the explicit computation and against each other:
the explicit model (full prompts, attention as written) against the reduced per-query loss;
the symmetry families against full enumeration; GD on the full block from 0 staying in the
families; the gradient and Hessian against finite differences and the sympy derivation; the
floor against numerical minimisation; Monte Carlo against the exact loss (a z-test at
alpha = 1e-3, fixed seeds)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from numerics import curvature
from numerics.softmax_regression import explicit, floor, gd, models, reduced, tokens
from numerics.softmax_regression.counts import enumerate_counts
from numerics.softmax_regression.symmetric import BalancedFamily, ImbalancedFamily
from theory.softmax_regression.error import logit_derivatives, per_query_error
from theory.softmax_regression.floor import balanced_floor

ALPHA = 1e-3


def _counts(prompts: explicit.Prompts, K: int) -> np.ndarray:
    return np.stack([(prompts.tokens == j).sum(axis=1) for j in range(K)], axis=1).astype(float)


def test_per_query_error_is_derived_from_the_square() -> None:
    expr, pi = per_query_error(3, 1)
    assert expr.expand() == ((1 - pi[1]) ** 2 + pi[0] ** 2 + pi[2] ** 2).expand()


@pytest.mark.parametrize("K,N,d", [(3, 5, 5), (4, 7, 6)])
def test_explicit_model_equals_the_reduced_one_prompt_by_prompt(rng, K, N, d) -> None:
    """Per prompt, E_w of the explicit squared error is the reduced l_k(n) at z = V^T Q V[:, k],
    and so is its gradient in Q (mapped through the features), to rounding."""
    v = tokens.orthonormal_features(K, d, rng)
    q = rng.standard_normal((d, d))
    prompts = explicit.sample_prompts(v, np.full(K, 1 / K), N, 200, rng)
    loss, grad = explicit.task_averaged(q, prompts)
    block = v.T @ q @ v
    counts = _counts(prompts, K)
    for b in range(len(loss)):
        k = prompts.query_feature[b]
        pi = reduced.attention(counts[b], block[:, k])
        assert loss[b] == pytest.approx(reduced.query_loss(pi, k), rel=1e-12, abs=1e-14)
        mapped = np.outer(v @ reduced.query_gradient(pi, k), v[:, k])
        np.testing.assert_allclose(grad[b], mapped, atol=1e-12)


def test_explicit_sampled_loss_matches_the_exact_population_loss(rng) -> None:
    """Prompts, tasks and queries drawn as written: the mean squared error against the exact
    L(V^T Q V) by enumeration, a z-test at alpha = 1e-3."""
    K, N, d = 3, 6, 4
    v = tokens.orthonormal_features(K, d, rng)
    law = tokens.TokenLaw((0.5, 0.3, 0.2))
    q = 0.8 * rng.standard_normal((d, d))
    prompts = explicit.sample_prompts(v, law.probabilities, N, 200_000, rng)
    errors = explicit.squared_errors(q, prompts)
    exact = models.enumerated(law, N).evaluate(v.T @ q @ v).loss
    z = (errors.mean() - exact) / (errors.std(ddof=1) / np.sqrt(errors.size))
    assert abs(z) < stats.norm.ppf(1 - ALPHA / 2), (errors.mean(), exact)


@pytest.mark.parametrize("params", [np.array([0.0, 0.0]), np.array([0.9, -0.3]), np.array([6.0, 1.0])])
@pytest.mark.parametrize("K,N", [(2, 9), (3, 7), (5, 6)])
def test_balanced_family_equals_enumeration(K, N, params) -> None:
    family = BalancedFamily(K, N)
    point = family.evaluate(params)
    full = models.enumerated(tokens.balanced(K), N).evaluate(family.matrix(params))
    assert point.loss == pytest.approx(full.loss, rel=1e-12)
    np.testing.assert_allclose(point.attention, full.attention, rtol=1e-12)
    off = ~np.eye(K, dtype=bool)
    np.testing.assert_allclose(np.diag(full.orbit_gradient), point.orbit_gradient[0], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(full.orbit_gradient[off], point.orbit_gradient[1], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(point.rival, full.rival, rtol=1e-10)
    assert point.dropped <= 1e-15


@pytest.mark.parametrize("K,N,p1", [(3, 8, 0.5), (4, 10, 0.6), (5, 6, 0.4)])
def test_imbalanced_family_equals_enumeration(rng, K, N, p1) -> None:
    family = ImbalancedFamily(K, N, p1)
    law = tokens.imbalanced(K, p1)
    enum = models.enumerated(law, N)
    for params in (np.zeros(5), rng.normal(0, 1.5, 5)):
        point = family.evaluate(params)
        full = enum.evaluate(family.matrix(params))
        assert point.loss == pytest.approx(full.loss, rel=1e-12)
        np.testing.assert_allclose(point.feature_loss, full.feature_loss, rtol=1e-11)
        np.testing.assert_allclose(point.attention, full.attention, rtol=1e-11)
        np.testing.assert_allclose(family.matrix(point.orbit_gradient), full.orbit_gradient,
                                   rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(point.rival, full.rival, rtol=1e-10)


@pytest.mark.parametrize("law,family", [
    (tokens.balanced(4), BalancedFamily(4, 9)),
    (tokens.imbalanced(4, 0.5), ImbalancedFamily(4, 9, 0.5)),
], ids=["balanced", "imbalanced"])
def test_gd_on_the_full_block_from_zero_stays_in_the_family(law, family) -> None:
    """60 steps of GD on all K^2 entries (enumeration) from Q = 0 equal the family's GD."""
    full = gd.descend(models.enumerated(law, 9), 2.0, 60)
    reduced_ = gd.descend(family, 2.0, 60)
    np.testing.assert_allclose(full.params, family.matrix(reduced_.params), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(full.loss, reduced_.loss, rtol=1e-11)


@pytest.mark.parametrize("K,N,every", [(2, 7, 1), (3, 8, 7), (5, 6, 1)])
def test_the_balanced_descent_on_delta_is_the_full_block_descent(K: int, N: int, every: int) -> None:
    """:meth:`BalancedFamily.path` (GD on delta = A - B alone) against GD on all K^2 entries
    (enumeration, an independent computation): every field of the trajectory at the recorded
    steps, and the parameters at the last; and the first step below a level
    (:meth:`BalancedFamily.first_time`) against the full block's, step by step."""
    family = BalancedFamily(K, N)
    full_model = models.enumerated(tokens.balanced(K), N)
    fast, full = gd.descend(family, 2.0, 60, every), gd.descend(full_model, 2.0, 60, every)
    np.testing.assert_array_equal(fast.t, full.t)
    for field in ("loss", "feature_loss", "attention", "rival"):
        np.testing.assert_allclose(getattr(fast, field), getattr(full, field), rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(fast.rising, full.rising)
    np.testing.assert_allclose(full.params, family.matrix(fast.params), rtol=1e-10, atol=1e-13)
    level = float(np.quantile(full.loss, 0.3))  # reached within the 60 steps
    fast_t, _ = gd.first_time_below(family, 2.0, lambda loss: loss <= level, 60)
    full_t, _ = gd.first_time_below(full_model, 2.0, lambda loss: loss <= level, 60)
    assert fast_t == full_t > 0
    assert gd.first_time_below(family, 2.0, lambda loss: loss < 0, 60)[0] == -1


def test_gradient_and_hessian_match_finite_differences(rng) -> None:
    law = tokens.TokenLaw((0.4, 0.35, 0.25))
    model = models.enumerated(law, 7)
    q = rng.normal(0, 1, (3, 3))
    h = 1e-6
    grad = model.evaluate(q).orbit_gradient
    hess = model.hessian(q)
    for j in range(3):
        for k in range(3):
            e = np.zeros((3, 3))
            e[j, k] = h
            fd = (model.evaluate(q + e).loss - model.evaluate(q - e).loss) / (2 * h)
            assert grad[j, k] == pytest.approx(fd, abs=1e-8)
            fd_grad = (model.evaluate(q + e).orbit_gradient - model.evaluate(q - e).orbit_gradient) / (2 * h)
            np.testing.assert_allclose(hess[:, k * 3 + j], fd_grad.ravel(order="F"), atol=1e-7)


def test_closed_forms_match_the_sympy_derivatives(rng) -> None:
    K = 3
    for k in range(K):
        loss, grad, hess = logit_derivatives(K, k)
        for _ in range(5):
            n = rng.integers(0, 5, K).astype(float) + np.eye(K)[rng.integers(K)]
            z = rng.normal(0, 2, K)
            pi = reduced.attention(n, z)
            assert reduced.query_loss(pi, k) == pytest.approx(loss(*n, *z), rel=1e-12)
            np.testing.assert_allclose(reduced.query_gradient(pi, k), grad(*n, *z), atol=1e-13)
            np.testing.assert_allclose(reduced.query_hessian(pi, k), np.array(hess(*n, *z), dtype=float),
                                       atol=1e-12)


@pytest.mark.parametrize("K,N", [(3, 5), (4, 6), (2, 9)])
def test_balanced_floor_is_the_numerical_infimum(rng, K, N) -> None:
    """Equal logits against the best of BFGS from equal and from 8 random logits."""
    closed = floor.balanced(K, N).total
    assert closed == pytest.approx(floor.enumerated(tokens.balanced(K), N, rng).total, rel=1e-9)
    assert closed == pytest.approx(float(balanced_floor()[1](float(K), float(N))), rel=1e-15)


def test_imbalanced_floor_is_the_numerical_infimum(rng) -> None:
    law = tokens.imbalanced(4, 0.55)
    got = floor.imbalanced(4, 9, 0.55)
    want = floor.enumerated(law, 9, rng)
    np.testing.assert_allclose(got.feature, want.feature, rtol=1e-7)


def test_floor_is_approached_not_attained() -> None:
    """Along the minimiser's off-diagonal, L decreases to the floor as the diagonal grows and
    stays above it."""
    family = BalancedFamily(3, 5)
    fl = floor.balanced(3, 5).total
    gaps = [family.evaluate(np.array([a, 0.0])).loss - fl for a in (2.0, 6.0, 12.0, 24.0)]
    assert all(g > 0 for g in gaps) and all(b < a for a, b in itertools.pairwise(gaps))
    assert gaps[-1] < 1e-9


@pytest.mark.parametrize("family", [BalancedFamily(256, 10_000), ImbalancedFamily(256, 10_000, 0.5)],
                         ids=["balanced", "imbalanced"])
def test_truncated_count_sums_drop_at_most_1e15(family) -> None:
    point = family.evaluate(family.start)
    assert 0 < point.dropped <= 1e-15


def test_monte_carlo_with_common_random_numbers_is_unbiased(rng) -> None:
    law = tokens.TokenLaw((0.5, 0.2, 0.2, 0.1))
    q = rng.normal(0, 1, (4, 4))
    exact = models.enumerated(law, 8).population(q)
    mc = models.monte_carlo(law, 8, 50_000, rng).population(q)
    z = (mc.loss - exact.loss) / mc.loss_stderr
    assert abs(z) < stats.norm.ppf(1 - ALPHA / 2)
    zf = (mc.feature_loss - exact.feature_loss) / mc.feature_stderr
    assert np.all(np.abs(zf) < stats.norm.ppf(1 - ALPHA / (2 * 4)))


def test_linear_attention_floor_is_of_order_K_over_N() -> None:
    for K, N in [(4, 32), (16, 128), (64, 512)]:
        model = models.LinearBalanced(K, N)
        assert model.floor() == pytest.approx(0.5 * (1 - 1 / K) / (1 - 1 / K + N / K), rel=1e-12)
        end = gd.descend(model, float(K) ** 3, 2000).loss[-1]  # curvature in A ~ 1/K^3
        assert model.floor() * (1 - 1e-12) <= end < model.floor() * 1.001


def test_enumerated_counts_are_the_multinomial() -> None:
    counts, pmf = enumerate_counts(6, np.array([0.5, 0.3, 0.2]))
    assert counts.shape == (28, 3) and np.all(counts.sum(axis=1) == 6)
    assert pmf.sum() == pytest.approx(1, abs=1e-14)


def test_softmax_loss_has_a_negative_hessian_eigenvalue(rng) -> None:
    """SPEC §B.3 / §A.6: at K = 3, N = 12 the smallest Hessian eigenvalue is about -0.05 once
    ||Q|| >= 1: the shared curvature search finds it on the sphere of radius 2 (a random search
    of 300 points found -0.045 there, -0.036 at radius 1)."""
    model = models.enumerated(tokens.balanced(3), 12)
    found = curvature.search_extreme_eigenvalue(
        model.hessian, curvature.finite_difference_eigen_gradient(model.hessian), np.zeros((3, 3)),
        2.0, rng, steps=20)
    assert -0.1 < found.value < -0.04
    assert found.value == pytest.approx(np.linalg.eigvalsh(model.hessian(found.w))[0], abs=1e-12)


def test_population_matrix_form_equals_the_per_query_sums(rng) -> None:
    """reduced.population (all queries at once, matrix products) against the per-query
    closed forms summed count vector by count vector."""
    law = tokens.TokenLaw((0.3, 0.3, 0.25, 0.15))
    counts, pmf = enumerate_counts(7, law.probabilities)
    q = rng.normal(0, 2, (4, 4))
    pop = reduced.population(q, law.probabilities, counts, pmf)
    for k in range(4):
        pi = reduced.attention(counts, q[:, k])
        assert pop.feature_loss[k] == pytest.approx(pmf @ reduced.query_loss(pi, k), rel=1e-12)
        np.testing.assert_allclose(pop.gradient[:, k], law.p[k] * (pmf @ reduced.query_gradient(pi, k)),
                                   rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(pop.attention_matrix[:, k], pmf @ pi, rtol=1e-12)


def test_far_apart_logits_take_the_log_space_route() -> None:
    """A prompt whose only features have underflowing weights (logits 2000 apart): the matrix
    form would divide by 0; the log-space route gives the finite answer the per-query
    closed forms give."""
    law = tokens.TokenLaw((0.4, 0.3, 0.2, 0.1))
    counts, pmf = enumerate_counts(5, law.probabilities)
    q = np.zeros((4, 4))
    q[0, 1], q[1, 1] = 1000.0, -1000.0
    pop = reduced.population(q, law.probabilities, counts, pmf)
    assert np.isfinite(pop.loss) and np.all(np.isfinite(pop.gradient))
    pi = reduced.attention(counts, q[:, 1])
    assert pop.feature_loss[1] == pytest.approx(pmf @ reduced.query_loss(pi, 1), rel=1e-12)
