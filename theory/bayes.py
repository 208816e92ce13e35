"""Bayes posterior of a two-Gaussian task with shared covariance (SPEC §A.2).

For ``x | y=+1 ~ N(mu_plus, Lambda)``, ``x | y=-1 ~ N(mu_minus, Lambda)`` and
``P(y=+1) = p``, with precision ``P = Lambda^-1``:

    log P(y=+1|x)/P(y=-1|x) = (mu_plus - mu_minus)^T P x
                              - (mu_plus^T P mu_plus - mu_minus^T P mu_minus) / 2
                              + log(p / (1 - p)).

:func:`log_odds_explicit` derives the left side from the Gaussian densities written out
component by component; :data:`LOG_ODDS` is the right side in the scalar invariants
``A = mu_plus^T P x``, ``B = mu_minus^T P x``, ``C = mu_plus^T P mu_plus``,
``D = mu_minus^T P mu_minus``.  :func:`check_log_odds_form` proves they are equal for a given
d and :func:`offset_under` shows the offset vanishes for equal norms (C = D) and p = 1/2:
the Bayes classifier is then LDA without intercept.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

A, B, C, D = sp.symbols("A B C D", real=True)
p = sp.Symbol("p", positive=True)

#: The Bayes log-odds in the scalar invariants (derived in :func:`check_log_odds_form`).
LOG_ODDS: sp.Expr = A - B - (C - D) / 2 + sp.log(p / (1 - p))

_log_odds_fn = sp.lambdify((A, B, C, D, p), LOG_ODDS, modules="numpy")


def _symmetric(name: str, d: int) -> sp.Matrix:
    return sp.Matrix(d, d, lambda i, j: sp.Symbol(f"{name}{min(i, j)}{max(i, j)}", real=True))


def _vector(name: str, d: int) -> sp.Matrix:
    return sp.Matrix(d, 1, lambda i, _: sp.Symbol(f"{name}{i}", real=True))


@cache
def log_odds_explicit(d: int) -> tuple[sp.Expr, dict[str, sp.Matrix]]:
    """log[p N(x; mu+, P^-1)] - log[(1-p) N(x; mu-, P^-1)] with every component symbolic."""
    P, x, mp, mm = _symmetric("P", d), _vector("x", d), _vector("mp", d), _vector("mm", d)

    def log_gauss_kernel(mu: sp.Matrix) -> sp.Expr:
        # the normalising constant is shared by both classes and cancels
        return -((x - mu).T * P * (x - mu))[0, 0] / 2

    expr = log_gauss_kernel(mp) - log_gauss_kernel(mm) + sp.log(p) - sp.log(1 - p)
    return sp.expand(expr), {"P": P, "x": x, "mu_plus": mp, "mu_minus": mm}


def check_log_odds_form(d: int) -> bool:
    """True iff the explicit derivation equals :data:`LOG_ODDS` identically in dimension d."""
    expr, m = log_odds_explicit(d)
    P, x, mp, mm = m["P"], m["x"], m["mu_plus"], m["mu_minus"]
    invariants = {
        A: (mp.T * P * x)[0, 0],
        B: (mm.T * P * x)[0, 0],
        C: (mp.T * P * mp)[0, 0],
        D: (mm.T * P * mm)[0, 0],
    }
    diff = sp.expand(sp.expand_log(expr - LOG_ODDS.subs(invariants), force=True))
    return diff == 0


def offset_under(equal_norms: bool, balanced: bool) -> sp.Expr:
    """The x-independent part of the log-odds under the stated assumptions."""
    offset = LOG_ODDS.subs({A: 0, B: 0})
    if equal_norms:
        offset = offset.subs(D, C)
    if balanced:
        offset = offset.subs(p, sp.Rational(1, 2))
    return sp.simplify(offset)


def log_odds(
    x: np.ndarray,
    mu_plus: np.ndarray,
    mu_minus: np.ndarray,
    precision: np.ndarray,
    p_plus: float = 0.5,
) -> np.ndarray:
    """Numeric Bayes log-odds, batched over the leading axis (lambdified :data:`LOG_ODDS`).

    ``x``, ``mu_plus``, ``mu_minus`` have shape (..., d); ``precision`` is (d, d).
    """
    Pmp = mu_plus @ precision
    Pmm = mu_minus @ precision
    return _log_odds_fn(
        np.einsum("...i,...i->...", Pmp, x),
        np.einsum("...i,...i->...", Pmm, x),
        np.einsum("...i,...i->...", Pmp, mu_plus),
        np.einsum("...i,...i->...", Pmm, mu_minus),
        p_plus,
    )
