"""The package's layout: wings by concern, imports in one direction, no circles (static, from the sources)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "predact_utils"
#: Chapters in the book's order: a chapter may import earlier ones, never later ones.
CHAPTER_ORDER = ("setup", "family", "worldmodel", "collapse", "anchors", "planning", "frontier", "organism",
                 "scoreboard", "explorer")
#: What each wing may import besides itself and the ground floor.
ALLOWED = {"ground": set(), "lm": set(), "data": set(), "runs": {"lm", "data"},
           "miniature": {"lm", "data"}, "organism": set(), "chapters": {"lm", "runs", "data", "miniature", "organism"},
           "book": {"lm", "runs", "data", "miniature", "organism", "chapters"}}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PKG.rglob("*.py")}


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every predact_utils module ``path`` imports (at any depth of the file)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        out |= {n for n in names if n in known and n.startswith("predact_utils")}
    return out


def _wing(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else "ground"


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: _imports(p, set(mods)) - {m} for m, p in mods.items()}


def test_at_most_15_modules_at_the_top_level() -> None:
    top = [p.name for p in PKG.glob("*.py")]
    assert len(top) <= 15, sorted(top)


def test_wings_import_in_one_direction() -> None:
    bad = []
    for mod, deps in _graph().items():
        wing = _wing(mod)
        for dep in deps:
            dw = _wing(dep)
            if dep == "predact_utils" or dw in ("ground", wing) or dw in ALLOWED[wing]:
                continue
            bad.append(f"{mod} ({wing}) imports {dep} ({dw})")
    assert not bad, "\n".join(sorted(bad))


def test_chapters_import_only_earlier_chapters() -> None:
    bad = []
    for mod, deps in _graph().items():
        if not mod.startswith("predact_utils.chapters."):
            continue
        own = CHAPTER_ORDER.index(mod.split(".")[2])
        for dep in deps:
            if dep.startswith("predact_utils.chapters.") and CHAPTER_ORDER.index(dep.split(".")[2]) > own:
                bad.append(f"{mod} imports the later chapter {dep}")
    assert not bad, "\n".join(bad)


def test_every_chapter_package_is_in_the_order() -> None:
    found = {p.name for p in (PKG / "chapters").iterdir() if (p / "__init__.py").is_file()}
    assert found == set(CHAPTER_ORDER), found ^ set(CHAPTER_ORDER)


def test_no_import_circles() -> None:
    graph = _graph()
    # package __init__ files re-export their submodules: an edge into a package is an edge into its __init__
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, stack: list[str]) -> bool:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if dep.startswith(node + "."):  # a package importing its own submodules
                continue
            if state.get(dep) == 1:
                cycle.extend(stack[stack.index(dep):] + [dep] if dep in stack else [node, dep])
                return True
            if state.get(dep) is None and visit(dep, stack + [dep]):
                return True
        state[node] = 2
        return False

    for m in sorted(graph):
        if state.get(m) is None and visit(m, [m]):
            break
    assert not cycle, " -> ".join(cycle)


@pytest.mark.parametrize("look_alike", ["nucleus.py"])
def test_no_look_alike_names_beside_the_sampler(look_alike: str) -> None:
    assert not (PKG / look_alike).exists() and not (PKG / "lm" / look_alike).exists()
