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
from dataclasses import dataclass, replace

import numpy as np

from numerics import quadrature as qr
from numerics.priors import TaskPrior
from theory.losses import derivatives_fn

#: outer nodes processed per block (bounds memory at ~ block * n_t doubles per array)
_BLOCK = 4096


@dataclass(frozen=True)
class Resolution:
    """Node counts of the reduced rule; ``refined()`` is the check level for error estimates."""

    n_count: int = 16
    n_angle: int = 24
    n_xi: int = 32
    n_chi: int = 24
    t_resolution: float = 5.0  # trapezoid step = pi / (t_resolution * sqrt(max alpha^2 S))

    def refined(self) -> Resolution:
        return replace(self, n_count=self.n_count + 8, n_angle=self.n_angle + 8,
                       n_xi=self.n_xi + 12, n_chi=self.n_chi + 8,
                       t_resolution=1.5 * self.t_resolution)


@dataclass(frozen=True)
class ReducedNodes:
    """Outer nodes: the two label cases' (M_y, S) with their weights (p_y folded in)."""

    mean: np.ndarray    # (n,) M_y
    var: np.ndarray     # (n,) S
    weight: np.ndarray  # (n,)


def reduced_nodes(prior: TaskPrior, n: float, res: Resolution = Resolution()) -> ReducedNodes:
    if not prior.invariant:
        raise ValueError("prior: the scalar reduction needs a rotation-invariant prior")
    d, big_r = prior.d, prior.snr
    r_minus = prior.minus_scale * big_r
    p = prior.p_plus
    finite = not math.isinf(n)
    c_rule = qr.point(-1.0) if prior.kind == "antipodal" else qr.cos_angle(d, res.n_angle)
    folded = bool(np.all(np.abs(c_rule[0]) == 1.0))
    f_matters = not (prior.kind == "antipodal" and r_minus == big_r)
    f_rule = qr.binomial_fraction(int(n), p, res.n_count) if finite and f_matters else qr.point(p)
    xi1 = qr.standard_normal(res.n_xi) if finite else qr.point()
    xi2 = qr.standard_normal(res.n_xi) if finite and d >= 2 and not folded else qr.point()
    chi_dof = max(d - 1, 0) if folded else max(d - 2, 0)
    chi = qr.chi_square(chi_dof, res.n_chi) if finite else qr.point()
    (f, c, x1, x2, ch), w = qr.tensor(f_rule, c_rule, xi1, xi2, chi)
    s = np.sqrt(np.clip(1 - c * c, 0, None))
    scale = 1 / math.sqrt(n) if finite else 0.0
    a1 = f * big_r - (1 - f) * r_minus * c + scale * x1
    a2 = -(1 - f) * r_minus * s + scale * x2
    var = a1 * a1 + a2 * a2 + scale * scale * ch
    m_plus = big_r * a1
    m_minus = -r_minus * (c * a1 + s * a2)
    return ReducedNodes(
        mean=np.concatenate([m_plus, m_minus]),
        var=np.concatenate([var, var]),
        weight=np.concatenate([p * w, (1 - p) * w]),
    )


def ray_derivatives(nodes: ReducedNodes, alpha: float, res: Resolution = Resolution(),
                    loss_name: str = "logistic") -> tuple[float, float, float]:
    """``(L, L', L'')`` at alpha on the ray W = alpha Lambda^-1."""
    spread = max(abs(alpha) * math.sqrt(float(nodes.var.max())), 1e-12)
    step = min(0.25, math.pi / (res.t_resolution * spread))
    t, wt = qr.normal_trapezoid(step)
    hs = derivatives_fn(loss_name, (0, 1, 2))
    out = np.zeros(3)
    for lo in range(0, nodes.mean.size, _BLOCK):
        sl = slice(lo, lo + _BLOCK)
        x = nodes.mean[sl, None] + np.sqrt(nodes.var[sl, None]) * t[None, :]
        h0, h1, h2 = hs(alpha * x)
        w = nodes.weight[sl]
        out += [w @ (h0 @ wt), w @ ((x * h1) @ wt), w @ ((x * x * h2) @ wt)]
    return float(out[0]), float(out[1]), float(out[2])


def _newton(nodes: ReducedNodes, res: Resolution, alpha0: float, tol: float = 1e-13,
            max_iter: int = 60) -> float:
    """Safeguarded Newton on L'(alpha) = 0 (L is strictly convex along the ray)."""
    lo, hi = -math.inf, math.inf
    alpha = alpha0
    for _ in range(max_iter):
        _, g, hess = ray_derivatives(nodes, alpha, res)
        if g > 0:
            hi = min(hi, alpha)
        else:
            lo = max(lo, alpha)
        step = g / hess
        nxt = alpha - step
        if not (lo < nxt < hi):  # Newton left the bracket: bisect (or expand it)
            if math.isinf(lo) or math.isinf(hi):
                nxt = alpha - math.copysign(max(1.0, abs(alpha)), g)
            else:
                nxt = 0.5 * (lo + hi)
        if abs(nxt - alpha) <= tol * max(1.0, abs(alpha)):
            return nxt
        alpha = nxt
    raise RuntimeError("alpha_star: Newton did not converge")


@dataclass(frozen=True)
class AlphaStar:
    """``W*(N) = alpha Lambda^-1`` with the quadrature error estimate of alpha."""

    alpha: float
    error: float
    n: float

    def w(self, prior: TaskPrior) -> np.ndarray:
        return self.alpha * prior.precision


def alpha_star(prior: TaskPrior, n: float, res: Resolution = Resolution(),
               alpha0: float = 2.0) -> AlphaStar:
    """Minimiser of L on the ray W = alpha Lambda^-1, which is W* for invariant priors.

    Solved at ``res`` and at ``res.refined()``; the refined value is returned and the
    difference is its (conservative) error estimate.
    """
    coarse = _newton(reduced_nodes(prior, n, res), res, alpha0)
    fine_res = res.refined()
    fine = _newton(reduced_nodes(prior, n, fine_res), fine_res, coarse)
    return AlphaStar(alpha=fine, error=abs(fine - coarse), n=n)
