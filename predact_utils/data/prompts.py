"""The 80 generation prompts and the prefix sets (book sections: Fig. 1 / n-gram and MAFFT anchors; Fig. 5).

``data/prompts.jsonl`` holds one JSON object per line with the keys ``id``
(unique, ``<category>-NN``), ``category`` and ``prompt`` (a short open
question in the style of an assistant user). None of the prompts appears in
the instruction training data (checked by the build and the tests). The
paper's example prompt, :data:`PAPER_EXAMPLE`, is one of them.

``data/prefixes/<dataset>.jsonl`` holds the prefix sets of the
self-perplexity experiment (see :mod:`predact_utils.data.corpora.prefixes`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from predact_utils.paths import data_dir

PAPER_EXAMPLE = "What are the main differences between Python and JavaScript programming languages?"
PROMPT_KEYS = ("id", "category", "prompt")
N_PROMPTS = 80


class PromptFileError(ValueError):
    """A malformed prompts file (the message names the file and line)."""


def prompts_path() -> Path:
    """``data/prompts.jsonl``."""
    return data_dir() / "prompts.jsonl"


def normalize_question(text: str) -> str:
    """Lower-cased, whitespace- and punctuation-collapsed form used to compare questions."""
    return " ".join(re.sub(r"[^\w']+", " ", text.lower()).split())


def parse(text: str, source: str = "<string>", expect: int | None = N_PROMPTS) -> list[dict[str, str]]:
    """Parse and validate prompts JSON lines; raise :class:`PromptFileError` naming the bad line."""
    rows: list[dict[str, str]] = []
    seen_ids: dict[str, int] = {}
    seen_q: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            row: Any = json.loads(line)
        except json.JSONDecodeError as e:
            raise PromptFileError(f"{where}: not valid JSON ({e.msg}); each line must be an object "
                                  f'like {{"id": "...", "category": "...", "prompt": "..."}}') from e
        if not isinstance(row, dict):
            raise PromptFileError(f"{where}: expected a JSON object, got {type(row).__name__}")
        missing = [k for k in PROMPT_KEYS if k not in row]
        extra = sorted(set(row) - set(PROMPT_KEYS))
        if missing or extra:
            raise PromptFileError(f"{where}: keys must be exactly {list(PROMPT_KEYS)} (missing {missing}, extra {extra})")
        for k in PROMPT_KEYS:
            if not isinstance(row[k], str) or not row[k].strip():
                raise PromptFileError(f"{where}: {k!r} must be a non-empty string, got {row[k]!r}")
        if row["id"] in seen_ids:
            raise PromptFileError(f"{where}: duplicate id {row['id']!r} (first on line {seen_ids[row['id']]})")
        key = normalize_question(row["prompt"])
        if key in seen_q:
            raise PromptFileError(f"{where}: duplicate prompt (same as line {seen_q[key]})")
        if len(row["prompt"]) > 200:
            raise PromptFileError(f"{where}: prompt is {len(row['prompt'])} characters; keep prompts short (<= 200)")
        seen_ids[row["id"]] = lineno
        seen_q[key] = lineno
        rows.append({k: row[k] for k in PROMPT_KEYS})
    if expect is not None and len(rows) != expect:
        raise PromptFileError(f"{source}: expected {expect} prompts, found {len(rows)}")
    return rows


def load(path: Path | None = None, expect: int | None = N_PROMPTS) -> list[dict[str, str]]:
    """The validated prompts (``id``, ``category``, ``prompt``) of ``data/prompts.jsonl``."""
    p = Path(path) if path else prompts_path()
    if not p.exists():
        raise FileNotFoundError(f"{p} not found; it is committed with the repository (git checkout data/prompts.jsonl)")
    return parse(p.read_text(encoding="utf-8"), str(p), expect)


def categories(rows: list[dict[str, str]] | None = None) -> list[str]:
    """Prompt categories in file order."""
    return list(dict.fromkeys(r["category"] for r in (rows if rows is not None else load())))


def prefix_dir() -> Path:
    """``data/prefixes``."""
    return data_dir() / "prefixes"


def prefix_sets() -> list[str]:
    """Names of the committed prefix sets (one per dataset)."""
    return sorted(p.stem for p in prefix_dir().glob("*.jsonl"))


def load_prefixes(name: str) -> list[dict[str, Any]]:
    """The prefixes of one dataset: rows with ``id``, ``dataset``, ``category``, ``prefix``, ``continuation``."""
    from predact_utils.data.corpora.io import read_jsonl

    p = prefix_dir() / f"{name}.jsonl"
    if not p.exists():
        raise FileNotFoundError(f"no prefix set {name!r} in {prefix_dir()}; available: {prefix_sets()}")
    return list(read_jsonl(p))
