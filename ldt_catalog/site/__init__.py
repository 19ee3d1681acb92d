"""A static, browsable catalogue site made from the catalogue's NGSI-LD entities.

``render_site(entities, ...)`` returns every file as ``{relative path: bytes}`` without touching the
disk; ``write_site(files, out_dir)`` writes them.  The site works from ``file://`` and from any web
server and asks no other host for anything.
"""

from __future__ import annotations

from .render import render_site
from .writer import read_logos, read_queries, write_site

__all__ = ["read_logos", "read_queries", "render_site", "write_site"]
