"""Resuming a book build: skip notebooks that finished in an earlier build with the same inputs.

After a notebook executes without errors, its executed copy, the scoreboard records it wrote and a stamp of
its inputs go to ``<out>/finished/``. A later build into the same folder skips the notebook when the stamp
still matches: the same parameters, notebook source, package code, data files and model checkpoints (by
content fingerprint). The scoreboard notebook, which reads every other notebook's records, always runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from predact_utils import paths

#: Notebooks that read the other notebooks' records: always executed, never skipped.
ALWAYS_RUN = ("07_scoreboard",)
FINISHED = "finished"


def _hash_files(h: Any, root: Path, pattern: str, skip: tuple[str, ...] = ()) -> None:
    for f in sorted(root.rglob(pattern)):
        if f.is_file() and not any(part in skip for part in f.relative_to(root).parts):
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())


def code_digest() -> str:
    """A content hash of the package's Python sources and the registry (16 hex digits)."""
    h = hashlib.sha256()
    _hash_files(h, Path(__file__).resolve().parents[1], "*.py", skip=("__pycache__",))
    _hash_files(h, Path(__file__).resolve().parents[1], "*.yaml")
    return h.hexdigest()[:16]


def data_digest() -> str:
    """A content hash of the committed data (prompts, instructions, prefixes, evaluation splits) and of the
    model checkpoints' fingerprints under the models folder (16 hex digits)."""
    from predact_utils.lm.models import fingerprint_dir

    h = hashlib.sha256()
    data = paths.repo_root() / "data"
    for sub in ("prompts.jsonl", "instructions", "prefixes", "corpora/eval"):
        p = data / sub
        if p.is_file():
            h.update(p.read_bytes())
        elif p.is_dir():
            _hash_files(h, p, "*.jsonl")
    models = paths.models_dir()
    if models.is_dir():
        for d in sorted(x for x in models.iterdir() if x.is_dir()):
            h.update(f"{d.name}:{fingerprint_dir(d)}".encode())
    return h.hexdigest()[:16]


def inputs_stamp(py: Path, parameters: Mapping[str, Any], code: str, data: str) -> dict[str, Any]:
    """What a notebook's result depends on: its parameters, its source, the code and the data/models."""
    return {"notebook": py.stem, "parameters": json.loads(json.dumps(dict(parameters), sort_keys=True, default=str)),
            "source": hashlib.sha256(py.read_bytes()).hexdigest()[:16], "code": code, "data": data,
            "models_dir": str(paths.models_dir()), "hub_offline": os.environ.get("HF_HUB_OFFLINE", "")}


def _folder(out_dir: Path, stem: str) -> Path:
    return out_dir / FINISHED / stem


def claim_ids_of(stem: str) -> list[str]:
    """The scoreboard claims a notebook records."""
    from predact_utils.claims import CLAIMS

    return [c.id for c in CLAIMS if c.notebook == stem]


def save_finished(out_dir: Path, stem: str, executed: Path, stamp: Mapping[str, Any], claims: Path) -> None:
    """Keep a finished notebook's executed copy, its claim records and its stamp (the stamp last, atomically:
    a folder without a stamp is never taken as finished)."""
    folder = _folder(out_dir, stem)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "claims").mkdir(parents=True)
    shutil.copy2(executed, folder / "notebook.ipynb")
    for cid in claim_ids_of(stem):
        if (claims / f"{cid}.json").is_file():
            shutil.copy2(claims / f"{cid}.json", folder / "claims" / f"{cid}.json")
    tmp = folder / "stamp.json.tmp"
    tmp.write_text(json.dumps(dict(stamp), indent=1, sort_keys=True))
    os.replace(tmp, folder / "stamp.json")


def finished_with(out_dir: Path, stem: str, stamp: Mapping[str, Any]) -> bool:
    """Whether ``stem`` finished in an earlier build into ``out_dir`` with exactly these inputs, and its
    executed copy is complete (readable, every code cell executed, no error output)."""
    if stem in ALWAYS_RUN:
        return False
    folder = _folder(out_dir, stem)
    try:
        if json.loads((folder / "stamp.json").read_text()) != json.loads(json.dumps(dict(stamp), sort_keys=True)):
            return False
        nb = json.loads((folder / "notebook.ipynb").read_text())
    except (OSError, ValueError):
        return False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or not "".join(cell.get("source", "")).strip():
            continue
        if cell.get("execution_count") is None:
            return False
        if any(o.get("output_type") == "error" for o in cell.get("outputs", []) or []):
            return False
    return True


def restore(out_dir: Path, stem: str, target: Path, claims: Path) -> None:
    """Put a skipped notebook's executed copy where the book build expects it and its records back on the
    scoreboard."""
    folder = _folder(out_dir, stem)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(folder / "notebook.ipynb", target)
    claims.mkdir(parents=True, exist_ok=True)
    for f in sorted((folder / "claims").glob("*.json")):
        shutil.copy2(f, claims / f.name)
