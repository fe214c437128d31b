"""The book's timing record and its table (hardening: build time per notebook)."""

from __future__ import annotations

import json

from benchmarks.book_time import main, table
from predact_utils.book.build import write_timings


def test_timings_record_and_table(tmp_path, capsys):
    path = tmp_path / "timings.json"
    write_timings(path, "smoke", {"02_world": 30.0, "03_collapse": 10.0}, 55.0, complete=True)
    record = json.loads(path.read_text())
    assert record["execution_seconds"] == 40.0 and record["complete"] is True
    text = table(record)
    assert "| `02_world` | 30 | 75% |" in text and "| `03_collapse` | 10 | 25% |" in text
    assert "| whole build (with `jupyter-book build`) | 55 | |" in text
    assert main(["--from", str(tmp_path)]) == 0
    assert "whole build / goal (smoke, 15 min" in capsys.readouterr().out  # 55 s / 900 s
    write_timings(path, "full", {"02_world": 30.0}, 31.0, complete=False)
    assert "build interrupted" in table(json.loads(path.read_text()))
    assert "lanes" not in text
    write_timings(path, "full", {"02_world": 30.0, "03_collapse": 20.0}, 32.0, complete=True, lanes=2)
    record = json.loads(path.read_text())
    assert record["lanes"] == 2 and record["execution_seconds"] == 50.0 and record["total_seconds"] == 32.0
    assert "in 2 lanes at once" in table(record)


def test_slowest_cells_come_from_papermill_durations(tmp_path):
    from benchmarks.book_time import cells_table, slowest_cells

    nbdir = tmp_path / "src" / "notebooks"
    nbdir.mkdir(parents=True)
    def cell(src, sec):
        return {"cell_type": "code", "source": src, "metadata": {"papermill": {"duration": sec}}, "outputs": []}
    nb = {"cells": [{"cell_type": "markdown", "source": "# x", "metadata": {}},
                    cell("# comment\nscores = score_all()\n", 40.0), cell(["x = 1\n"], 0.5),
                    {"cell_type": "code", "source": "y = 2", "metadata": {}, "outputs": []}]}
    (nbdir / "02_world.ipynb").write_text(json.dumps(nb))
    (nbdir / "03_collapse.ipynb").write_text(json.dumps({"cells": [cell("run = sample()", 12.0)]}))
    rows = slowest_cells(tmp_path, n=2)
    assert rows == [("02_world", 1, 40.0, "scores = score_all()"), ("03_collapse", 1, 12.0, "run = sample()")]
    assert "| `02_world` | 1 | 40 | `scores = score_all()` |" in cells_table(rows)


def test_a_timed_build_starts_from_an_empty_cache(tmp_path, monkeypatch):
    import os

    import predact_utils.book.build as bookbuild

    out = tmp_path / "timed"
    (out / "cold-cache" / "generations").mkdir(parents=True)
    (out / "cold-cache" / "generations" / "old.npz").write_bytes(b"left by an earlier timing")
    seen = {}

    def fake_build(root, scale, out_dir, lanes=1, rerun=False):
        seen.update(cache=os.environ["PREDACT_CACHE"], files=list((out_dir / "cold-cache").rglob("*")), lanes=lanes)
        write_timings(out_dir / "timings.json", scale, {"00_setup": 1.0}, 2.0, complete=True, lanes=lanes)

    monkeypatch.setattr(bookbuild, "build", fake_build)
    # main() points PREDACT_CACHE at the cold cache; setting it here first makes monkeypatch restore it after
    monkeypatch.setenv("PREDACT_CACHE", str(tmp_path / "before"))
    assert main(["--scale", "smoke", "--out", str(out), "--lanes", "2"]) == 0
    assert seen == {"cache": str(out / "cold-cache"), "files": [], "lanes": 2}
