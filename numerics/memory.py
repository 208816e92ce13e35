"""The memory a computation will need, estimated before anything is allocated.

Each estimate is a formula in the sizes -- samples B, classes c, dimension d -- whose
coefficients were measured as the peak of numpy's allocations (``tracemalloc``) and rounded
up; ``tests/test_memory.py`` checks that each bounds the measured peak.  Measured per sample
(bytes / 8): the c-class ray and its E[TV] 25.8 B c at d = 3, 170 B c at d = 20 (~8.5 d per
class); binary E[TV] 48 at d = 3, 372 at d = 30 (~12 d); the full-matrix Newton minimiser
3.4-5.3 d^2; the c-class constants about d per draw and class of a chunk, 12 per draw and
class of a block and 4 to 8 per draw (:func:`class_constants`);
the reduced quadrature at most 335 MiB (independent prior, d = 3, R = 1.5, N = 64: its
2e6-node rung, ~20 doubles per node, plus 16 MiB block arrays), whatever the setting, since it
works in blocks; :data:`QUADRATURE` reserves 600 MiB for it; the binary constants' quadrature
at most 2.3 MiB (:data:`CONSTANTS`).
"""

from __future__ import annotations

import os

from numerics.config import ConfigError

GIB = 1 << 30
_DOUBLE = 8


def physical() -> int:
    """This machine's memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def default_limit() -> float:
    """Half this machine's memory, in GiB: what a command may plan to use unless told."""
    return physical() / 2 / GIB


def class_ray(samples: int, classes: int, d: int) -> int:
    """The c-class ray alpha_c(N) (:func:`numerics.gaussian_mixtures.minimizer.class_ray`) or E[TV] on it
    (measured: E[TV] peaks at 8.45 d + 0.6 doubles per draw and class, d = 3 .. 40)."""
    return _DOUBLE * samples * classes * (9 * d + 4)


def prompts(samples: int, d: int) -> int:
    """Binary prompts and their E[TV] (:mod:`numerics.gaussian_mixtures.tv`)."""
    return _DOUBLE * samples * (13 * d + 12)


def full_minimizer(samples: int, d: int) -> int:
    """Newton's method on L_B in all d^2 coordinates, with its sandwich covariance."""
    return _DOUBLE * (samples * (4 * d * d + 20) + 6 * d**4)


def prior(d: int, classes: int = 2) -> int:
    """A prior's covariances, their square roots and inverses, and the eigen-decomposition
    workspace (measured: 6.0 d^2 doubles at d = 300, 1000), and a c-class prior's per-class
    norm scales and probabilities with their validation (4.13 c doubles at c = 1e5 .. 1e7)."""
    return _DOUBLE * (7 * d * d + 5 * classes)


def class_constants(draws: int, held: int, block: int, classes: int, d: int) -> int:
    """The c-class constants by Monte Carlo (:func:`numerics.gaussian_mixtures.class_constants.
    class_constants`) over ``draws`` tasks and queries, ``held`` of them drawn at once (a chunk)
    and worked on ``block`` at a time (``block_draws``), and the
    whitened copy of the prior.  Fitted to tracemalloc peaks (c = 2 .. 2000, d = 3 .. 300,
    10^3 .. 7 x 10^5 draws) and rounded up, so the estimate is 1.1-1.5 times the peak: 1.25
    doubles per chunk draw, class and dimension (the directions), 2.5 per chunk draw and
    dimension (the query's noise and mean), 12 per block draw and class (the integrands'
    temporaries), and 8 per draw kept to the end (the integrands)."""
    block = min(held, block)
    return int(_DOUBLE * (1.25 * held * classes * d + 2.5 * held * d + 12 * block * classes + 8 * draws)) \
        + prior(d)


#: the binary constants' quadrature (:mod:`numerics.gaussian_mixtures.constants`), whatever the
#: setting: one task's exp-sinh nodes by the Laplace nodes of C_M's sqrt Q at a time (measured
#: at most 2.3 MiB: antipodal and independent, d = 1 .. 400, R = 1 .. 1e8)
CONSTANTS = 4 << 20


#: the reduced quadrature, which works in blocks: its largest rung, rounded up
QUADRATURE = 600 * (1 << 20)


def matrix_output(d: int) -> int:
    """A d x d matrix printed as JSON: Python floats and their text."""
    return 64 * d * d


def gib(n_bytes: float) -> str:
    return f"{n_bytes / GIB:.3g} GiB"


def require_fixed(need: int, limit_gib: float, field: str, what: str) -> None:
    """Refuse a cost that no choice of draws can shrink: naming --max-memory if the default
    limit (half the machine) would hold it, and ``field`` (the size at fault) if not."""
    require(need, limit_gib, "max-memory" if need <= default_limit() * GIB else field, what)


def require_draws(fixed: int, per_draw: int, draws: int, limit_gib: float, field: str, what: str,
                  least: int) -> None:
    """Refuse ``draws`` Monte Carlo draws at ``per_draw`` bytes each beside a ``fixed`` cost:
    the fixed cost alone by :func:`require_fixed`; then naming ``samples`` with the number that
    fits, or ``field`` (what makes each draw large) when not even ``least`` fit."""
    require_fixed(fixed, limit_gib, field, f"{what} (before any draw)")
    limit = limit_gib * GIB
    most = int((limit - fixed) // per_draw) if per_draw else draws
    require(fixed + per_draw * draws, limit_gib, "samples" if most >= least else field,
            f"{draws} draws at {what}",
            f"at most {most} draws fit" if most >= least else f"not even {least} draws fit")


def require(need: int, limit_gib: float, field: str, what: str, fits: str = "") -> None:
    """Refuse, naming ``field``, when ``need`` bytes exceed ``limit_gib``; ``fits`` says what
    would fit."""
    if need > limit_gib * GIB:
        raise ConfigError(field, f"{what} needs about {gib(need)}, more than the {limit_gib:.3g} GiB "
                                 f"allowed (--max-memory){'; ' + fits if fits else ''}")
