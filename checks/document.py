"""The report's content as one Markdown document, from a saved report dict and its figures.

``report.md`` and ``report.html`` are this one document (:mod:`checks.page` converts it), so
they cannot drift apart: per paper, the summary tables of claims and negative controls, then
one section per claim -- statement, setting, method, figures, outcomes, data -- followed by
its controls, each figure drawn beside the claim's (:mod:`checks.plots`).  Only the image addresses differ:
files next to ``report.md``, ``data:`` URIs in the HTML.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from checks.exit_status import MEANING, ControlState, ExitStatus, control_state
from checks.names import anchor
from checks.plots import Figure
from numerics.rates import curve, percent


def overall(status: int) -> str:
    """The report's headline for an exit status: its name and :data:`checks.exit_status.MEANING`."""
    s = ExitStatus(status)
    return f"{s.name.replace('_', ' ')}: {MEANING[s]}"


#: how a control came out, in words, by :class:`checks.exit_status.ControlState`
_FOUND = {ControlState.DETECTED: "detected", ControlState.UNDECIDED: "**not detected: undecided**",
          ControlState.WRONG: "**not detected: decided the wrong way, a defect of the suite**"}

_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|#"})


def text(value: Any) -> str:
    """Any value of a saved report as literal text of the document, on one line: escaped for
    HTML (:func:`html.escape`: a ``<script>`` in a report is text, not markup) and for Markdown
    (``W* ... W*`` is not emphasis, ``||W||`` no cell end, ``[x](javascript:...)`` no link)."""
    return html.escape(" ".join(str(value).split())).translate(_SPECIAL)


def code(value: Any) -> str:
    """``value`` as literal text (:func:`text`) set in a code font: an HTML ``<code>`` element,
    not a Markdown code span, whose content Markdown would leave unescaped in report.md."""
    return f"<code>{text(value)}</code>"


def number(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else text(x)


def uncertainty(u: dict) -> str:
    if "ci" in u:
        return f"CI [{number(u['ci'][0])}, {number(u['ci'][1])}]"
    if "lower" in u and "upper" in u:
        return f"[{u['lower']:.3g}, {u['upper']:.3g}]"
    if "p_value" in u:
        return f"p = {u['p_value']:.3g}"
    return text(u.get("method", ""))


_VERDICT_CLASS = {"PASS": "pass", "FAIL": "fail", "INCONCLUSIVE": "inconclusive"}


def _verdict(v: str) -> str:
    # the class colours the HTML; GitHub keeps the text and drops the class
    return f'<span class="verdict {_VERDICT_CLASS[v]}">{v}</span>'


def _link(check_id: str) -> str:
    return f"[{text(check_id)}](#{anchor(check_id)})"


def _criterion(check: dict) -> str:
    return f"{text(check['deciding_outcome'])}: {text(check['criterion'])}"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(*header), _row(*["---"] * len(header)), *(_row(*r) for r in rows), ""]


def _setting(described: dict) -> str:
    """One setting on one line: the prior's fields, then the setting's own (None left out)."""
    def flat(d: dict) -> list[str]:
        out = []
        for k, v in d.items():
            if isinstance(v, dict):
                out += flat(v)
            elif v is not None and k != "label":
                out.append(f"{k} = {json.dumps(v, separators=(',', ':'))}")
        return out

    return "; ".join(flat(described))


def _settings(check: dict) -> list[str]:
    return [f"- Setting *{text(label)}*: {code(_setting(s))}" for label, s in check["settings"].items()]


def _figures(figures: list[Figure], src: Callable[[Figure], str]) -> list[str]:
    lines = []
    for f in figures:
        if f.note:
            lines += [f"*Figure not drawn, {text(f.caption)}: {text(f.note)}.*", ""]
        else:
            lines += [f"![{text(f.caption)}]({src(f)})", "", f"*Figure: {text(f.caption)}.*", ""]
    return lines


def fit_table(evidence: dict) -> list[str]:
    """The points of a rate fit, their errors, local slopes and the fitted curve, and the
    fit's model and slope: from the saved fit alone (:func:`numerics.rates.curve`)."""
    fit = evidence["fit"]
    fitted = curve(fit, np.asarray(fit["x"], dtype=float))[0]
    rows = [[f"{x:g}", f"{y:.6g}", f"{se:.2g}", "" if math.isnan(local) else f"{local:.4f}", f"{f:.6g}"]
            for x, y, se, local, f in zip(fit["x"], fit["y"], fit["stderr"], fit["local_slopes"], fitted,
                                          strict=True)]
    q = fit["correction_exponent"]
    terms = 0 if q is None else fit["correction_terms"]
    model = "".join(f" + c{k + 1} x^-{(k + 1) * q:g}" for k in range(terms))
    if fit["log_correction"] and q is not None:
        model = f" + c0 x^-{q:g} log x" + model
    header = [text(evidence["x_name"]), text(evidence["y_name"]), "stderr", "local slope", "fit"]
    return [*_table(header, rows),
            f"fit: log y = b + s log x{model}; s = {fit['slope']:.4f} ± {fit['slope_stderr']:.2g} (SE incl. "
            f"truncation {fit['truncation_error']:.2g}, Birge ratio {fit['birge_ratio']:.3g}); "
            f"{percent(fit['confidence'])} CI [{fit['ci'][0]:.4f}, {fit['ci'][1]:.4f}]", ""]


def _outcomes(check: dict) -> list[str]:
    rows = [[text(o["name"]), text(o["setting"]), _verdict(o["verdict"]), number(o["statistic"]),
             uncertainty(o["uncertainty"]), text(o["criterion"])] for o in check["outcomes"]]
    lines = _table(["outcome", "setting", "verdict", "statistic", "uncertainty", "criterion"], rows)
    readings = [o for o in check["outcomes"] if "reading" in o["evidence"]]
    lines += [f"- Beyond the paper: {text(o['evidence']['reading'])}." for o in readings]
    # a rate's fit: the outcomes whose data the reader checked (FigureKind.check)
    fits = [o for o in check["outcomes"] if o["figure"] == "rate"]
    if fits:
        lines += ["", '<details markdown="1"><summary>Data and fits</summary>', ""]
        for o in fits:
            lines += [f"**{text(o['name'])}** ({text(o['setting'])}; "
                      f"{text(o['uncertainty'].get('method', ''))})", "", *fit_table(o["evidence"])]
        lines += ["</details>"]
    return [*lines, ""]


def _paper(paper: dict, figures: dict[str, list[Figure]], src: Callable[[Figure], str]) -> list[str]:
    """One paper's section: its summary tables, then a section per claim with its controls."""
    lines = [
        f'<a id="paper-{anchor(paper["id"])}"></a>', "",
        f"## Paper {text(paper['id'])}: {text(paper['title'])}", "",
        f"{text(paper['source'])}; {text(paper['spec'])}; budget {code(paper['budget'])}.", "",
        "### Claims", "",
        *_table(["id", "claim", "verdict", "statistic", "uncertainty", "deciding criterion"],
                [[_link(c["id"]), text(c["statement"]), _verdict(c["verdict"]),
                  number(c["statistic"]), uncertainty(c["stderr_or_ci"]), _criterion(c)]
                 for c in paper["claims"]]),
        f"### Negative controls ({text(paper['controls_spec'])})", "",
        "Each control breaks one assumption of its claim (or claims more than the paper does); "
        "the check must then return the expected verdict.", "",
        *_table(["id", "claim", "broken setting", "expected", "verdict", "outcome", "statistic",
                 "uncertainty", "deciding criterion"],
                [[_link(c["id"]), text(c["claim"]), text(c["setting"]), _verdict(c["expected"]),
                  _verdict(c["verdict"]), _FOUND[control_state(c["verdict"], c["expected"])],
                  number(c["statistic"]), uncertainty(c["stderr_or_ci"]), _criterion(c)]
                 for c in paper["controls"]]),
    ]
    for claim in paper["claims"]:
        lines += [f'<a id="{anchor(claim["id"])}"></a>', "",
                  f"### {text(claim['id'])}: {text(claim['statement'])}", "",
                  f"Verdict: {_verdict(claim['verdict'])}, decided by "
                  f"*{text(claim['deciding_outcome'])}*.", "",
                  *_settings(claim),
                  f"- Method: {text(claim['method'])}.",
                  f"- Seed {claim['seed']}; {claim['elapsed_s']:.1f} s.", "",
                  *_figures(figures.get(claim["id"], []), src),
                  *_outcomes(claim)]
        controls = [c for c in paper["controls"] if c["claim"] == claim["id"]]
        if controls:
            lines += [f"#### Negative controls of {text(claim['id'])}", ""]
        for c in controls:
            found = _FOUND[control_state(c["verdict"], c["expected"])]
            lines += [f'<a id="{anchor(c["id"])}"></a>', "",
                      f"##### {text(c['id'])}: {text(c['setting'])}", "",
                      f"Expected {_verdict(c['expected'])}; verdict {_verdict(c['verdict'])}: {found}.", "",
                      *_settings(c), "",
                      *_figures(figures.get(c["id"], []), src),
                      *_outcomes(c)]
    return lines


def markdown(report: dict, figures: dict[str, list[Figure]], src: Callable[[Figure], str]) -> str:
    """The whole report; ``figures`` maps a claim or control id to its figures, ``src`` gives
    an image's address.  Every value of the report reaches the document through :func:`text`,
    :func:`code`, :func:`number` or a name of :mod:`checks.names`, or is one of a fixed set
    (a verdict, an exit status) that the schema holds it to."""
    cfg = report["config"]
    status = report["exit_status"]
    lines = [
        "# icl-verify report", "",
        f"Profile {code(cfg['profile'])}, seed {cfg['seed']}, generated {text(report['generated'])} "
        f"(budgets and versions: `config.json`).", "",
        f'<div class="status status-{int(status)}" markdown="1">', "",
        f"**Overall: {overall(status)}** (exit status {int(status)}).", "",
        "</div>", "",
        "Papers: " + ", ".join(f"[{text(p['id'])}](#paper-{anchor(p['id'])}) ({text(p['title'])})"
                               for p in report["papers"]) + ".", "",
    ]
    for paper in report["papers"]:
        lines += _paper(paper, figures, src)
    return "\n".join(lines) + "\n"
