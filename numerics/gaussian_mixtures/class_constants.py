"""The asymptotic constants of paper A's c-class claims by Monte Carlo at N = inf and M = inf
(issue 13; claims A3m and A5m): ``g1(c)`` in ``alpha_c(N) = c + g1(c)/N + O(N^-2)``,
``C_N(c) = lim N E[TV](N, M = inf)`` and ``C_M(c) = lim sqrt(M) E[TV](N = inf, M)``.

:mod:`theory.gaussian_mixtures.class_expansion` derives the integrands; given a task and a
query (whitened: ``mu_k = R u_k``, ``w = mu_y + z``) they are closed forms in the c projections
``m_k = mu_k^T w`` and ``|w|^2``, O(c) each, because the expectations over the prompt's counts
and noise are taken exactly (their second moments).  What remains, the task and the query,
is averaged over ``size`` draws; each constant's standard error comes from its influence
function (the delta method for the ratio g1 and the product C_N).  None depends on Lambda:
alpha and TV are invariant under whitening (SPEC §C.2).
"""

from __future__ import annotations

import math

import numpy as np

from numerics.config import ConfigError, NotComputable
from numerics.gaussian_mixtures.constants import Constant, Constants
from numerics.gaussian_mixtures.priors import MixturePrior

#: draws per chunk times c: bounds the (chunk, c) arrays at 16 MB each (the (chunk, c, d)
#: directions at 16 d MB: :func:`numerics.memory.class_constants`)
CHUNK_ELEMENTS = 2_000_000


#: the fewest effective draws, ``(sum |f|)^2 / sum f^2``, of any integrand that an answer is
#: given from.  At large R only the draws near a tie between two classes contribute (per 2e5
#: draws at c = 2, the slope's: 62783 at R = 1, 1827 at R = 10, 13 at R = 100, 1 at R = 1000).
#: Measured against the binary quadrature (c = 2, d = 3, 200 replications each): with 30
#: effective draws of the slope, the stated 95% intervals covered 92.5-96.5% (R = 10 and 30),
#: the mean z-score within 0.1 of 0; fewer were not measured
MIN_EFFECTIVE_DRAWS = 30


def chunk_draws(classes: int) -> int:
    """Draws held at once by :func:`class_constants`: :data:`CHUNK_ELEMENTS` / c, at least one."""
    return max(1, CHUNK_ELEMENTS // classes)


def integrands(m: np.ndarray, w2: np.ndarray) -> dict[str, np.ndarray]:
    """Per-draw integrands at ``alpha = c``, uniform class prior ``p = 1/c``: ``m`` (B, c),
    ``w2 = |w|^2`` (B,).

    * ``curvature = z0^T H z0`` (F0''), ``slope = c tr(H S) + (c^2/2) tr(H' S)`` (F1'),
      with ``tr(H S) = sum pi (s - v^2) - (sum pi^2 s - (pi.v)^2)`` and
      ``tr(H' S) = sum pi' (s - v^2) - 2 (sum pi pi' s - (pi.v)(pi'.v))`` for
      ``S = diag(s) - v v^T``, ``s = p (m^2 + |w|^2)``, ``v = p m``;
    * ``tv_n = (1/2) sum |pi'|`` (C_N / |g1|) and
      ``tv_m = (c/2) sqrt(2/pi) sum pi_k sqrt((e_k - pi)^T S (e_k - pi))`` (C_M).
    """
    c = m.shape[1]
    p = 1.0 / c
    z0 = p * m
    pi = np.exp(m - m.max(axis=1, keepdims=True))  # softmax(c z0) = softmax(m)
    pi /= pi.sum(axis=1, keepdims=True)
    dev = z0 - np.einsum("bk,bk->b", pi, z0)[:, None]
    dpi = pi * dev  # d pi / d alpha
    s = p * (m * m + w2[:, None])
    v = p * m
    pv, dpv = np.einsum("bk,bk->b", pi, v), np.einsum("bk,bk->b", dpi, v)
    s_v = s - v * v
    trace_hs = np.einsum("bk,bk->b", pi, s_v) - (np.einsum("bk,bk->b", pi * pi, s) - pv**2)
    trace_dhs = np.einsum("bk,bk->b", dpi, s_v) - 2 * (np.einsum("bk,bk->b", pi * dpi, s) - pv * dpv)
    sum_s_pi2 = np.einsum("bk,bk->b", s, pi * pi)
    variance = s * (1 - 2 * pi) + sum_s_pi2[:, None] - (v - pv[:, None]) ** 2
    return {
        "curvature": np.einsum("bk,bk->b", pi, dev * dev),
        "slope": c * trace_hs + c * c / 2 * trace_dhs,
        "tv_n": 0.5 * np.abs(dpi).sum(axis=1),
        "tv_m": 0.5 * c * math.sqrt(2 / math.pi)
        * np.einsum("bk,bk->b", pi, np.sqrt(np.maximum(variance, 0))),
    }


#: elements of the (rows, c) arrays :func:`integrands` works on at once (:func:`numerics.memory.
#: class_constants` counts them): small enough that its two dozen temporaries stay in the cache
#: (1.9x faster than whole chunks at c = 1024, 1.7x at c = 16); the draws are made per chunk as
#: before, so the draws are the same and the constants equal to rounding
BLOCK_ELEMENTS = 65_536


def block_draws(classes: int) -> int:
    """Draws :func:`integrands` works on at once: :data:`BLOCK_ELEMENTS` / c, at least one."""
    return max(1, BLOCK_ELEMENTS // classes)


def draw_tasks(prior: MixturePrior, rng: np.random.Generator, size: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``size`` whitened tasks and queries of ``prior``'s law: standard normal ``g`` (size, c, d)
    whose directions are the means, the query's class ``y`` (uniform) and its noise ``z``."""
    g = rng.standard_normal((size, prior.classes, prior.d))
    y = rng.integers(prior.classes, size=size)
    return g, y, rng.standard_normal((size, prior.d))


def projections(snr: float, g: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``m_k = mu_k^T w`` and ``|w|^2`` for the tasks and queries :func:`draw_tasks` draws
    (equal norms, Lambda = I: ``mu_k = R u_k``, ``u_k = g_k / |g_k|``; ``w = mu_y + z``).

    ``m_k = R (g_k . w) / |g_k|`` is formed from the (size, c) norms and dot products, never
    the (size, c, d) means (2.2x faster at c = 1024)."""
    norms = np.sqrt(np.einsum("bkd,bkd->bk", g, g))
    rows = np.arange(len(y))
    w = snr * g[rows, y] / norms[rows, y, None] + z
    return snr * np.einsum("bkd,bd->bk", g, w) / norms, np.einsum("bd,bd->b", w, w)


def _chunk_integrands(prior: MixturePrior, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    """:func:`integrands` of ``size`` fresh draws (one chunk), in blocks of
    :data:`BLOCK_ELEMENTS`; the chunk's draws are freed on return, before the next are made."""
    g, y, z = draw_tasks(prior, rng, size)
    block = block_draws(prior.classes)
    parts = [integrands(*projections(prior.snr, g[i:i + block], y[i:i + block], z[i:i + block]))
             for i in range(0, size, block)]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def class_constants(prior: MixturePrior, rng: np.random.Generator, size: int) -> Constants:
    """g1(c), C_N(c) and C_M(c) for a c-class prior under the paper's assumptions, from
    ``size`` draws of the task and the query, each with its standard error."""
    if not prior.satisfies_paper_assumptions:
        raise ValueError("prior: the constants are derived for the paper's law only (equal norms, "
                         "uniform class prior, test covariance = training covariance)")
    c = prior.classes
    chunk = chunk_draws(c)
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, size, chunk):
        for key, value in _chunk_integrands(prior, rng, min(chunk, size - start)).items():
            parts.setdefault(key, []).append(value)
    f = {key: np.concatenate(v) for key, v in parts.items()}
    mean = {key: float(v.mean()) for key, v in f.items()}

    def stderr(influence: np.ndarray) -> float:
        return float(influence.std(ddof=1) / math.sqrt(influence.size))

    where = f"R = {prior.snr:g}, c = {c}, {size} draws"
    if not mean["curvature"] > 0:  # at R = 1e8 the softmax is one-hot on every draw
        raise NotComputable("setting", f"the curvature E[pi . dev^2] that g1 divides by is 0 in double "
                                       f"precision at {where}: the softmax is saturated on every draw")
    for key, v in f.items():
        effective = float(np.abs(v).sum() ** 2 / (v * v).sum()) if np.any(v) else 0.0
        if effective < MIN_EFFECTIVE_DRAWS:
            need = math.ceil(size * MIN_EFFECTIVE_DRAWS / effective) if effective else "far more"
            raise ConfigError("samples", f"only {effective:.3g} of the {size} draws carry the {key} "
                                         f"integrand at R = {prior.snr:g}, c = {c} (at least "
                                         f"{MIN_EFFECTIVE_DRAWS} are needed for a trustworthy standard "
                                         f"error): about {need} draws would do")
    with np.errstate(over="ignore", invalid="ignore"):
        g1 = -mean["slope"] / mean["curvature"]
        g1_influence = -(f["slope"] + g1 * f["curvature"]) / mean["curvature"]
        tv_n = abs(g1) * mean["tv_n"]
        tv_n_influence = np.sign(g1) * g1_influence * mean["tv_n"] + abs(g1) * f["tv_n"]
        out = Constants(Constant(g1, stderr(g1_influence)), Constant(tv_n, stderr(tv_n_influence)),
                        Constant(mean["tv_m"], stderr(f["tv_m"])))
    if not all(math.isfinite(x) for k in (out.g1, out.tv_n, out.tv_m) for x in (k.value, k.error)):
        # as R -> 0, g1 grows like 1/R^2 and its influence function's square overflows first
        raise NotComputable("setting", f"the c-class constants or their standard errors leave double "
                                       f"precision at {where}")
    return out
