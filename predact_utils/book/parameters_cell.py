"""The page shows the parameters cell once, with the values this run used.

papermill adds a cell tagged ``injected-parameters`` after the notebook's ``parameters`` cell, holding
the overrides. For the reader that would be two parameter cells, the first one stale. After execution,
:func:`merge_injected` writes the effective values into the ``parameters`` cell (each ``name = value``
line replaced by the injected value) and drops the injected cell, so the page and the executed copy
show one cell of what ran.
"""

from __future__ import annotations

import ast
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _assignments(source: str) -> dict[str, str]:
    """``{name: value source}`` of the ``name = literal`` lines of a cell."""
    out: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.get_source_segment(source, node.value) or ""
    return out


def merged_source(parameters: str, injected: str) -> str:
    """The parameters cell's source with each injected name's value in place of its default (the whole
    assignment replaced, also when its literal spans several lines)."""
    new = _assignments(injected)
    lines = parameters.splitlines()
    for node in reversed(ast.parse(parameters).body):  # bottom up, so earlier line numbers stay valid
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in new):
            name = node.targets[0].id
            lines[node.lineno - 1:node.end_lineno] = [f"{name} = {new[name]}"]
    return "\n".join(lines)


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def merge_injected(ipynb: Path) -> bool:
    """Fold papermill's injected cell into the parameters cell of an executed notebook (in place, atomically);
    return whether there was one."""
    nb = json.loads(Path(ipynb).read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    tags = [c.get("metadata", {}).get("tags", []) for c in cells]
    injected = [i for i, t in enumerate(tags) if "injected-parameters" in t]
    params = [i for i, t in enumerate(tags) if "parameters" in t]
    if not injected:
        return False
    if params:
        target = cells[params[0]]
        target["source"] = merged_source(_source(target), "".join(_source(cells[i]) for i in injected))
    nb["cells"] = [c for i, c in enumerate(cells) if i not in injected]
    fd, tmp = tempfile.mkstemp(dir=Path(ipynb).parent, prefix=".merge.", suffix=".ipynb")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(nb, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, ipynb)
    return True
