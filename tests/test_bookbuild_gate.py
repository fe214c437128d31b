"""The build gate: a failing cell or a Sphinx warning makes the book build fail (predact_utils.book.build)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_book, make_book

from predact_utils.book.build import BookBuildError, notebook_sources, toc_files

NOTEBOOK_HEADER = """# %% [markdown]
# # A throwaway chapter

# %% tags=["parameters"]
scale = "full"
seed = 0

"""


def _tiny_book(tmp_path: Path, notebook_body: str, intro_extra: str = "") -> Path:
    return make_book(tmp_path, {"01_gate": NOTEBOOK_HEADER + notebook_body}, intro_extra)


@pytest.mark.slow
def test_gate_passes_a_good_book_and_stops_a_failing_cell(tmp_path: Path) -> None:
    good = build_book(_tiny_book(tmp_path / "good", '# %%\nprint("scale is", scale)\n'))
    assert good.returncode == 0, good.stdout + good.stderr
    assert (tmp_path / "good" / "book" / "_build" / "html" / "index.html").is_file()

    bad = build_book(_tiny_book(tmp_path / "bad", '# %%\nraise RuntimeError("planted failure")\n'))
    assert bad.returncode != 0
    assert "planted failure" in bad.stderr


@pytest.mark.slow
def test_gate_treats_sphinx_warnings_as_errors(tmp_path: Path) -> None:
    res = build_book(_tiny_book(tmp_path, '# %%\nx = 1\n', intro_extra="\nSee {ref}`no-such-label`.\n"))
    assert res.returncode != 0
    assert "jupyter-book build failed" in res.stderr


def test_toc_parsing_and_missing_entries(tmp_path: Path) -> None:
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: A\n    chapters:\n      - file: notebooks/01_x\n"
        "        sections:\n          - file: notebooks/02_y\n"
    )
    assert toc_files(tmp_path / "_toc.yml") == ["intro", "notebooks/01_x", "notebooks/02_y"]
    (tmp_path / "intro.md").write_text("# i\n")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_x.py").write_text("x = 1\n")
    with pytest.raises(BookBuildError, match="names 'notebooks/02_y' but no"):
        notebook_sources(tmp_path)


def test_the_book_build_refuses_a_typo_before_any_notebook_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    root = _tiny_book(tmp_path, f'# %%\nopen({str(marker)!r}, "w").write("ran")\n')
    res = build_book(root, "-p", "sed", "1")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "found before any notebook ran" in res.stderr and "'sed'" in res.stderr and "seed" in res.stderr
    assert not marker.exists()
