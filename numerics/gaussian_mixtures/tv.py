"""Expected total variation between the Bayes label law and the model's (SPEC §A.4, A5).

For a test task, a test prompt of length M and a query x_q,

    TV = | sigma(log-odds_Bayes(x_q)) - sigma(a_M^T W x_q) |,

where the Bayes log-odds use the test-time law (test covariance, class prior, true means;
:mod:`theory.gaussian_mixtures.bayes`) and ``a_M`` is the test prompt's statistic (``M = inf``: the
population value).  ``W`` is the trained minimiser W*(N) (``N = inf``: ``2 Lambda^-1``).
E[TV] is a Monte Carlo mean over (task, prompt, query) with its standard error; one noise
bundle serves every (N, M), so estimates on a grid are correlated (common random numbers)
and the per-sample values are returned for the covariance the rate fits need.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.special import expit, softmax

from numerics.config import NotComputable
from numerics.gaussian_mixtures import estimators
from numerics.gaussian_mixtures.estimators import Estimate
from numerics.gaussian_mixtures.minimizer import (
    Minimizer,
    full_minimizer,
    population_minimizer,
    quadrature_minimizer,
    require_full_matrix_draws,
)
from numerics.gaussian_mixtures.priors import MixturePrior, TaskPrior
from numerics.gaussian_mixtures.sufficient_stats import (
    ClassNoise,
    ClassSample,
    PromptNoise,
    class_prompts,
    draw_class_noise,
    draw_noise,
    sample,
    sample_classes,
)
from theory.gaussian_mixtures.bayes import class_logits, log_odds


def trained_weights(prior: TaskPrior | MixturePrior, n: float, rng: np.random.Generator | None = None,
                    train_size: int = 200_000) -> Minimizer:
    """W*(N): c classes by :func:`numerics.gaussian_mixtures.minimizer.population_minimizer`; binary
    ``2 Lambda^-1`` for N = inf where the training law is the paper's
    (:mod:`theory.gaussian_mixtures.minimizer`;
    otherwise, e.g. unequal norms, alpha(inf) = 1.8818 at kappa = 0.5), quadrature for invariant
    priors, else Monte Carlo."""
    if isinstance(prior, MixturePrior):
        return population_minimizer(prior, n, rng, train_size)
    if math.isinf(n) and prior.trains_like_paper:
        return Minimizer(w=2 * prior.precision, error_estimate=0.0, method="limit", alpha=2.0)
    if prior.invariant:
        return quadrature_minimizer(prior, n)
    if rng is None:
        raise ValueError("rng: a non-invariant prior needs a random stream to fit W*")
    if math.isinf(n):
        raise NotComputable("setting", "W*(inf) of a non-invariant prior has no unique minimiser: one "
                                       "fixed task at N = inf determines only a^T W; take a finite --N")
    require_full_matrix_draws(prior.d, train_size)
    return full_minimizer(sample(prior, draw_noise(rng, train_size, prior.d), n))


def tv_in_w(prior: TaskPrior, noise: PromptNoise, m: float) -> Callable[[np.ndarray], np.ndarray]:
    """TV for each of the noise bundle's B (task, test prompt, query) triples, as a function of
    W: the test prompts and the Bayes probabilities are formed once (the error propagation
    of :func:`expected_tv` evaluates 2 d^2 + 1 matrices W on them)."""
    s = sample(prior, noise, m, test=True)
    bayes = expit(log_odds(s.x_q, s.mu_plus, s.mu_minus, prior.test_precision, prior.p_plus))
    return lambda w: np.abs(bayes - expit(estimators.bilinear(s.a, w, s.x_q)))


def tv_per_sample(prior: TaskPrior, noise: PromptNoise, m: float, w: np.ndarray) -> np.ndarray:
    """TV for each of the noise bundle's B (task, test prompt, query) triples."""
    return tv_in_w(prior, noise, m)(w)


def disagreement_per_sample(prior: TaskPrior, noise: PromptNoise, m: float, w: np.ndarray
                            ) -> np.ndarray:
    """1 where sign(yhat) differs from the Bayes (LDA) decision, else 0 (claim A4)."""
    s = sample(prior, noise, m, test=True)
    bayes = log_odds(s.x_q, s.mu_plus, s.mu_minus, prior.test_precision, prior.p_plus)
    model = estimators.bilinear(s.a, w, s.x_q)
    return (np.sign(bayes) != np.sign(model)).astype(float)


def _class_tv(bayes: np.ndarray, logits: np.ndarray) -> np.ndarray:
    return 0.5 * np.abs(bayes - softmax(logits, axis=1)).sum(axis=1)


def _bayes_posterior(prior: MixturePrior, s: ClassSample) -> np.ndarray:
    return softmax(class_logits(s.x_q, s.means, prior.test_precision, prior.class_prior), axis=1)


def class_tv(prior: MixturePrior, s: ClassSample, w: np.ndarray) -> np.ndarray:
    """c classes: ``TV = (1/2) sum_k |P(k | x_q) - softmax(A_M W x_q)_k|`` per sample of a test
    sample, with the Bayes posterior of the test-time law
    (:func:`theory.gaussian_mixtures.bayes.class_logits`)."""
    return _class_tv(_bayes_posterior(prior, s), estimators.class_logits(s, w))


def class_tv_on_ray(prior: MixturePrior, s: ClassSample) -> Callable[[float], np.ndarray]:
    """:func:`class_tv` of ``s`` as a function of alpha for ``W = alpha Lambda^-1`` (SPEC §C.2).

    The Bayes posterior and the logits at alpha = 1, ``A Lambda^-1 x_q``, are formed once, so
    each alpha costs O(Bc) instead of O(B c d^2).
    """
    bayes = _bayes_posterior(prior, s)
    z = estimators.class_logits(s, prior.precision)
    return lambda alpha: _class_tv(bayes, alpha * z)


def class_tv_per_sample(prior: MixturePrior, noise: ClassNoise, m: float, w: np.ndarray) -> np.ndarray:
    """:func:`class_tv` on the test prompts of length ``m`` drawn from ``noise``."""
    return class_tv(prior, sample_classes(prior, noise, m, test=True), w)


def class_tv_in_m(prior: MixturePrior, noise: ClassNoise, w: np.ndarray) -> Callable[[float], np.ndarray]:
    """:func:`class_tv_per_sample` as a function of the test prompt length ``m``: the tasks,
    the queries and their Bayes posterior do not depend on it, so they are formed once
    (:func:`numerics.gaussian_mixtures.sufficient_stats.class_prompts`)."""
    prompts = class_prompts(prior, noise, test=True)
    bayes = _bayes_posterior(prior, prompts(math.inf)[0])
    return lambda m: _class_tv(bayes, estimators.class_logits(prompts(m)[0], w))


def _error_of_w(mean_tv: Callable[[np.ndarray], float], w: np.ndarray, cov: np.ndarray,
                centre: float) -> tuple[float, float]:
    """What the error of a Monte Carlo ``W`` (covariance ``cov`` of vec W) does to E[TV]:
    the first-order variance ``g^T Cov g`` and the second-order bias
    ``E[TV(W_hat)] - TV(W) = (1/2) tr(H Cov)`` (delta method).

    Both by central differences along the eigenvectors v_k of Cov, at one standard error
    ``h_k = sqrt(lambda_k)``: ``(f(+h v) - f(-h v)) / 2`` and ``(f(+h v) - 2 f(0) + f(-h v)) / 2``
    summed over k; ``centre`` is ``f(0)``, already computed.  At that step the differences
    average TV's kink (|P - model|) as the error of W itself does.  TV is near its minimum
    where the model can match the Bayes law, so the bias can dominate: aligned prior, d = 3,
    1000 draws, it was 1.9 standard errors."""
    lam, vecs = np.linalg.eigh(cov)
    variance = bias = 0.0
    for value, v in zip(lam, vecs.T, strict=True):
        if value <= 1e-12 * lam[-1]:
            continue
        step = math.sqrt(value) * v.reshape(w.shape)
        up, down = mean_tv(w + step), mean_tv(w - step)
        variance += ((up - down) / 2) ** 2
        bias += (up - 2 * centre + down) / 2
    return variance, bias


def expected_tv(prior: TaskPrior | MixturePrior, n: float, m: float, rng: np.random.Generator,
                size: int = 200_000) -> Estimate:
    """E[TV] for training length n and test length m, with its standard error: W*(N) from
    ``size`` training draws where it is Monte Carlo (:func:`trained_weights`), then the mean
    over ``size`` independent test draws, corrected for the error of W (:func:`_error_of_w`:
    its bias subtracted, its first-order variance added to the test draws').  On the ray
    (c classes) the directions reduce to alpha's.
    """
    star = trained_weights(prior, n, rng, train_size=size)
    if isinstance(prior, MixturePrior):
        test = sample_classes(prior, draw_class_noise(rng, size, prior.d, prior.classes), m, test=True)
        on_ray = class_tv_on_ray(prior, test)
        tv = on_ray(star.alpha)
        se_alpha = star.alpha_se or 0.0  # None: W*(inf) = c Lambda^-1 exactly
        variance, bias = _error_of_w(lambda a: float(on_ray(float(a[0])).mean()), np.array([star.alpha]),
                                     np.array([[se_alpha**2]]), float(tv.mean()))
    else:
        of_w = tv_in_w(prior, draw_noise(rng, size, prior.d), m)
        tv = of_w(star.w)
        variance, bias = 0.0, 0.0
        if star.cov is not None:  # W by Monte Carlo (the quadrature's error is ~1e-10)
            variance, bias = _error_of_w(lambda w: float(of_w(w).mean()), star.w, star.cov, float(tv.mean()))
    return Estimate(np.float64(tv.mean() - bias), np.float64(math.sqrt(tv.var(ddof=1) / size + variance)))
