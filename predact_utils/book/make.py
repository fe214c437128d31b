"""``make book``: the pre-flight (:mod:`predact_utils.book.preflight`), then the book build
(:func:`predact_utils.book.build.build`).

Run it as ``python -m predact_utils.book.make --scale full``; every problem the pre-flight finds is listed at
once, before any notebook runs (exit 2).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

from predact_utils import paths
from predact_utils.book.build import BookBuildError, build, stopped_line
from predact_utils.book.preflight import preflight
from predact_utils.params import SCALES


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=paths.repo_root(), help="book root (holds _config.yml, _toc.yml)")
    ap.add_argument("--scale", default="full", choices=SCALES)
    ap.add_argument("--out", type=Path, default=None, help="output folder (default <root>/_build)")
    ap.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="extra notebook parameter; VALUE is parsed as YAML (like papermill -y)")
    ap.add_argument("--only", action="append", default=None, help="execute only notebooks whose name contains this")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    ap.add_argument("--lanes", type=int, default=1, help="notebooks executed at once (each with cpus/lanes threads)")
    ap.add_argument("--rerun", action="store_true",
                    help="execute every notebook, also those that finished earlier with the same inputs")
    args = ap.parse_args(argv)
    extra = {k: yaml.safe_load(v) for k, v in args.param}
    t0 = time.perf_counter()
    problems = preflight(args.root.resolve(), None, extra, args.scale, args.out.resolve() if args.out else None)
    if problems:
        print(f"[book] the build would fail ({len(problems)} problem{'s' * (len(problems) > 1)}, found before any "
              "notebook ran):\n" + "\n".join(f"  - {p}" for p in problems), file=sys.stderr, flush=True)
        return 2
    print(f"[book] pre-flight passed in {time.perf_counter() - t0:.1f} s", flush=True)
    try:
        html = build(args.root, args.scale, args.out, extra, args.timeout, args.only, args.lanes, args.rerun)
    except BookBuildError as exc:
        print(f"[book] FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print(stopped_line(args.out or args.root / "_build", "the same command"), file=sys.stderr, flush=True)
        return 130
    print(f"[book] built {html / 'index.html'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
