"""Paper B's own figures (:class:`checks.plots.FigureKind`), drawn from a saved report:

* ``trajectory`` (B1, B2): the loss and the per-feature errors against the GD step on log
  axes, with each feature's floor and floor + eps, the phase boundaries and the times to eps;
* ``attention`` (B3): the attention on the target against the GD step, with its claimed limit.

Each draws any values a report can hold -- non-finite ones are left out -- and raises
:class:`checks.plots.NoFigure` when nothing is left to show.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from checks.plots import FigureKind, NoFigure, colors, finite, log_limits, log_y, placed, plain, same_lengths


def _steps(ev: dict) -> np.ndarray:
    """The recorded GD steps, t = 0 drawn at 1/2 on the log axis (it has no logarithm)."""
    t = finite(ev["t"])
    return np.where(t > 0, t, 0.5)


def _draw_trajectory(axes: list[Axes], series: list[tuple[str, dict]]) -> None:
    (ax,) = axes
    errors, lines = [], []
    for label, outcome in series:
        ev = outcome["evidence"]
        t = _steps(ev)
        loss = finite(ev["loss"])
        errors += [loss, *(finite(row) for row in ev["feature_loss"])]
        lines += [finite(ev["feature_floor"]), finite(ev["feature_floor"]) + (ev["epsilon"] or 0)]
        ax.plot(t, loss, "k-", lw=1.4, label=f"{label}: L")
        palette = colors(len(ev["features"]))
        for feature, values, floor, color in zip(ev["features"], ev["feature_loss"], ev["feature_floor"],
                                                 palette, strict=True):
            if len(ev["features"]) > 1:
                ax.plot(t, finite(values), "-", lw=1.0, color=color, label=f"feature {feature}: E[l_k]")
            if floor > 0 and placed(floor):  # a floor of 0 has no place on a log axis
                ax.axhline(floor, color=color, ls="--", lw=0.9,
                           label=f"floor of feature {feature}: {floor:.2g}")
            if ev["epsilon"] is not None and placed(floor + ev["epsilon"]):
                # None: a trajectory with no claim of near-zero error
                ax.axhline(floor + ev["epsilon"], color=color, ls=":", lw=0.9,
                           label=f"floor + eps of feature {feature}")
        for time in ev.get("times_to_eps", {}).values():
            if time > 0 and placed(time):
                ax.axvline(time, color="0.2", lw=0.8, ls=":")
        if "claim" in ev:
            ax.annotate(ev["claim"], (0.98, 0.02), xycoords="axes fraction", fontsize=7, ha="right")
        # the phases are those of the last feature drawn (a minority one in B2)
        for phase in ev["phases"][1:]:
            start = max(phase["start"], 0.5)
            if placed(start):
                ax.axvline(start, color="0.4", lw=0.8, ls="-.")
                ax.annotate(f"feature {ev['features'][-1]}: {phase['label']}", (start, 1),
                            xycoords=("data", "axes fraction"), fontsize=7, rotation=90, va="top", ha="right")
    if not np.any(np.concatenate(errors) > 0):
        raise NoFigure("no error on the trajectory is finite and positive, so none can be drawn on a "
                       "log axis")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plain())
    log_y(ax)
    # a floor far below the trajectory (1e-30) would flatten it: it is cut off 30 times below
    # the smallest error
    log_limits(ax.set_ylim, errors + lines, errors, margin=30)
    ax.set(xlabel="GD step t (t = 0 at 1/2)", ylabel="population error")
    ax.legend(fontsize=7, loc="lower left")


def _check_trajectory(outcome: dict) -> None:
    ev = outcome["evidence"]
    same_lengths(ev, "t", "loss", *(f"feature_loss.{i}" for i in range(len(ev["feature_loss"]))))
    same_lengths(ev, "features", "feature_loss", "feature_floor")
    if ev["phases"][1:] and not ev["features"]:
        raise ValueError("phases are drawn for a feature, and there is none")


def _draw_attention(axes: list[Axes], series: list[tuple[str, dict]]) -> None:
    (ax,) = axes
    drawn = False
    for (label, outcome), color in zip(series, colors(len(series)), strict=True):
        ev = outcome["evidence"]
        attention = finite(ev["attention"][0])
        drawn |= bool(np.isfinite(attention).any())
        ax.plot(_steps(ev), attention, "-", color=color, lw=1.2,
                label=f"{label}: E[pi_k], attention on the target")
        if placed(ev["attention_limit"]):
            ax.axhline(ev["attention_limit"], color=color, ls="--", lw=1.0,
                       label=f"claimed limit {ev['attention_limit']:.4g}")
    if not drawn:
        raise NoFigure("no attention on the trajectory is finite")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plain())
    ax.set(xlabel="GD step t (t = 0 at 1/2)", ylabel="attention on the target", ylim=(0, 1.02))
    ax.legend(fontsize=7, loc="lower right")


def _check_attention(outcome: dict) -> None:
    ev = outcome["evidence"]
    if not ev["attention"]:
        raise ValueError("no attention series")
    same_lengths(ev, "t", "attention.0")


FIGURES = {
    "trajectory": FigureKind(_draw_trajectory, title="GD on the population loss: error against the step",
                             check=_check_trajectory),
    "attention": FigureKind(_draw_attention, title="attention on the target against the step",
                            check=_check_attention),
}
