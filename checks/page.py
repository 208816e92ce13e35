"""report.html: the report's Markdown document (:mod:`checks.document`) as one self-contained
page -- the figures inline as base64 ``data:`` URIs, the style inline, no script, nothing
fetched from the network."""

from __future__ import annotations

import base64
import html

import markdown as md

from checks.document import markdown, overall
from checks.plots import Figure

_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a;
       max-width: 1180px; margin: 0 auto; padding: 1.5em 2em 4em; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2.2em; }
h4 { margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
th, td { border: 1px solid #d0d0d0; padding: 0.3em 0.55em; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0 0; }
code { font-size: 12px; background: #f4f4f4; padding: 0.05em 0.25em; border-radius: 3px;
       overflow-wrap: anywhere; }
details { margin: 0.6em 0 1em; } summary { cursor: pointer; color: #444; }
.verdict { font-weight: 600; padding: 0.05em 0.45em; border-radius: 3px; white-space: nowrap; }
.pass { background: #d9f2dd; color: #0b5d1e; }
.fail { background: #fadbd8; color: #8a1c12; }
.inconclusive { background: #fdf0c8; color: #6b4c00; }
.status { font-size: 17px; padding: 0.6em 0.9em; border-radius: 4px; margin: 1em 0; }
.status-0 { background: #d9f2dd; } .status-1 { background: #fadbd8; }
.status-3 { background: #fdf0c8; } .status-5 { background: #f4d3f4; }
"""


def data_uri(figure: Figure) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(figure.svg.encode()).decode("ascii")


def page(report: dict, figures: dict[str, list[Figure]]) -> str:
    """The HTML page of the report."""
    # the Markdown is converted with short placeholders for the images: run over the base64
    # data itself, the converter takes seconds
    body = md.markdown(markdown(report, figures, lambda f: f"figure:{f.name}"),
                       extensions=["tables", "md_in_html"], output_format="html")
    for f in (f for fs in figures.values() for f in fs):
        body = body.replace(f'src="figure:{f.name}"', f'src="{data_uri(f)}"')
    title = f"icl-verify report: {overall(report['exit_status']).split(':')[0]}"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")
