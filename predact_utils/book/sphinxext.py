"""A small Sphinx extension for the rendered book (all pages).

Jupyter Book 1 with Sphinx 7.4 emits some inline scripts twice on a page
(sphinx-thebe's ``const THEBE_JS_URL`` and sphinx-togglebutton's selector),
which the browser reports as ``Identifier ... has already been declared``.
This extension removes exact duplicate script and stylesheet entries from
every page, keeping the first, so pages load without JavaScript errors.
"""

from __future__ import annotations

from typing import Any


def _key(asset: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    attrs = getattr(asset, "attributes", {}) or {}
    return str(getattr(asset, "filename", asset) or ""), tuple(sorted((str(k), str(v)) for k, v in attrs.items()))


def dedupe_assets(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Drop repeated ``script_files`` / ``css_files`` entries of a page (same file or body, same attributes)."""
    for name in ("script_files", "css_files"):
        files = context.get(name)
        if not files:
            continue
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        kept = []
        for asset in files:
            k = _key(asset)
            if k in seen:
                continue
            seen.add(k)
            kept.append(asset)
        files[:] = kept


def setup(app: Any) -> dict[str, Any]:
    """Register the page hook late, after every extension has added its assets."""
    app.connect("html-page-context", dedupe_assets, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
