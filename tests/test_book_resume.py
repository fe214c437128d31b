"""A resumed book build skips notebooks that finished with the same inputs, and keeps their records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import build_book, make_book

from predact_utils.book import resume


def _nb(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(src: str, count: int | None = 1, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "source": src, "execution_count": count, "outputs": outputs or [], "metadata": {}}


def _saved(tmp_path: Path, nb: dict, stamp: dict) -> Path:
    out, claims = tmp_path / "out", tmp_path / "claims"
    claims.mkdir()
    (claims / "fig1-anchors.json").write_text('{"id": "fig1-anchors"}')
    executed = tmp_path / "x.ipynb"
    executed.write_text(json.dumps(nb))
    resume.save_finished(out, "04_anchor_spans", executed, stamp, claims)
    return out


STAMP = {"notebook": "04_anchor_spans", "parameters": {"scale": "smoke"}, "code": "c", "data": "d"}


def test_a_complete_copy_with_the_same_stamp_is_finished(tmp_path) -> None:
    out = _saved(tmp_path, _nb([_code("x = 1"), {"cell_type": "markdown", "source": "# t", "metadata": {}}]), STAMP)
    assert resume.finished_with(out, "04_anchor_spans", STAMP)
    assert not resume.finished_with(out, "04_anchor_spans", {**STAMP, "parameters": {"scale": "full"}})
    assert not resume.finished_with(out, "04_anchor_spans", {**STAMP, "code": "other"})
    assert not resume.finished_with(out, "05_planning_ahead", STAMP)  # never saved
    restored = tmp_path / "claims2"
    resume.restore(out, "04_anchor_spans", tmp_path / "stage" / "n.ipynb", restored)
    assert (restored / "fig1-anchors.json").read_text() == '{"id": "fig1-anchors"}'
    assert (tmp_path / "stage" / "n.ipynb").is_file()


@pytest.mark.parametrize("cell", [_code("x = 1", count=None),
                                  _code("x = 1", outputs=[{"output_type": "error", "ename": "E", "evalue": "v",
                                                           "traceback": []}])])
def test_an_unexecuted_or_failed_copy_is_not_finished(tmp_path, cell) -> None:
    out = _saved(tmp_path, _nb([_code("y = 2"), cell]), STAMP)
    assert not resume.finished_with(out, "04_anchor_spans", STAMP)


def test_a_missing_stamp_or_unreadable_copy_is_not_finished(tmp_path) -> None:
    out = _saved(tmp_path, _nb([_code("x = 1")]), STAMP)
    (out / resume.FINISHED / "04_anchor_spans" / "notebook.ipynb").write_text("{not json")
    assert not resume.finished_with(out, "04_anchor_spans", STAMP)
    (out / resume.FINISHED / "04_anchor_spans" / "stamp.json").unlink()
    assert not resume.finished_with(out, "04_anchor_spans", STAMP)


def test_the_scoreboard_always_runs(tmp_path) -> None:
    executed = tmp_path / "s.ipynb"
    executed.write_text(json.dumps(_nb([_code("x = 1")])))
    stamp = {**STAMP, "notebook": "07_scoreboard"}
    resume.save_finished(tmp_path / "out", "07_scoreboard", executed, stamp, tmp_path)
    assert not resume.finished_with(tmp_path / "out", "07_scoreboard", stamp)


def test_the_code_digest_follows_the_sources() -> None:
    assert resume.code_digest() == resume.code_digest() and len(resume.code_digest()) == 16


@pytest.mark.slow
def test_a_second_build_skips_finished_notebooks_and_keeps_their_records(tmp_path) -> None:
    counts = tmp_path / "runs.txt"
    chapter = ('# %% [markdown]\n# # Anchors\n\n# %% tags=["parameters"]\nscale = "full"\n\n'
               f'# %%\nopen({str(counts)!r}, "a").write("anchors\\n")\n'
               'from predact_utils import claims\n'
               'claims.record("fig1-anchors", "m", "not testable here", reason="r", pair="p", scale=scale)\n')
    board = ('# %% [markdown]\n# # Scoreboard\n\n# %% tags=["parameters"]\nscale = "full"\n\n'
             f'# %%\nopen({str(counts)!r}, "a").write("board\\n")\n'
             'from predact_utils import claims\n'
             'import json\n'
             f'open({str(tmp_path / "seen.txt")!r}, "w").write('
             'json.loads((claims.claims_dir() / "fig1-anchors.json").read_text())["measured"])\n')
    root = make_book(tmp_path, {"04_anchor_spans": chapter, "07_scoreboard": board})
    first = build_book(root)
    assert first.returncode == 0, first.stdout + first.stderr
    assert counts.read_text().split() == ["anchors", "board"]

    second = build_book(root)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "skipping notebooks/04_anchor_spans.py" in second.stdout
    assert counts.read_text().split() == ["anchors", "board", "board"]  # the scoreboard always runs
    assert (tmp_path / "seen.txt").read_text() == "m"  # the skipped chapter's record is on the scoreboard
    assert json.loads((root / "_build" / "timings.json").read_text())["skipped"] == ["04_anchor_spans"]
    assert (root / "_build" / "html" / "notebooks" / "04_anchor_spans.html").is_file()

    third = build_book(root, "-p", "scale", "smoke", "--rerun")
    assert third.returncode == 0, third.stdout + third.stderr
    assert counts.read_text().split() == ["anchors", "board", "board", "anchors", "board"]
    (root / "notebooks" / "04_anchor_spans.py").write_text(chapter + "\n# %%\nz = 3\n")
    fourth = build_book(root)
    assert fourth.returncode == 0 and "skipping" not in fourth.stdout, fourth.stdout + fourth.stderr
    assert counts.read_text().split().count("anchors") == 3  # an edited notebook runs again
