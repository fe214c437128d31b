"""Time of the whole book, per notebook (hardening: "the full book in at most 30 minutes on 2 cores").

    python -m benchmarks.book_time                 # build at full scale with a cold cache, print the table
    python -m benchmarks.book_time --scale smoke   # the same for the smoke book
    python -m benchmarks.book_time --from _build   # print the table of a build already made

A cold build uses an empty artifact cache (``PREDACT_CACHE`` pointed at a fresh folder under the
output), so every generation, score and fine-tuning run is timed; the table comes from the
``timings.json`` that :func:`predact_utils.book.build.build` writes. Below it, the slowest cells
of the executed notebooks (papermill records each cell's duration in its metadata): the profile
that says which step of a chapter to make cheaper.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

from predact_utils import paths

GOALS = {"full": 30 * 60, "smoke": 15 * 60}


def table(record: dict) -> str:
    """Markdown table of one ``timings.json`` record."""
    rows = ["| notebook | seconds | share |", "|---|---:|---:|"]
    total = record["execution_seconds"] or 1.0
    for name, sec in record["notebooks"].items():
        rows.append(f"| `{name}` | {sec:.0f} | {100 * sec / total:.0f}% |")
    rows.append(f"| executing all notebooks | {record['execution_seconds']:.0f} | 100% |")
    lanes = record.get("lanes", 1)
    if lanes > 1:
        rows.append(f"| (in {lanes} lanes at once: the notebooks' times overlap; the whole build's is wall-clock) | | |")
    if record.get("complete", True):
        rows.append(f"| whole build (with `jupyter-book build`) | {record['total_seconds']:.0f} | |")
    else:
        rows.append("| (build interrupted: the notebooks above are the ones that finished) | | |")
    return "\n".join(rows)


def slowest_cells(build_dir: Path, n: int = 10) -> list[tuple[str, int, float, str]]:
    """``(notebook, code cell number, seconds, first code line)`` of the ``n`` slowest cells of a build."""
    rows = []
    for nb_path in sorted((build_dir / "src" / "notebooks").glob("*.ipynb")):
        cells = [c for c in json.loads(nb_path.read_text())["cells"] if c["cell_type"] == "code"]
        for i, c in enumerate(cells, start=1):
            sec = c.get("metadata", {}).get("papermill", {}).get("duration")
            if sec is None:
                continue
            src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            first = next((ln.strip() for ln in src.splitlines() if ln.strip() and not ln.lstrip().startswith("#")),
                         "")
            rows.append((nb_path.stem, i, float(sec), first))
    return sorted(rows, key=lambda r: -r[2])[:n]


def cells_table(rows: list[tuple[str, int, float, str]]) -> str:
    """Markdown table of :func:`slowest_cells`."""
    out = ["| notebook | code cell | seconds | starts with |", "|---|---:|---:|---|"]
    for name, i, sec, first in rows:
        first = first if len(first) <= 70 else first[:67] + "..."
        out.append(f"| `{name}` | {i} | {sec:.0f} | `{first.replace('|', '/')}` |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="full", choices=sorted(GOALS))
    ap.add_argument("--out", type=Path, default=None, help="build folder (default _build/book-time-<scale>)")
    ap.add_argument("--from", dest="existing", type=Path, default=None, help="only print the table of this build")
    ap.add_argument("--lanes", type=int, default=1, help="notebooks executed at once (as make book's LANES)")
    args = ap.parse_args(argv)
    if args.existing is None:
        from predact_utils.book.build import build

        out = (args.out or paths.repo_root() / "_build" / f"book-time-{args.scale}").resolve()
        cache = out / "cold-cache"
        if cache.exists():  # left by an earlier timing into the same folder: it would make this build warm
            shutil.rmtree(cache)
        os.environ["PREDACT_CACHE"] = str(cache)
        t0 = time.time()
        build(paths.repo_root(), args.scale, out, lanes=args.lanes, rerun=True)  # a cold build: execute all
        print(f"[book_time] cold build took {time.time() - t0:.0f} s")
        record_path = out / "timings.json"
    else:
        out = args.existing
        record_path = args.existing / "timings.json"
    if not record_path.is_file():
        raise SystemExit(f"{record_path} not found: build the book first (make book) or run without --from")
    record = json.loads(record_path.read_text())
    print(table(record))
    cells = slowest_cells(out)
    if cells:
        print("\nSlowest cells:\n" + cells_table(cells))
    goal = GOALS.get(record["scale"])
    if goal and record.get("complete", True):
        print(f"\nwhole build / goal ({record['scale']}, {goal // 60} min on {record.get('cpu_count')} CPUs): "
              f"{record['total_seconds'] / goal:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
