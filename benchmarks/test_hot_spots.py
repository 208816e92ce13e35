"""Issue 27's hot spots of the quick profile, one benchmark each (``tox -e bench``).  Each
asserts that what it timed is correct against a reference computed outside the timed region:
the explicit computation the fast one replaced (a :class:`Point` per GD step; the (B, c, d)
means; the pmf summed directly), or an exact property of the law.  Compare the rows with the
saved JSON of an earlier run (``benchmarks/results/``, README "Speed")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from checks.gaussian_mixtures.setting import PROFILES, base_mixture
from checks.softmax_regression.setting import EPSILON
from checks.softmax_regression.setting import PROFILES as B_PROFILES
from numerics.gaussian_mixtures.class_constants import (
    chunk_draws,
    class_constants,
    draw_tasks,
    integrands,
)
from numerics.gaussian_mixtures.minimizer import class_ray
from numerics.gaussian_mixtures.sufficient_stats import draw_class_noise
from numerics.softmax_regression import floor, gd
from numerics.softmax_regression.symmetric import BalancedFamily

QUICK = PROFILES["quick"]
QUICK_B = B_PROFILES["quick"]


def _direct(K: int, N: int, delta: float) -> tuple[float, float, float]:
    """L, E[pi_k] and the diagonal gradient entry g_k at ``delta = A - B``, summed directly over
    n_k ~ Bin(N, 1/K), the other features' ``sum_j pi_j^2`` by its conditional moment (SPEC
    §B.2): the reference for the moments of :class:`BalancedFamily`."""
    n = np.arange(N + 1.0)
    w = stats.binom.pmf(n, N, 1 / K)
    m = N - n
    s2 = m * (1 - 1 / (K - 1)) + m**2 / (K - 1)
    x = math.exp(-delta)
    pi = n / (n + m * x)
    others = s2 * x**2 / (n + m * x) ** 2
    return (float(w @ (0.5 * ((1 - pi) ** 2 + others))), float(w @ pi),
            float(w @ (pi * (2 * pi - 1 - pi**2 - others))) / K)


def _direct_first_time(K: int, N: int, level: float, max_steps: int) -> int:
    """The first GD step with L <= level, GD on A and B from 0 by :func:`_direct`'s gradient."""
    a = b = 0.0
    for t in range(max_steps + 1):
        loss, _, g = _direct(K, N, a - b)
        if loss <= level:
            return t
        a, b = a - g, b + g / (K - 1)
    return -1


@pytest.mark.parametrize("K", [64, 192])
def test_b1_time_to_eps(benchmark, K: int) -> None:
    """B1's sweep: the first GD step within eps of the floor at K, N = 8K (T ~ K^2 steps), on
    :meth:`BalancedFamily.first_time`.  Correct: the same step as GD on A and B with the loss
    and gradient summed directly over the binomial pmf."""
    model, fl = BalancedFamily(K, 8 * K), floor.balanced(K, 8 * K)
    level = fl.total + EPSILON
    t, _ = benchmark.pedantic(gd.first_time_below,
                              args=(model, 1.0, lambda L: L <= level, QUICK_B.max_steps),
                              rounds=1, iterations=1)
    assert t == _direct_first_time(K, 8 * K, level, QUICK_B.max_steps) > 0


def test_b3_trajectory(benchmark) -> None:
    """B3's trajectory: 2^16 GD steps on the balanced family (K = 8, N = 64), every step
    recorded.  Correct: at every 4096th step its loss and attention equal the explicit loop's
    (:func:`gd.iterates`, a Point per step, on A and B) to 1e-12, and those equal the direct sum
    over the binomial pmf at that loop's parameters."""
    model = BalancedFamily(8, 64)
    steps = 2**16
    traj = benchmark.pedantic(gd.descend, args=(model, 1.0, steps), rounds=1, iterations=1)
    for t, params, point in gd.iterates(model, 1.0, steps):
        if t % 4096 == 0:
            loss, attention, _ = _direct(8, 64, params[0] - params[1])
            assert traj.loss[t] == pytest.approx(point.loss, abs=1e-12) == loss
            assert traj.attention[t, 0] == pytest.approx(point.attention[0], abs=1e-12) == attention
    np.testing.assert_allclose(traj.params, params, rtol=1e-11)


@pytest.mark.parametrize("classes", [16, 1024])
def test_class_constants(benchmark, classes: int) -> None:
    """A3m's and A5m's constants g1(c), C_N(c), C_M(c) from 2 x 10^4 draws.  Correct: their
    integrands' means equal those formed from the explicit (B, c, d) means of the whitened
    prior on the same draws, to 1e-10 relative."""
    prior = base_mixture(3, classes)
    size = 20_000
    k = benchmark.pedantic(class_constants, args=(prior, np.random.default_rng(1), size),
                           rounds=1, iterations=1)
    rng, parts = np.random.default_rng(1), []
    for start in range(0, size, chunk_draws(classes)):  # the draws are made chunk by chunk
        g, y, z = draw_tasks(prior, rng, min(chunk_draws(classes), size - start))
        mu = prior.with_(cov=None, test_cov=None).means(g)
        w = mu[np.arange(len(y)), y] + z
        parts.append(integrands(np.einsum("bkd,bd->bk", mu, w), np.einsum("bd,bd->b", w, w)))
    f = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    g1 = -f["slope"].mean() / f["curvature"].mean()
    assert k.g1.value == pytest.approx(g1, rel=1e-10)
    assert k.tv_m.value == pytest.approx(f["tv_m"].mean(), rel=1e-10)
    assert k.tv_n.value == pytest.approx(abs(g1) * f["tv_n"].mean(), rel=1e-10)


@pytest.mark.parametrize("classes", [2, 16])
def test_class_ray(benchmark, classes: int) -> None:
    """A3m's ray alpha_c(N) on the quick N grid, 10^5 draws.  Correct: alpha_c(inf) is c to
    rounding (exact under the paper's law), and N (alpha_c(N) - c) at the largest N is within
    4 standard errors (both estimates') of g1(c) from the constants."""
    prior = base_mixture(3, classes)
    noise = draw_class_noise(np.random.default_rng(4), QUICK.class_mc_size, 3, classes)
    ray = benchmark.pedantic(class_ray, args=(prior, noise, QUICK.class_n_grid), rounds=1, iterations=1)
    assert abs(ray.alpha_inf - classes) < 1e-9 * classes
    k = class_constants(prior, np.random.default_rng(5), QUICK.constant_size)
    n = ray.n[-1]
    se = math.hypot(n * math.sqrt(ray.gap_cov[-1, -1]), k.g1.error)
    assert abs(n * ray.gap[-1] - k.g1.value) < 4 * se
