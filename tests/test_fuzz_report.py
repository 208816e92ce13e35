"""``icl-verify report DIR`` on a hostile report.json (issue 26): a report travels with a
paper's review, so its every field is untrusted.

Hypothesis mutates a real report (a smoke run of A4 and its control: two rate figures) --
one to three fields replaced by hostile values (markup, path traversal, NaN strings, huge or
negative numbers, wrong types, empty or nested values), removed, or doubled; or the file's
bytes damaged (not UTF-8, a NUL, a 5000-digit integer, deep nesting, a NaN token) -- and asserts
over at least 2000 examples (in CI, under the derandomized profile) that:

* the command redraws the report (its own exit status: 0, 1, 3 or 5) or refuses it with
  status 2 and one line; it never crashes (4);
* it writes nowhere but DIR (and its lock beside it): ids that name ``../outside/...`` or an
  absolute path there create nothing;
* nothing it renders carries markup from the report: no ``<script`` in report.html, report.md
  or a figure, and the HTML page's elements, attributes and links are the renderer's own
  (html5lib).

Drawing is the costly step (about a second a figure), so figures are memoised on their inputs
for the test: each distinct panel is still drawn for real once.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import tempfile
from pathlib import Path

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks import cli, plots
from checks.report import report_dict, run_config, to_json
from checks.runner import run

XHTML = "{http://www.w3.org/1999/xhtml}"
#: the elements and attributes the renderer writes (checks.document, checks.page, Markdown)
ELEMENTS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "h5", "p", "a",
            "div", "span", "strong", "em", "code", "table", "thead", "tbody", "tr", "th", "td", "ul",
            "li", "img", "details", "summary", "br", "hr"}
ATTRIBUTES = {"id", "href", "class", "src", "alt", "charset", "name", "content", "lang", "markdown",
              "style"}


@pytest.fixture(scope="module")
def base() -> dict:
    result = run(["A4"], "smoke", 3)
    return json.loads(to_json(report_dict(result, run_config(result, "smoke", 3, {}))))


def _paths(node: object, at: tuple = ()) -> list[tuple]:
    """Every path into a JSON value: the keys and indices from the top."""
    out = [at]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):  # the first few items of an array stand for all
            out += _paths(v, (*at, i))
    return out


#: a memory file system where there is one: each example publishes a report, and a disk's
#: fsyncs took half of an example's time
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
#: where hostile ids point: a folder beside DIR, by a relative path and by an absolute one
OUTSIDE = "outside"
HOSTILE_TEXT = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '" onmouseover="alert(1)',
                "[x](javascript:alert(1))", "![x](javascript:alert(1))", "<javascript:alert(1)>",
                "``` <script>", "` <script> `", "&lt;script&gt;", "</div><script>", "<!--", "]]>",
                f"../{OUTSIDE}/evil", f"../../{OUTSIDE}/evil", f"../../../{OUTSIDE}/evil", "/",
                "nan", "inf", "-inf", "", " ", "\n\n# heading\n\n<script>", "$\\frac{$", "A4", "x" * 300,
                "PASS", "FAIL", "\u202e\u0000"]
def _nested(depth: int) -> object:
    node: object = "x"
    for _ in range(depth):
        node = [node]
    return node


hostile = st.recursive(
    st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=20), st.none(), st.booleans(),
              st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 1, 2, 3, 4, 5, 10**400, 2**63]),
              st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e308, -1e308, 5e-324]),
              st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=2),  # lone surrogates
              st.integers(30, 600).map(_nested), st.integers(4000, 5000).map(lambda n: [0.5] * n)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)

#: damage to the file's bytes, each a function of its text
RAW = {
    "not UTF-8": lambda t: t.encode()[:100] + b"\xff\xfe" + t.encode()[100:],
    "a NUL": lambda t: t.replace('"A4"', '"A4\x00"', 1).encode(),
    "a 5000-digit integer": lambda t: t.replace('"seed": 3', '"seed": ' + "9" * 5000, 1).encode(),
    "deep nesting": lambda t: ("[" * 100_000 + "]" * 100_000).encode(),
    "a NaN token": lambda t: t.replace('"seed": 3', '"seed": NaN', 1).encode(),
    "cut short": lambda t: t.encode()[: len(t) // 2],
    "empty": lambda t: b"",
}


def _get(node: object, path: tuple) -> object:
    for key in path:
        node = node[key]  # type: ignore[index]
    return node


@st.composite
def damaged(draw, base: dict, paths: list[tuple]) -> bytes:
    if draw(st.integers(0, 19)) == 0:
        return RAW[draw(st.sampled_from(sorted(RAW)))](json.dumps(base))
    report = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        try:
            parent = _get(report, path[:-1])
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed it
        key = path[-1]
        action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "double"]))
        try:
            if action == "replace":
                parent[key] = draw(hostile)  # type: ignore[index]
            elif action == "remove":
                del parent[key]  # type: ignore[attr-defined]
            elif isinstance(parent, list):
                parent.append(copy.deepcopy(parent[key]))
            else:
                parent[key] = [parent[key], copy.deepcopy(parent[key])]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            continue
    return json.dumps(report).encode()


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in root.rglob("*")}


def _check_page(page: str) -> None:
    document = html5lib.parse(page)
    for element in document.iter():
        tag = element.tag.replace(XHTML, "") if isinstance(element.tag, str) else "comment"
        assert tag in ELEMENTS, tag
        for name, value in element.attrib.items():
            assert name in ATTRIBUTES, (tag, name)
            if name == "href":
                assert value.startswith("#") and '"' not in value, value
            if name == "src":
                assert value.startswith("data:image/svg+xml;base64,"), value[:40]


@pytest.fixture(scope="module")
def memoised_figures():
    """Each distinct panel drawn once (a pure function of its kind and data)."""
    render = plots._render
    memo = functools.lru_cache(maxsize=512)(lambda kind, text: render(kind, json.loads(text)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots, "_render", lambda kind, columns: memo(kind, json.dumps(columns)))
        yield


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                    HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_report_dir_on_a_mutated_report(base, memoised_figures, capsys, data) -> None:
    content = data.draw(damaged(base, _paths(base)[1:]))  # [1:]: not the whole report
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        root = Path(tmp)
        directory, outside = root / "reports", root / OUTSIDE
        directory.mkdir()
        outside.mkdir()
        (directory / "report.json").write_bytes(
            content.replace(b'"/"', json.dumps(str(outside / "evil")).encode()))
        before = _snapshot(root)
        status = cli.main(["report", str(directory)])
        err = capsys.readouterr().err
        assert status in (0, 1, 2, 3, 5), err
        if status == 2:
            assert err.count("\n") == 1 and err.startswith("icl-verify: error: DIR: "), err
        after = _snapshot(root)
        changed = {p for p in set(before) | set(after) if before.get(p, b"") != after.get(p, b"")}
        assert all(p.startswith("reports") or p == ".reports.lock" for p in changed), changed
        assert not list(outside.iterdir())
        for path in directory.rglob("*"):  # the renderings: report.json and config.json are data
            if path.is_file() and path.suffix != ".json":
                assert b"<script" not in path.read_bytes().lower(), path
        if status != 2:
            _check_page((directory / "report.html").read_text())
