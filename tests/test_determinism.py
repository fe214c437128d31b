"""Determinism of the book (hardening): the same notebooks, re-executed from a cold artifact cache,
glue the same values as the build `make book-smoke` just made.

Every notebook of that build is executed again with the parameters papermill
recorded in it, against an empty cache (so every generation, score and
fine-tuning run is recomputed), and the two sets of glued values (numbers in
the text, PNG figures, scoreboard records) must be identical.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from predact_utils.book.build import AFTER, execute_notebook, toc_files
from predact_utils.book.gluecheck import build_values, claim_records, compare_builds, count_values

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("PREDACT_BOOK_BUILD", ROOT / "_build"))

pytestmark = pytest.mark.book


def _executed() -> list[Path]:
    """The executed notebooks in the build's order: the book's reading order, with a notebook that waits for
    all the others (the scoreboard) last."""
    folder = BUILD / "src" / "notebooks"
    found = {p.stem: p for p in folder.glob("[0-9]*.ipynb") if not p.name.endswith(".input.ipynb")}
    order = [Path(e).name for e in toc_files(ROOT / "_toc.yml")]
    rank = {name: (AFTER.get(name) == ("*",), order.index(name) if name in order else len(order)) for name in found}
    return [found[name] for name in sorted(found, key=lambda n: (rank[n], n))]


def test_cold_cache_rebuild_glues_the_same_values(tmp_path):
    executed = _executed()
    if not executed:
        if os.environ.get("CI"):
            pytest.fail(f"no executed notebooks under {BUILD}/src/notebooks: `make book-smoke` must run first")
        pytest.skip(f"no executed notebooks under {BUILD}/src/notebooks; run `make book-smoke` first")
    second = tmp_path / "second"
    env = {"PREDACT_CACHE": str(tmp_path / "cold-cache"), "PREDACT_CLAIMS_DIR": str(second / "claims")}
    for nb in executed:
        params = json.loads(nb.read_text(encoding="utf-8"))["metadata"]["papermill"]["parameters"]
        source = ROOT / "notebooks" / f"{nb.stem}.py"
        execute_notebook(source, second / "src" / "notebooks" / nb.name, params, cwd=ROOT, timeout=1800, env=env)
    first_values = build_values(BUILD)
    assert count_values(first_values) > 100  # the smoke book glues ~200 values: the check compares real content
    assert claim_records(BUILD), "the first build wrote no scoreboard records"
    diffs = compare_builds(BUILD, second)
    assert not diffs, "a cold-cache rebuild glued different values:\n" + "\n".join(diffs[:40])

