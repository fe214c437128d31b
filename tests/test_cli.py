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
    assert "the commands are ['pairs', 'plan', 'run']" in capsys.readouterr().err
    assert main([]) == 2


def test_pairs_version_and_usage_errors(capsys):
    from predact_utils import __version__
    from predact_utils.lm.registry import list_pairs

    assert main(["pairs"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == [p.name for p in list_pairs()]
    assert main(["--version"]) == 0 and capsys.readouterr().out.strip() == f"predact {__version__}"
    assert main(["frobnicate"]) == 2 and "the commands are ['pairs', 'plan', 'run']" in capsys.readouterr().err
    assert main(["run", "--scale", "huge", "--pair", "mini-s-dpo"]) == 2  # argparse's usage error
    assert main(["run", "--pair", "no-such-pair"]) == 2 and "Known pairs" in capsys.readouterr().err
    assert main([]) == 2


def test_pyproject_declares_every_runtime_import():
    """`pip install .` must give a working `predact`: every third-party module the package imports is a
    declared dependency (runtime, or the `train` extra for the miniature trainer and the data build)."""
    import ast
    import re
    import sys
    import tomllib

    root = Path(__file__).resolve().parent.parent
    meta = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=!~ \[]", d)[0].lower().replace("_", "-") for d in meta["dependencies"]}
    train = {re.split(r"[<>=!~ \[]", d)[0].lower() for d in meta["optional-dependencies"]["train"]}
    dist = {"yaml": "pyyaml", "sklearn": "scikit-learn", "myst_nb": "myst-nb", "PIL": "matplotlib",
            "sphinx": "sphinx", "jupyter_book": "jupyter-book", "IPython": "ipykernel"}
    trainer_only = ("miniature", "data")
    missing = set()
    for path in (root / "predact_utils").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("predact_utils", "__future__"):
                    continue
                wanted = dist.get(top, top).lower().replace("_", "-")
                wing = path.relative_to(root / "predact_utils").parts[0]
                if wanted not in declared and not (wing in trainer_only and wanted in train):
                    missing.add(f"{wanted} ({path.relative_to(root)})")
    assert not missing, sorted(missing)
    assert meta["requires-python"] == ">=3.11"


def test_options_that_predact_run_sets_cannot_be_overridden(capsys):
    assert main(["run", "--pair", "mini-s-dpo", "-p", "scale", "full"]) == 2
    assert "-p scale conflicts with --scale" in capsys.readouterr().err
    assert main(["run", "--pair", "mini-s-dpo", "-p", "pairs", "mini-m-rlhf"]) == 2
    assert "-p pairs conflicts with --pair" in capsys.readouterr().err
    for bad in ("0", "-5", "ten"):
        assert main(["run", "--pair", "mini-s-dpo", "--timeout", bad]) == 2


def test_a_pair_of_one_checkpoint_is_refused(capsys):
    assert main(["run", "--pair", "mini-s-base", "mini-s-base"]) == 2
    err = capsys.readouterr().err
    assert "same checkpoint" in err and "--allow-same-model" in err


def test_an_output_folder_that_cannot_be_written_is_a_usage_error(tmp_path, capsys):
    """A folder that cannot be made (a file stands where a parent folder should be): a message, exit 2, no
    traceback; the same path as a read-only folder, which root could still write to."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["run", "--pair", "mini-s-dpo", "--out", str(blocker / "book")]) == 2
    err = capsys.readouterr().err
    assert "cannot write there" in err and "Traceback" not in err
