"""Paper A's own figures (:class:`checks.plots.FigureKind`), drawn from a saved report:

* ``gd`` (A2): ``||W_t - W*||`` on a log scale against the per-iteration bound ``q^t``;
* ``curvature`` (A1): lambda_min of the Hessian against the ball radius, with its bounds;
* ``limit`` (A3m): ``alpha_c(inf) / c`` against c, with its two-sided CI.

Each draws any values a report can hold -- non-finite ones are left out -- and raises
:class:`checks.plots.NoFigure` when nothing is left to show.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from scipy import stats

from checks.plots import FigureKind, NoFigure, colors, finite, log_limits, log_x, log_y, same_lengths


def _draw_gd(axes: list[Axes], series: list[tuple[str, dict]]) -> None:
    (ax,) = axes
    shown, around = [], []
    for (label, outcome), color in zip(series, colors(len(series)), strict=True):
        ev = outcome["evidence"]
        errors, bound = finite(ev["errors"]), finite(ev["bound"])
        t = np.arange(errors.size)
        ax.plot(t, errors, "o", ms=2.5, color=color, label=f"{label}: ||W_t - W*||")
        ax.plot(t, bound, "--", color=color, lw=1.2,
                label=f"bound q^t ||W_0 - W*||, q = {float(ev['q']):.4g}")
        shown += [errors, bound]
        around.append(errors)
    if not np.any(np.concatenate(around) > 0):
        raise NoFigure("no GD error is finite and positive, so none can be drawn on a log axis")
    log_y(ax)
    log_limits(ax.set_ylim, shown, around)
    ax.set(xlabel="iteration t", ylabel="||W_t - W*||_F")
    ax.legend(fontsize=7)


def _check_gd(outcome: dict) -> None:
    same_lengths(outcome["evidence"], "errors", "bound")


def _draw_curvature(axes: list[Axes], series: list[tuple[str, dict]]) -> None:
    (ax,) = axes
    drawn = False
    for (label, outcome), color in zip(series, colors(len(series)), strict=True):
        rows = outcome["evidence"]["lambda_min_vs_radius"]
        r, est, lo, hi = (finite([row[k] for row in rows]) for k in ("radius", "estimate", "lower", "upper"))
        # a bound on the wrong side of its estimate has no bar to draw
        below, above = est - lo, hi - est
        ax.errorbar(r, est, yerr=[np.where(below >= 0, below, np.nan), np.where(above >= 0, above, np.nan)],
                    fmt="o-", ms=4, capsize=3, color=color, label=f"{label}: estimate, [lower, upper] bound")
        log_x(ax, r)
        drawn |= bool(np.isfinite(est).any())
    if not drawn:
        raise NoFigure("no estimate of lambda_min is finite")
    ax.axhline(0, color="k", lw=1.0, ls="--", label="0 (convexity needs > 0)")
    ax.set(xlabel="radius r of the ball ||W||_F <= r", ylabel="lambda_min of Hess L")
    ax.legend(fontsize=7)


def _draw_limit(axes: list[Axes], series: list[tuple[str, dict]]) -> None:
    (ax,) = axes
    classes = finite([o["evidence"]["classes"] for _, o in series])
    for (label, outcome), c, color in zip(series, classes, colors(len(series)), strict=True):
        ev, u = outcome["evidence"], outcome["uncertainty"]
        claimed = float(ev["claimed"])
        with np.errstate(all="ignore"):  # claimed 0: the ratio is not finite, and not drawn
            ratio = finite(np.float64(outcome["statistic"]) / claimed)
            z = stats.norm.ppf(0.5 + float(u["confidence"]) / 2)
            half = finite(z * float(u["stderr"]) / abs(claimed))
        ax.errorbar([c], [ratio], yerr=np.where(half >= 0, half, np.nan), fmt="o", ms=4, capsize=3,
                    color=color, label=label)
    log_x(ax, classes)
    ax.axhline(1, color="k", ls="--", lw=1.2, label="claimed alpha_c(inf) = c")
    ax.set(xlabel="c", ylabel="alpha_c(inf) / c")
    ax.legend(fontsize=7, ncol=2, loc="best")


FIGURES = {
    "gd": FigureKind(_draw_gd, check=_check_gd),
    "curvature": FigureKind(_draw_curvature, title="lambda_min of Hess L against the radius of the ball"),
    "limit": FigureKind(_draw_limit),
}
