"""O(d) sampler of a prompt's sufficient statistics (SPEC §C.1).

The model sees a prompt only through ``a = (1/N) sum_i y_i x_i`` and the query, and exactly
in distribution

    a = (N_plus mu_plus - N_minus mu_minus) / N + Lambda^(1/2) xi / sqrt(N),
    N_plus ~ Binomial(N, p),  xi ~ N(0, I_d),

so a prompt costs O(d) whatever N.  ``N = inf`` gives the population value
``a = p mu_plus - (1-p) mu_minus``.

All randomness enters through :class:`PromptNoise`, a bundle of standard variates.  The
statistics are a deterministic function of the noise, N and the task, so one bundle serves
every N, M and W of an experiment (common random numbers): ``N_plus`` is the binomial
quantile of one uniform, and ``xi`` is reused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri
from scipy.stats import binom
from scipy.stats import qmc as stats_qmc

from numerics.gaussian_mixtures.priors import MixturePrior, TaskPrior


@dataclass(frozen=True)
class PromptNoise:
    """Standard variates for B tasks, each with one prompt and one query."""

    task_plus: np.ndarray   # (B, d) normal: direction of mu_plus
    task_minus: np.ndarray  # (B, d) normal: direction of mu_minus
    count: np.ndarray       # (B,) uniform: N_plus = Binomial(N, p) quantile
    xi: np.ndarray          # (B, d) normal: prompt noise
    label: np.ndarray       # (B,) uniform: y_q = +1 iff label < p
    query: np.ndarray       # (B, d) normal: query noise

    @property
    def size(self) -> int:
        return self.count.shape[0]


def draw_noise(rng: np.random.Generator, size: int, d: int) -> PromptNoise:
    return PromptNoise(
        task_plus=rng.standard_normal((size, d)),
        task_minus=rng.standard_normal((size, d)),
        count=rng.random(size),
        xi=rng.standard_normal((size, d)),
        label=rng.random(size),
        query=rng.standard_normal((size, d)),
    )


@dataclass(frozen=True)
class PromptSample:
    """Tasks, prompt statistics and queries, each with leading axis B."""

    mu_plus: np.ndarray
    mu_minus: np.ndarray
    a: np.ndarray
    x_q: np.ndarray
    y_q: np.ndarray


#: the largest CDF table :func:`binomial_count` builds (1 MiB)
_CDF_TABLE = 1 << 17


def binomial_count(u: np.ndarray, n: int, p: float) -> np.ndarray:
    """Binomial(n, p) by inversion of a uniform: monotone in u, so it couples across n.

    The smallest k with ``F(k) >= u``, found by binary search in a table of the CDF over
    the support within 12 standard deviations of the mean.  The rest has mass < 1e-30, far
    below the 2^-53 resolution of u, so this is identical to ``binom.ppf`` (tested), and
    ~50x faster.  Where that table would exceed ``_CDF_TABLE`` entries (sd above ~5000, N
    above ~1e8), the count is the Cornish-Fisher quantile (:func:`_cornish_fisher_count`):
    measured against the exact quantile on 2e5 draws (tests/test_sufficient_stats.py), it is
    off by one count for a fraction of the draws below 1e-5, which moves N_plus / N by 1/N;
    ``binom.ppf`` itself takes ~60 s for 2e5 draws at N = 6e13 and fails at 2^53.
    """
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    lo = max(0, math.floor(mean - 12 * sd - 1))
    hi = min(n, math.ceil(mean + 12 * sd + 1))
    if hi - lo > _CDF_TABLE:
        return _cornish_fisher_count(u, n, p, mean, sd)
    cdf = binom.cdf(np.arange(lo, hi + 1), n, p)
    cdf[-1] = 1.0
    return (lo + np.searchsorted(cdf, u, side="left")).astype(float)


def _cornish_fisher_count(u: np.ndarray, n: int, p: float, mean: float, sd: float) -> np.ndarray:
    """``ceil(n p + sd w - 1/2)`` with ``w`` the Cornish-Fisher expansion of the standardised
    binomial quantile at ``z = Phi^-1(u)`` (skewness g, excess kurtosis k):
    ``w = z + g (z^2 - 1) / 6 + k (z^3 - 3z) / 24 - g^2 (2 z^3 - 5 z) / 36``."""
    z = ndtri(u)
    g, k = (1 - 2 * p) / sd, (1 - 6 * p * (1 - p)) / (sd * sd)
    w = z + g * (z * z - 1) / 6 + k * (z**3 - 3 * z) / 24 - g * g * (2 * z**3 - 5 * z) / 36
    return np.clip(np.ceil(mean + sd * w - 0.5), 0, n)


def prompt_mean(mu_plus: np.ndarray, mu_minus: np.ndarray, count_u: np.ndarray,
                xi: np.ndarray, n: float, p: float, cov_sqrt: np.ndarray) -> np.ndarray:
    """``a`` for prompts of length ``n`` (``inf``: the population mean of ``y x``)."""
    if math.isinf(n):
        return p * mu_plus - (1 - p) * mu_minus
    frac = (binomial_count(count_u, int(n), p) / n)[:, None]
    return frac * mu_plus - (1 - frac) * mu_minus + (xi @ cov_sqrt) / math.sqrt(n)


def sample(prior: TaskPrior, noise: PromptNoise, n: float, *, test: bool = False) -> PromptSample:
    """Sufficient statistics of B prompts of length ``n`` drawn from ``prior``.

    ``test=True`` draws from the test-time law (``prior.test_cov``), as the inference
    claims A4, A5 require.
    """
    mu_plus, mu_minus = prior.means(noise.task_plus, noise.task_minus, test=test)
    root = prior.test_cov_sqrt if test else prior.cov_sqrt
    p = prior.p_plus
    a = prompt_mean(mu_plus, mu_minus, noise.count, noise.xi, n, p, root)
    y_q = np.where(noise.label < p, 1.0, -1.0)
    x_q = np.where(y_q[:, None] > 0, mu_plus, mu_minus) + noise.query @ root
    return PromptSample(mu_plus=mu_plus, mu_minus=mu_minus, a=a, x_q=x_q, y_q=y_q)


# -- c classes (SPEC §A.3, §C.1) ---------------------------------------------------------
@dataclass(frozen=True)
class ClassNoise:
    """Standard variates for B c-class tasks, each with one prompt and one query.

    The multinomial class counts of a prompt of length n come from their own stream,
    ``counts_seed`` spawned with key n, so the statistics stay a deterministic function of
    (noise, n).  Numpy's multinomial sampler costs O(c) per prompt whatever n; unlike the
    binary inversion coupling, counts at different n are independent, while the tasks,
    ``xi`` and the query are common to every n.
    """

    task: np.ndarray   # (B, c, d) normal: directions of the c means
    xi: np.ndarray     # (B, c, d) normal: prompt noise, one vector per label row
    label: np.ndarray  # (B,) uniform: the query's class, by inversion of class_prior
    query: np.ndarray  # (B, d) normal: query noise
    counts_seed: np.random.SeedSequence | None = None
    count_u: np.ndarray | None = None  # (B, c - 1) uniform: counts by inversion (quasi-Monte Carlo)

    @property
    def size(self) -> int:
        return self.label.shape[0]


def draw_class_noise(rng: np.random.Generator, size: int, d: int, classes: int) -> ClassNoise:
    return ClassNoise(
        task=rng.standard_normal((size, classes, d)),
        xi=rng.standard_normal((size, classes, d)),
        label=rng.random(size),
        query=rng.standard_normal((size, d)),
        counts_seed=np.random.SeedSequence(rng.integers(2**63)),
    )


@dataclass(frozen=True)
class ClassSample:
    """c-class tasks, prompt statistics ``A`` (rows ``(1/N) sum_{i: y_i = k} x_i``) and queries."""

    means: np.ndarray  # (B, c, d)
    a: np.ndarray      # (B, c, d)
    x_q: np.ndarray    # (B, d)
    k_q: np.ndarray    # (B,) int class of the query


def sobol_class_noise(rng: np.random.Generator, size: int, d: int, classes: int) -> ClassNoise:
    """:class:`ClassNoise` from one scrambled Sobol' sequence (randomised quasi-Monte Carlo):
    ``2 c d + d`` coordinates mapped to normals by the inverse CDF, one to the query's label
    and ``c - 1`` to the counts (:func:`class_counts` inverts them).  ``size`` should be a power
    of 2; independent scramblings (independent ``rng``) give independent unbiased estimates.
    Used by the error-per-second study of W* (benchmarks/test_w_star_methods.py), where it
    gains nothing over plain draws at c = 16, d = 8 (280 dimensions, integer counts)."""
    dims = 2 * classes * d + d + classes
    u = stats_qmc.Sobol(dims, scramble=True, seed=rng).random(size)
    normal = ndtri(u[:, :2 * classes * d + d])
    cd = classes * d
    return ClassNoise(task=normal[:, :cd].reshape(size, classes, d),
                      xi=normal[:, cd:2 * cd].reshape(size, classes, d), query=normal[:, 2 * cd:],
                      label=u[:, 2 * cd + d], count_u=u[:, 2 * cd + d + 1:])


def class_counts(noise: ClassNoise, n: int, class_prior: np.ndarray) -> np.ndarray:
    """Multinomial(n, class_prior) counts, (B, c), deterministic in (noise, n): from the
    noise's own stream, or (``count_u``) by inverting the conditional binomials
    ``N_k | N_1..N_{k-1} ~ Binomial(n - sum_{j<k} N_j, p_k / (1 - sum_{j<k} p_j))``."""
    if noise.count_u is None:
        rng = np.random.default_rng(np.random.SeedSequence(noise.counts_seed.entropy, spawn_key=(n,)))
        return rng.multinomial(n, class_prior, size=noise.size).astype(float)
    counts = np.empty((noise.size, class_prior.size))
    left, mass = np.full(noise.size, float(n)), 1.0
    for k, p_k in enumerate(class_prior[:-1]):
        counts[:, k] = binom.ppf(noise.count_u[:, k], left, min(p_k / mass, 1.0))
        left -= counts[:, k]
        mass -= p_k
    counts[:, -1] = left
    return counts


def class_prompts(prior: MixturePrior, noise: ClassNoise, *, test: bool = False
                  ) -> Callable[[float], tuple[ClassSample, ClassSample]]:
    """:func:`sample_class_pair` as a function of the prompt length: the tasks, the queries
    and the prompt noise's direction ``xi Lambda^(1/2)`` do not depend on it, so they are formed
    once for a grid of lengths (A5m's M grid: 13 lengths)."""
    means = prior.means(noise.task, test=test)
    root = prior.test_cov_sqrt if test else prior.cov_sqrt
    p = prior.class_prior
    k_q = np.minimum(np.searchsorted(np.cumsum(p), noise.label, side="right"), p.size - 1)
    x_q = means[np.arange(noise.size), k_q] + noise.query @ root
    xi = None

    def at(n: float) -> tuple[ClassSample, ClassSample]:
        nonlocal xi
        if math.isinf(n):
            signal, spread = p[:, None] * means, np.zeros_like(means)
        else:
            xi = noise.xi @ root if xi is None else xi
            counts = class_counts(noise, int(n), p)[:, :, None]
            signal, spread = counts * means / n, np.sqrt(counts) * xi / n
        return (ClassSample(means=means, a=signal + spread, x_q=x_q, k_q=k_q),
                ClassSample(means=means, a=signal - spread, x_q=x_q, k_q=k_q))

    return at


def sample_class_pair(prior: MixturePrior, noise: ClassNoise, n: float, *, test: bool = False
                      ) -> tuple[ClassSample, ClassSample]:
    """Sufficient statistics of B c-class prompts of length ``n`` (SPEC §C.1),

        A_k = (N_k / N) mu_k + (sqrt(N_k) / N) Lambda^(1/2) xi_k,   N ~ Multinomial(N, p),

    (``A_k = p_k mu_k`` for ``n = inf``), and their antithetic twins: the same tasks, counts
    and queries with ``xi -> -xi``, an equally likely prompt.  Averaging a pair cancels the
    part of any statistic that is odd in the prompt noise; one call draws the shared parts once.
    """
    return class_prompts(prior, noise, test=test)(n)


def sample_classes(prior: MixturePrior, noise: ClassNoise, n: float, *, test: bool = False
                   ) -> ClassSample:
    """The first member of :func:`sample_class_pair`: B c-class prompts of length ``n``."""
    return sample_class_pair(prior, noise, n, test=test)[0]


#: Either label space's sample; the estimators dispatch on which one they get.
Sample = PromptSample | ClassSample


def draw_sample(prior: TaskPrior | MixturePrior, rng: np.random.Generator, size: int, n: float
                ) -> Sample:
    """``size`` training prompts of length ``n`` from either label space's prior."""
    if isinstance(prior, MixturePrior):
        return sample_classes(prior, draw_class_noise(rng, size, prior.d, prior.classes), n)
    return sample(prior, draw_noise(rng, size, prior.d), n)
