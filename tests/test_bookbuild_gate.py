"""The build gate: a failing cell or a Sphinx warning makes the book build fail (predact_utils.bookbuild)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from predact_utils.bookbuild import BookBuildError, notebook_sources, toc_files

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOK_HEADER = """# %% [markdown]
# # A throwaway chapter

# %% tags=["parameters"]
scale = "full"
seed = 0

"""


def _tiny_book(tmp_path: Path, notebook_body: str, intro_extra: str = "") -> Path:
    root = tmp_path / "book"
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    shutil.copy2(ROOT / "_config.yml", root / "_config.yml")
    for asset in ("references.bib", "favicon.png"):
        shutil.copy2(ROOT / "book" / asset, root / "book" / asset)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/01_gate\n")
    (root / "book" / "intro.md").write_text("# Intro\n\nA tiny book for the gate test.\n" + intro_extra)
    (root / "notebooks" / "01_gate.py").write_text(NOTEBOOK_HEADER + notebook_body)
    return root


def _build(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "predact_utils.bookbuild", "--root", str(root), "--scale", "smoke",
         "--out", str(root / "_build")],
        capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.mark.slow
def test_gate_passes_a_good_book_and_stops_a_failing_cell(tmp_path: Path) -> None:
    good = _build(_tiny_book(tmp_path / "good", '# %%\nprint("scale is", scale)\n'))
    assert good.returncode == 0, good.stdout + good.stderr
    assert (tmp_path / "good" / "book" / "_build" / "html" / "index.html").is_file()

    bad = _build(_tiny_book(tmp_path / "bad", '# %%\nraise RuntimeError("planted failure")\n'))
    assert bad.returncode != 0
    assert "planted failure" in bad.stderr


@pytest.mark.slow
def test_gate_treats_sphinx_warnings_as_errors(tmp_path: Path) -> None:
    res = _build(_tiny_book(tmp_path, '# %%\nx = 1\n', intro_extra="\nSee {ref}`no-such-label`.\n"))
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
