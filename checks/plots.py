"""The report's figures (matplotlib, SVG), drawn from a saved report's claim and control dicts.

Everything is drawn from ``report.json`` alone, so ``icl-verify report DIR`` redraws a run
without recomputing it.  Each outcome declares the kind of figure it gets (``figure``), so a
control gets the same figure as its claim:

* ``rate``, the one kind every paper shares: a log-log fit, the estimates with +-1
  standard-error bars, the fitted curve with its pointwise band at the fit's level
  (:func:`numerics.rates.curve`) and the claimed slope; below, the local slopes against the
  fitted slope's CI, the claimed slope and the PASS limit (claimed + resolution).
* a paper's own kinds, which it registers (``Paper.figures``: a :class:`FigureKind` each,
  drawn with the helpers here).

Outcomes of one claim that differ only in c (``... (c=4)``) share a figure, one series per
setting.  A control's figure puts the claim's panel (the paper's setting) beside its own.
"""

from __future__ import annotations

import io
import json
import math
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogFormatter, NullLocator

from checks.interrupt import as_completed
from checks.names import hashed
from checks.schema import claims_of, controls_of
from checks.workers import cores, processes
from numerics.rates import curve

#: byte-for-byte reproducible SVG; text stays text (small, searchable, drawn in the reader's
#: sans-serif); no mathtext: a "$" in a report's text is a dollar, not TeX to parse
_SVG_PARAMS = {"svg.hashsalt": "icl-verify", "svg.fonttype": "none", "text.parse_math": False}
_COLUMN_WIDTH = 5.2


@dataclass(frozen=True)
class Figure:
    """One image of the report: a file stem (:func:`figure_name`), a caption, and the SVG text;
    or, for a panel with nothing to draw, no SVG and a ``note`` saying why."""

    name: str
    caption: str
    svg: str
    note: str = ""


#: the range a log axis stays in, and its padding (in decades): a confidence band on one
#: residual degree of freedom spans hundreds of decades, and an axis autoscaled to it overflowed
#: matplotlib's tick formatter (issue 26: smoke, A5, seed 7)
_LOG_RANGE = (1e-300, 1e300)
_LOG_PAD = 0.05


class NoFigure(ValueError):
    """A panel whose data has nothing a figure can show (no finite point, an empty series);
    the report says so in place of the figure (``str(err)``: why)."""


def finite(values: object) -> np.ndarray:
    """``values`` as floats with every one matplotlib cannot place NaN, which it leaves out: the
    non-finite (an infinity reaches its transforms and fails there) and those beyond
    :data:`_LOG_RANGE` in magnitude (its axis margins push them past the largest double, or
    to 0 on a log axis)."""
    a = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(a)
        placed = np.isfinite(a) & (magnitude <= _LOG_RANGE[1]) & ((magnitude >= _LOG_RANGE[0]) | (a == 0))
    return np.where(placed, a, np.nan)


def placed(x: float) -> bool:
    """Whether matplotlib can place the number ``x`` (:func:`finite`)."""
    return bool(np.isfinite(finite(x)))


def set_limits(set_lim: Callable[..., object], lo: float, hi: float) -> None:
    """``set_lim(lo, hi)`` where both ends are finite and apart; else matplotlib's own."""
    if placed(lo) and placed(hi) and lo < hi:
        set_lim(lo, hi)


def _positive_finite(arrays: list) -> np.ndarray:
    v = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays] or [np.empty(0)])
    return v[np.isfinite(v) & (v > 0)]


def log_limits(set_lim: Callable[..., object], shown: list, around: list, margin: float = 100.0) -> None:
    """Set a log axis to what is ``shown`` (every array drawn on it), cut at ``margin`` times
    beyond the values ``around`` which the reader must see (the estimates, not a band around
    them), and within :data:`_LOG_RANGE`; matplotlib's own where nothing is finite and positive."""
    shown, around = _positive_finite(shown), _positive_finite(around)
    if not around.size:
        return
    lo = max(shown.min(initial=around.min()), around.min() / margin, _LOG_RANGE[0])
    hi = min(shown.max(initial=around.max()), around.max() * margin, _LOG_RANGE[1])
    pad = (math.log10(hi) - math.log10(lo)) * _LOG_PAD or 1.0
    set_limits(set_lim, max(lo / 10**pad, _LOG_RANGE[0]), min(hi * 10**pad, _LOG_RANGE[1]))


@dataclass(frozen=True)
class _Panel:
    kind: str
    title: str
    series: list[tuple[str, dict]]


def _labels(settings: list[str]) -> list[str]:
    """Each setting less the comma-separated parts all of them share ("c=2", "c=3", ...)."""
    parts = [[p.strip() for p in s.split(",")] for s in settings]
    common = set.intersection(*map(set, parts)) if len(parts) > 1 else set()
    return [", ".join(p for p in ps if p not in common) or s for ps, s in zip(parts, settings, strict=True)]


def panels(check: dict) -> list[_Panel]:
    """The check's outcomes that have a figure, grouped by kind and name without ``(c=K)``."""
    groups: dict[tuple[str, str], list[dict]] = {}
    figure_kinds = kinds()
    for outcome in check["outcomes"]:
        kind = outcome["figure"]
        if kind is not None:
            title = figure_kinds[kind].title or re.sub(r"\s*\(c=\d+\)$", "", outcome["name"])
            groups.setdefault((kind, title), []).append(outcome)
    return [_Panel(kind, title, list(zip(_labels([o["setting"] for o in group]), group, strict=True)))
            for (kind, title), group in groups.items()]


def colors(n: int) -> list:
    return [colormaps["tab10"](i % 10) for i in range(n)]


def plain() -> FuncFormatter:
    return FuncFormatter(lambda v, _: f"{v:g}")


def log_x(ax: Axes, x: np.ndarray) -> None:
    """A log x axis ticked at the grid's own positive values (at most 8 of them), without minor
    labels -- the default minor labels of a short log axis overlap ("3x10^1 4x10^1")."""
    grid = np.unique(x[np.isfinite(x) & (x > 0)])
    ticks = grid[:: max(1, -(-grid.size // 8))]
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(plain())
    ax.xaxis.set_minor_locator(NullLocator())


def log_y(ax: Axes) -> None:
    """A log y axis with plain labels ("0.001"): mathtext's 10^{-3} costs most of a figure's
    drawing time.  LogFormatter also labels minor ticks when the axis spans under a decade
    (a GD error that falls by 15%), where the decades alone would leave it unlabelled."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def _positive(*arrays: np.ndarray) -> np.ndarray:
    """Where every array is placed (:func:`finite`) and positive: what a log-log axis can show."""
    return np.logical_and.reduce([np.isfinite(finite(a)) & (a > 0) for a in arrays])


def _draw_rate(axes: list[Axes], series: list[tuple[str, dict]]) -> None:
    top, bottom = axes
    first = series[0][1]["evidence"]
    claimed, resolution = float(first["claimed"]), float(first["resolution"])
    fits = [o["evidence"]["fit"] for _, o in series]
    drawn: list[np.ndarray] = []
    shown = [_positive(np.asarray(f["x"], dtype=float), np.asarray(f["y"], dtype=float)) for f in fits]
    if not any(s.any() for s in shown):
        raise NoFigure("no estimate is finite and positive, so none can be drawn on log axes")
    for (label, _), fit, keep, color in zip(series, fits, shown, colors(len(series)), strict=True):
        x, y, se = (finite(fit[k]) for k in ("x", "y", "stderr"))
        se = np.where(se >= 0, se, np.nan)
        # bars below zero cannot be drawn on a log axis: cut them at a tenth of the value
        top.errorbar(x[keep], y[keep], yerr=[np.fmin(se, 0.9 * y)[keep], se[keep]], fmt="o", ms=3.5,
                     color=color, capsize=2, label=f"{label}: slope {float(fit['slope']):.3f}")
        dense = np.geomspace(x[keep].min(), x[keep].max(), 80) if keep.any() else np.array([])
        mid, lo, hi = (finite(c) for c in curve(fit, dense))
        drawn += [y[keep], (y - se)[keep], (y + se)[keep], mid, lo, hi]
        top.plot(dense, mid, color=color, lw=1.2)
        top.fill_between(dense, lo, hi, color=color, alpha=0.2, lw=0)
        local = finite(fit["local_slopes"])
        bottom.plot(finite(np.sqrt(x[1:]) * np.sqrt(x[:-1])), local[1:], "o-", ms=3, lw=0.8, color=color)
        ci_lo, ci_hi = (float(v) for v in fit["ci"])
        if placed(ci_lo) and placed(ci_hi):
            bottom.axhspan(ci_lo, ci_hi, color=color, alpha=0.15, lw=0)
        if placed(float(fit["slope"])):
            bottom.axhline(float(fit["slope"]), color=color, lw=1.0)
    x, keep = finite(fits[0]["x"]), shown[0]
    if keep.any() and placed(claimed):
        end = x[keep][-1]
        anchor = finite(curve(fits[0], np.array([end]))[0])[0]
        line = finite(anchor * (x[keep] / end) ** claimed)
        top.plot(x[keep], line, "k--", lw=1.2, label=f"claimed slope {claimed:g}")
        drawn.append(line)
    xs = np.concatenate([finite(f["x"]) for f in fits])
    for ax in axes:
        log_x(ax, xs)
    log_y(top)
    log_limits(top.set_ylim, drawn, [finite(f["y"])[k] for f, k in zip(fits, shown, strict=True)])
    top.set_ylabel(str(first["y_name"]))
    top.legend(fontsize=7, loc="best")
    for value, style, words in ((claimed, "--", "claimed"), (claimed + resolution, ":", "PASS limit")):
        if placed(value):
            bottom.axhline(value, color="k", ls=style, lw=1.2, label=f"{words} {value:g}")
    ends = np.array([[float(v) for v in f["ci"]] for f in fits] + [[claimed, claimed + resolution]])
    ends = ends[np.isfinite(ends)]
    if ends.size:
        lo, hi = ends.min(), ends.max()
        pad = max(0.25, 0.5 * (hi - lo))
        set_limits(bottom.set_ylim, lo - pad, hi + pad)
    bottom.set(xlabel=str(first["x_name"]), ylabel="local slope")
    bottom.legend(fontsize=7, loc="best")


def same_lengths(evidence: dict, *paths: str) -> None:
    """Raise ValueError unless the arrays at ``paths`` of ``evidence`` (``fit.x``: a key of a
    key; ``feature_loss.0``: an item of a list) have one length."""
    def at(path: str) -> list:
        value: object = evidence
        for key in path.split("."):
            value = value[int(key)] if isinstance(value, list) else value[key]  # type: ignore[index]
        return value  # type: ignore[return-value]

    lengths = {path: len(at(path)) for path in paths}
    if len(set(lengths.values())) > 1:
        raise ValueError("the arrays of one figure differ in length: "
                         + ", ".join(f"{p} has {n}" for p, n in lengths.items()))


def _check_rate(outcome: dict) -> None:
    """A rate fit's arrays agree, and its coefficients are those of its model
    (:func:`numerics.rates.design`): what :func:`numerics.rates.curve` needs."""
    ev = outcome["evidence"]
    fit = ev["fit"]
    same_lengths(ev, "fit.x", "fit.y", "fit.stderr", "fit.local_slopes")
    q = fit["correction_exponent"]
    columns = 2 + (0 if q is None else fit["correction_terms"] + bool(fit["log_correction"]))
    if len(fit["coefficients"]) != columns:
        raise ValueError(f"the fit's model has {columns} coefficients, and it holds "
                         f"{len(fit['coefficients'])}")
    if len(fit["coefficient_cov"]) != columns or any(len(row) != columns for row in fit["coefficient_cov"]):
        raise ValueError(f"the fit's coefficient_cov is not {columns} x {columns}")


@dataclass(frozen=True)
class FigureKind:
    """How to draw one kind of figure (``Outcome.figure``): ``draw(axes, series)`` fills one
    column of axes, one per row of ``rows`` (their heights); ``title`` replaces the outcome's
    name as the panel's title when the outcome is about one point of the figure.

    ``check(outcome)`` raises ValueError naming what in the outcome's evidence does not fit
    together (arrays of different lengths): a saved report that passes its schema but fails
    this is refused before anything is written (:mod:`checks.saved_report`).  ``draw`` must
    then draw any values -- non-finite, one point, a flat series -- or raise
    :class:`NoFigure` when nothing can be shown."""

    draw: Callable[[list[Axes], list[tuple[str, dict]]], None]
    rows: tuple[float, ...] = (3.4,)
    title: str | None = None
    check: Callable[[dict], None] = lambda outcome: None


def kinds() -> dict[str, FigureKind]:
    """The shared ``rate`` figure and every registered paper's own kinds."""
    from checks.papers import PAPERS  # the papers' figure modules import this one's helpers

    out = {"rate": FigureKind(_draw_rate, (3.4, 2.2), check=_check_rate)}
    for paper in PAPERS:
        out.update(paper.figures)
    return out


def _render(kind: str, columns: list[tuple[str, list[tuple[str, dict]]]]) -> str:
    """Draw one column per (heading, series), rows shared across columns; return SVG."""
    figure_kind = kinds()[kind]
    heights = figure_kind.rows
    with rc_context(_SVG_PARAMS):
        fig = MplFigure(figsize=(_COLUMN_WIDTH * len(columns), sum(heights)), layout="constrained")
        grid = fig.subplots(len(heights), len(columns), squeeze=False, sharey="row",
                            gridspec_kw={"height_ratios": heights})
        for j, (heading, series) in enumerate(columns):
            figure_kind.draw(list(grid[:, j]), series)
            grid[0, j].set_title(heading, fontsize=9)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _figure(name: str, caption: str, kind: str, columns: list[tuple[str, list[tuple[str, dict]]]]) -> Figure:
    """The figure, or a note where its data has nothing to show (:class:`NoFigure`)."""
    try:
        return Figure(name, caption, _render(kind, columns))
    except NoFigure as why:
        return Figure(name, caption, "", note=str(why))


def figure_name(check_id: str, title: str, kind: str) -> str:
    """A figure's file stem: never a path, whatever the saved ids (:func:`checks.names.hashed`),
    and one per panel (a panel is a kind and a title: :func:`panels`)."""
    return hashed(check_id, title, kind)


def claim_figures(claim: dict) -> list[Figure]:
    """One figure per panel of the claim."""
    return [_figure(figure_name(claim["id"], p.title, p.kind), f"{claim['id']}: {p.title}", p.kind,
                    [(p.title, p.series)])
            for p in panels(claim)]


def _same_data(a: _Panel, b: _Panel) -> bool:
    """Whether two panels draw the same evidence (compared as JSON text: NaN == NaN there)."""
    def data(p: _Panel) -> str:
        return json.dumps([o["evidence"] for _, o in p.series], sort_keys=True)
    return data(a) == data(b)


def control_figures(control: dict, claim: dict | None) -> list[Figure]:
    """One figure per panel of the control, with the claim's panel of the same name beside it;
    a panel identical to the claim's (the control changed only another outcome) is left out."""
    counterpart = {(p.kind, p.title): p for p in panels(claim)} if claim is not None else {}
    figures = []
    for p in panels(control):
        twin = counterpart.get((p.kind, p.title))
        if twin is not None and _same_data(twin, p):
            continue  # the control changes another part of the claim; this panel is the claim's
        # wrapped to the column, so that the two headings do not run into each other
        columns = [(textwrap.fill(f"control {control['id']}: {control['setting']}", 64), p.series)]
        if twin is not None:
            columns.insert(0, (f"claim {control['claim']} (paper's setting)", twin.series))
        figures.append(_figure(figure_name(control["id"], p.title, p.kind),
                               f"{control['id']} beside {control['claim']}: {p.title}", p.kind, columns))
    return figures


def _figures_of(check: dict, claim: dict | None) -> list[Figure]:
    return control_figures(check, claim) if "claim" in check else claim_figures(check)


#: the fewest checks a worker process is started for
_CHECKS_PER_WORKER = 4


def report_figures(report: dict, workers: int | None = None) -> dict[str, list[Figure]]:
    """Every claim's and every control's figures, by id, drawn in ``workers`` processes
    (default: one per core; each figure is independent, and drawing is most of a report's
    rendering time: about 35 s for the quick run's 50 figures on one core).  The workers are
    forked (they start in milliseconds) and stopped without waiting when the command is
    interrupted (:func:`checks.workers.processes`)."""
    claims = {c["id"]: c for c in claims_of(report)}
    checks = claims_of(report) + controls_of(report)
    tasks = [(c, claims.get(c["claim"]) if "claim" in c else None) for c in checks]
    drawn: list[list[Figure]] = []
    # a pool costs more than it saves on a handful of checks (forking, and the workers' import
    # of matplotlib's fonts): those are drawn here
    jobs = min(workers or cores(), len(tasks) // _CHECKS_PER_WORKER) or 1
    with processes(jobs, fork=True) as executor:
        if executor is None:
            drawn = [_figures_of(*task) for task in tasks]
        else:
            futures = {executor.submit(_figures_of, *task): i for i, task in enumerate(tasks)}
            done: dict[int, list[Figure]] = {}
            for future in as_completed(futures):
                done[futures[future]] = future.result()
            drawn = [done[i] for i in range(len(tasks))]
    return {c["id"]: figures for c, figures in zip(checks, drawn, strict=True)}
