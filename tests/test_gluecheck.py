"""The determinism check's comparison of glued values (hardening), on hand-made executed notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from predact_utils.book.gluecheck import GlueCheckError, build_values, compare_values, glued_values, main

PREFIX = "application/papermill.record/"


def _glue(name: str, data: dict) -> dict:
    return {"output_type": "display_data", "metadata": {"scrapbook": {"name": name, "mime_prefix": PREFIX}},
            "data": {PREFIX + k: v for k, v in data.items()}}


def _write(folder: Path, stem: str, outputs: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nb = {"cells": [{"cell_type": "code", "source": "", "metadata": {}, "outputs": outputs,
                     "execution_count": 1},
                    {"cell_type": "code", "source": "", "metadata": {}, "execution_count": 2,
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": "took 1.23 s"}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = folder / f"{stem}.ipynb"
    path.write_text(json.dumps(nb))
    return path


def _fig(y: list[float], uid: str) -> dict:
    return {"data": [{"type": "scatter", "y": y, "uid": uid}], "layout": {"template": {"x": uid}}}


def test_glued_values_reads_text_images_and_plotly_data(tmp_path):
    path = _write(tmp_path, "02_x", [
        _glue("ppl", {"text/plain": ["'12.", "5'"], "text/html": "<b>12.5</b>"}),
        _glue("fig", {"image/png": "iVBORw0KGgo="}),
        _glue("live", {"application/vnd.plotly.v1+json": _fig([1.0, 2.0], "abc")}),
    ])
    values = glued_values(path)
    assert values["ppl"] == {"text/plain": "'12.5'"}  # lines joined, html rendering not compared
    assert values["fig"] == {"image/png": "iVBORw0KGgo="}
    assert values["live"]["application/vnd.plotly.v1+json"] == {"data": [{"type": "scatter", "y": [1.0, 2.0]}],
                                                                 "layout": {}}


def test_generated_plotly_ids_are_not_differences_but_data_is(tmp_path):
    a = _write(tmp_path / "a", "06", [_glue("f", {"application/vnd.plotly.v1+json": _fig([1.0], "u1")})])
    b = _write(tmp_path / "b", "06", [_glue("f", {"application/vnd.plotly.v1+json": _fig([1.0], "u2")})])
    c = _write(tmp_path / "c", "06", [_glue("f", {"application/vnd.plotly.v1+json": _fig([1.5], "u1")})])
    assert compare_values({"06": glued_values(a)}, {"06": glued_values(b)}) == []
    assert len(compare_values({"06": glued_values(a)}, {"06": glued_values(c)})) == 1


def test_compare_values_reports_each_kind_of_difference():
    a = {"02": {"x": {"text/plain": "'1.00'"}, "y": {"text/plain": "'2'"}}, "03": {}}
    b = {"02": {"x": {"text/plain": "'1.01'"}, "z": {"text/plain": "'2'"}}}
    diffs = compare_values(a, b)
    assert any("'x'" in d and "1.00" in d and "1.01" in d for d in diffs)
    assert any("'y'" in d and "only one build (first)" in d for d in diffs)
    assert any("'z'" in d and "only one build (second)" in d for d in diffs)
    assert any(d.startswith("03: executed in only one build") for d in diffs)
    assert compare_values(a, a) == []


def test_command_line_exit_status_and_bad_folder(tmp_path, capsys):
    _write(tmp_path / "a" / "src" / "notebooks", "02", [_glue("x", {"text/plain": "'1'"})])
    _write(tmp_path / "b" / "src" / "notebooks", "02", [_glue("x", {"text/plain": "'1'"})])
    _write(tmp_path / "c" / "src" / "notebooks", "02", [_glue("x", {"text/plain": "'2'"})])
    (tmp_path / "c" / "claims").mkdir()
    (tmp_path / "c" / "claims" / "fig2a.json").write_text('{"holds": true}')
    assert main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert main([str(tmp_path / "a"), str(tmp_path / "c")]) == 1
    out = capsys.readouterr().out
    assert "2 difference(s)" in out and "claims/fig2a.json" in out
    assert main([str(tmp_path / "a"), str(tmp_path / "empty")]) == 2
    with pytest.raises(GlueCheckError, match="holds no executed notebooks"):
        build_values(tmp_path / "empty")


def test_timings_paths_and_object_addresses_are_not_compared(tmp_path):
    def nb(folder, seconds, path, addr):
        return glued_values(_write(tmp_path / folder, "07", [
            _glue("an_mafft_seconds", {"text/plain": seconds}), _glue("sb_dir", {"text/plain": path}),
            _glue("sb_table", {"text/plain": f"<pandas.io.formats.style.Styler at {addr}>",
                               "text/html": "<table><td>reproduces</td></table>"}),
        ]))

    a, b = nb("a", "'0'", "'/x/claims'", "0x7fc4"), nb("b", "'3'", "'/y/claims'", "0x7fbc")
    assert a["sb_table"] == {"text/html": "<table><td>reproduces</td></table>"}
    assert compare_values({"07": a}, {"07": b}) == []
