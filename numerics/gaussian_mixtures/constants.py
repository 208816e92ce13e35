"""The asymptotic constants of paper A's binary claims by quadrature (issue 13):
``g1`` in ``alpha(N) = 2 + g1/N + O(1/N^2)`` (:mod:`numerics.gaussian_mixtures.asymptotics`),
``C_N = lim N E[TV](N, M = inf)`` and ``C_M = lim sqrt(M) E[TV](N = inf, M)``
(:mod:`theory.gaussian_mixtures.tv_constants` derives the integrands).

Whitened, in the plane of the means (``mu_plus = R e1``, ``mu_minus = R (c e1 + s e2)``, c from
the prior's angle rule): given (c, y), ``X0 = y m^T (mu_y + z)`` is normal with mean
``y m^T mu_y`` and standard deviation ``|m|``, so C_N's integrand ``|X0| sigma'(2 X0)`` (a kink
at 0) is integrated in one dimension with the kink as a breakpoint (``scipy.integrate.quad``);
C_M's ``sqrt(Q) sigma'(2 X0)`` is smooth and runs on a Gauss-Hermite tensor in (z1, z2) with a
generalised Gauss-Laguerre rule for the chi-square of the d - 2 components off the plane.
Each constant's error is the difference between two resolutions.  None depends on Lambda:
TV and alpha are invariant under whitening (SPEC §C.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate

from numerics import quadrature as qr
from numerics.gaussian_mixtures.asymptotics import g1
from numerics.gaussian_mixtures.priors import TaskPrior
from theory.gaussian_mixtures.tv_constants import integrands

#: the relative error the adaptive quadratures are asked for (1e-13 each, nested), stated as
#: a floor under every error estimate
QUAD_RTOL = 1e-11


@dataclass(frozen=True)
class Constant:
    """A computed constant and the estimate of its error."""

    value: float
    error: float


@dataclass(frozen=True)
class Constants:
    g1: Constant
    tv_n: Constant
    tv_m: Constant


def _angles(prior: TaskPrior, n_angle: int) -> tuple[np.ndarray, np.ndarray]:
    return qr.point(-1.0) if prior.kind == "antipodal" else qr.cos_angle(prior.d, n_angle)


def _plane(c: float, big_r: float) -> tuple[np.ndarray, np.ndarray]:
    s = np.sqrt(max(1 - c * c, 0.0))
    return np.array([big_r, 0.0]), np.array([big_r * c, big_r * s])


def tv_n_integral(prior: TaskPrior, n_angle: int = 64) -> float:
    """``E[|X0| sigma'(2 X0)]`` (C_N = |g1| times this)."""
    f_n, _ = integrands()
    cs, wc = _angles(prior, n_angle)
    total = 0.0
    for c, weight in zip(cs, wc, strict=True):
        mp, mm = _plane(float(c), prior.snr)
        m = (mp - mm) / 2
        if not np.any(m):  # mu_plus = mu_minus (d = 1, angle 0): X0 = 0, and so is |X0| sigma'
            continue
        for y, mu in ((1.0, mp), (-1.0, mm)):
            total += weight * 0.5 * qr.normal_expectation(lambda x: float(f_n(x)), y * m @ mu,
                                                        float(np.linalg.norm(m)))
    return total


def _root_mean(a: float, mean_b: float, kappa: float, k: int) -> float:
    """``E sqrt(a^2 + kappa w_b^2 + r)``, ``w_b ~ N(mean_b, 1)``, ``r ~ chi-square(k)``, from
    ``sqrt(x) = (1 / (2 sqrt(pi))) int_0^inf (1 - e^(-t x)) t^(-3/2) dt`` and the Laplace
    transform of ``kappa w_b^2 + r``: one smooth integral (``t = s^2``)."""
    def integrand(s: float) -> float:
        t = s * s
        laplace = ((1 + 2 * kappa * t) ** -0.5 * np.exp(-kappa * t * mean_b**2 / (1 + 2 * kappa * t))
                   * (1 + 2 * t) ** (-k / 2))
        if s == 0:  # the limit s -> 0: 2 E[a^2 + kappa w_b^2 + r]
            return 2 * (a * a + kappa * (1 + mean_b**2) + k)
        return 2 * (1 - np.exp(-t * a * a) * laplace) / (s * s)
    value = integrate.quad(integrand, 0, np.inf, epsabs=1e-15, epsrel=1e-13, limit=400)[0]
    return value / (2 * np.sqrt(np.pi))


def tv_m_constant(prior: TaskPrior, n_angle: int = 64) -> float:
    """``C_M = 2 sqrt(2/pi) E[sqrt(Q) sigma'(2 X0)]`` (Q of :mod:`theory.gaussian_mixtures.expansion`).

    In plane coordinates along ``m`` and ``mu_plus + mu_minus`` (orthogonal: equal norms),
    ``X0 = y |m| w_a`` and ``Q = w_a^2 + kappa w_b^2 + r`` with ``kappa = 1 + |mu_plus +
    mu_minus|^2 / 4``, ``r ~ chi-square(d - 2)``: the expectation over (w_b, r) is
    :func:`_root_mean`, the one over w_a a quadrature with a breakpoint at 0 (d = 1: |w_a|)."""
    _, f_m = integrands()
    cs, wc = _angles(prior, n_angle)
    d = prior.d
    total = 0.0
    for c, weight in zip(cs, wc, strict=True):
        mp, mm = _plane(float(c), prior.snr)
        m, plus = (mp - mm) / 2, (mp + mm) / 2
        norm_m, norm_plus = float(np.linalg.norm(m)), float(np.linalg.norm(plus))
        # m = 0 only at d = 1 with mu_plus = mu_minus: then w lies along mu_plus + mu_minus
        e_a = m / norm_m if norm_m > 0 else plus / norm_plus
        e_b = plus / norm_plus if norm_plus > 0 else np.array([-e_a[1], e_a[0]])
        kappa = 1 + norm_plus**2
        for y, mu in ((1.0, mp), (-1.0, mm)):
            k = max(d - 2, 0) if d >= 2 else 0
            mean_b = float(e_b @ mu) if d >= 2 else 0.0
            scale = kappa if d >= 2 else 0.0
            # d = 1: w = w_a e_a and Q = (1 + (plus . e_a)^2) w_a^2
            line = math.sqrt(1 + float(plus @ e_a) ** 2)

            def f(a: float, y: float = y, mean_b: float = mean_b, scale: float = scale, k: int = k,
                  norm_m: float = norm_m, line: float = line) -> float:
                root = _root_mean(a, mean_b, scale, k) if (scale or k) else line * abs(a)
                return float(f_m(y * norm_m * a, root**2))

            total += weight * 0.5 * qr.normal_expectation(f, float(e_a @ mu), 1.0)
    return total


def constants(prior: TaskPrior) -> Constants:
    """g1, C_N and C_M for a binary prior under the paper's assumptions, each with the
    difference between two quadrature resolutions as its error."""
    if not prior.satisfies_paper_assumptions or not prior.invariant:
        raise ValueError("prior: the constants are derived for the paper's invariant law only")
    fine, coarse = g1(prior, 160, 64), g1(prior, 120, 48)
    n_fine, n_coarse = tv_n_integral(prior, 32), tv_n_integral(prior, 24)
    m_fine, m_coarse = tv_m_constant(prior, 24), tv_m_constant(prior, 16)

    if not all(np.isfinite(v) for v in (fine, coarse, n_fine, n_coarse, m_fine, m_coarse)):
        raise ArithmeticError(f"constants: a quadrature gave a non-finite value for {prior.describe()}")

    def error(a: float, b: float) -> float:
        # the resolutions' difference, at least the nested adaptive quadratures' tolerance
        return max(abs(a - b), QUAD_RTOL * abs(a))

    tv_n = abs(fine) * n_fine
    return Constants(Constant(fine, error(fine, coarse)), Constant(tv_n, error(tv_n, abs(coarse) * n_coarse)),
                     Constant(m_fine, error(m_fine, m_coarse)))
