"""``predact run``: pair arguments and how parameters reach the notebooks that declare them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import chapter_package_source

from predact_utils.book.build import (
    BookBuildError,
    check_known_parameters,
    notebook_parameters,
    parameters_for,
)
from predact_utils.book.cli import PAIR_PARAMETERS, main, pair_argument

ROOT = Path(__file__).resolve().parents[1]

NB = '''# %% [markdown]
# # A page

# %% tags=["parameters"]
scale = "full"
pair = "mini-s-dpo"
n = 3

# %%
print(pair, n)
'''


def test_notebook_parameters_reads_the_literals(tmp_path):
    py = tmp_path / "nb.py"
    py.write_text(NB)
    assert notebook_parameters(py) == {"scale": "full", "pair": "mini-s-dpo", "n": 3}
    assert parameters_for(py, {"scale": "smoke", "pairs": "x", "pair": "y"}) == {"scale": "smoke", "pair": "y"}
    with pytest.raises(BookBuildError, match="no notebook takes"):
        check_known_parameters([py], {"scale": "smoke", "n_sampels": 4})
    bad = tmp_path / "bad.py"
    bad.write_text(NB.replace('n = 3', 'n = len("abc")'))
    with pytest.raises(BookBuildError, match="literal"):
        notebook_parameters(bad)


def test_every_section_takes_a_pair_parameter():
    from predact_utils.book.build import notebook_sources

    sections = [py for py in notebook_sources(ROOT) if any(
        call in chapter_package_source(py) for call in ("load_pair(", "available_pairs(", "first_available_pair("))]
    assert sections, "no section notebooks found"
    for py in sections:
        assert set(notebook_parameters(py)) & set(PAIR_PARAMETERS), f"{py.name} takes no pair parameter"


def test_pair_argument():
    assert pair_argument(["mini-s-dpo"]) == "mini-s-dpo"
    assert pair_argument(["/models/base", "/models/chat"]) == "/models/base,/models/chat"
    with pytest.raises(SystemExit, match="Known pairs"):
        pair_argument(["no-such-pair"])
    with pytest.raises(SystemExit, match="BASE ALIGNED"):
        pair_argument(["a", "b", "c"])


def test_main_rejects_unknown_commands(capsys):
    assert main(["build"]) == 2
    assert "only command is 'run'" in capsys.readouterr().err
    assert main([]) == 2
