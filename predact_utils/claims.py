"""The book's scoreboard: each claim of the paper, what the paper reports, what this build measured.

Each section notebook calls :func:`record` for the claims it tests, with the
measured result as a sentence of computed numbers and whether it goes in the
paper's direction. Records are small JSON files written atomically to
:func:`claims_dir` (the book build points it at a fresh folder per build, so
a page never shows a result of an older run); the scoreboard page reads them
back with :func:`scoreboard`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from predact_utils import paths


@dataclass(frozen=True)
class Claim:
    """One claim of the paper and where the book tests it."""

    id: str
    figure: str
    claim: str
    paper: str
    notebook: str


CLAIMS: tuple[Claim, ...] = (
    Claim("fig1-anchors", "Fig. 1", "aligned generations of a prompt share anchor spans in order",
          "RLHF: many generations aligned with >= 5 others at every position, Base low",
          "04_anchor_spans"),
    Claim("ngram-10", "n-grams", "the most common 10-gram recurs across a prompt's aligned generations",
          "about 60% of RLHF generations contain the prompt's most common 10-gram", "04_anchor_spans"),
    Claim("ngram-25", "n-grams", "long n-grams are shared too",
          "about 25% of outputs for a prompt share a 25-gram", "04_anchor_spans"),
    Claim("fig2a-worse", "Fig. 2A", "aligned models are worse world models (higher perplexity on gold text)",
          "RLHF worse than Base on all 9 corpora, every family and size", "02_world_modeling"),
    Claim("fig2b-finetune", "Fig. 2B", "the gap survives fine-tuning both models on the target corpus",
          "RLHF stays worse after fine-tuning", "02_world_modeling"),
    Claim("fig3-top1", "Fig. 3", "aligned models put more mass on the top token",
          "RLHF puts nearly all mass on the top token, more than Base", "03_distribution_collapse"),
    Claim("fig4-own", "Fig. 4", "on own generations, aligned models give non-negligible mass to fewer tokens",
          "far fewer tokens above 1e-8 for RLHF than Base", "03_distribution_collapse"),
    Claim("fig4-gold", "Fig. 4", "on gold text, aligned models give non-negligible mass to slightly more tokens",
          "slightly more tokens above 1e-8 for RLHF than Base", "03_distribution_collapse"),
    Claim("fig5-self", "Fig. 5", "aligned models find their own text more predictable",
          "RLHF self-perplexity lower than Base on 11 datasets", "03_distribution_collapse"),
    Claim("probe-ahead", "probing", "aligned hidden states are more forward-predictive",
          "RLHF states encode tokens several positions ahead better than Base", "05_planning_ahead"),
    Claim("frontier", "beyond the paper", "is there a cheap point between Base and aligned?",
          "open question in the paper's discussion", "06_tradeoff_frontier"),
)
CLAIM_IDS = {c.id for c in CLAIMS}


def claims_dir() -> Path:
    """Where records go: ``$PREDACT_CLAIMS_DIR``, else ``<cache>/claims``."""
    env = os.environ.get("PREDACT_CLAIMS_DIR")
    return Path(env) if env else paths.cache_dir() / "claims"


Holds = bool | str | None  # True, False, "partly", or None (no direction to check)


def share_verdict(k: int, n: int) -> Holds:
    """``True`` when the paper's direction holds in all ``n`` comparisons, ``"partly"`` in some, else ``False``."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    return True if k == n else ("partly" if k > 0 else False)


def record(claim_id: str, measured: str, holds: Holds, *, pair: str, scale: str, detail: str = "") -> Path:
    """Write this build's result for ``claim_id`` (``holds``: the paper's direction reproduces in every
    comparison, ``"partly"``, not at all, or ``None`` when there is no direction to check)."""
    if claim_id not in CLAIM_IDS:
        raise ValueError(f"unknown claim {claim_id!r}; known: {sorted(CLAIM_IDS)}")
    if holds not in (True, False, None, "partly"):
        raise ValueError(f"holds must be True, False, 'partly' or None, got {holds!r}")
    folder = claims_dir()
    folder.mkdir(parents=True, exist_ok=True)
    data = {"id": claim_id, "measured": measured, "holds": holds, "pair": pair, "scale": scale, "detail": detail}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{claim_id}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)
    target = folder / f"{claim_id}.json"
    os.replace(tmp, target)
    return target


def record_all(records: Iterable[Mapping[str, Any]]) -> None:
    """Write every record a chapter's ``claim_records(results)`` returns (keyword arguments of :func:`record`)."""
    for r in records:
        record(**dict(r))


def verdict(holds: Holds) -> str:
    """The scoreboard's word for a record."""
    return {True: "reproduces", False: "does not reproduce", "partly": "partly", None: "see text"}[holds]


def scoreboard(folder: Path | None = None) -> pd.DataFrame:
    """One row per claim: the paper's result, this build's measurement and verdict ("not run" if absent)."""
    folder = folder or claims_dir()
    rows = []
    for c in CLAIMS:
        f = folder / f"{c.id}.json"
        rec = json.loads(f.read_text()) if f.is_file() else None
        rows.append({"figure": c.figure, "claim": c.claim, "paper": c.paper,
                     "this build": rec["measured"] if rec else "not run in this build",
                     "verdict": verdict(rec["holds"]) if rec else "not run",
                     "pair": rec["pair"] if rec else "", "scale": rec["scale"] if rec else "",
                     "chapter": c.notebook})
    return pd.DataFrame(rows)
