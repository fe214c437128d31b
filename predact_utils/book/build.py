"""Build the book: execute every notebook with papermill, then run Jupyter Book 1 (all sections).

The committed ``notebooks/NN_name.py`` (jupytext percent) files are the single
source of truth. A build

1. stages a copy of the book under ``_build/src`` (``_config.yml``, ``_toc.yml``,
   ``book/``) with the offline JavaScript the pages need (plotly.js, the
   ipywidgets HTML manager, MathJax) in ``_vendor``;
2. converts each notebook of ``_toc.yml`` to ``.ipynb`` and executes it with
   papermill and the given parameters (``scale="full"`` for the book,
   ``"smoke"`` for the tests); a failing cell stops the build;
3. runs ``jupyter-book build`` on the staged copy with warnings as errors and
   notebook execution switched off (the notebooks are already executed), so
   the HTML lands in ``_build/html``.

With ``lanes`` > 1 (``make book LANES=2``), step 2 runs that many notebooks
at once, each kernel with ``cpu_count // lanes`` threads, as :data:`AFTER`
allows, the longest chains first by the last build's times (else in
table-of-contents order), for machines where one notebook's kernel cannot
keep every core busy (on the 2-core machine it saved nothing at full scale:
see the README). Two builds with the same ``lanes`` glue the
same numbers; builds with different ``lanes`` may differ in the last digits (a
kernel's thread count can change the order of floating-point sums).

Run it as ``python -m predact_utils.book.make --scale full`` (the pre-flight, then this build).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from predact_utils import paths
from predact_utils.book import resume
from predact_utils.book.parameters_cell import merge_injected
from predact_utils.params import SCALES

#: Environment of executed notebooks: never wait on a hub; no progress bars or library chatter in the pages.
OFFLINE_ENV: dict[str, str] = {
    "TQDM_DISABLE": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "DATASETS_VERBOSITY": "error",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
#: The hub flags of :data:`OFFLINE_ENV`, left out of a kernel's environment when downloads are allowed.
HUB_OFFLINE_FLAGS: tuple[str, ...] = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


def kernel_env() -> dict[str, str]:
    """The environment every notebook kernel gets: :data:`OFFLINE_ENV`, without the hub's offline flags when
    ``PREDACT_ALLOW_DOWNLOAD`` allows downloads (the kernels then reach the hub; a book run otherwise never
    waits on it)."""
    from predact_utils.lm.models import download_switch_on

    if download_switch_on():
        return {k: v for k, v in OFFLINE_ENV.items() if k not in HUB_OFFLINE_FLAGS}
    return dict(OFFLINE_ENV)


#: Notebooks that read what another one left in the artifact cache run after it, so that a build with
#: several lanes computes each shared result once: chapters 04 and 05 take chapter 03's 8,000 answers per
#: model, 05 also 04's alignments; the scoreboard (07) reads every chapter's claims ("*": all the others).
AFTER: dict[str, tuple[str, ...]] = {
    "04_anchor_spans": ("03_distribution_collapse",),
    "05_planning_ahead": ("03_distribution_collapse", "04_anchor_spans"),
    "07_scoreboard": ("*",),
}

_ENV_LOCK = threading.Lock()


class BookBuildError(RuntimeError):
    """A notebook failed, or Jupyter Book reported a warning or an error."""


def toc_files(toc_path: Path) -> list[str]:
    """Every document named in a Jupyter Book 1 ``_toc.yml``, in reading order (no suffix)."""
    if not toc_path.is_file():
        raise BookBuildError(f"no table of contents at {toc_path}; the book root must hold _toc.yml")
    toc = yaml.safe_load(toc_path.read_text())
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    found.append(str(node[key]))
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(toc)
    return found


def notebook_sources(root: Path, toc_path: Path | None = None) -> list[Path]:
    """The ``.py`` sources of the notebooks listed in the table of contents."""
    toc_path = toc_path or root / "_toc.yml"
    out: list[Path] = []
    for entry in toc_files(toc_path):
        py = root / f"{entry}.py"
        if py.is_file():
            out.append(py)
        elif not any((root / f"{entry}{ext}").is_file() for ext in (".md", ".ipynb", ".rst")):
            raise BookBuildError(f"_toc.yml names {entry!r} but no {entry}.py/.md/.ipynb exists under {root}")
    return out


def _plotly_js() -> Path:
    import plotly

    js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not js.is_file():
        raise BookBuildError(f"plotly.min.js not found at {js}; reinstall plotly (pip install -r requirements.txt)")
    return js


def vendor_js_dir() -> Path:
    """Folder with the npm packages ``make setup`` fetches (ipywidgets HTML manager, MathJax)."""
    env = os.environ.get("PREDACT_JS_DIR")
    if env:
        return Path(env)
    return paths.repo_root() / ".venv" / "share" / "predact-js"


def stage_vendor(vendor_dir: Path) -> None:
    """Copy the JavaScript that pages load locally instead of from a CDN into ``vendor_dir``.

    ``vendor_dir`` is the staged book's ``html_static_path`` (``_vendor``, not
    ``_static``: Jupyter Book would add every ``.js`` under ``_static`` to
    every page). It receives plotly.js, the ipywidgets embed script (no
    require.js, so plotly's AMD detection never fires) and MathJax 3.
    """
    vendor_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(_plotly_js(), vendor_dir / "plotly.min.js")
    js = vendor_js_dir()
    widgets = js / "html-manager" / "dist"
    mathjax = js / "mathjax" / "es5"
    for need, what in ((widgets / "embed.js", "@jupyter-widgets/html-manager"), (mathjax / "tex-mml-chtml.js", "mathjax")):
        if not need.is_file():
            raise BookBuildError(
                f"{need} is missing; run `make setup`, which fetches {what} from the npm registry "
                "(or set PREDACT_JS_DIR to a folder holding html-manager/dist and mathjax/es5)"
            )
    shutil.copytree(
        widgets, vendor_dir / "widgets", dirs_exist_ok=True, ignore=shutil.ignore_patterns("*amd*", "*.map", "*.txt")
    )
    shutil.copytree(mathjax, vendor_dir / "mathjax", dirs_exist_ok=True)
    for extra in sorted((paths.repo_root() / "book" / "static").glob("*")):
        shutil.copy2(extra, vendor_dir / extra.name)


def stage_config(src_config: Path, dst_config: Path) -> None:
    """Copy ``_config.yml`` with execution off: the staged notebooks are already executed."""
    cfg = yaml.safe_load(src_config.read_text())
    cfg.setdefault("execute", {})["execute_notebooks"] = "off"
    dst_config.write_text(yaml.safe_dump(cfg, sort_keys=False))


def notebook_parameters(py: Path) -> dict[str, Any]:
    """Names and default values of the ``parameters`` cell of a percent-script notebook (literals only)."""
    import ast

    import jupytext

    nb = jupytext.read(py)
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise BookBuildError(f"{py} must have exactly one cell tagged 'parameters', found {len(cells)}")
    out: dict[str, Any] = {}
    for node in ast.parse(cells[0].source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise BookBuildError(f"{py}: the parameters cell may only hold 'name = literal' lines")
        try:
            out[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError as exc:
            raise BookBuildError(f"{py}: parameter {node.targets[0].id!r} is not a literal; the parameters cell "
                                 "may only hold 'name = literal' lines") from exc
    return out


def parameters_for(py: Path, requested: Mapping[str, Any], declared: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The subset of ``requested`` that the notebook declares (a pair option reaches only the notebooks that
    take it); ``declared`` is its :func:`notebook_parameters` when already read."""
    declared = notebook_parameters(py) if declared is None else declared
    return {k: v for k, v in requested.items() if k in declared}


def check_known_parameters(sources: Iterable[Path], requested: Mapping[str, Any]) -> dict[Path, dict[str, Any]]:
    """Refuse parameters that no notebook of the book declares (a typo would otherwise be ignored); return
    each notebook's declared parameters."""
    per_notebook = {py: notebook_parameters(py) for py in sources}
    declared = {name for params in per_notebook.values() for name in params}
    unknown = sorted(set(requested) - declared)
    if unknown:
        raise BookBuildError(f"no notebook takes the parameter(s) {unknown}; known: {sorted(declared)}")
    return per_notebook


def execute_notebook(py: Path, out: Path, parameters: Mapping[str, Any], cwd: Path, timeout: int,
                     env: Mapping[str, str] | None = None) -> float:
    """Convert a percent script to ``.ipynb`` and execute it with papermill (kernel environment:
    :func:`kernel_env` plus ``env``); return seconds taken."""
    with kernel_environment({**kernel_env(), **dict(env or {})}):
        return _execute(py, out, parameters, cwd, timeout)


@contextmanager
def kernel_environment(env: Mapping[str, str]) -> Iterator[None]:
    """Set ``env`` in this process (kernels inherit it when they start) and restore the old values after."""
    with _ENV_LOCK:
        backup = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
    try:
        yield
    finally:
        with _ENV_LOCK:
            for k, v in backup.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def lane_environment(lanes: int, cpus: int | None = None) -> dict[str, str]:
    """Thread counts for kernels that share the machine with ``lanes - 1`` others (empty for one lane)."""
    if lanes < 1:
        raise BookBuildError(f"lanes must be at least 1, got {lanes}")
    if lanes == 1:
        return {}
    n = str(max(1, (cpus or os.cpu_count() or 1) // lanes))
    return {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "NUMBA_NUM_THREADS": n}


def _execute(py: Path, out: Path, parameters: Mapping[str, Any], cwd: Path, timeout: int) -> float:
    """:func:`execute_notebook` in the current environment."""
    import jupytext
    import papermill as pm

    nb = jupytext.read(py)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    raw = out.with_suffix(".input.ipynb")
    out.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nb, raw, fmt="ipynb")
    t0 = time.time()
    try:
        pm.execute_notebook(
            str(raw),
            str(out),
            parameters=dict(parameters),
            kernel_name="python3",
            cwd=str(cwd),
            execution_timeout=timeout,
            progress_bar=False,
            log_output=False,
        )
    except pm.PapermillExecutionError as exc:
        raise BookBuildError(f"{py} failed at cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from exc
    finally:
        raw.unlink(missing_ok=True)
    errors = error_outputs(out)
    if errors:
        raise BookBuildError(f"{py}: executed notebook carries error outputs: {errors}")
    merge_injected(out)
    return time.time() - t0


def error_outputs(ipynb: Path) -> list[str]:
    """``ename: evalue`` of every error output in an executed notebook."""
    nb = json.loads(ipynb.read_text())
    out = []
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []) or []:
            if o.get("output_type") == "error":
                out.append(f"{o.get('ename')}: {o.get('evalue')}")
    return out


def _copy_book_files(root: Path, stage: Path, entries: Iterable[str]) -> None:
    for name in ("_config.yml", "_toc.yml"):
        if not (root / name).is_file():
            raise BookBuildError(f"{root / name} is missing; the book root must hold it")
    shutil.copy2(root / "_toc.yml", stage / "_toc.yml")
    stage_config(root / "_config.yml", stage / "_config.yml")
    if (root / "book").is_dir():
        shutil.copytree(root / "book", stage / "book", dirs_exist_ok=True, ignore=shutil.ignore_patterns("static"))
    for entry in entries:
        for ext in (".md", ".ipynb", ".rst"):
            src = root / f"{entry}{ext}"
            if src.is_file() and not (root / f"{entry}.py").is_file():
                (stage / src).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, stage / f"{entry}{ext}")


def run_in_lanes(names: Sequence[str], run: Callable[[str], float], lanes: int = 1,
                 after: Mapping[str, Sequence[str]] | None = None,
                 on_done: Callable[[str, float], None] | None = None,
                 expected: Mapping[str, float] | None = None) -> dict[str, float]:
    """Call ``run(name)`` for every name, at most ``lanes`` at once, each after the names it waits for in
    ``after`` (``"*"``: all the others; names not in ``names`` are ignored). Among the names ready to run,
    the one with the longest chain of ``expected`` seconds ahead of it (itself plus the longest chain of
    names waiting for it) goes first, then the given order. Returns what each call returned. The first
    exception stops new calls, waits for the running ones, and is raised."""
    after = AFTER if after is None else after
    order = list(names)
    deps = {n: set(order) - {n} if "*" in after.get(n, ()) else set(after.get(n, ())) & set(order) for n in order}
    for n in order:  # a cycle would never start: refuse it up front
        seen, stack = set(), list(deps[n])
        while stack:
            d = stack.pop()
            if d == n:
                raise BookBuildError(f"notebook {n!r} waits for itself through {sorted(deps[n])}; fix AFTER")
            if d not in seen:
                seen.add(d)
                stack.extend(deps[d])
    expected = expected or {}
    chain: dict[str, float] = {}

    def ahead(n: str) -> float:  # expected seconds from n's start to the end of its longest chain of waiters
        if n not in chain:
            chain[n] = expected.get(n, 0.0) + max((ahead(w) for w in order if n in deps[w]), default=0.0)
        return chain[n]

    results: dict[str, float] = {}
    pending: list[str] = sorted(order, key=lambda n: (-ahead(n), order.index(n)))
    if lanes <= 1:  # in this thread: Ctrl-C reaches the running notebook at once (a worker thread would finish it)
        while pending:
            n = next(m for m in pending if deps[m] <= set(results))
            pending.remove(n)
            results[n] = run(n)
            if on_done is not None:
                on_done(n, results[n])
        return results
    running: dict[Future[float], str] = {}
    error: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, lanes), thread_name_prefix="book-lane") as pool:
        while running or (pending and error is None):
            for n in list(pending):
                if error is not None or len(running) >= lanes:
                    break
                if deps[n] <= set(results):
                    pending.remove(n)
                    running[pool.submit(run, n)] = n
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                n = running.pop(fut)
                try:
                    results[n] = fut.result()
                except BaseException as exc:  # noqa: BLE001 - re-raised below, after the running calls end
                    error = error or exc
                    continue
                if on_done is not None:
                    on_done(n, results[n])
    if error is not None:
        raise error
    return results


def build(
    root: Path,
    scale: str = "full",
    out_dir: Path | None = None,
    extra_parameters: Mapping[str, Any] | None = None,
    timeout: int = 3600,
    only: list[str] | None = None,
    lanes: int = 1,
    rerun: bool = False,
) -> Path:
    """Execute the notebooks of ``root``'s book and build its HTML; return the ``html`` folder.

    ``only`` restricts execution to notebooks whose stem contains one of the
    given strings (the others are still converted and rendered unexecuted);
    ``lanes`` notebooks run at once (see the module docstring). A notebook that finished in an earlier
    build into ``out_dir`` with the same inputs is skipped (:mod:`predact_utils.book.resume`) unless ``rerun``.
    """
    if scale not in SCALES:
        raise BookBuildError(f"scale must be one of {SCALES}, got {scale!r}")
    root = root.resolve()
    out_dir = (out_dir or root / "_build").resolve()
    with output_lock(out_dir):
        return _build_into(root, scale, out_dir, extra_parameters, timeout, only, lanes, rerun)


#: Files of the output folder's lock: the lock itself, and who holds it.
LOCK_FILE, OWNER_FILE = ".build.lock", ".build.owner"


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for one build; a second build into it fails at once, naming the first."""
    from filelock import FileLock, Timeout

    out_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out_dir / LOCK_FILE), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        try:
            owner = json.loads((out_dir / OWNER_FILE).read_text())
            who = f"pid {owner['pid']}, started {owner['started']}, command: {owner['command']}"
        except (OSError, ValueError, KeyError):
            who = "owner unknown"
        raise BookBuildError(f"another build is writing to {out_dir} ({who}); wait for it to finish, or choose "
                             "another output folder (--out)") from None
    try:
        (out_dir / OWNER_FILE).write_text(json.dumps({"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                                                      "command": " ".join(sys.argv)}))
        yield
    finally:
        (out_dir / OWNER_FILE).unlink(missing_ok=True)
        lock.release()


def cache_notices_since(offset: int) -> tuple[list[str], int]:
    """Lines the artifact cache noted (recomputed entries) after byte ``offset`` of its notice file, and the
    new offset."""
    from predact_utils.runs.cache import NOTICES

    f = paths.cache_dir() / NOTICES
    try:
        with open(f, encoding="utf-8") as fh:
            fh.seek(offset)
            text = fh.read()
            return [line for line in text.splitlines() if line.strip()], fh.tell()
    except OSError:
        return [], offset


def _build_into(root: Path, scale: str, out_dir: Path, extra_parameters: Mapping[str, Any] | None, timeout: int,
                only: list[str] | None, lanes: int, rerun: bool = False) -> Path:
    """:func:`build`, with the output folder held."""
    stage = out_dir / "src"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    entries = toc_files(root / "_toc.yml")
    _copy_book_files(root, stage, entries)
    stage_vendor(stage / "_vendor")
    requested = {"scale": scale, **dict(extra_parameters or {})}
    sources = notebook_sources(root)
    declared = check_known_parameters(sources, requested)
    claims = out_dir / "claims"  # the scoreboard of this build only
    if claims.exists():
        shutil.rmtree(claims)
    run_env = {**kernel_env(), "PREDACT_CLAIMS_DIR": str(claims), **lane_environment(lanes)}
    previous = previous_timings(out_dir / "timings.json")  # to start the longest chains first
    timings: dict[str, float] = {}
    t_start = time.time()
    write_timings(out_dir / "timings.json", scale, timings, 0.0, complete=False, lanes=lanes)  # this build's, from now
    by_stem = {py.stem: py for py in sources}
    run_now = []
    for py in sources:
        if only and not any(s in py.stem for s in only):
            import jupytext

            jupytext.write(jupytext.read(py), stage / py.relative_to(root).with_suffix(".ipynb"), fmt="ipynb")
        else:
            run_now.append(py.stem)

    from predact_utils.runs.cache import NOTICES

    notice_file = paths.cache_dir() / NOTICES
    notices = {"at": notice_file.stat().st_size if notice_file.is_file() else 0}  # only what this build adds
    notices_lock = threading.Lock()

    code, data = resume.code_digest(), resume.data_digest()
    skipped: list[str] = []

    def run(stem: str) -> float:
        py = by_stem[stem]
        params = parameters_for(py, requested, declared[py])
        target = stage / py.relative_to(root).with_suffix(".ipynb")
        stamp = resume.inputs_stamp(py, params, code, data)
        if not rerun and resume.finished_with(out_dir, stem, stamp):
            resume.restore(out_dir, stem, target, claims)
            skipped.append(stem)
            print(f"[book] skipping {py.relative_to(root)}: it finished in an earlier build into {out_dir} with "
                  "the same parameters, code, data and models; its executed copy and scoreboard records are "
                  "kept (--rerun executes it again)", flush=True)
            return previous.get(stem, 0.0)
        print(f"[book] executing {py.relative_to(root)} with {params}", flush=True)
        try:
            dt = _execute(py, target, params, root, timeout)
            resume.save_finished(out_dir, stem, target, stamp, claims)
            return dt
        finally:
            with notices_lock:
                lines, notices["at"] = cache_notices_since(notices["at"])
            for line in lines:
                print(f"[book] cache notice ({stem}): {line}", flush=True)

    def done(stem: str, dt: float) -> None:
        timings[stem] = round(dt, 1)
        write_timings(out_dir / "timings.json", scale, timings, time.time() - t_start, complete=False, lanes=lanes,
                      skipped=skipped)
        if stem not in skipped:
            print(f"[book]   {stem} done in {dt:.1f} s", flush=True)

    with kernel_environment(run_env):
        run_in_lanes(run_now, run, lanes=lanes, on_done=done, expected=previous)
    timings = {s: timings[s] for s in run_now}  # table-of-contents order, whatever order they finished in
    html = out_dir / "html"
    if html.exists():
        shutil.rmtree(html)
    jb = Path(sys.executable).parent / "jupyter-book"
    if not jb.is_file():
        raise BookBuildError(f"{jb} not found; install the requirements (make setup)")
    cmd = [
        str(jb),
        "build",
        str(stage),
        "--path-output",
        str(out_dir.parent if out_dir.name == "_build" else out_dir),
        "-W",
        "--keep-going",
        "--all",
    ]
    print("[book] " + " ".join(cmd), flush=True)
    res = subprocess.run(cmd, cwd=root, env={**os.environ, **kernel_env()}, check=False)
    built = (out_dir if out_dir.name == "_build" else out_dir / "_build") / "html"
    if res.returncode != 0:
        raise BookBuildError(f"jupyter-book build failed (exit {res.returncode}); see the warnings above")
    if not (built / "index.html").is_file():
        raise BookBuildError(f"jupyter-book finished but {built / 'index.html'} is missing")
    write_timings(out_dir / "timings.json", scale, timings, time.time() - t_start, complete=True, lanes=lanes,
                  skipped=skipped)
    if skipped:
        print(f"[book] skipped {len(skipped)} notebook(s) finished earlier with the same inputs: "
              f"{', '.join(skipped)}", flush=True)
    return built


def stopped_line(out_dir: Path, resume: str) -> str:
    """The one line a build stopped by Ctrl-C prints: the notebooks that finished, and how to resume."""
    done = list(previous_timings(Path(out_dir) / "timings.json"))
    finished = ", ".join(done) if done else "none"
    return (f"[book] stopped by Ctrl-C; notebooks finished: {finished}; their results are in the artifact "
            f"cache, so {resume} resumes")


def previous_timings(path: Path) -> dict[str, float]:
    """Seconds per notebook of the last build into the same folder (empty when there is none or it is
    unreadable): the lanes' schedule starts the longest chains of notebooks first."""
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text())["notebooks"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def write_timings(path: Path, scale: str, notebooks: Mapping[str, float], total: float, complete: bool,
                  lanes: int = 1, skipped: Sequence[str] = ()) -> None:
    """Record how long each notebook took to execute and the whole build (``benchmarks/book_time.py`` reads it).

    Rewritten after every notebook, so an interrupted build still leaves the times of what it ran. With
    several lanes the notebooks' times overlap: ``execution_seconds`` is their sum, ``total_seconds`` the
    wall-clock time of the whole build. ``skipped`` notebooks were not executed (their times are the earlier
    build's)."""
    record = {"scale": scale, "complete": complete, "notebooks": dict(notebooks),
              "execution_seconds": round(sum(notebooks.values()), 1), "total_seconds": round(total, 1),
              "cpu_count": os.cpu_count(), "lanes": lanes, "skipped": list(skipped)}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, path)
