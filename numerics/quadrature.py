"""Gauss rules for the laws the reduced integrals of SPEC §C.2 run over.

Every rule returns ``(nodes, weights)`` with weights summing to one, i.e. it approximates
an expectation ``E f(X) ~= sum_j w_j f(x_j)`` under the named law.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.linalg import eigh_tridiagonal
from scipy.special import gammaln, roots_genlaguerre, roots_jacobi
from scipy.stats import binom

Rule = tuple[np.ndarray, np.ndarray]


def point(x: float = 0.0) -> Rule:
    return np.array([x]), np.array([1.0])


def standard_normal(n: int) -> Rule:
    """Gauss-Hermite (probabilists') rule for N(0, 1): exact for polynomials of degree 2n-1."""
    x, w = hermegauss(n)
    return x, w / w.sum()


def chi_square(k: int, n: int) -> Rule:
    """Generalised Gauss-Laguerre rule for chi-square with k degrees of freedom (k=0: 0)."""
    if k == 0:
        return point(0.0)
    y, w = roots_genlaguerre(n, k / 2 - 1)
    return 2 * y, w / math.exp(gammaln(k / 2))


def cos_angle(d: int, n: int) -> Rule:
    """Law of ``c = u1 . u2`` for independent uniform unit vectors in R^d.

    Its density is proportional to ``(1 - c^2)^((d-3)/2)`` on [-1, 1] (d >= 2): a
    Gauss-Jacobi rule.  For d = 1, c = +-1 with probability 1/2 each.
    """
    if d == 1:
        return np.array([-1.0, 1.0]), np.array([0.5, 0.5])
    a = (d - 3) / 2
    x, w = roots_jacobi(n, a, a)
    return x, w / w.sum()


def discrete_gauss(support: np.ndarray, pmf: np.ndarray, n: int) -> Rule:
    """n-point Gauss rule of a discrete law, by Lanczos with full reorthogonalisation.

    Exact for polynomials of degree 2n-1 under that law; with n >= the support size the
    law itself is returned.
    """
    keep = pmf > 0
    support, pmf = support[keep], pmf[keep] / pmf[keep].sum()
    if n >= support.size:
        return support.astype(float), pmf
    q = np.sqrt(pmf)
    basis = [q]
    alpha, beta = [], []
    for k in range(n):
        v = support * basis[k]
        alpha.append(basis[k] @ v)
        for b in basis:  # full reorthogonalisation keeps the recurrence exact in floating point
            v = v - (b @ v) * b
        if k < n - 1:
            beta.append(np.linalg.norm(v))
            basis.append(v / beta[-1])
    nodes, vecs = eigh_tridiagonal(np.array(alpha), np.array(beta))
    return nodes, vecs[0] ** 2


def binomial_fraction(n_trials: int, p: float, n: int) -> Rule:
    """Gauss rule for ``K / n_trials`` with ``K ~ Binomial(n_trials, p)``.

    Support points beyond 40 standard deviations carry mass below 1e-300 and are dropped.
    """
    mean, sd = n_trials * p, math.sqrt(n_trials * p * (1 - p))
    lo = max(0, math.floor(mean - 40 * sd - 1))
    hi = min(n_trials, math.ceil(mean + 40 * sd + 1))
    k = np.arange(lo, hi + 1)
    x, w = discrete_gauss(k.astype(float), binom.pmf(k, n_trials, p), n)
    return x / n_trials, w


def normal_trapezoid(step: float, t_max: float = 9.0) -> Rule:
    """Trapezoid rule for N(0, 1) on a uniform grid of the given step, truncated at t_max.

    For ``E g(t)`` with g analytic in the strip |Im t| < w the error is about
    ``exp(-2 pi w / step)`` (geometric in 1/step); the truncation costs ~exp(-t_max^2/2).
    """
    m = math.ceil(t_max / step)
    t = step * np.arange(-m, m + 1)
    w = np.exp(-t * t / 2)
    return t, w / w.sum()


def tensor(*rules: Rule) -> tuple[list[np.ndarray], np.ndarray]:
    """Tensor product of rules: flattened node arrays (one per factor) and weights."""
    grids = np.meshgrid(*[r[0] for r in rules], indexing="ij")
    weights = np.ones(())
    for r in rules:
        weights = np.multiply.outer(weights, r[1])
    return [g.ravel() for g in grids], weights.ravel()
