"""The figure drawers take any values a saved report can hold (issue 26: a smoke run crashed
drawing a band that overflowed): non-finite values, empty series, one point, a flat series,
values at the ends of double precision.  Each panel gets a figure or a figure-less note
(:class:`checks.plots.NoFigure`), never an exception.

One real outcome of every figure kind (a smoke run of the claims that have them) is the
starting point; its evidence arrays are replaced consistently (every array of one figure
keeps one length, as :attr:`checks.plots.FigureKind.check` requires), first by each
degenerate case in turn, then by hypothesis, value by value.
"""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks import plots
from checks.report import report_dict, run_config, to_json
from checks.runner import run
from checks.saved_report import restore
from checks.schema import claims_of, controls_of

#: claims whose smoke run has an outcome of every figure kind: A1 curvature, A2 gd, A3m rate
#: and limit, B3 attention; A2's control on paper B's loss a trajectory
CLAIMS = ["A1", "A2", "A3m", "B3"]

#: the arrays of each kind's evidence that a panel draws, all of one length (None: scalars only)
ARRAYS = {"rate": ["fit.x", "fit.y", "fit.stderr", "fit.local_slopes"],
          "gd": ["errors", "bound"],
          "trajectory": ["t", "loss", "feature_loss.*"],
          "attention": ["t", "attention.*"],
          "curvature": ["lambda_min_vs_radius"],
          "limit": None}
#: the scalars each kind draws
SCALARS = {"rate": ["claimed", "resolution", "fit.slope"], "gd": ["q"],
           "trajectory": ["floor", "epsilon"], "attention": ["attention_limit"],
           "curvature": [], "limit": ["claimed"]}

EXTREMES = [math.nan, math.inf, -math.inf, 0.0, -1.0, 1e308, -1e308, 1e-308, 5e-324]


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict]:
    """One outcome of each figure kind, as report.json holds it (read back, NaN restored)."""
    result = run(CLAIMS, "smoke", 7)
    report = restore(json.loads(to_json(report_dict(result, run_config(result, "smoke", 7, {})))))
    found: dict[str, dict] = {}
    for check in claims_of(report) + controls_of(report):
        for o in check["outcomes"]:
            found.setdefault(o["figure"], o)
    found.pop(None, None)
    assert set(found) == set(plots.kinds()), set(plots.kinds()) - set(found)
    return found


def _parent(evidence: dict, path: str) -> tuple[object, object]:
    *head, last = path.split(".")
    node: object = evidence
    for key in head:
        node = node[key]  # type: ignore[index]
    return node, last


def _arrays(evidence: dict, kind: str) -> list[list]:
    """The lists of ``kind``'s evidence that must keep one length (``key.*``: every row of it)."""
    out = []
    for path in ARRAYS[kind] or []:
        if path.endswith(".*"):
            out += evidence[path[:-2]]
        else:
            node, last = _parent(evidence, path)
            out.append(node[last])  # type: ignore[index]
    return out


def _resize(outcome: dict, kind: str, length: int, fill: object) -> dict:
    """``outcome`` with each of its kind's arrays ``length`` long, every value ``fill(i)``."""
    o = copy.deepcopy(outcome)
    for array in _arrays(o["evidence"], kind):
        row = [fill(i) for i in range(length)]
        if array and isinstance(array[0], dict):  # lambda_min_vs_radius: rows of bounds
            row = [{"radius": 2.0**i, "estimate": fill(i), "lower": fill(i), "upper": fill(i)}
                   for i in range(length)]
        array[:] = row
    if kind == "rate":  # the fitted curve's coefficients keep the model's size
        fit = o["evidence"]["fit"]
        fit["x"] = [2.0**i for i in range(length)]
    if kind in ("trajectory", "attention"):
        o["evidence"]["t"] = [float(i) for i in range(length)]
    return o


def _draw(kind: str, outcome: dict) -> plots.Figure:
    plots.kinds()[kind].check(outcome)  # the case is consistent: what report DIR would draw
    figure = plots._figure("x", "caption", kind, [("heading", [("label", outcome)])])
    assert figure.note or figure.svg.startswith("<?xml"), figure
    return figure


#: each degenerate case: a length and a value for element i
CASES = {
    "non-finite": (6, lambda i: [math.nan, math.inf, -math.inf][i % 3]),
    "empty": (0, lambda i: 1.0),
    "one point": (1, lambda i: 0.5),
    "flat": (6, lambda i: 0.25),
    "huge": (6, lambda i: 1e308 / (i + 1)),
    "one huge point": (1, lambda i: 1e308),  # found by hypothesis: a log axis with nothing on it
    "tiny": (6, lambda i: 5e-324 * (i + 1)),
    "zero and negative": (6, lambda i: -float(i)),
    "some NaN": (6, lambda i: math.nan if i % 2 else 1.0 / (i + 1)),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", sorted(ARRAYS))
def test_every_kind_draws_every_degenerate_case(outcomes, kind: str, case: str) -> None:
    if ARRAYS[kind] is None and case != "non-finite":
        pytest.skip("the kind draws scalars only: the non-finite case covers it")
    length, fill = CASES[case]
    outcome = _resize(outcomes[kind], kind, length, fill)
    for path in SCALARS[kind]:  # the scalars take the case's first value too
        node, last = _parent(outcome["evidence"], path)
        node[last] = fill(0)  # type: ignore[index]
    if kind == "limit":
        outcome["statistic"] = fill(0)
        outcome["uncertainty"]["stderr"] = fill(1)
    _draw(kind, outcome)


values = st.one_of(st.sampled_from(EXTREMES), st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(min_value=1e-6, max_value=1e6))


@settings(max_examples=60)
@given(data=st.data())
def test_any_values_in_any_kind(outcomes, data) -> None:
    """Every array element and scalar of a random kind replaced by a random float."""
    kind = data.draw(st.sampled_from(sorted(ARRAYS)))
    length = data.draw(st.integers(0, 7))
    outcome = _resize(outcomes[kind], kind, length, lambda i: 1.0) if ARRAYS[kind] else \
        copy.deepcopy(outcomes[kind])
    for array in _arrays(outcome["evidence"], kind):
        for i, item in enumerate(array):
            if isinstance(item, dict):
                item.update({k: data.draw(values) for k in ("estimate", "lower", "upper")})
            else:
                array[i] = data.draw(values)
    for path in SCALARS[kind]:
        node, last = _parent(outcome["evidence"], path)
        node[last] = data.draw(values)  # type: ignore[index]
    if kind == "limit":
        outcome["statistic"] = data.draw(values)
        outcome["uncertainty"]["stderr"] = data.draw(values)
    _draw(kind, outcome)


def test_a_wide_band_is_cut_off_where_the_estimates_are(outcomes) -> None:
    """The crash of issue 26 (smoke, A5, seed 7): a Student-t band on one degree of freedom
    spans hundreds of decades; the axis keeps to two decades around the estimates."""
    outcome = copy.deepcopy(outcomes["rate"])
    fit = outcome["evidence"]["fit"]
    fit.update(quantile="student-t", dof=1)
    fit["coefficient_cov"] = (np.asarray(fit["coefficient_cov"]) * 1e6).tolist()
    figure = _draw("rate", outcome)
    assert not figure.note
