"""Pre-flight of a book run: everything that can be checked before the first notebook starts, in seconds.

:func:`preflight` resolves the pair, reads both models' configs and tokenizers (not the weights) and
checks that the tokenizers match; validates the parameters against every notebook's settings at the
run's scale; checks that the output folder and the artifact cache are writable, that MAFFT is installed,
and that the disk and memory hold the pair (its weights, from the configs). It returns every problem at
once, each saying what is wrong and how to fix it; ``predact run`` stops on any before the work starts.
"""

from __future__ import annotations

import importlib
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

#: Disk space a run needs beyond downloaded weights: generations, scores, hidden states, MAFFT files.
CACHE_BYTES = 2 * 2**30
_CHAPTER_IMPORT = re.compile(r"^from predact_utils\.chapters import (\w+) as chapter", re.MULTILINE)


def chapter_of(py: Path) -> ModuleType | None:
    """The chapter package a notebook runs (its ``from predact_utils.chapters import X as chapter``)."""
    m = _CHAPTER_IMPORT.search(Path(py).read_text(encoding="utf-8"))
    return importlib.import_module(f"predact_utils.chapters.{m.group(1)}") if m else None


def _settings_of(sources: Sequence[Path], parameters: Mapping[str, Any], scale: str) -> Iterator[tuple[Path, Any]]:
    """Per notebook that runs a chapter: its path, and a call that builds its settings from the parameters it
    declares at ``scale``."""
    from predact_utils.book.build import notebook_parameters

    for py in sources:
        chapter = chapter_of(py)
        if chapter is not None:
            declared = notebook_parameters(py)
            values = {k: v for k, v in parameters.items() if k in declared}
            yield py, lambda c=chapter, v=values: c.Settings.from_values({**v, "scale": scale})


def parameter_problems(sources: Sequence[Path], parameters: Mapping[str, Any], scale: str) -> list[str]:
    """Every notebook's settings built from the parameters it declares: the errors, one per notebook."""
    out = []
    for py, make in _settings_of(sources, parameters, scale):
        try:
            make()
        except Exception as exc:  # ParameterError, or a check() that reads a file
            out.append(f"{py.stem}: {exc}")
    return out


def parameter_notes(sources: Sequence[Path], parameters: Mapping[str, Any], scale: str) -> list[str]:
    """What each notebook's settings will replace or cap of the given parameters (printed, never silent)."""
    import contextlib
    import io

    out = []
    for py, make in _settings_of(sources, parameters, scale):
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            try:
                make()
            except Exception:  # reported by parameter_problems
                continue
        out += [f"{py.stem}: {line.removeprefix('[settings] ')}" for line in printed.getvalue().splitlines()
                if line.startswith("[settings] ")]
    return out


def pair_problems(pair: str) -> tuple[list[str], list[Any]]:
    """The pair resolved, both configs and tokenizers read (no weights), the tokenizers compared; the
    problems, and the configs that could be read."""
    from transformers import AutoConfig, AutoTokenizer

    from predact_utils.lm.models import TokenizerMismatchError, check_same_tokenizer, resolve_location
    from predact_utils.lm.registry import resolve_pair

    try:
        spec = resolve_pair(pair)
    except Exception as exc:
        return [f"pair {pair!r}: {exc}"], []
    problems, configs, tokenizers = [], [], []
    for role, ident in (("Base", spec.base_location()), ("aligned", spec.aligned_location())):
        try:
            location, _, local_only = resolve_location(ident)
            configs.append(AutoConfig.from_pretrained(location, local_files_only=local_only))
            tokenizers.append(AutoTokenizer.from_pretrained(location, local_files_only=local_only))
        except Exception as exc:
            problems.append(f"{role} model {ident!r}: {str(exc).splitlines()[0]}")
    if len(tokenizers) == 2:
        try:
            check_same_tokenizer(*tokenizers)
        except TokenizerMismatchError as exc:
            problems.append(f"pair {pair!r}: {exc}")
    return problems, configs


def folder_problems(folders: Mapping[str, Path]) -> list[str]:
    """Each named folder created if needed and written to once."""
    out = []
    for what, folder in folders.items():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".predact-write-check."):
                pass
        except OSError as exc:
            out.append(f"{what} {folder}: cannot write there ({exc.strerror or exc}); choose a folder you can "
                       "write to" + (" (set PREDACT_CACHE)" if what == "artifact cache" else ""))
    return out


def mafft_problems() -> list[str]:
    """MAFFT (the anchor-span, planning and explorer chapters align with it): ``$PREDACT_MAFFT``, ``make setup``'s
    build or ``mafft`` on the PATH (:func:`~predact_utils.chapters.anchors.mafftbin.mafft_path`)."""
    from predact_utils.chapters.anchors.mafftbin import MafftError, mafft_path

    try:
        mafft_path()
    except MafftError as exc:
        return [f"MAFFT is not usable (the anchor-span, planning and explorer chapters align generations with it): "
                f"{exc}"]
    return []


def resource_problems(weight_bytes: int, download_bytes: int, cache: Path, *, disk_free: int | None = None,
                      memory_total: int | None = None, on_gpu: bool = False) -> list[str]:
    """Disk for the downloads and the cache, and (on the CPU) memory for both models' weights."""
    out = []
    free = shutil.disk_usage(_existing(cache)).free if disk_free is None else disk_free
    need = download_bytes + CACHE_BYTES
    if free < need:
        out.append(f"disk: {free / 2**30:.1f} GiB free at {cache}, the run needs about {need / 2**30:.1f} GiB "
                   f"({download_bytes / 2**30:.1f} GiB of weights to download and {CACHE_BYTES / 2**30:.0f} GiB "
                   "of artifact cache); free space or point PREDACT_CACHE / HF_HOME elsewhere")
    if not on_gpu:
        total = _memory_total() if memory_total is None else memory_total
        if total and weight_bytes > 0.8 * total:
            out.append(f"memory: the pair's weights take {weight_bytes / 2**30:.1f} GiB and this machine has "
                       f"{total / 2**30:.1f} GiB; run on a GPU machine or a smaller pair")
    return out


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _memory_total() -> int | None:
    try:
        import os

        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def preflight(root: Path, pair: str | None, parameters: Mapping[str, Any], scale: str,
              out: Path | None) -> list[str]:
    """Every problem a run would meet that can be found before it starts (empty: go)."""
    import torch

    from predact_utils import paths
    from predact_utils.book.build import notebook_sources
    from predact_utils.book.plan import shape_of
    from predact_utils.lm.models import default_dtype

    problems: list[str] = []
    try:
        dtype_bytes = torch.finfo(default_dtype()).bits // 8
    except ValueError as exc:  # a bad $PREDACT_DTYPE
        return [str(exc)]
    try:
        from predact_utils.book.build import BookBuildError, check_known_parameters

        check_known_parameters(notebook_sources(root), {"scale": scale, **parameters})
    except BookBuildError as exc:  # a parameter no notebook declares (a typo)
        problems.append(str(exc))
    if pair is not None:
        found, configs = pair_problems(pair)
        problems += found
        if not found:
            from predact_utils.lm.models import resolve_location
            from predact_utils.lm.registry import resolve_pair

            spec = resolve_pair(pair)
            here = [resolve_location(i)[2] for i in (spec.base_location(), spec.aligned_location())]
            sizes = [shape_of(c, dtype_bytes).weight_bytes for c in configs]
            download = sum(size for size, local in zip(sizes, here, strict=True) if not local)
            problems += resource_problems(sum(sizes), download, paths.cache_dir(), on_gpu=torch.cuda.is_available())
    problems += parameter_problems(notebook_sources(root), parameters, scale)
    folders = {"artifact cache": paths.cache_dir()}
    if out is not None:
        folders = {"--out": out, **folders}
    problems += folder_problems(folders)
    problems += mafft_problems()
    return problems
