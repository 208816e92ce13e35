"""The loss on the ray W = alpha Lambda^-1 as a low-dimensional integral (SPEC §C.2).

Whitening (``x~ = Lambda^-1/2 x``) turns W = alpha Lambda^-1 into V = alpha I and the means
into ``R u_plus``, ``kappa R u_minus``.  By rotation invariance put ``u_plus = e1`` and
``u_minus = c e1 + s e2`` (``c`` the cosine of the angle, ``s = sqrt(1 - c^2)``).  With
``f = N_plus / N`` and ``xi = (xi1, xi2, xi_perp)``, ``|xi_perp|^2 = chi ~ chi^2_(d-2)``:

    a   = f mu_plus - (1 - f) mu_minus + xi / sqrt(N)
    X_y = y a^T x_q | (a, y)  ~  N(M_y, S),   M_+ = a . mu_plus,  M_- = -a . mu_minus,
                                              S   = |a|^2
    L(alpha)   = sum_y p_y E[ h(alpha X_y) ]
    L'(alpha)  = sum_y p_y E[ X_y h'(alpha X_y) ]
    L''(alpha) = sum_y p_y E[ X_y^2 h''(alpha X_y) ]

The expectation runs over f (Gauss rule of the binomial law), c (Gauss-Jacobi, or a point
for the antipodal prior), xi1, xi2 (Gauss-Hermite), chi (generalised Gauss-Laguerre) and the
query's 1-D Gaussian (trapezoid).  When ``s = 0`` for every task (antipodal), xi2 only enters
through ``|a|^2`` and is folded into ``chi ~ chi^2_(d-1)`` -- SPEC's three-variable integral.
When the integrand does not depend on f (``mu_plus + mu_minus = 0``) the f-axis is dropped.

Every rule has a resolution; :func:`alpha_star` solves ``L'(alpha) = 0`` at two
resolutions and reports their difference as the error estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numerics import quadrature as qr
from numerics.newton import ray_newton
from numerics.priors import TaskPrior
from theory.losses import derivatives_fn

#: outer nodes processed per block (bounds memory at ~ block * n_t doubles per array)
_BLOCK = 4096


@dataclass(frozen=True)
class Resolution:
    """Node counts of the reduced rule (one rung of :data:`LADDER`)."""

    n_count: int
    n_angle: int
    n_xi: int
    n_chi: int
    t_resolution: float  # trapezoid step = pi / (t_resolution * sqrt(max alpha^2 S))


#: Resolutions of increasing accuracy and cost; :func:`alpha_star` climbs it until two
#: successive rungs agree to the requested tolerance.
LADDER: tuple[Resolution, ...] = (
    Resolution(6, 8, 8, 8, 2.5),
    Resolution(8, 12, 12, 10, 3.0),
    Resolution(10, 16, 16, 14, 4.0),
    Resolution(14, 20, 24, 18, 5.0),
    Resolution(18, 28, 32, 24, 6.0),
    Resolution(24, 36, 48, 32, 7.5),
)


@dataclass(frozen=True)
class ReducedNodes:
    """Outer nodes: the two label cases' (M_y, S) with their weights (p_y folded in)."""

    mean: np.ndarray    # (n,) M_y
    var: np.ndarray     # (n,) S
    weight: np.ndarray  # (n,)


def _rules(prior: TaskPrior, n: float, res: Resolution) -> list[qr.Rule]:
    """The five factor rules (f, c, xi1, xi2, chi) of the reduced integral."""
    if not prior.invariant:
        raise ValueError("prior: the scalar reduction needs a rotation-invariant prior")
    d, p = prior.d, prior.p_plus
    finite = not math.isinf(n)
    c_rule = qr.point(-1.0) if prior.kind == "antipodal" else qr.cos_angle(d, res.n_angle)
    folded = bool(np.all(np.abs(c_rule[0]) == 1.0))
    f_matters = not (prior.kind == "antipodal" and prior.minus_scale == 1.0)
    chi_dof = max(d - 1, 0) if folded else max(d - 2, 0)
    return [
        qr.binomial_fraction(int(n), p, res.n_count) if finite and f_matters else qr.point(p),
        c_rule,
        qr.standard_normal(res.n_xi) if finite else qr.point(),
        qr.standard_normal(res.n_xi) if finite and d >= 2 and not folded else qr.point(),
        qr.chi_square(chi_dof, res.n_chi) if finite else qr.point(),
    ]


def node_count(prior: TaskPrior, n: float, res: Resolution) -> int:
    """Number of outer nodes (both labels) the reduced rule uses at this resolution."""
    return 2 * math.prod(rule[0].size for rule in _rules(prior, n, res))


def reduced_nodes(prior: TaskPrior, n: float, res: Resolution) -> ReducedNodes:
    big_r, r_minus, p = prior.snr, prior.minus_scale * prior.snr, prior.p_plus
    (f, c, x1, x2, ch), w = qr.tensor(*_rules(prior, n, res))
    s = np.sqrt(np.clip(1 - c * c, 0, None))
    scale = 0.0 if math.isinf(n) else 1 / math.sqrt(n)
    a1 = f * big_r - (1 - f) * r_minus * c + scale * x1
    a2 = -(1 - f) * r_minus * s + scale * x2
    var = a1 * a1 + a2 * a2 + scale * scale * ch
    return ReducedNodes(
        mean=np.concatenate([big_r * a1, -r_minus * (c * a1 + s * a2)]),
        var=np.concatenate([var, var]),
        weight=np.concatenate([p * w, (1 - p) * w]),
    )


def ray_derivatives(nodes: ReducedNodes, alpha: float, res: Resolution,
                    orders: tuple[int, ...] = (0, 1, 2), loss_name: str = "logistic"
                    ) -> tuple[float, ...]:
    """``d^k/dalpha^k L(alpha)`` for k in ``orders``, on the ray W = alpha Lambda^-1.

    Uses ``d^k/dalpha^k E h(alpha X) = E[X^k h^(k)(alpha X)]``.
    """
    spread = max(abs(alpha) * math.sqrt(float(nodes.var.max())), 1e-12)
    step = min(0.25, math.pi / (res.t_resolution * spread))
    t, wt = qr.normal_trapezoid(step)
    hs = derivatives_fn(loss_name, orders)
    out = np.zeros(len(orders))
    for lo in range(0, nodes.mean.size, _BLOCK):
        sl = slice(lo, lo + _BLOCK)
        x = nodes.mean[sl, None] + np.sqrt(nodes.var[sl, None]) * t[None, :]
        for i, (k, hk) in enumerate(zip(orders, hs(alpha * x), strict=True)):
            out[i] += nodes.weight[sl] @ ((x**k * hk) @ wt)
    return tuple(float(v) for v in out)


def _root(nodes: ReducedNodes, res: Resolution, alpha0: float) -> float:
    """alpha minimising L on the ray at this resolution (L is strictly convex along it)."""
    return ray_newton(lambda a: ray_derivatives(nodes, a, res, orders=(1, 2)), alpha0)


@dataclass(frozen=True)
class AlphaStar:
    """``W*(N) = alpha Lambda^-1``; ``error`` is the quadrature error estimate of alpha."""

    alpha: float
    error: float
    n: float
    rung: int  # index into LADDER of the resolution that produced ``alpha``

    def w(self, prior: TaskPrior) -> np.ndarray:
        return self.alpha * prior.precision


_MEMO: dict[tuple, AlphaStar] = {}


def alpha_star(prior: TaskPrior, n: float, *, rtol: float = 1e-7, atol: float = 0.0,
               g_rtol: float = 0.0, max_nodes: float = 2e6, alpha0: float = 2.0) -> AlphaStar:
    """Minimiser of L on the ray W = alpha Lambda^-1 -- which is W* for invariant priors.

    Climbs :data:`LADDER` from the finest rung with at most ~1e4 outer nodes: it stops when
    two successive rungs agree to ``atol + rtol |alpha| + g_rtol |alpha - 2|`` (the last
    term is relative to |G| = |alpha/2 - 1| max|Lambda^-1_ij|, claim A3) or the next rung would exceed
    ``max_nodes`` outer nodes.  Returns the finer value and the difference as its error
    estimate (conservative: the error of the finer rung is typically far smaller).
    The result is deterministic, so it is memoised per (prior, n, tolerances).
    """
    key = (prior.key(), n, rtol, atol, g_rtol, max_nodes, alpha0)
    if key not in _MEMO:
        _MEMO[key] = _alpha_star(prior, n, rtol, atol, g_rtol, max_nodes, alpha0)
    return _MEMO[key]


def _alpha_star(prior: TaskPrior, n: float, rtol: float, atol: float, g_rtol: float,
                max_nodes: float, alpha0: float) -> AlphaStar:
    sizes = [node_count(prior, n, res) for res in LADDER]
    start = min(max([0] + [i for i, s in enumerate(sizes) if s <= 1e4]), len(LADDER) - 2)
    alpha = _root(reduced_nodes(prior, n, LADDER[start]), LADDER[start], alpha0)
    error, rung = math.inf, start
    for rung in range(start + 1, len(LADDER)):
        if sizes[rung] > max_nodes:
            rung -= 1
            break
        finer = _root(reduced_nodes(prior, n, LADDER[rung]), LADDER[rung], alpha)
        error, alpha = abs(finer - alpha), finer
        if error <= atol + rtol * abs(alpha) + g_rtol * abs(alpha - 2):
            break
    return AlphaStar(alpha=alpha, error=error, n=n, rung=rung)
