"""Fail the build when a page would load a script, style or font from the network.

The site must work offline: every asset is written into the build folder. After the HTML is
written, each page's ``<script src>`` and ``<link href>`` is read; one that starts with
``http://``, ``https://`` or ``//`` is reported as a warning, which ``-W`` makes an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

ASSET = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)=[\"']((?:https?:)?//[^\"']+)", re.I)


def remote_assets(html: str) -> list[str]:
    """The addresses of remote scripts and stylesheets in an HTML page."""
    return ASSET.findall(html)


def check(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in sorted(Path(app.outdir).rglob("*.html")):
        for url in remote_assets(page.read_text(encoding="utf-8", errors="replace")):
            logger.warning("%s loads %s from the network", page.relative_to(app.outdir), url)


def setup(app):
    app.connect("build-finished", check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
