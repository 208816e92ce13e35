"""Safeguarded Newton iteration for the minimiser of a strictly convex function of one
variable, from its first two derivatives (the ray W = alpha Lambda^-1, SPEC §C.2)."""

from __future__ import annotations

import math
from collections.abc import Callable

from numerics.config import NotComputable

#: relative distance at which a converged root must be bracketed by the signs of f'
CONFIRM = 1e-9


def expand_from(alpha: float, g: float) -> float:
    """One step towards the open side of the bracket: downhill by max(1, |alpha|)."""
    return alpha - math.copysign(max(1.0, abs(alpha)), g)


def ray_newton(derivatives: Callable[[float], tuple[float, float]], alpha0: float,
               tol: float = 1e-13, max_iter: int = 100) -> float:
    """Root of ``f'(alpha) = 0`` for strictly convex f; ``derivatives(alpha) = (f', f'')``; a root
    it cannot find is :class:`numerics.config.NotComputable` (a setting, not a bug).

    Newton steps are kept inside the bracket that the signs of f' have established; a step
    that leaves it bisects instead, and so does any step once two in a row have not halved the
    bracket (where f'' changes by orders of magnitude across it -- unequal norms at R = 1e3 --
    Newton crawls).  While one side is open no step goes further than max(1, |alpha|), so the
    iteration converges even where f'' is tiny and a plain Newton step overshoots.
    """
    def finite(at: float) -> tuple[float, float]:
        g, hess = derivatives(at)
        if not (math.isfinite(g) and math.isfinite(hess)):
            raise NotComputable("setting", f"the loss's derivatives along W = alpha Lambda^-1 are not "
                                           f"finite at alpha = {at:.6g} ({g}, {hess}): the margins "
                                           "exceed double precision at this signal-to-noise")
        return g, hess

    lo, hi = -math.inf, math.inf
    alpha = alpha0
    widths = [math.inf, math.inf]  # the bracket's width one and two steps ago
    for _ in range(max_iter):
        g, hess = finite(alpha)
        if g > 0:
            hi = min(hi, alpha)
        else:
            lo = max(lo, alpha)
        step_tol = tol * max(1.0, abs(alpha))
        nxt = alpha - g / hess if hess > 0 else math.nan
        # converged: tested before the bracket, since a step below one ulp lands on the
        # bracket's end and would otherwise be taken for an overshoot -- but only where the
        # root is bracketed within CONFIRM: a tiny step can also come from an f'' 1e30 times
        # f' far from the root (unequal norms at R = 1e7 stopped at 0.067, the root is 1.338)
        if abs(nxt - alpha) <= step_tol:
            delta = CONFIRM * max(1.0, abs(nxt))
            # f' at alpha already brackets one side; probe the other side only
            side = nxt - delta if g > 0 else nxt + delta
            if lo < nxt - delta or hi > nxt + delta:
                probe = finite(side)[0]
                if (probe > 0) == (g > 0):  # same sign: the root is beyond the probe
                    hi, lo = (min(hi, side), lo) if probe > 0 else (hi, max(lo, side))
                    nxt = 0.5 * (lo + hi) if math.isfinite(lo + hi) else expand_from(side, probe)
                    widths = [widths[1], hi - lo]
                    alpha = nxt
                    continue
            return nxt
        # while one side is open, a step towards it is at most max(1, |alpha|): where f'' is
        # tiny (every margin far from 0) a Newton step lands far beyond the minimiser
        expand = expand_from(alpha, g)
        if (math.isinf(lo) or math.isinf(hi)) and not (min(alpha, expand) <= nxt <= max(alpha, expand)):
            nxt = expand
        elif not (lo < nxt < hi) or hi - lo > 0.5 * widths[0]:
            nxt = 0.5 * (lo + hi)
            if abs(nxt - alpha) <= step_tol:
                return nxt
        widths = [widths[1], hi - lo]
        alpha = nxt
    raise NotComputable("setting", "the loss has no minimiser that Newton's method can find on the ray "
                                   f"W = alpha Lambda^-1 (after {max_iter} steps alpha = "
                                   f"{alpha:.6g}): at this signal-to-noise the sampled margins are so "
                                   "large that the loss is flat to double precision, or the sample is "
                                   "separable")
