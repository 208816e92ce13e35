"""The N -> inf minimiser: first-order condition at W = 2 Lambda^-1 (SPEC §A.5, A3).

With N = inf the prompt statistic is ``a = (mu_plus - mu_minus)/2`` (balanced classes), so
at ``W = 2 Lambda^-1`` the model's logit is ``2 a^T Lambda^-1 x = (mu_plus - mu_minus)^T
Lambda^-1 x``, which under equal norms is exactly the Bayes log-odds ``L(x)``
(:func:`model_logit_is_bayes`).  Conditional on x, the expected gradient of the logistic
loss is then ``[sigma(L) h'(L) - sigma(-L) h'(-L)] a x^T`` (y = +1 with probability
sigma(L)), and :func:`conditional_gradient_coefficient` shows the bracket is identically 0:
every task's expected gradient vanishes, so W = 2 Lambda^-1 is the minimiser for every
prior with equal norms and balanced classes.
"""

from __future__ import annotations

import sympy as sp

from theory import bayes, losses

L = sp.Symbol("L", real=True)


def _h1(s: sp.Expr) -> sp.Expr:
    sig = 1 / (1 + sp.exp(-s))
    return losses.derivative("logistic", 1).subs({losses.q: sig, losses.r: 1 - sig})


def conditional_gradient_coefficient() -> sp.Expr:
    """``P(y=+1|x) * 1 * h'(L) + P(y=-1|x) * (-1) * h'(-L)`` with P(y=+1|x) = sigma(L)."""
    p_plus = 1 / (1 + sp.exp(-L))
    return sp.simplify(p_plus * _h1(L) - (1 - p_plus) * _h1(-L))


def model_logit_is_bayes() -> bool:
    """``2 a^T P x`` with ``a = (mu+ - mu-)/2`` equals the Bayes log-odds when C = D, p = 1/2."""
    bayes_equal = bayes.LOG_ODDS.subs({bayes.D: bayes.C, bayes.p: sp.Rational(1, 2)})
    model = 2 * (bayes.A - bayes.B) / 2  # 2 a^T P x in the invariants A = mu+^T P x, B = mu-^T P x
    return sp.simplify(model - bayes_equal) == 0
