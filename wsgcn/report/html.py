"""Self-contained HTML: tables with exact values in ``data-value``, PNGs as data URIs."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.85em; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 4px 0; }
.wide { overflow-x: auto; } img { max-width: 100%; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
p.note { color: #555; font-size: 0.9em; }
"""

CHECK_IMAGES = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (img) { return !(img.complete && img.naturalWidth > 0); });
  document.body.setAttribute("data-images", images.length);
  document.body.setAttribute("data-broken-images", broken.length);
});
"""


def _cell(value: object, float_format: str) -> str:
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return '<td data-value="nan">-</td>'
        return f'<td data-value="{float(value)!r}">{float_format.format(value)}</td>'
    if isinstance(value, int | np.integer):
        return f'<td data-value="{int(value)}">{int(value)}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def html_table(frame: pd.DataFrame, table_id: str, caption: str, float_format: str = "{:.2f}") -> str:
    """A ``<table id=...>``; numeric cells carry their full-precision value in ``data-value``."""
    header = "".join(f"<th>{html.escape(str(column))}</th>" for column in frame.columns)
    body = "".join(
        "<tr>" + "".join(_cell(value, float_format) for value in row) + "</tr>" for row in frame.itertuples(index=False)
    )
    return (
        f'<div class="wide"><table id="{html.escape(table_id)}"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def png_image(png: bytes, alt: str, image_id: str) -> str:
    """An ``<img>`` with the PNG inlined as a data URI."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img id="{html.escape(image_id)}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def document(title: str, sections: Sequence[tuple[str, str]]) -> str:
    """The whole page: ``sections`` are (heading, inner HTML)."""
    parts = [f"<h2>{html.escape(heading)}</h2>\n{body}" for heading, body in sections]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style><script>{CHECK_IMAGES}</script></head>"
        f"<body><h1>{html.escape(title)}</h1>\n" + "\n".join(parts) + "\n</body></html>\n"
    )
