"""c classes: the softmax cross-entropy estimators against theory.gaussian_mixtures.cross_entropy, finite
differences and -- for c = 2 -- the binary suite (SPEC §A.3)."""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, softmax

from numerics.gaussian_mixtures import estimators
from numerics.gaussian_mixtures.minimizer import (
    RayProjections,
    class_ray,
    full_minimizer,
    population_minimizer,
)
from numerics.gaussian_mixtures.priors import MixturePrior, TaskPrior, toeplitz_cov
from numerics.gaussian_mixtures.reduced_loss import alpha_star
from numerics.gaussian_mixtures.sufficient_stats import (
    ClassSample,
    PromptSample,
    class_counts,
    draw_class_noise,
    sample_class_pair,
    sample_classes,
)
from numerics.gaussian_mixtures.tv import class_tv, class_tv_in_m, class_tv_on_ray, class_tv_per_sample
from tests.finite_differences import assert_matches_finite_differences
from theory.gaussian_mixtures import cross_entropy
from theory.gaussian_mixtures.bayes import log_odds

ALPHA = 1e-3  # significance level of each statistical comparison


@pytest.mark.parametrize("c,d,k", [(2, 1, 0), (2, 1, 1), (3, 1, 2)])
def test_closed_forms_are_derived(c: int, d: int, k: int) -> None:
    assert cross_entropy.check_structure(c, d, k)


def test_two_class_cross_entropy_is_the_logistic_loss() -> None:
    assert cross_entropy.binary_is_two_class()


def _class_sample(rng: np.random.Generator, size: int, c: int, d: int, n: float = 10) -> ClassSample:
    prior = MixturePrior(d=d, classes=c, cov=toeplitz_cov(d))
    return sample_classes(prior, draw_class_noise(rng, size, d, c), n)


def _one(s: ClassSample, b: int) -> ClassSample:
    return ClassSample(s.means[b:b + 1], s.a[b:b + 1], s.x_q[b:b + 1], s.k_q[b:b + 1])


def test_estimators_equal_symbolic_per_sample(rng: np.random.Generator) -> None:
    c, d = 3, 2
    s = _class_sample(rng, 6, c, d)
    w = rng.standard_normal((d, d))
    g_sym, h_sym = cross_entropy.lambdified(c, d)
    for b in range(6):
        _, grad, hess = estimators.loss_grad_hess(_one(s, b), w)
        np.testing.assert_allclose(grad, g_sym(w, s.a[b], s.x_q[b], s.k_q[b]), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(hess, h_sym(w, s.a[b], s.x_q[b], s.k_q[b]), rtol=1e-9, atol=1e-12)


def test_gradient_and_hessian_match_finite_differences(rng: np.random.Generator) -> None:
    d = 2
    s = _class_sample(rng, 2000, 4, d)
    w = rng.standard_normal((d, d))
    assert_matches_finite_differences(s, w)


def test_two_classes_equal_the_binary_estimators(rng: np.random.Generator) -> None:
    """On the same draws, c = 2 with rows (A_1, A_2) is binary with a = A_1 - A_2, y = +-1."""
    d = 3
    s = _class_sample(rng, 500, 2, d)
    binary = PromptSample(mu_plus=s.means[:, 0], mu_minus=s.means[:, 1], a=s.a[:, 0] - s.a[:, 1],
                          x_q=s.x_q, y_q=np.where(s.k_q == 0, 1.0, -1.0))
    w = rng.standard_normal((d, d))
    for ours, ref in zip(estimators.loss_grad_hess(s, w), estimators.loss_grad_hess(binary, w), strict=True):
        np.testing.assert_allclose(ours, ref, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(estimators.gradient(s, w).stderr, estimators.gradient(binary, w).stderr,
                               rtol=1e-9)
    # the curvature pieces A1 and A2 use: Hessian standard errors, Rayleigh terms, eigen-gradient
    q = rng.standard_normal(d * d)
    q /= np.linalg.norm(q)
    ours, ref = (estimators.hessian(x, w) for x in (s, binary))
    np.testing.assert_allclose(ours.stderr, ref.stderr, rtol=1e-9, atol=1e-13)
    for name in ("rayleigh_terms", "eigen_gradient"):
        ours, ref = (getattr(estimators, name)(x, w, q) for x in (s, binary))
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-13, err_msg=name)


def test_class_curvature_pieces(rng: np.random.Generator) -> None:
    """c = 4: the Rayleigh terms average to q^T H q, the Hessian's standard errors are those of
    the explicit per-sample Hessians, and d lambda_min / dW matches central differences."""
    d, c = 2, 4
    s = _class_sample(rng, 1500, c, d)
    w = rng.standard_normal((d, d))
    h = estimators.hessian(s, w)
    vals, vecs = np.linalg.eigh(h.value)
    q = vecs[:, 0]
    assert estimators.rayleigh_terms(s, w, q).mean() == pytest.approx(vals[0], rel=1e-10)
    explicit = np.stack([estimators.hessian(estimators.take(s, [b]), w, with_stderr=False).value
                         for b in range(300)])
    sub = estimators.hessian(estimators.take(s, np.arange(300)), w)
    np.testing.assert_allclose(sub.stderr, explicit.std(axis=0, ddof=1) / np.sqrt(300), rtol=1e-8, atol=1e-14)
    eps, fd = 1e-6, np.zeros(d * d)
    for p in range(d * d):
        e = np.zeros(d * d)
        e[p] = eps
        lam = [np.linalg.eigvalsh(estimators.hessian(s, w + sign * e.reshape(d, d),
                                                     with_stderr=False).value)[0] for sign in (1, -1)]
        fd[p] = (lam[0] - lam[1]) / (2 * eps)
    np.testing.assert_allclose(estimators.eigen_gradient(s, w, q).ravel(), fd, atol=1e-7)


def test_two_class_minimizer_agrees_with_binary_quadrature(rng: np.random.Generator) -> None:
    """W* of the c = 2 Monte Carlo route vs the binary quadrature alpha(N) Lambda^-1 of the
    ``independent`` prior (the same law): chi-square test with the sandwich covariance."""
    d, n = 2, 16
    prior = MixturePrior(d=d, classes=2, cov=toeplitz_cov(d))
    full = full_minimizer(sample_classes(prior, draw_class_noise(rng, 200_000, d, 2), n))
    ref = alpha_star(TaskPrior(d=d, kind="independent", cov=toeplitz_cov(d)), n).w(prior)
    delta = (full.w - ref).ravel()
    assert stats.chi2.sf(float(delta @ np.linalg.solve(full.cov, delta)), d * d) > ALPHA
    wrong = (full.w - 1.05 * ref).ravel()  # power: a 5% error in alpha is rejected
    assert stats.chi2.sf(float(wrong @ np.linalg.solve(full.cov, wrong)), d * d) < ALPHA


def test_symmetry_reduction_matches_the_full_matrix_minimizer(rng: np.random.Generator) -> None:
    """c = 5: Newton in all d^2 coordinates on explicit sufficient statistics against the ray
    W* = alpha_c(N) Lambda^-1 on independent draws: chi-square
    with the sum of both covariances; a 5% error in alpha is rejected."""
    d, c, n = 2, 5, 24
    prior = MixturePrior(d=d, classes=c, cov=toeplitz_cov(d))
    full = full_minimizer(sample_classes(prior, draw_class_noise(rng, 200_000, d, c), n))
    ray = population_minimizer(prior, n, rng, 200_000)
    cov = full.cov + ray.covariance()
    for scale, reject in ((1.0, False), (1.05, True)):
        delta = (full.w - scale * ray.w).ravel()
        p_value = stats.chi2.sf(float(delta @ np.linalg.solve(cov, delta)), d * d)
        assert bool(p_value < ALPHA) is reject, (scale, p_value)


def test_ray_posterior_is_the_law_of_the_query_class(rng: np.random.Generator) -> None:
    """The Rao-Blackwellised ray score (numerics.gaussian_mixtures.minimizer._ray_score) replaces
    the query's one-hot label by ``P(k | x_q, task)``; that is unbiased only if P is the label's
    conditional law: ``E[e_k - P] = 0``, tested by Hotelling's T^2 on c - 1 coordinates at
    alpha = 1e-3, on a law whose posterior is far from uniform (unequal norms, skewed prior)."""
    d, c = 3, 4
    prior = MixturePrior(d=d, classes=c, snr=2.0, norm_scales=(1, 1, 0.5, 1.5),
                         class_prior=(0.4, 0.3, 0.2, 0.1))
    noise = draw_class_noise(rng, 20_000, d, c)
    proj = RayProjections.of(prior, noise)
    k_q = sample_class_pair(prior, noise, 10)[0].k_q

    def p_value(posterior: np.ndarray) -> float:
        resid = (np.eye(c)[k_q] - posterior)[:, :-1]
        mean, cov = resid.mean(axis=0), np.cov(resid, rowvar=False) / resid.shape[0]
        return float(stats.chi2.sf(mean @ np.linalg.solve(cov, mean), c - 1))

    assert p_value(proj.posterior) > ALPHA
    # the test has power: softmax(m), which ignores the norms and the class prior, is rejected
    assert p_value(softmax(proj.m, axis=1)) < ALPHA


def test_ray_projections_reproduce_the_explicit_logits(rng: np.random.Generator) -> None:
    """The O(Bc) logits of RayProjections equal A_k^T Lambda^-1 x_q formed from the prompt
    statistics of sample_class_pair (both twins), and its count term is the exact first
    derivative in the counts: the remainder shrinks like t^2 as the counts move by t delta."""
    d, c, n = 3, 5, 40
    prior = MixturePrior(d=d, classes=c, cov=toeplitz_cov(d))
    noise = draw_class_noise(rng, 200, d, c)
    proj = RayProjections.of(prior, noise)
    counts = class_counts(noise, n, prior.class_prior)
    for sign, s in zip((1.0, -1.0), sample_class_pair(prior, noise, n), strict=True):
        explicit = np.einsum("bki,ij,bj->bk", s.a, prior.precision, s.x_q)
        np.testing.assert_allclose(proj.logits(counts, n, sign), explicit, rtol=1e-12, atol=1e-12)
        n_bar = n * prior.class_prior
        delta = counts - n_bar
        rest = [np.abs(proj.logits(n_bar + t * delta, n, sign) - proj.logits(n_bar, n, sign)
                       - proj.count_term(n_bar, t * delta, n, sign)).max() for t in (0.1, 0.05)]
        assert 3.5 < rest[0] / rest[1] < 4.5


def test_class_ray_matches_binary_quadrature_at_two_classes(rng: np.random.Generator) -> None:
    """alpha_c(N) and the gap alpha_c(N) - alpha_c(inf) by Monte Carlo (c = 2) against the binary
    quadrature of the same law: z-tests, Bonferroni at family-wise level ALPHA; a 20% error in
    the gap is rejected; and alpha_c(inf) is 2 to rounding (the Rao-Blackwellised score vanishes
    at alpha = c on every sample of the paper's law)."""
    d, grid = 2, (32, 256)
    prior = MixturePrior(d=d, classes=2, cov=toeplitz_cov(d))
    ray = class_ray(prior, draw_class_noise(rng, 100_000, d, 2), grid)
    ref = np.array([alpha_star(TaskPrior(d=d, kind="independent", cov=toeplitz_cov(d)), n).alpha
                    for n in grid])
    gap_se = np.sqrt(np.diag(ray.gap_cov))
    z = np.r_[(ray.alpha - ref) / ray.alpha_se, (ray.gap - (ref - 2)) / gap_se]
    crit = stats.norm.ppf(1 - ALPHA / (2 * z.size))
    assert np.all(np.abs(z) < crit), z
    assert np.all(np.abs(ray.gap - 1.2 * (ref - 2)) / gap_se > crit)
    assert abs(ray.alpha_inf - 2) < 1e-12 and ray.alpha_inf_se < 1e-12


@pytest.mark.parametrize("binary,classes", [({"minus_scale": 0.5}, {"norm_scales": (1, 0.5)}),
                                            ({"p_plus": 0.7}, {"class_prior": (0.7, 0.3)})],
                         ids=["unequal-norms", "unbalanced"])
def test_class_ray_off_the_paper_law_matches_binary_quadrature(binary: dict, classes: dict,
                                                               rng: np.random.Generator) -> None:
    """Where the label's average does not make alpha_c(inf) exact (a law off the paper's, the
    A3m controls'), the Rao-Blackwellised ray still estimates alpha(N) and alpha(inf) without
    bias: c = 2 against the binary quadrature of the same law (z-tests, Bonferroni at
    family-wise level ALPHA); alpha(inf) is away from 2 (1.770, 1.752)."""
    d = 2
    exact = TaskPrior(d=d, kind="independent", cov=toeplitz_cov(d), **binary)
    ref = [alpha_star(exact, n).alpha for n in (32, math.inf)]
    ray = class_ray(MixturePrior(d=d, classes=2, cov=toeplitz_cov(d), **classes),
                    draw_class_noise(rng, 100_000, d, 2), (32,))
    z = [(ray.alpha[0] - ref[0]) / ray.alpha_se[0], (ray.alpha_inf - ref[1]) / ray.alpha_inf_se]
    assert np.all(np.abs(z) < stats.norm.ppf(1 - ALPHA / 4)), z
    assert abs(ray.alpha_inf - 2) > 50 * ray.alpha_inf_se


def test_tv_on_the_ray_is_the_tv_at_alpha_lambda_inverse(rng: np.random.Generator) -> None:
    d, c = 3, 6
    prior = MixturePrior(d=d, classes=c, cov=toeplitz_cov(d), test_cov=np.eye(d))
    s = sample_classes(prior, draw_class_noise(rng, 500, d, c), 20, test=True)
    on_ray = class_tv_on_ray(prior, s)
    for alpha in (0.5, 6.0):
        np.testing.assert_allclose(on_ray(alpha), class_tv(prior, s, alpha * prior.precision), rtol=1e-12)


def test_two_class_tv_is_the_binary_tv(rng: np.random.Generator) -> None:
    """(1/2) sum_k |p_k - q_k| with c = 2 equals |sigma(L) - sigma(yhat)| on the same draws."""
    d, m = 3, 12
    prior = MixturePrior(d=d, classes=2, cov=toeplitz_cov(d), norm_scales=(1, 0.7), class_prior=(0.6, 0.4))
    noise = draw_class_noise(rng, 1000, d, 2)
    w = rng.standard_normal((d, d))
    s = sample_classes(prior, noise, m, test=True)
    bayes = log_odds(s.x_q, s.means[:, 0], s.means[:, 1], prior.test_precision, 0.6)
    model = np.einsum("bi,ij,bj->b", s.a[:, 0] - s.a[:, 1], w, s.x_q)
    np.testing.assert_allclose(class_tv_per_sample(prior, noise, m, w),
                               np.abs(expit(bayes) - expit(model)), rtol=1e-12, atol=1e-15)


def test_tv_on_a_grid_of_m_is_the_tv_at_each_m(rng: np.random.Generator) -> None:
    """:func:`class_tv_in_m` (tasks, queries and posterior formed once) gives
    :func:`class_tv_per_sample` at every m, off the paper's law (test covariance shifted)."""
    d = 3
    prior = MixturePrior(d=d, classes=4, cov=toeplitz_cov(d), test_cov=np.diag([1.5, 1, 0.5]),
                         norm_scales=(1, 0.7, 1.2, 1), class_prior=(0.4, 0.2, 0.2, 0.2))
    noise = draw_class_noise(rng, 2000, d, 4)
    w = rng.standard_normal((d, d))
    in_m = class_tv_in_m(prior, noise, w)
    for m in (16, 200, math.inf):
        np.testing.assert_array_equal(in_m(m), class_tv_per_sample(prior, noise, m, w))


def test_brier_is_binary_only(rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="loss"):
        estimators.loss(_class_sample(rng, 4, 3, 2), np.eye(2), "brier")
