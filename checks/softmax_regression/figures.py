"""Paper B's own figures (:class:`checks.plots.FigureKind`), drawn from a saved report:

* ``trajectory`` (B1, B2): the loss and the per-feature errors against the GD step on log
  axes, with each feature's floor and floor + eps, the phase boundaries and the times to eps;
* ``attention`` (B3): the attention on the target against the GD step, with its claimed limit.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from checks.plots import FigureKind, colors, log_y, plain


def _steps(ev: dict) -> np.ndarray:
    """The recorded GD steps, t = 0 drawn at 1/2 on the log axis (it has no logarithm)."""
    t = np.asarray(ev["t"], dtype=float)
    return np.where(t > 0, t, 0.5)


def _draw_trajectory(axes: list[Axes], series: list[tuple[str, dict]]) -> None:
    (ax,) = axes
    lowest = np.inf
    for label, outcome in series:
        ev = outcome["evidence"]
        t = _steps(ev)
        lowest = min(lowest, np.min(ev["loss"]), np.min(ev["feature_loss"]))
        ax.plot(t, ev["loss"], "k-", lw=1.4, label=f"{label}: L")
        palette = colors(len(ev["features"]))
        for feature, values, floor, color in zip(ev["features"], ev["feature_loss"], ev["feature_floor"],
                                                 palette, strict=True):
            if len(ev["features"]) > 1:
                ax.plot(t, values, "-", lw=1.0, color=color, label=f"feature {feature}: E[l_k]")
            ax.axhline(floor, color=color, ls="--", lw=0.9, label=f"floor of feature {feature}: {floor:.2g}")
            if ev["epsilon"] is not None:  # None: a trajectory with no claim of near-zero error
                ax.axhline(floor + ev["epsilon"], color=color, ls=":", lw=0.9,
                           label=f"floor + eps of feature {feature}")
        for time in ev.get("times_to_eps", {}).values():
            if time > 0:
                ax.axvline(time, color="0.2", lw=0.8, ls=":")
        if "claim" in ev:
            ax.annotate(ev["claim"], (0.98, 0.02), xycoords="axes fraction", fontsize=7, ha="right")
        # the phases are those of the last feature drawn (a minority one in B2)
        for phase in ev["phases"][1:]:
            ax.axvline(max(phase["start"], 0.5), color="0.4", lw=0.8, ls="-.")
            ax.annotate(f"feature {ev['features'][-1]}: {phase['label']}", (max(phase["start"], 0.5), 1),
                        xycoords=("data", "axes fraction"), fontsize=7, rotation=90, va="top", ha="right")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plain())
    log_y(ax)
    # a floor far below the trajectory (1e-30) would flatten it: such a floor is cut off
    ax.set_ylim(bottom=lowest / 30)
    ax.set(xlabel="GD step t (t = 0 at 1/2)", ylabel="population error")
    ax.legend(fontsize=7, loc="lower left")


def _draw_attention(axes: list[Axes], series: list[tuple[str, dict]]) -> None:
    (ax,) = axes
    for (label, outcome), color in zip(series, colors(len(series)), strict=True):
        ev = outcome["evidence"]
        ax.plot(_steps(ev), ev["attention"][0], "-", color=color, lw=1.2,
                label=f"{label}: E[pi_k], attention on the target")
        ax.axhline(ev["attention_limit"], color=color, ls="--", lw=1.0,
                   label=f"claimed limit {ev['attention_limit']:.4g}")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plain())
    ax.set(xlabel="GD step t (t = 0 at 1/2)", ylabel="attention on the target", ylim=(0, 1.02))
    ax.legend(fontsize=7, loc="lower right")


FIGURES = {
    "trajectory": FigureKind(_draw_trajectory, title="GD on the population loss: error against the step"),
    "attention": FigureKind(_draw_attention, title="attention on the target against the step"),
}
