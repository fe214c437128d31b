"""``predact``: the command line of the book (reader's book: re-running every section on a model pair).

``predact pairs`` lists the registry's named pairs, ``predact plan --pair NAME`` prints what a run will
cost per chapter (tokens, peak accelerator memory, time), ``predact --version`` the version.
``predact run --pair NAME`` executes every section notebook with papermill for
that pair and builds the book from the executed notebooks::

    predact run --pair llama2-7b-chat --scale full --out runs/llama2-7b
    predact run --pair meta-llama/Llama-2-7b-hf meta-llama/Llama-2-7b-chat-hf
    predact run --pair mini-m-dpo --scale smoke --out /tmp/x

The pair reaches each notebook through the parameters it declares (``pair`` /
``pairs``, and their ``smoke_`` variants), so every section runs on it at
either scale. Expensive results go to the artifact cache (``PREDACT_CACHE``,
default ``data/cache``), so a run that was interrupted resumes: re-running the
same command skips the notebooks that finished with the same inputs (``--rerun``
executes them again) and recomputes only what the cache does not hold.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

from predact_utils import paths
from predact_utils.params import SCALES

#: Notebook parameters that name the model pair(s) a section runs on.
PAIR_PARAMETERS: tuple[str, ...] = ("pair", "pairs", "smoke_pair", "smoke_pairs")


def pair_argument(values: Sequence[str], allow_same: bool = False) -> str:
    """A registry name, or two ids/paths (Base, aligned) joined as ``"base,aligned"``. A pair whose Base and
    aligned models are one checkpoint is refused unless ``allow_same``: every comparison of the book would
    be a model against itself."""
    from predact_utils.lm.registry import resolve_pair

    if len(values) not in (1, 2):
        raise SystemExit("--pair takes a registry name or two ids/paths: --pair BASE ALIGNED")
    text = values[0] if len(values) == 1 else f"{values[0]},{values[1]}"
    try:
        spec = resolve_pair(text)
    except Exception as exc:  # the registry's message lists the known pairs
        raise SystemExit(f"--pair {' '.join(values)}: {exc}") from exc
    if spec.base_location() == spec.aligned_location() and not allow_same:
        raise SystemExit(f"--pair {text}: Base and aligned are the same checkpoint ({spec.base_location()}); every "
                         "comparison would be a model against itself. Pass two different models, or add "
                         "--allow-same-model to run it as a control")
    return text


def _positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1 second")
    return value


def refused_overrides(names: Sequence[str]) -> list[str]:
    """Messages for ``-p`` names that an option of ``predact run`` already sets (a silent override otherwise)."""
    out = []
    for name in names:
        if name == "scale":
            out.append("-p scale conflicts with --scale: pass the scale with --scale only")
        elif name in PAIR_PARAMETERS:
            out.append(f"-p {name} conflicts with --pair: every chapter runs on the --pair pair; pass it there")
    return out


def writable_folder(out: Path) -> None:
    """Create ``out`` and check that files can be written there; a clear usage error otherwise."""
    import tempfile

    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".predact-write-check."):
            pass
    except OSError as exc:
        raise SystemExit(f"--out {out}: cannot write there ({exc.strerror or exc}); choose a folder you can write "
                         "to") from exc


def run(argv: Sequence[str]) -> int:
    from predact_utils.book.build import BookBuildError, build

    ap = argparse.ArgumentParser(prog="predact run", description="Execute every section for a pair and build the book.")
    ap.add_argument("--pair", nargs="+", required=True, metavar="NAME_OR_ID",
                    help="a pair name of predact_utils/lm/registry.yaml, or two hub ids / local paths: BASE ALIGNED")
    ap.add_argument("--scale", default="full", choices=SCALES)
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: <repo>/_build)")
    ap.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="any other notebook parameter; VALUE is parsed as YAML")
    ap.add_argument("--timeout", type=_positive_int, default=4 * 3600, help="seconds allowed per cell (>= 1)")
    ap.add_argument("--allow-same-model", action="store_true",
                    help="run a pair whose Base and aligned models are the same checkpoint (a control)")
    ap.add_argument("--rerun", action="store_true",
                    help="execute every notebook, also those that finished in an earlier run into --out with the "
                         "same inputs (skipped by default)")
    args = ap.parse_args(argv)
    pair = pair_argument(args.pair, args.allow_same_model)
    overrides = refused_overrides([k for k, _ in args.param])
    if overrides:
        raise SystemExit("; ".join(overrides))
    extra = {name: pair for name in PAIR_PARAMETERS}
    extra.update({k: yaml.safe_load(v) for k, v in args.param})
    out = args.out.resolve() if args.out else None
    if out is not None:
        writable_folder(out)
    from predact_utils.book.preflight import preflight

    t0 = time.perf_counter()
    problems = preflight(paths.repo_root(), pair, extra, args.scale, out)
    if problems:
        raise SystemExit(f"[predact] the run would fail ({len(problems)} problem{'s' * (len(problems) > 1)}, "
                         "found before any notebook ran):\n" + "\n".join(f"  - {p}" for p in problems))
    print(f"[predact] pre-flight passed in {time.perf_counter() - t0:.1f} s", flush=True)
    from predact_utils.book.build import notebook_sources
    from predact_utils.book.preflight import parameter_notes

    for note in parameter_notes(notebook_sources(paths.repo_root()), extra, args.scale):
        print(f"[predact] note: {note}", flush=True)
    print(f"[predact] pair {pair}, scale {args.scale}, output {out or paths.repo_root() / '_build'}", flush=True)
    try:
        html = build(paths.repo_root(), args.scale, out, extra, args.timeout, rerun=args.rerun)
    except KeyboardInterrupt:
        from predact_utils.book.build import stopped_line

        print(stopped_line(out or paths.repo_root() / "_build", f"`predact run {' '.join(argv)}`").replace(
            "[book]", "[predact]"), file=sys.stderr, flush=True)
        return 130
    except BookBuildError as exc:
        print(f"[predact] FAILED: {exc}\n[predact] re-run the same command to resume: finished results are cached",
              file=sys.stderr, flush=True)
        return 1
    print(f"[predact] book: {html / 'index.html'}", flush=True)
    return 0


def pairs(argv: Sequence[str]) -> int:
    """``predact pairs``: the named pairs of the registry, one line each."""
    from predact_utils.lm.registry import list_pairs

    ap = argparse.ArgumentParser(prog="predact pairs", description="List the registry's named model pairs.")
    ap.add_argument("--local", action="store_true", help="only the pairs whose checkpoints are in data/models")
    args = ap.parse_args(argv)
    for spec in list_pairs(local_only=args.local):
        print(f"{spec.name:22s} {spec.method:5s} {spec.base} -> {spec.aligned}")
    return 0


def plan(argv: Sequence[str]) -> int:
    """``predact plan``: per chapter, the tokens, peak accelerator memory and time a run on a pair will take."""
    from predact_utils.book import plan as planning

    ap = argparse.ArgumentParser(prog="predact plan", description=planning.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pair", nargs="+", required=True, metavar="NAME_OR_ID",
                    help="a pair name of predact_utils/lm/registry.yaml, or two hub ids / local paths: BASE ALIGNED")
    ap.add_argument("--scale", default="full", choices=SCALES)
    ap.add_argument("--gpu-gib", type=float, default=80.0, help="memory of one accelerator, GiB")
    ap.add_argument("--gpus", type=int, default=1, help="accelerators the pair is sharded over")
    ap.add_argument("--dtype-bytes", type=int, default=2, choices=(2, 4), help="2: bf16/fp16, 4: float32")
    ap.add_argument("--rates", type=Path, default=None,
                    help="tokens per second measured by `make gpu-check` (its JSON) for the time column")
    ap.add_argument("--measure", action="store_true",
                    help="measure tokens per second with the pair's Base model on this machine (a short run)")
    args = ap.parse_args(argv)
    if args.rates and args.measure:
        raise SystemExit("give --rates or --measure, not both")
    pair = pair_argument(args.pair, allow_same=True)
    shape, prompt_tokens, corpus_tokens, note = planning.inputs_for(pair, args.dtype_bytes, args.scale)
    if note:
        print(f"[predact] {note}")
    total = int(args.gpus * args.gpu_gib * 2**30)
    loads = planning.chapter_loads(args.scale, shape, prompt_tokens, total, corpus_tokens)
    rates = planning.read_rates(args.rates) if args.rates else (planning.measure_rates(pair) if args.measure else None)
    if rates:
        print(f"[predact] rates: sampling {rates['sampling_tokens_per_s']:.0f}, scoring "
              f"{rates['scoring_tokens_per_s']:.0f} tokens/s ({'measured here' if args.measure else args.rates})")
    rows = planning.plan_table(loads, shape, rates)
    print(f"[predact] plan for {pair} at {args.scale} scale: {shape.params / 1e9:.2f}B parameters per model, "
          f"{2 * shape.weight_bytes / 2**30:.1f} GiB of weights for the pair, mean prompt {prompt_tokens} tokens, "
          f"batches sized for {args.gpus} x {args.gpu_gib:g} GiB"
          + ("" if rates else "; no --rates or --measure: no time estimate"))
    need = planning.gpus_needed(shape, args.gpu_gib)
    if need > args.gpus:
        print(f"[predact] the pair's weights alone need {need} accelerators of {args.gpu_gib:g} GiB (with room for the "
              f"caches): run with --gpus {need} or more")
    import pandas as pd

    print(pd.DataFrame(rows).to_string(index=False))
    return 0


#: The commands of ``predact``.
COMMANDS = {"run": run, "pairs": pairs, "plan": plan}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "--version":
        from predact_utils import __version__

        print(f"predact {__version__}")
        return 0
    if argv[0] not in COMMANDS:
        print(f"unknown command {argv[0]!r}; the commands are {sorted(COMMANDS)} (predact COMMAND --help)",
              file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except SystemExit as exc:  # argparse's usage errors exit 2; a message string from pair_argument too
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        return int(exc.code or 0)


if __name__ == "__main__":
    raise SystemExit(main())
