"""The 1/N expansion of alpha_c(N) and the constants of E[TV] for c classes (SPEC §A.5,
claims A3m and A5m; issue 13), derived.

Whitened, with ``lambda = 1/sqrt(N)`` and the counts ``N_k = N p_k + sqrt(N) delta_k``
(``Cov(delta) = diag(p) - p p^T``), the model's logit k at ``W = alpha Lambda^-1`` is
``alpha z_k`` with (SPEC §C.1)

    z_k = (N_k/N) m_k + (sqrt(N_k)/N) e_k = z0_k + lambda z1_k + lambda^2 z2_k + ...,
    z0_k = p_k m_k,   z1_k = delta_k m_k + sqrt(p_k) e_k,   z2_k = delta_k e_k / (2 sqrt(p_k)),

``m_k = mu_k^T w`` and ``e_k = xi_k^T w`` (``xi_k ~ N(0, I)``, so ``E[e e^T | w] = |w|^2 I``).
Given the task and the query, z1 has mean 0 and covariance

    S = diag(p (m^2 + |w|^2)) - (p m)(p m)^T ,

and z2 has mean 0.  The lambda^3 terms vanish in expectation to leading order (e is Gaussian,
so its odd moments are 0, and the counts' third moment is ``E delta^3 = O(N^-1/2)``), so the
expected loss is ``F0(alpha) + F1(alpha)/N + O(N^-2)`` with
``F0 = E l(alpha z0)`` and ``F1 = (alpha^2/2) E tr(H(alpha z0) S)``, ``H(z) = diag(pi) -
pi pi^T`` the Hessian of ``l(z, k) = logsumexp(z) - z_k``.  Since ``F0'(c) = 0``
(:mod:`theory.gaussian_mixtures.minimizer`), ``alpha_c(N) = c + g1(c)/N + ...`` with

    g1(c) = -F1'(c) / F0''(c),   F0''(c) = E[z0^T H z0],
    F1'(c) = c E tr(H S) + (c^2/2) E tr(H' S),   H' = dH/dalpha = diag(pi') - pi' pi^T - pi pi'^T,
    pi' = dpi/dalpha = pi (z0 - pi . z0).

E[TV] (A5m): at M = inf the model's posterior is ``softmax(alpha z0)`` and the Bayes posterior
``softmax(c z0)``, so ``C_N = lim N E[TV] = |g1| E[(1/2) sum_k |pi'_k|]``; at N = inf (alpha = c)
and test prompts of length M the logits are ``c (z0 + z1/sqrt(M))``, whose first-order TV term
``(c/2) sum_k pi_k |(e_k - pi)^T z1|`` has mean

    C_M = lim sqrt(M) E[TV] = (c/2) sqrt(2/pi) E[sum_k pi_k sqrt((e_k - pi)^T S (e_k - pi))].

:func:`second_order_coefficient` and :func:`first_order_tv` carry out the expansion with sympy
for a given c (full vectors, the counts and the noise as symbols, expectations by their
moments); :func:`trace_forms` gives the closed forms above for the same c, and
:func:`numerics.gaussian_mixtures.class_constants` evaluates those closed forms for any c.
The tests check that the two agree.
"""

from __future__ import annotations

import sympy as sp

lam, alpha, w2 = sp.symbols("lambda alpha w2", real=True)


def symbols(c: int) -> dict[str, tuple[sp.Symbol, ...]]:
    return {name: sp.symbols(f"{name}1:{c + 1}", real=True) for name in ("p", "m", "e", "delta")}


def logits(c: int) -> list[sp.Expr]:
    """``z_k(lambda) = (p_k + lambda delta_k) m_k + lambda sqrt(p_k + lambda delta_k) e_k``,
    the exact logits at alpha = 1 (``N_k/N = p_k + lambda delta_k``)."""
    s = symbols(c)
    return [(p + lam * dl) * m + lam * sp.sqrt(p + lam * dl) * e
            for p, m, e, dl in zip(s["p"], s["m"], s["e"], s["delta"], strict=True)]


def expect(expr: sp.Expr, c: int) -> sp.Expr:
    """E over delta (multinomial covariance) and e (i.i.d. N(0, w2)) of a polynomial of degree
    <= 2 in them, independent of each other and with mean 0."""
    s = symbols(c)
    noise = (*s["delta"], *s["e"])
    poly = sp.Poly(sp.expand(expr), *noise)
    out = sp.Integer(0)
    for powers, coeff in poly.terms():
        if sum(powers) == 0:
            out += coeff
            continue
        if sum(powers) != 2:  # odd moments vanish; the expansion has no higher ones
            if sum(powers) % 2:
                continue
            raise ValueError("moments above the second are not needed here")
        idx = [i for i, k in enumerate(powers) for _ in range(k)]
        i, j = idx
        if i < c and j < c:  # delta_i delta_j
            out += coeff * (s["p"][i] * int(i == j) - s["p"][i] * s["p"][j])
        elif i >= c and j >= c:  # e_i e_j
            out += coeff * w2 * int(i == j)
    return out


def second_order_coefficient(c: int, label: int = 0) -> sp.Expr:
    """``E[coefficient of lambda^2 in l(alpha z(lambda), k)]``, by differentiation: F1's
    integrand (any label k: the Hessian of the softmax loss does not involve it, and the
    lambda^2 logit term z2 has mean 0)."""
    z = logits(c)
    loss = sp.log(sum(sp.exp(alpha * zk) for zk in z)) - alpha * z[label]
    second = sp.diff(loss, lam, 2).subs(lam, 0) / 2
    return expect(second, c)


def first_order_tv(c: int) -> list[sp.Expr]:
    """The coefficients of lambda in ``softmax(c z(lambda))_k``: linear in (delta, e), i.e.
    ``c pi_k ((e_k - pi)^T z1)``."""
    z = logits(c)
    total = sum(sp.exp(c * zk) for zk in z)
    return [sp.diff(sp.exp(c * zk) / total, lam).subs(lam, 0) for zk in z]


def trace_forms(c: int) -> dict[str, sp.Expr]:
    """The closed forms of the module docstring, for symbolic p, m and |w|^2 = w2:
    ``F1_integrand = (alpha^2/2) tr(H S)``, ``tv_m_variance_k = (e_k - pi)^T S (e_k - pi)``."""
    s = symbols(c)
    p, m = sp.Matrix(s["p"]), sp.Matrix(s["m"])
    z0 = p.multiply_elementwise(m)
    expz = [sp.exp(alpha * zk) for zk in z0]
    pi = sp.Matrix([x / sum(expz) for x in expz])
    h = sp.diag(*pi) - pi * pi.T
    v = p.multiply_elementwise(m)
    big_s = sp.diag(*[pk * (mk**2 + w2) for pk, mk in zip(p, m, strict=True)]) - v * v.T
    unit = sp.eye(c)
    return {"F1_integrand": alpha**2 / 2 * (h * big_s).trace(),
            "tv_m_variance": [((unit[:, k] - pi).T * big_s * (unit[:, k] - pi))[0, 0] for k in range(c)],
            "pi": list(pi)}
