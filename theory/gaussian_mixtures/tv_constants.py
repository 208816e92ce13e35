"""The constants of E[TV] (SPEC §A.4, A5; issue 13), derived.

For the paper's law, whitened, the model's logit on a query ``w`` is ``alpha a^T w`` and the
Bayes log-odds ``2 m^T w`` (``m = (mu_plus - mu_minus)/2``; ``u = m^T w``, so that
``u = y X0`` in :mod:`theory.gaussian_mixtures.expansion`'s notation and ``sigma'`` is even):

* **N -> inf at M = inf** (``a = m``, ``alpha = 2 + g1/N + ...``): the first-order term of
  ``sigma(alpha u) - sigma(2 u)`` in ``alpha - 2`` is ``(alpha - 2) u sigma'(2 u)``, so

      C_N = lim N E[TV] = |g1| E[|X0| sigma'(2 X0)];

* **M -> inf at N = inf** (``alpha = 2``, ``a = m + e / sqrt(M)``, ``e^T w -> N(0, Q)`` given
  w, Q as in the expansion): the first-order term of ``sigma(2u + 2 lambda v) - sigma(2u)``
  in ``lambda = 1/sqrt(M)`` is ``2 lambda v sigma'(2u)``, and ``E|v| = sqrt(2 Q / pi)``, so

      C_M = lim sqrt(M) E[TV] = 2 sqrt(2/pi) E[sqrt(Q) sigma'(2 X0)].

:func:`integrands` derives both integrands with sympy and lambdifies them;
:mod:`numerics.gaussian_mixtures.constants` integrates their tilted form (sigma'(2 X0) against
N(0, M) in place of N(M, M)), and tests/test_constants_extreme.py checks it against them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy as sp

u, q, alpha, lam, v = sp.symbols("u Q alpha lambda v", real=True)


def sigma(x: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-x))


def first_order_in_alpha() -> sp.Expr:
    """The coefficient of ``(alpha - 2)`` in ``sigma(alpha u) - sigma(2 u)``."""
    return sp.simplify(sp.diff(sigma(alpha * u), alpha).subs(alpha, 2))


def first_order_in_prompt_noise() -> sp.Expr:
    """``E_v |coefficient of lambda|`` in ``sigma(2u + 2 lambda v) - sigma(2u)``, v ~ N(0, Q)."""
    coefficient = sp.diff(sigma(2 * u + 2 * lam * v), lam).subs(lam, 0)
    scale = sp.simplify(coefficient / v)  # the coefficient is v times this, which has one sign
    q_pos = sp.Symbol("Q", positive=True)
    mean_abs = sp.integrate(2 * v * sp.exp(-v**2 / (2 * q_pos)) / sp.sqrt(2 * sp.pi * q_pos), (v, 0, sp.oo))
    return sp.simplify(scale * mean_abs.subs(q_pos, q))


@cache
def integrands() -> tuple[Callable, Callable]:
    """``f_N(u) = |u| sigma'(2u)`` (times |g1| gives C_N's integrand) and ``f_M(u, Q)``, C_M's."""
    f_n = sp.Abs(u) * first_order_in_alpha() / u  # |u| times the coefficient's factor sigma'(2u)
    f_m = first_order_in_prompt_noise()
    return sp.lambdify(u, sp.simplify(f_n), "numpy"), sp.lambdify((u, q), f_m, "numpy")
