"""papermill's injected cell folded into the parameters cell (predact_utils.book.parameters_cell)."""

from __future__ import annotations

import json
from pathlib import Path

from predact_utils.book.parameters_cell import merge_injected, merged_source


def test_merged_source_replaces_only_injected_names() -> None:
    params = 'scale = "full"\nseed = 0\npairs = "a;b"  # the pairs'
    injected = '# Parameters\nscale = "smoke"\npairs = "mini-s-dpo"\n'
    assert merged_source(params, injected) == 'scale = "smoke"\nseed = 0\npairs = "mini-s-dpo"'


def _cell(source: str, tags: list[str]) -> dict:
    return {"cell_type": "code", "metadata": {"tags": tags}, "source": source, "outputs": [],
            "execution_count": None}


def test_merge_injected_drops_the_injected_cell(tmp_path: Path) -> None:
    nb = {"cells": [_cell("x = 1\ny = 2", ["parameters"]), _cell("# Parameters\ny = 5\n", ["injected-parameters"]),
                    _cell("print(x + y)", [])], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    assert merge_injected(path) is True
    cells = json.loads(path.read_text())["cells"]
    assert [c["source"] for c in cells] == ["x = 1\ny = 5", "print(x + y)"]
    assert merge_injected(path) is False  # nothing left to fold


def test_a_literal_over_several_lines_is_replaced_whole() -> None:
    params = 'scale = "full"\nmodels = ("a,b,"\n          "c")\nseed = 0'
    assert merged_source(params, 'models = "x"\n') == 'scale = "full"\nmodels = "x"\nseed = 0'
