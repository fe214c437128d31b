"""Extractors for Python code: the standard library sources and their docstrings.

Book section: Data (code category; "What does ``module.func`` do?" templates).
Files are the ``.py`` files that Debian's ``libpython3.11-stdlib`` and
``libpython3.11-minimal`` own (tests and ``idlelib`` test folders excluded).
Docstrings are read with :mod:`ast`, never by importing the code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from predact_utils.data.corpora.sources import dpkg_files

PY_PACKAGES: tuple[str, ...] = ("libpython3.11-minimal", "libpython3.11-stdlib")
_EXCLUDE = re.compile(r"/(?:test|tests|idle_test|lib2to3/tests|site-packages|dist-packages)/")
Doc = dict[str, str]


def stdlib_files() -> list[Path]:
    """Sorted ``.py`` files of the standard library (tests excluded)."""
    files = {f for pkg in PY_PACKAGES for f in dpkg_files(pkg)}
    return sorted(f for f in files if f.suffix == ".py" and "/usr/lib/python3.11/" in str(f)
                  and not _EXCLUDE.search(str(f)))


def module_name(path: Path) -> str:
    """Dotted module name of a stdlib file (``/usr/lib/python3.11/json/decoder.py`` -> ``json.decoder``)."""
    rel = str(path).split("/usr/lib/python3.11/", 1)[1][: -len(".py")]
    return rel.replace("/__init__", "").replace("/", ".")


def python_code() -> Iterator[Doc]:
    """Python 3.11 standard-library source files, one document per file."""
    for f in stdlib_files():
        yield {"source": module_name(f), "text": f.read_text(encoding="utf-8", errors="replace")}


def first_paragraph(doc: str) -> str:
    """The first paragraph of a docstring, re-flowed onto one line."""
    para = re.split(r"\n\s*\n", doc.strip(), maxsplit=1)[0]
    return " ".join(para.split())


def docstrings(source: str, module: str) -> Iterator[tuple[str, str]]:
    """(qualified name, first docstring paragraph) of the public functions and classes of a module.

    Module-level functions/classes and public methods of public classes are
    included; private names (leading ``_``) are not.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            doc = ast.get_docstring(node)
            if doc:
                yield f"{module}.{node.name}", first_paragraph(doc)
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef) and not sub.name.startswith("_"):
                        sdoc = ast.get_docstring(sub)
                        if sdoc:
                            yield f"{module}.{node.name}.{sub.name}", first_paragraph(sdoc)
