"""The smallest sample count an answer is given from (``MIN_SAMPLES``), tested against each
Monte Carlo estimator's actual error: at that count, the stated standard error must cover.

Each case draws K = 200 independent answers at ``MIN_SAMPLES`` draws and counts how often the
reference lies within +-1.96 stated standard errors (reference: the same estimator on 100-400x
the draws, its own error added in quadrature).  A true 95% interval covers fewer than 180 of
200 with probability 7e-4 (binomial), so that is the failure threshold; an error understated
by a factor 2 covers ~68%, and is caught.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from numerics.estimators import MIN_SAMPLES
from numerics.minimizer import full_minimizer, population_minimizer
from numerics.priors import MixturePrior, TaskPrior
from numerics.sufficient_stats import draw_noise, sample
from numerics.tv import expected_tv

K = 200
THRESHOLD = 180  # P(Binomial(200, 0.95) < 180) = 7e-4


def _streams(tag: int) -> list[np.random.Generator]:
    return [np.random.default_rng(g) for g in np.random.SeedSequence(tag).spawn(K + 1)]


def _coverage(z: np.ndarray) -> int:
    return int(np.count_nonzero(np.abs(z) < 1.96))


@pytest.mark.parametrize("classes", [3, 10])
def test_class_ray_alpha_covers_at_the_minimum(classes: int) -> None:
    prior = MixturePrior(d=3, classes=classes)  # Lambda = I: error_estimate is alpha's SE
    ref, *reps = _streams(classes)
    big = population_minimizer(prior, 64, ref, 200 * MIN_SAMPLES)
    z = []
    for rng in reps:
        m = population_minimizer(prior, 64, rng, MIN_SAMPLES)
        z.append((m.alpha - big.alpha) / math.hypot(m.error_estimate, big.error_estimate))
    assert _coverage(np.array(z)) >= THRESHOLD


def test_binary_tv_covers_at_the_minimum() -> None:
    prior = TaskPrior(d=3)
    ref, *reps = _streams(7)
    big = expected_tv(prior, 64, 100, ref, size=400 * MIN_SAMPLES)
    z = [(e.value - big.value) / math.hypot(e.stderr, big.stderr)
         for e in (expected_tv(prior, 64, 100, rng, size=MIN_SAMPLES) for rng in reps)]
    assert _coverage(np.array(z)) >= THRESHOLD


def test_full_matrix_minimiser_covers_at_the_minimum() -> None:
    """The aligned prior (one fixed task): W* in all d^2 entries with its sandwich covariance;
    each replication contributes its entry (0, 0), the one the task aligns with."""
    prior = TaskPrior(d=3, kind="aligned")
    ref, *reps = _streams(11)
    big = full_minimizer(sample(prior, draw_noise(ref, 400 * MIN_SAMPLES, 3), 64))
    z = []
    for rng in reps:
        m = full_minimizer(sample(prior, draw_noise(rng, MIN_SAMPLES, 3), 64))
        z.append((m.w[0, 0] - big.w[0, 0]) / math.sqrt(m.cov[0, 0] + big.cov[0, 0]))
    assert _coverage(np.array(z)) >= THRESHOLD


def test_the_check_has_power() -> None:
    """The same count on z-scores whose error is understated by 2 fails (expected ~136 of 200)."""
    z = np.random.default_rng(3).standard_normal(K) * 2
    assert _coverage(z) < THRESHOLD
