"""Rendered chapter pages show prose, one parameters cell, figures, tables and teaching code only
(run after the book build: ``pytest -m book``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("PREDACT_BOOK_HTML", ROOT / "_build" / "html"))
#: Widest code line a page may show (characters): wider lines run off the page's right edge.
MAX_CODE_WIDTH = 88
#: Text that marks a plumbing cell left visible on a page.
PLUMBING = (re.compile(r"^\s*(from|import)\s+predact_utils", re.M), re.compile(r"\bglue(_all)?\("),
            re.compile(r"validate_parameters|from_globals|record_all|run_chapter|claims\.record"),
            re.compile(r"^# Parameters$", re.M))

pytestmark = pytest.mark.book


def _chapter_pages() -> list[Path]:
    return sorted((HTML / "notebooks").glob("*.html")) if (HTML / "notebooks").is_dir() else []


def _code_inputs(page: Path) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return [pre.get_text() for pre in soup.select("div.cell_input pre")]


def _need_pages() -> list[Path]:
    pages = _chapter_pages()
    if not pages:
        if os.environ.get("CI"):
            pytest.fail(f"no built chapter pages under {HTML}")
        pytest.skip(f"no built book at {HTML}; run `make book-smoke` first")
    return pages


def test_chapter_pages_show_no_plumbing() -> None:
    """No visible code cell imports the package, glues values, checks parameters or records claims."""
    problems = []
    for page in _need_pages():
        for code in _code_inputs(page):
            problems += [f"{page.name}: {pat.pattern!r} in a visible cell:\n{code[:300]}" for pat in PLUMBING
                         if pat.search(code)]
    assert not problems, "\n".join(problems)


def test_one_parameters_cell_per_page_and_no_wide_code() -> None:
    """Each chapter page shows its parameters cell once (papermill's injected copy is folded into it), and no
    visible code line is wider than the page."""
    wide, counts = [], {}
    for page in _need_pages():
        inputs = _code_inputs(page)
        counts[page.name] = sum(1 for code in inputs if re.match(r"\s*scale\s*=", code))
        wide += [f"{page.name}: {len(line)} chars: {line}" for code in inputs for line in code.splitlines()
                 if len(line) > MAX_CODE_WIDTH]
    assert all(n == 1 for n in counts.values()), counts
    assert not wide, "\n".join(wide)
