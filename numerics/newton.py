"""Safeguarded Newton iteration for the minimiser of a strictly convex function of one
variable, from its first two derivatives (the ray W = alpha Lambda^-1, SPEC §C.2)."""

from __future__ import annotations

import math
from collections.abc import Callable

from numerics.config import NotComputable


def ray_newton(derivatives: Callable[[float], tuple[float, float]], alpha0: float,
               tol: float = 1e-13, max_iter: int = 100) -> float:
    """Root of ``f'(alpha) = 0`` for strictly convex f; ``derivatives(alpha) = (f', f'')``; a root
    it cannot find is :class:`numerics.config.NotComputable` (a setting, not a bug).

    Newton steps are kept inside the bracket that the signs of f' have established; a step
    that leaves it bisects instead, and while one side is open no step goes further than
    max(1, |alpha|), so the iteration converges even where f'' is tiny and a plain Newton step
    overshoots.
    """
    lo, hi = -math.inf, math.inf
    alpha = alpha0
    for _ in range(max_iter):
        g, hess = derivatives(alpha)
        if g > 0:
            hi = min(hi, alpha)
        else:
            lo = max(lo, alpha)
        step_tol = tol * max(1.0, abs(alpha))
        nxt = alpha - g / hess if hess > 0 else math.nan
        # converged: tested before the bracket, since a step below one ulp lands on the
        # bracket's end and would otherwise be taken for an overshoot
        if abs(nxt - alpha) <= step_tol:
            return nxt
        # while one side is open, a step towards it is at most max(1, |alpha|): where f'' is
        # tiny (every margin far from 0) a Newton step lands far beyond the minimiser
        expand = alpha - math.copysign(max(1.0, abs(alpha)), g)
        if (math.isinf(lo) or math.isinf(hi)) and not (min(alpha, expand) <= nxt <= max(alpha, expand)):
            nxt = expand
        elif not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi)
            if abs(nxt - alpha) <= step_tol:
                return nxt
        alpha = nxt
    raise NotComputable("setting", "the loss has no minimiser that Newton's method can find on the ray "
                                   "W = alpha Lambda^-1 (after 100 steps alpha = "
                                   f"{alpha:.6g}): at this signal-to-noise the sampled margins are so "
                                   "large that the loss is flat to double precision, or the sample is "
                                   "separable")
