"""Gauss rules for the laws the reduced integrals of SPEC §C.2 run over.

Every rule returns ``(nodes, weights)`` with weights summing to one, i.e. it approximates
an expectation ``E f(X) ~= sum_j w_j f(x_j)`` under the named law (:func:`half_normal_odd`
excepted: its weights are for odd integrands; and :func:`exp_sinh`, a rule for Lebesgue measure).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import integrate, stats
from scipy.linalg import eigh_tridiagonal
from scipy.special import roots_genlaguerre, roots_jacobi
from scipy.stats import binom

Rule = tuple[np.ndarray, np.ndarray]


def point(x: float = 0.0) -> Rule:
    return np.array([x]), np.array([1.0])


def standard_normal(n: int) -> Rule:
    """Gauss-Hermite (probabilists') rule for N(0, 1): exact for polynomials of degree 2n-1."""
    x, w = hermegauss(n)
    return x, w / w.sum()


def chi_square(k: int, n: int) -> Rule:
    """n-point Gauss rule for chi-square with k degrees of freedom (k = 0: the point 0).

    Chi-square is 2 Y with Y ~ Gamma(k/2), whose orthogonal polynomials are the generalised
    Laguerre polynomials of ``a = k/2 - 1``.  Golub-Welsch on their Jacobi matrix (diagonal
    ``2i + a + 1``, off-diagonal ``sqrt(i (i + a))``): the nodes are its eigenvalues, the
    weights the squared first components of its eigenvectors, which sum to one without the
    normalising Gamma(k/2) (it overflows beyond k = 342).  Exact for polynomials of degree 2n-1.
    """
    if k == 0:
        return point(0.0)
    a = k / 2 - 1
    i = np.arange(n, dtype=float)
    y, vecs = eigh_tridiagonal(2 * i + a + 1, np.sqrt(i[1:] * (i[1:] + a)))
    return 2 * y, vecs[0] ** 2


def half_normal_odd(n: int) -> Rule:
    """Gauss rule for ``E F(|Z|)``, Z ~ N(0, 1), with F odd and smooth (``F(g) = g H(g^2)``):
    ``t = g^2 / 2`` turns it into ``sqrt(2/pi) int_0^inf e^(-t) H(2t) dt``, Gauss-Laguerre,
    exact for H a polynomial of degree 2n-1.  The weights do not sum to 1: they carry the
    factor 1/g of ``F(g) = g H(g^2)``, so they integrate F, not a general function of |Z|."""
    t, w = roots_genlaguerre(n, 0.0)
    g = np.sqrt(2 * t)
    return g, math.sqrt(2 / math.pi) * w / g


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


def binomial_fraction(n_trials: int, p: float, n: int) -> Rule:
    """n-point Gauss rule for ``K / n_trials`` with ``K ~ Binomial(n_trials, p)``.

    Golub-Welsch on the Jacobi matrix of the monic Krawtchouk polynomials, which are
    orthogonal under the binomial law: ``x P_k = P_(k+1) + a_k P_k + b_k P_(k-1)`` with
    ``a_k = p (n_trials - k) + (1 - p) k``, ``b_k = p (1 - p) k (n_trials - k + 1)``.  In the
    standardised variable ``z = (K - n_trials p) / sigma`` the coefficients are
    ``k (1 - 2p) / sigma`` and ``k (n_trials - k + 1) / n_trials``, so the cost is O(n) and the
    nodes keep full relative precision for any ``n_trials`` (up to 2^53).  Exact for
    polynomials of degree 2n-1; with n >= n_trials + 1 it is the law itself.
    """
    if n >= n_trials + 1:
        k = np.arange(n_trials + 1)
        pmf = binom.pmf(k, n_trials, p)
        keep = pmf > 0
        return k[keep] / n_trials, pmf[keep] / pmf[keep].sum()
    sigma = math.sqrt(n_trials * p * (1 - p))
    k = np.arange(n, dtype=float)
    z, vecs = eigh_tridiagonal(k * (1 - 2 * p) / sigma, np.sqrt(k[1:] * (n_trials - k[1:] + 1) / n_trials))
    return p + sigma / n_trials * z, vecs[0] ** 2


def exp_sinh(step: float, reach: float = 5.0) -> Rule:
    """The exp-sinh (double-exponential) rule for ``int_0^inf f(x) dx``: the trapezoid rule of
    step ``step`` in t after ``x = exp((pi/2) sinh t)``, over ``|t| <= reach``.

    The map makes both ends decay double-exponentially for any f between ``x^(-1+eps)`` at 0
    and ``x^(-1-eps)`` at infinity (endpoint singularities and algebraic tails included), over
    ``x`` from ``e^(-(pi/2) sinh reach)`` to its inverse (2e-51 .. 4e50 at reach 5).  At step
    1/32 it integrates to ~1e-15 an integrand whose scale lies in 1e-2 .. 10, only to ~1e-6 at
    1e-6 or 1e3: callers scale their variable.  Halving the step roughly squares the error.
    A rule for Lebesgue measure on the half-line: the weights do not sum to one.
    """
    t = step * np.arange(-math.floor(reach / step), math.floor(reach / step) + 1)
    x = np.exp(math.pi / 2 * np.sinh(t))
    return x, step * math.pi / 2 * np.cosh(t) * x


def tensor(*rules: Rule) -> tuple[list[np.ndarray], np.ndarray]:
    """Tensor product of rules: flattened node arrays (one per factor) and weights."""
    grids = np.meshgrid(*[r[0] for r in rules], indexing="ij")
    weights = np.ones(())
    for r in rules:
        weights = np.multiply.outer(weights, r[1])
    return [g.ravel() for g in grids], weights.ravel()


def normal_expectation(f, mean: float, sd: float, kink: float = 0.0) -> float:
    """``E f(X)``, ``X ~ N(mean, sd^2)``, for a scalar f smooth but for a kink at ``kink``
    (adaptive quadrature on both sides, 40 standard deviations out, relative tolerance 1e-13)."""
    density = stats.norm(mean, sd).pdf
    lo, hi = mean - 40 * sd, mean + 40 * sd
    split = float(np.clip(kink, lo, hi))
    return sum(integrate.quad(lambda x: f(x) * density(x), a, b, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
               for a, b in ((lo, split), (split, hi)))
