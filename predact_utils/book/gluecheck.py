"""Determinism check of the book (hardening): compare the glued values of two builds.

Every number a page shows reaches it through ``myst_nb.glue``, which stores the
value as a ``display_data`` output tagged ``metadata.scrapbook.name`` in the
executed notebook. Two builds of the book are "the same" when every executed
notebook carries the same glued names with the same values: the text of each
value, for static figures their PNG bytes, and for plotly figures the data they
plot (JSON, compared after parsing).
The scoreboard's per-build claim records (``<out>/claims/*.json``) are compared
too.

Usage::

    python -m predact_utils.book.gluecheck _build/run-a _build/run-b

(each argument is a build's ``--out`` folder, or directly a folder of executed
``.ipynb`` files); exit status 1 and a list of differences when they disagree.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Mime types whose content is compared; everything else (HTML renderings, images) is derived from these.
COMPARED_MIMES: tuple[str, ...] = ("text/plain", "image/png", "application/vnd.plotly.v1+json")
#: Glue names that report the run itself, not its results: wall-clock timings (``*_seconds``, which also
#: drop to 0 when the artifact cache answers) and local folders (``*_dir``). They are not compared.
VOLATILE_SUFFIXES: tuple[str, ...] = ("_seconds", "_dir")
_OBJECT_REPR = re.compile(r"^<[\w.]+ (object )?at 0x[0-9a-f]+>$")
#: Keys of a plotly figure that do not carry data (generated ids, template boilerplate).
_PLOTLY_IGNORED = {"uid", "template"}


class GlueCheckError(ValueError):
    """A build folder that holds no executed notebooks."""


def _strip_plotly(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_plotly(v) for k, v in obj.items() if k not in _PLOTLY_IGNORED}
    if isinstance(obj, list):
        return [_strip_plotly(v) for v in obj]
    return obj


def glued_values(ipynb: Path) -> dict[str, dict[str, Any]]:
    """``{glue name: {mime: value}}`` of one executed notebook (mime prefix of papermill records removed)."""
    nb = json.loads(Path(ipynb).read_text(encoding="utf-8"))
    out: dict[str, dict[str, Any]] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            prefix = meta.get("mime_prefix", "")
            values: dict[str, Any] = {}
            for mime, value in output.get("data", {}).items():
                bare = mime[len(prefix):] if prefix and mime.startswith(prefix) else mime
                if bare not in COMPARED_MIMES:
                    continue
                if isinstance(value, list):  # nbformat may split text into lines
                    value = "".join(value)
                if bare == "application/vnd.plotly.v1+json":
                    value = _strip_plotly(json.loads(value) if isinstance(value, str) else value)
                values[bare] = value
            text = values.get("text/plain")
            if isinstance(text, str) and _OBJECT_REPR.match(text.strip("'\"")):
                values.pop("text/plain")  # a memory address: compare the rendering instead
                html = output.get("data", {}).get(prefix + "text/html")
                if html is not None:
                    values["text/html"] = "".join(html) if isinstance(html, list) else html
            out[meta["name"]] = values
    return out


def notebook_folder(build: Path) -> Path:
    """The folder of executed notebooks of a build's ``--out`` folder (or ``build`` itself)."""
    build = Path(build)
    for candidate in (build / "src" / "notebooks", build / "notebooks", build):
        if candidate.is_dir() and any(candidate.glob("*.ipynb")):
            return candidate
    raise GlueCheckError(f"{build} holds no executed notebooks (expected <out>/src/notebooks/*.ipynb from "
                         "`python -m predact_utils.book.make --out <out>` or `predact run --out <out>`)")


def build_values(build: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{notebook stem: glued values}`` of every executed notebook of a build."""
    folder = notebook_folder(build)
    return {p.stem: glued_values(p) for p in sorted(folder.glob("*.ipynb")) if not p.name.endswith(".input.ipynb")}


def claim_records(build: Path) -> dict[str, Any]:
    """The scoreboard records a build wrote (``<out>/claims/*.json``), by file name; empty when none."""
    folder = Path(build) / "claims"
    if not folder.is_dir():
        return {}
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def _short(value: Any, limit: int = 120) -> str:
    if isinstance(value, str) and len(value) > 1000 and " " not in value[:200]:  # base64 image data
        return f"<{len(value)} bytes of image data>"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."


def compare_values(a: Mapping[str, Mapping[str, Mapping[str, Any]]],
                   b: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    """Human-readable differences between two ``build_values`` results (empty when identical)."""
    diffs: list[str] = []
    for nb in sorted(set(a) | set(b)):
        if nb not in a or nb not in b:
            diffs.append(f"{nb}: executed in only one build ({'first' if nb in a else 'second'})")
            continue
        va, vb = a[nb], b[nb]
        for name in sorted(set(va) | set(vb)):
            if name.endswith(VOLATILE_SUFFIXES):
                continue
            if name not in va or name not in vb:
                diffs.append(f"{nb}: glue {name!r} present in only one build ({'first' if name in va else 'second'})")
                continue
            for mime in sorted(set(va[name]) | set(vb[name])):
                x, y = va[name].get(mime), vb[name].get(mime)
                if x != y:
                    diffs.append(f"{nb}: glue {name!r} ({mime}) differs: {_short(x)} != {_short(y)}")
    return diffs


def compare_claims(a: Path, b: Path) -> list[str]:
    """Differences between the scoreboard records of two builds."""
    ca, cb = claim_records(a), claim_records(b)
    return [f"claims/{name}: {_short(ca.get(name))} != {_short(cb.get(name))}"
            for name in sorted(set(ca) | set(cb)) if ca.get(name) != cb.get(name)]


def compare_builds(a: Path, b: Path) -> list[str]:
    """Differences between the glued values (and claim records) of two builds."""
    return compare_values(build_values(a), build_values(b)) + compare_claims(a, b)


def count_values(values: Mapping[str, Mapping[str, Any]]) -> int:
    """How many glued values a ``build_values`` result holds."""
    return sum(len(v) for v in values.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("first", type=Path)
    ap.add_argument("second", type=Path)
    args = ap.parse_args(argv)
    try:
        first = build_values(args.first)
        diffs = compare_values(first, build_values(args.second)) + compare_claims(args.first, args.second)
    except GlueCheckError as exc:
        print(f"[gluecheck] {exc}", file=sys.stderr)
        return 2
    if diffs:
        print(f"[gluecheck] {len(diffs)} difference(s) between {args.first} and {args.second}:")
        for d in diffs:
            print("  " + d)
        return 1
    print(f"[gluecheck] identical: {count_values(first)} glued values in {len(first)} notebooks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
