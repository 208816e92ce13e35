"""report.html, report.md and their figures (issue 4): the page parses, every image is
embedded, nothing is fetched, chromium renders it, and ``icl-verify report DIR`` redraws the
same files from report.json alone."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import html5lib
import pytest

from checks import cli
from checks.names import anchor, slug
from checks.plots import figure_name
from checks.progress import Progress
from checks.report import run_config, write_reports
from checks.runner import run
from checks.schema import claims_of, controls_of

#: every kind of figure: rate fits (A3, A3m, B3), GD (A2), curvature (A1), alpha_c(inf)/c (A3m),
#: trajectories (B2, A2 on paper B's loss), attention (B3), and controls beside their claims
CLAIMS = ["A1", "A2", "A3", "A3m", "B2", "B3"]
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, dict]:
    directory = tmp_path_factory.mktemp("report")
    result = run(CLAIMS, "smoke", 7)
    report = write_reports(result, run_config(result, "smoke", 7, {"classes": None}), directory)
    assert [p["id"] for p in report["papers"]] == ["A", "B"]
    return directory, report


def _document(directory: Path) -> ET.Element:
    # strict: any parse error of the HTML5 algorithm raises
    return html5lib.HTMLParser(strict=True).parse((directory / "report.html").read_text())


def _images(directory: Path) -> list[ET.Element]:
    return list(_document(directory).iter(f"{XHTML}img"))


def test_html_parses_strictly(written) -> None:
    directory, _ = written
    with pytest.raises(html5lib.html5parser.ParseError):  # the parser is strict
        html5lib.HTMLParser(strict=True).parse("<!DOCTYPE html><title>x</title><p></div>")
    root = _document(directory)
    assert root.find(f"{XHTML}head/{XHTML}title").text.startswith("icl-verify report")


def test_every_image_is_an_embedded_svg_and_nothing_is_fetched(written) -> None:
    directory, _ = written
    images = _images(directory)
    files = sorted((directory / "figures").glob("*.svg"))
    assert len(images) == len(files) > 0
    embedded = set()
    for img in images:
        prefix, payload = img.get("src").split(",", 1)
        assert prefix == "data:image/svg+xml;base64"
        svg = base64.b64decode(payload).decode()
        assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
        assert img.get("alt")
        embedded.add(svg)
    assert embedded == {f.read_text() for f in files}
    root = _document(directory)
    assert not list(root.iter(f"{XHTML}script")) and not list(root.iter(f"{XHTML}link"))
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    for a in root.iter(f"{XHTML}a"):
        href = a.get("href")
        if href is not None:  # in-page links only, each to an anchor that exists
            assert href.startswith("#") and href[1:] in ids, href


def test_summary_tables_list_every_claim_and_control(written) -> None:
    """One row per claim and per control, each with every cell: a "|" in a statement
    ("max|G_ij|") or criterion ("||W||_F") must not split a cell."""
    directory, report = written
    def header(table: ET.Element) -> list[str]:
        return ["".join(th.itertext()) for th in table.iter(f"{XHTML}th")][:3]

    tables = list(_document(directory).iter(f"{XHTML}table"))
    claims = [t for t in tables if header(t) == ["id", "claim", "verdict"]]
    controls = [t for t in tables if header(t) == ["id", "claim", "broken setting"]]
    assert len(claims) == len(controls) == len(report["papers"])  # one pair per paper, in order
    pairs = [(t, p["claims"], 6) for t, p in zip(claims, report["papers"], strict=True)]
    pairs += [(t, p["controls"], 9) for t, p in zip(controls, report["papers"], strict=True)]
    for table, checks, width in pairs:
        rows = list(table.iter(f"{XHTML}tr"))[1:]
        assert len(rows) == len(checks)
        for row, check in zip(rows, checks, strict=True):
            cells = ["".join(td.itertext()) for td in row.iter(f"{XHTML}td")]
            assert len(cells) == width and cells[0] == check["id"]
            assert check["verdict"] in cells


def test_markdown_has_the_same_figures_as_files_beside_it(written) -> None:
    directory, report = written
    text = (directory / "report.md").read_text()
    paths = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.svg)\)", text)
    assert len(paths) == len(_images(directory))
    assert all((directory / p).is_file() for p in paths)
    for check in claims_of(report) + controls_of(report):
        assert f'<a id="{anchor(check["id"])}"></a>' in text


def test_controls_are_drawn_beside_their_claims(written) -> None:
    """A control's figure has the claim's panel (the paper's setting) beside its own, and
    states the claimed slope it tests; a panel identical to the claim's is left out."""
    directory, report = written
    name = figure_name("A3-rate-too-fast", "slope of max|G_ij| in N", "rate")
    assert name.startswith("a3-rate-too-fast-slope-of-max-g-ij-in-n-")
    fig = (directory / "figures" / f"{name}.svg").read_text()
    assert "claim A3 (paper's setting)" in fig and "control A3-rate-too-fast: claimed rate" in fig
    assert "claimed slope -2" in fig and "claimed slope -1" in fig
    for control in controls_of(report):  # every control has a figure
        assert list((directory / "figures").glob(f"{slug(control['id'])}-*.svg")), control["id"]
    # A3m-c-rate-too-fast changes only the claimed exponent of c: only that panel is drawn
    names = sorted(p.name for p in (directory / "figures").glob("a3m-c-rate-too-fast-*.svg"))
    assert names == [f"{figure_name('A3m-c-rate-too-fast', 'exponent of c in lim N max|G_ij|', 'rate')}.svg"]


def test_report_command_redraws_the_same_files_from_report_json(written, tmp_path, capsys) -> None:
    directory, report = written
    shutil.copy(directory / "report.json", tmp_path / "report.json")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a9-from-an-earlier-run.svg").write_text("<svg/>")  # stale: removed
    assert cli.main(["report", str(tmp_path)]) == report["exit_status"]
    for name in ("report.html", "report.md"):
        assert (tmp_path / name).read_bytes() == (directory / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == sorted(
        p.name for p in (directory / "figures").iterdir())
    assert "report.html" in capsys.readouterr().out


@pytest.mark.parametrize("content,reason", [(None, "no report.json"),
                                            ("{}", "not a report this icl-verify can redraw")])
def test_report_command_rejects_a_directory_without_a_report(tmp_path, capsys, content, reason) -> None:
    if content is not None:
        (tmp_path / "report.json").write_text(content)
    assert cli.main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("icl-verify: error: DIR: ") and reason in err


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium with apt-get")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    return found


#: test-only probe: the report itself has no script.  It records any error event (a broken
#: image fires one) and, on load, how many images decoded.
_PROBE = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(e.message || e.target.tagName), true);
window.addEventListener("load", () => {
  const bad = [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length;
  document.title = `PROBE images=${document.images.length} undecoded=${bad} errors=${window.__errors.length}`;
});
</script>"""


def _chromium_args(browser: str, profile: Path) -> list[str]:
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={profile}", "--virtual-time-budget=10000"]


def _probe(browser: str, page: str, tmp_path: Path) -> str:
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", _PROBE + "</body>"))
    dom = subprocess.run([*_chromium_args(browser, tmp_path / "profile"), "--dump-dom", probed.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return re.search(r"<title>(PROBE [^<]*)</title>", dom).group(1)


def test_headless_chromium_renders_the_page(written, tmp_path) -> None:
    directory, _ = written
    browser = _chromium()
    page = (directory / "report.html").read_text()
    images = len(_images(directory))
    assert _probe(browser, page, tmp_path) == f"PROBE images={images} undecoded=0 errors=0"
    # the probe can fail: an image that does not decode is seen
    broken = page.replace("</body>", '<img alt="broken" src="data:image/svg+xml;base64,AAAA"></body>')
    assert _probe(browser, broken, tmp_path) == f"PROBE images={images + 1} undecoded=1 errors=1"
    shot = tmp_path / "page.png"
    subprocess.run([*_chromium_args(browser, tmp_path / "profile"), f"--screenshot={shot}",
                    "--window-size=1280,2000", (directory / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 2000)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    steps = [(0, 2, "claim A1"), (1, 2, "control A1-brier"), (2, 2, "done")]
    plain = io.StringIO()
    with Progress(plain) as progress:
        for step in steps:
            progress(*step)
    assert plain.getvalue() == "[icl-verify] (1/2) claim A1\n[icl-verify] (2/2) control A1-brier\n"
    terminal = _Terminal()
    with Progress(terminal) as progress:
        for step in steps:
            progress(*step)
    assert "\r" in terminal.getvalue() and "2/2" in terminal.getvalue()


def test_written_report_json_carries_what_the_figures_need(written) -> None:
    """The figures are drawn from report.json alone: rate fits keep their coefficients and
    covariance, the claimed slope and the axis names."""
    directory, _ = written
    saved = json.loads((directory / "report.json").read_text())
    rates = [o for c in claims_of(saved) for o in c["outcomes"] if o["figure"] == "rate"]
    assert rates
    for o in rates:
        assert {"claimed", "resolution", "x_name", "y_name"} <= set(o["evidence"])
        assert {"coefficients", "coefficient_cov"} <= set(o["evidence"]["fit"])
