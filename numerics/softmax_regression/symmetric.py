"""The exact population loss on the families gradient descent from Q = 0 stays in (SPEC §B.2).

GD on the K x K block commutes with every permutation of the features that preserves p, so
from ``Q_0 = 0`` the iterates keep that symmetry:

* **balanced** (``p_k = 1/K``): ``Q = A I + B (J - I)``; a query ``v_k`` sees one binomial
  count ``n_k ~ Bin(N, 1/K)``, the other features sharing ``m = N - n_k``;
* **imbalanced** (``p_1`` dominant, the rest equal): five values -- column 1 (the dominant
  query) ``a`` on the diagonal, ``b`` elsewhere; a minority column k ``c`` on the diagonal,
  ``e`` in row 1, ``f`` elsewhere; a minority query sees ``(n_k, n_1)``, the other K - 2
  features sharing ``r = N - n_k - n_1``.

The features that share a count enter the loss only through ``sum_j pi_j^2``, which is
``e^(2 z) sum_j n_j^2 / D^2`` with one logit z for all of them, and
``E[sum_j n_j^2 | m] = m (1 - 1/k) + m^2/k`` over k equally likely features.  The loss and
gradient are linear in that sum, so the conditional moment makes the reduction exact; the
count sums are truncated where the pmf is negligible (:func:`counts.keep_mass`) and the mass
dropped is reported (for the imbalanced family an upper bound: the sum of what each of its
truncations dropped).

The parameters move by full-block GD: each family value moves by ``-eta`` times the
gradient entry ``dL/dQ_jk`` of its orbit (:attr:`Point.orbit_gradient`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy import stats

from numerics.softmax_regression.counts import DROPPED_MASS, keep_mass


def shared_square_moment(m: np.ndarray, k: int) -> np.ndarray:
    """``E[sum_j n_j^2]`` when m tokens fall uniformly on k features (0 when k = 0)."""
    if k == 0:
        return np.zeros_like(m)
    return m * (1 - 1 / k) + m**2 / k


def binomial_support(N: int, p: float, tolerance: float) -> tuple[np.ndarray, np.ndarray, float]:
    n = np.arange(N + 1)
    pmf = stats.binom.pmf(n, N, p)
    keep, dropped = keep_mass(pmf, tolerance)
    return n[keep].astype(float), pmf[keep], dropped


@dataclass(frozen=True)
class Point:
    """The population quantities at one Q: ``feature_loss[k] = E_n[l_k]``,
    ``attention[k] = E_n[pi_k]`` (query k on its own feature), ``loss = sum_k p_k
    feature_loss[k]``, the gradient entry of each orbit (in the model's parameter order) and
    the pmf mass dropped.  For the phase rule (:mod:`checks.softmax_regression.phases`):
    ``rival[k]``, the largest attention query k pays one other feature, ``max_(j != k)
    E_n[pi_j]``; ``rising[k]``, whether GD raises some off-target weight ``Q_jk`` of
    column k (some ``dL/dQ_jk < 0``)."""

    loss: float
    feature_loss: np.ndarray
    attention: np.ndarray
    orbit_gradient: np.ndarray
    dropped: float
    rival: np.ndarray
    rising: np.ndarray
    loss_stderr: float = 0.0   # Monte Carlo's standard error of ``loss`` (0: exact)


def _one_shared_logit(n: np.ndarray, m: np.ndarray, s2: np.ndarray, delta: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """pi_k and sum_j pi_j^2 when the query's feature has logit ``delta`` above the one logit
    of the others (``x = e^-delta`` keeps large delta finite)."""
    x = np.exp(-delta)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = n + m * x
        pi = np.where(n > 0, n / denom, 0.0)
        others = np.where(n > 0, s2 * x**2 / denom**2, s2 / np.where(m > 0, m, 1) ** 2)
    return pi, others


class BalancedParameters:
    """``Q = A I + B (J - I)`` under ``p_k = 1/K``, parameters ``(A, B)`` from 0: the family of
    the balanced law, for softmax (:class:`BalancedFamily`) and linear attention alike."""

    K: int

    @property
    def start(self) -> np.ndarray:
        return np.zeros(2)

    @property
    def p(self) -> np.ndarray:
        return np.full(self.K, 1 / self.K)

    def matrix(self, params: np.ndarray) -> np.ndarray:
        A, B = params
        return B * np.ones((self.K, self.K)) + (A - B) * np.eye(self.K)


@dataclass(frozen=True)
class BalancedFamily(BalancedParameters):
    """Softmax attention on the balanced family (:class:`BalancedParameters`).

    Everything depends on ``delta = A - B`` alone: with ``x = e^-delta`` and ``u = 1/D``,
    ``D = n + m x``, a query sees ``pi_k = n u`` and ``sum_j pi_j^2 = x^2 s2 u^2``, so

        L   = (1/2) (W - 2 E[n u] + E[n^2 u^2] + x^2 E[s2 u^2]),
        g_k = (2 E[n^2 u^2] - E[n u] - E[n^3 u^3] - x^2 E[n s2 u^3]) / K,

    ``E[.]`` the pmf-weighted sums over the counts with ``n > 0`` (W their weight; a prompt
    without the query's feature adds the constant ``(1/2) w_0 (1 + s2_0 / N^2)`` to L and
    nothing else): three matrix-vector products per evaluation.  GD moves ``delta`` by
    ``-eta K/(K - 1) g_k`` (the diagonal entry ``g_k`` down, the off-diagonal ``-g_k/(K - 1)``
    up), so :meth:`path` and :meth:`first_time` run the whole descent as a loop on one float."""

    K: int
    N: int
    tolerance: float = DROPPED_MASS

    def __post_init__(self) -> None:
        n, w, dropped = binomial_support(self.N, 1 / self.K, self.tolerance)
        m = self.N - n
        s2 = shared_square_moment(m, self.K - 1)
        seen = n > 0
        absent = float(0.5 * w[~seen] @ (1 + s2[~seen] / m[~seen] ** 2))
        n, m, s2, w = n[seen], m[seen], s2[seen], w[seen]
        rows = (w * n, np.stack([w * n**2, w * s2]), np.stack([w * n**3, w * n * s2]))
        object.__setattr__(self, "_sums", (n, m, rows, float(w.sum()), absent, dropped))

    def moments(self, delta: float) -> tuple[float, float, float]:
        """``(L, g_k, E[pi_k])`` at ``delta = A - B`` (the class docstring's moments)."""
        n, m, (first, second, third), weight, absent, _ = self._sums
        # Python floats between the products: numpy's per-call cost, not the arithmetic, is
        # what a step of the 10^5-step sweeps spends
        x = math.exp(-delta) if delta > -700 else math.inf
        u = 1 / (n + m * x)
        u2 = u * u
        a1 = float(first @ u)
        b_nn, b_s = (second @ u2).tolist()
        c_nnn, c_ns = (third @ (u2 * u)).tolist()
        x2 = x * x
        loss = 0.5 * (weight - 2 * a1 + b_nn + x2 * b_s) + absent
        return loss, (2 * b_nn - a1 - c_nnn - x2 * c_ns) / self.K, a1

    def _features(self, loss: np.ndarray, g: np.ndarray, att: np.ndarray) -> dict[str, np.ndarray]:
        """The per-feature :class:`Point` fields, (T, K), from ``(L, g_k, E[pi_k])`` at T steps:
        every feature alike, its rival the rest of the attention shared by the other K - 1, and
        its off-target weights rising where the off-diagonal gradient ``-g_k/(K - 1)`` is < 0."""
        def alike(v: np.ndarray) -> np.ndarray:
            return np.repeat(v[:, None], self.K, axis=1)

        return {"feature_loss": alike(loss), "attention": alike(att),
                "rival": alike((1 - att) / (self.K - 1)), "rising": alike(-g / (self.K - 1) < 0)}

    def evaluate(self, params: np.ndarray) -> Point:
        loss, g, att = self.moments(params[0] - params[1])
        f = self._features(np.array([loss]), np.array([g]), np.array([att]))
        return Point(loss, f["feature_loss"][0], f["attention"][0], np.array([g, -g / (self.K - 1)]),
                     self.dropped, f["rival"][0], f["rising"][0])

    @property
    def dropped(self) -> float:
        return self._sums[-1]

    def _deltas(self, eta: float, steps: int) -> Iterator[tuple[float, float, float]]:
        """``(L, g_k, E[pi_k])`` at t = 0 .. steps of GD from Q = 0: the descent of
        :func:`numerics.softmax_regression.gd.iterates` on ``delta`` alone, with no
        :class:`Point` per step (B1's time-to-eps sweep takes 6.5 x 10^5 steps)."""
        rate = eta * self.K / (self.K - 1)
        delta = 0.0
        for _ in range(steps + 1):
            row = self.moments(delta)
            yield row
            delta -= rate * row[1]

    def first_time(self, eta: float, reached: Callable[[float], bool], max_steps: int) -> int:
        """The first step at which ``reached(L)`` holds (-1: not within ``max_steps``), in
        constant memory."""
        for t, (loss, _, _) in enumerate(self._deltas(eta, max_steps)):
            if reached(loss):
                return t
        return -1

    def path(self, eta: float, steps: int, record: np.ndarray) -> dict:
        """The :class:`Point` fields at the steps ``record`` (sorted, within 0 .. steps) of GD
        from Q = 0, as arrays over them (rows), and the parameters at step ``steps``: only the
        recorded steps are kept."""
        rows = np.empty((len(record), 3))
        spent, i = 0.0, 0  # A_t = -eta sum_(s<t) g_s, B_t = eta sum_(s<t) g_s / (K - 1)
        for t, row in enumerate(self._deltas(eta, steps)):
            if i < len(record) and record[i] == t:
                rows[i] = row
                i += 1
            if t < steps:
                spent += eta * row[1]
        loss, g, att = rows.T
        return {"loss": loss, **self._features(loss, g, att),
                "params": np.array([0.0 - spent, spent / (self.K - 1)])}


@dataclass(frozen=True)
class ImbalancedFamily:
    """p_1 dominant, the other K - 1 equal; parameters ``(a, b, c, e, f)`` (module docstring)."""

    K: int
    N: int
    dominant: float
    tolerance: float = DROPPED_MASS

    def __post_init__(self) -> None:
        K, N, p1 = self.K, self.N, self.dominant
        pm = (1 - p1) / (K - 1)
        n, w, drop_1 = binomial_support(N, p1, self.tolerance)
        m = N - n
        dominant = (n, m, shared_square_moment(m, K - 1), w)
        # minority query: n_k ~ Bin(N, pm), then n_1 | n_k ~ Bin(N - n_k, p1 / (1 - pm)); the
        # rectangle of the two marginals' supports holds all but their dropped mass
        nk, wk, drop_k = binomial_support(N, pm, self.tolerance / 4)
        n1, _, drop_n1 = binomial_support(N, p1, self.tolerance / 4)
        NK, N1 = np.meshgrid(nk, n1, indexing="ij")
        rest = N - NK - N1
        joint = np.where(rest >= 0, wk[:, None] * stats.binom.pmf(N1, np.maximum(N - NK, 0),
                                                                  p1 / (1 - pm)), 0.0)
        keep, drop_joint = keep_mass(joint, self.tolerance / 2)
        nk, n1, w = NK[keep], N1[keep], joint[keep]
        r = rest[keep]
        s2 = shared_square_moment(r, K - 2)
        # every sum a minority query needs is a weighted moment of 1/D (module docstring of
        # :meth:`_minority`): their coefficient rows, fixed, against 1/D, 1/D^2, 1/D^3
        minority = (np.stack([nk, n1, r]),
                    np.stack([w * nk, w * n1]),
                    np.stack([w * nk**2, w * n1**2, w * s2, w * n1 * nk]),
                    np.stack([w * nk**3, w * nk * n1**2, w * nk * s2, w * n1 * nk**2, w * n1**3,
                              w * n1 * s2]))
        object.__setattr__(self, "_sums", (dominant, minority, drop_1 + drop_k + drop_n1 + drop_joint))

    @property
    def start(self) -> np.ndarray:
        return np.zeros(5)

    @property
    def p(self) -> np.ndarray:
        pm = (1 - self.dominant) / (self.K - 1)
        return np.array([self.dominant, *[pm] * (self.K - 1)])

    def matrix(self, params: np.ndarray) -> np.ndarray:
        a, b, c, e, f = params
        q = np.full((self.K, self.K), f)
        q[0, :] = e
        q[1:, 0] = b
        q[0, 0] = a
        q[np.arange(1, self.K), np.arange(1, self.K)] = c
        return q

    def evaluate(self, params: np.ndarray) -> Point:
        a, b, c, e, f = params
        K, p = self.K, self.p
        (n, m, s2, w), minority, dropped = self._sums
        pi, others = _one_shared_logit(n, m, s2, a - b)
        loss_1 = float(w @ (0.5 * ((1 - pi) ** 2 + others)))
        g11 = p[0] * float(w @ (pi * (2 * pi - 1 - pi**2 - others)))
        att_1 = float(w @ pi)
        loss_m, gkk, g1k, att_m, on_dominant = self._minority(c, e, f, minority)
        gkk, g1k = p[1] * gkk, p[1] * g1k
        gjk = -(gkk + g1k) / (K - 2)
        rival_m = max(on_dominant, (1 - att_m - on_dominant) / (K - 2))
        return Point(float(p[0] * loss_1 + (1 - p[0]) * loss_m),
                     np.array([loss_1, *[loss_m] * (K - 1)]),
                     np.array([att_1, *[att_m] * (K - 1)]),
                     np.array([g11, -g11 / (K - 1), gkk, g1k, gjk]), dropped,
                     np.array([(1 - att_1) / (K - 1), *[rival_m] * (K - 1)]),
                     np.array([-g11 / (K - 1) < 0, *[min(g1k, gjk) < 0] * (K - 1)]))

    @staticmethod
    def _minority(c: float, e: float, f: float, sums: tuple) -> tuple[float, ...]:
        """A minority query k: its loss, its gradient entries (target, dominant row) before the
        factor p_k, its attention on itself and on the dominant feature.

        With logits (c, e, f) shifted by their largest (``x_k, x_1, x_f <= 1`` their
        exponentials), ``D = n_k x_k + n_1 x_1 + r x_f`` and ``u = 1/D``: ``pi_k = x_k n_k u``,
        ``pi_1 = x_1 n_1 u``, the rest's ``sum_j pi_j^2 = x_f^2 s2 u^2``, so ``S u``-weighted sums
        expand into moments ``E[w n^a u^b]``: e.g. ``E[pi_k (2 pi_k - 1 - S)] = 2 x_k^2
        E[n_k^2 u^2] - x_k E[n_k u] - x_k E[n_k u^3 (x_k^2 n_k^2 + x_1^2 n_1^2 + x_f^2 s2)]``.
        The moments are three matrix-vector products per step instead of a pass per term."""
        counts, first, second, third = sums
        top = max(c, e, f)
        xk, x1, xf = np.exp(c - top), np.exp(e - top), np.exp(f - top)
        u = 1 / (np.array([xk, x1, xf]) @ counts)
        u2 = u * u
        k1, d1 = first @ u
        kk2, dd2, ss2, dk2 = second @ u2
        kkk3, kdd3, ks3, dkk3, ddd3, ds3 = third @ (u2 * u)
        loss = 0.5 * (1 - 2 * xk * k1 + xk**2 * kk2 + x1**2 * dd2 + xf**2 * ss2)
        gkk = 2 * xk**2 * kk2 - xk * k1 - xk * (xk**2 * kkk3 + x1**2 * kdd3 + xf**2 * ks3)
        g1k = x1**2 * dd2 + x1 * xk * dk2 - x1 * (xk**2 * dkk3 + x1**2 * ddd3 + xf**2 * ds3)
        return float(loss), float(gkk), float(g1k), float(xk * k1), float(x1 * d1)
