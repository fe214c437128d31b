"""Integrity check of a whole artifact cache (after concurrent runs, or before trusting a shared cache).

    python -m predact_utils.runs.cachecheck [ROOT]     # ROOT: the cache folder (default: paths.cache_dir())

Every entry folder ``<kind>/<key[:2]>/<key>`` must hold a ``meta.json`` naming that key; a one-piece entry
a ``data.pkl`` with the recorded SHA-256; a chunked entry the ``complete`` mark, exactly ``n_chunks``
chunks, each with its own record of the same key, its index and the hash of its bytes; and no folder may
hold a temporary file left by an interrupted write. Exit 0 when all hold, 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from predact_utils import paths
from predact_utils.runs.cache import NOTICES, _sha_file

_CHUNK = re.compile(r"chunk-(\d{6})\.pkl")


@dataclass
class Report:
    """What a check found: entries per kind, and the problems (empty when the cache is consistent)."""

    entries: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _entry_problems(d: Path) -> list[str]:
    """The problems of one entry folder."""
    out = [f"{d}: leftover temporary file {t.name}" for t in d.glob(".*.tmp")]
    try:
        meta = json.loads((d / "meta.json").read_text())
    except FileNotFoundError:
        return [*out, f"{d}: no meta.json (an entry never completed)"]
    except ValueError as err:
        return [*out, f"{d}: meta.json is not JSON ({err})"]
    if meta.get("key") != d.name or d.parent.name != d.name[:2]:
        out.append(f"{d}: meta.json names key {meta.get('key')!r}, not the folder's")
    chunks = sorted(int(m.group(1)) for f in d.iterdir() if (m := _CHUNK.fullmatch(f.name)))
    if "n_chunks" in meta:
        if not meta.get("complete"):
            out.append(f"{d}: chunked entry not marked complete")
        if chunks != list(range(meta["n_chunks"])):
            out.append(f"{d}: {len(chunks)} chunk files for n_chunks = {meta['n_chunks']}")
        for i in chunks:
            out += _payload_problems(d / f"chunk-{i:06d}.pkl", d / f"chunk-{i:06d}.json", d.name, chunk=i)
    else:
        out += _payload_problems(d / "data.pkl", d / "meta.json", d.name)
    return out


def _payload_problems(file: Path, meta_file: Path, key: str, chunk: int | None = None) -> list[str]:
    try:
        meta = json.loads(meta_file.read_text())
    except (FileNotFoundError, ValueError) as err:
        return [f"{meta_file}: unreadable record ({err})"]
    if meta.get("key") != key or (chunk is not None and meta.get("chunk") != chunk):
        return [f"{meta_file}: records key {meta.get('key')!r}, chunk {meta.get('chunk')!r}"]
    if not file.exists():
        return [f"{file}: missing"]
    if _sha_file(file) != meta.get("sha256"):
        return [f"{file}: bytes do not match the recorded SHA-256"]
    return []


def check(root: Path) -> Report:
    """Check every entry under ``root``."""
    report = Report()
    if not root.is_dir():
        report.problems.append(f"{root} is not a folder (pass the artifact cache's folder)")
        return report
    for kind in sorted(p for p in root.iterdir() if p.is_dir()):
        dirs = [d for sub in sorted(kind.iterdir()) if sub.is_dir() for d in sorted(sub.iterdir()) if d.is_dir()]
        report.entries[kind.name] = len(dirs)
        for d in dirs:
            report.problems += _entry_problems(d)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", nargs="?", type=Path, default=None, help="the cache folder")
    root = ap.parse_args(argv).root or paths.cache_dir()
    report = check(root)
    for p in report.problems:
        print(p)
    counts = ", ".join(f"{k} {n}" for k, n in report.entries.items()) or "none"
    print(f"[cachecheck] {root}: entries per kind: {counts} (notices: "
          f"{(root / NOTICES).read_text().count(chr(10)) if (root / NOTICES).exists() else 0}); "
          + ("consistent" if report.ok else f"{len(report.problems)} problem(s)"))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
