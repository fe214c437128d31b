"""Every notebook: the .py is the source of truth, its paired .ipynb has the same inputs, one literal parameters cell."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import jupytext
import pytest

from predact_utils.book.build import notebook_sources, toc_files
from predact_utils.params import SCALES

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


def test_every_notebook_is_in_the_toc() -> None:
    listed = {str(p.relative_to(ROOT)) for p in notebook_sources(ROOT)}
    assert NOTEBOOKS, "no notebooks found"
    assert {str(p.relative_to(ROOT)) for p in NOTEBOOKS} == listed


def test_toc_entries_exist() -> None:
    for entry in toc_files(ROOT / "_toc.yml"):
        assert any((ROOT / f"{entry}{ext}").is_file() for ext in (".py", ".md", ".ipynb")), entry


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_ipynb_has_the_same_inputs(py: Path) -> None:
    ipynb = py.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb} missing: run `make sync`"
    src = jupytext.read(py)
    committed = json.loads(ipynb.read_text())
    a = [(c.cell_type, c.source, sorted(c.metadata.get("tags", []))) for c in src.cells]
    b = [
        (c["cell_type"], "".join(c["source"]), sorted(c.get("metadata", {}).get("tags", [])))
        for c in committed["cells"]
    ]
    assert a == b, f"{ipynb.name} drifted from {py.name}: run `make sync` (the .py is the source of truth)"
    outputs = [c.get("outputs") for c in committed["cells"] if c["cell_type"] == "code"]
    assert all(not o for o in outputs), f"{ipynb.name} carries outputs; commit it unexecuted (`make sync`)"


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameters_cell_of_literals(py: Path) -> None:
    nb = jupytext.read(py)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{py.name}: expected exactly one cell tagged 'parameters', found {len(tagged)}"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code is tagged[0], f"{py.name}: the parameters cell must be the first code cell"
    tree = ast.parse(tagged[0].source)
    names = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, f"{py.name}: only `name = literal` lines"
        target = node.targets[0]
        assert isinstance(target, ast.Name)
        names[target.id] = ast.literal_eval(node.value)  # raises on anything but a literal
    assert names.get("scale") in SCALES, f"{py.name}: scale must default to one of {SCALES}"
    assert isinstance(names.get("seed"), int), f"{py.name}: needs an int seed parameter"


#: Most code lines (not blank, not comments) a notebook may hold: the pipeline lives in its chapter package.
MAX_CODE_LINES = 150
_CHAPTER_IMPORT = re.compile(r"^from predact_utils\.chapters import (\w+) as chapter$", re.M)


def _code_lines(nb) -> list[str]:
    return [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
            if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_thin_story(py: Path) -> None:
    """No function or class is defined in a notebook, and it holds at most MAX_CODE_LINES code lines."""
    nb = jupytext.read(py)
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        defs = [n for n in ast.walk(ast.parse(c.source))
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))]
        assert not defs, f"{py.name}: defines {[getattr(d, 'name', 'lambda') for d in defs]}; move it to its chapter"
    n = len(_code_lines(nb))
    assert n <= MAX_CODE_LINES, f"{py.name}: {n} code lines (at most {MAX_CODE_LINES})"


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_equals_the_chapter_settings(py: Path) -> None:
    """The parameters cell holds exactly the names and book values its chapter's Settings declare."""
    import importlib

    from predact_utils.book.build import notebook_parameters

    found = _CHAPTER_IMPORT.findall(py.read_text(encoding="utf-8"))
    assert len(found) == 1, f"{py.name}: expected one `from predact_utils.chapters import NAME as chapter`"
    settings = importlib.import_module(f"predact_utils.chapters.{found[0]}").Settings
    assert notebook_parameters(py) == settings.defaults(), f"{py.name} and chapters.{found[0]}.Settings disagree"
