"""The book's scoreboard: each claim of the paper, what the paper reports, what this build measured.

Each chapter writes a record for the claims it tests (:func:`record`): the
measured result as a sentence of computed numbers, and the verdict with its
reason, given by the claim's rule (:data:`CLAIMS`, :mod:`predact_utils.verdicts`). Records are small JSON files written atomically to
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
from predact_utils.verdicts import VERDICTS


@dataclass(frozen=True)
class Claim:
    """One claim of the paper, where the book tests it, the rule that decides its verdict, and where in the
    paper it comes from (one of its figures, or its summary only)."""

    id: str
    figure: str
    claim: str
    paper: str
    notebook: str
    rule: str
    source: str = "figure"


#: The unit every interval resamples, named in the rules.
CLAIMS: tuple[Claim, ...] = (
    Claim("fig1-anchors", "Fig. 1", "aligned generations of a prompt share anchor spans in order",
          "RLHF: many generations aligned with >= 5 others at every position, Base low; highest near the "
          "beginning and the end", "04_anchor_spans",
          "direction: mean over positions of (aligned - Base) generations aligned with >= 5 others, 95% interval "
          "over prompts above 0; shape: the aligned curve's first and last tenth both above its middle; the "
          "paper gives no number; controls (on the control prompts): the difference with lengths matched, and "
          "the aligned curve over its chance baseline (answers to other prompts aligned together), both with "
          "95% intervals above 0, else does not reproduce"),
    Claim("ngram-10", "n-grams", "the most common 10-gram recurs across a prompt's aligned generations",
          "about 60% of RLHF generations contain the prompt's most common 10-gram", "04_anchor_spans",
          "direction: (aligned - Base) share of generations holding the prompt's most common 10-gram, 95% "
          "interval over prompts above 0; magnitude: aligned share / 60% within 0.5 to 2; controls: the "
          "difference with lengths matched, and the aligned share over its chance baseline (answers to other "
          "prompts), both with 95% intervals above 0, else does not reproduce"),
    Claim("ngram-25", "n-grams", "long n-grams are shared too",
          "about 25% of outputs for a prompt share a 25-gram", "04_anchor_spans",
          "direction: as ngram-10 for the most common 25-gram; magnitude: aligned share / 25% within 0.5 to 2; "
          "controls as ngram-10"),
    Claim("fig2a-worse", "Fig. 2A", "aligned models are worse world models (higher perplexity on gold text)",
          "RLHF worse than Base on all 9 corpora, every family and size", "02_world_modeling",
          "family of pair x corpus comparisons of the RLHF pairs (all pairs when the run has none): "
          "direction by a one-sided sign test on delta log-perplexity at 5%; shape (all corpora): every "
          "comparison significant after Holm, each p from the paired bootstrap over documents"),
    Claim("fig2b-finetune", "Fig. 2B", "the gap survives fine-tuning both models on the target corpus",
          "RLHF stays worse after fine-tuning", "02_world_modeling",
          "as fig2a-worse, on the fine-tuned pairs (RLHF pairs when fine-tuned, else all)"),
    Claim("fig3-top1", "Fig. 3", "aligned models put more mass on the top token",
          "RLHF puts nearly all mass on the top token, more than Base", "03_distribution_collapse",
          "direction: (aligned - Base) mean top-1 mass on own answers, 95% interval over prompts above 0; "
          "shape (nearly all mass): the aligned mean top-1 mass at least 0.9"),
    Claim("fig4-own", "Fig. 4", "on own generations, aligned models give non-negligible mass to fewer tokens",
          "far fewer tokens above 1e-8 for RLHF than Base", "03_distribution_collapse",
          "direction: log(Base / aligned) number of tokens above the threshold on own answers, 95% interval "
          "over prompts above 0; shape (far fewer): aligned / Base at most 0.5"),
    Claim("fig4-gold", "Fig. 4", "on gold text, aligned models give non-negligible mass to slightly more tokens",
          "slightly more tokens above 1e-8 for RLHF than Base", "03_distribution_collapse",
          "direction: log(aligned / Base) number of tokens above the threshold on gold text, 95% interval over "
          "documents above 0; shape (slightly more): aligned / Base at most 1.5"),
    Claim("fig5-self", "Fig. 5", "aligned models find their own text more predictable",
          "RLHF self-perplexity lower than Base on 11 datasets", "03_distribution_collapse",
          "family of pair x dataset comparisons: direction by a one-sided sign test on log self-perplexity "
          "(Base - aligned) at 5%; shape (all datasets): every comparison significant after Holm, each p from "
          "the bootstrap over prefixes"),
    Claim("probe-ahead", "probing", "aligned hidden states are more forward-predictive",
          "RLHF states encode tokens several positions ahead better than Base", "05_planning_ahead",
          "direction: on gold text (both models read the same tokens), the (aligned - Base) probe gain over the "
          "no-state baseline, mean over k >= 2 at the curve layer fixed before the run (the last; every layer is "
          "reported on the page), 95% interval over held-out documents above 0, and both gains above 0 (a probe "
          "that loses to its baseline shows no planning)", source="summary only"),
    Claim("frontier", "beyond the paper", "is there a cheap point between Base and aligned?",
          "open question in the paper's discussion", "06_tradeoff_frontier",
          "not testable here: the paper states no result to reproduce; the chapter reports the frontier"),
    Claim("organism-tradeoff", "beyond the paper", "in a world whose distribution is known, RL toward a checkable "
          "reward makes the model a worse world model (exact KL)",
          "conjecture in the paper's discussion: predicting and acting may trade off fundamentally",
          "09_model_organism",
          "premise: full RL's reward gain over SFT, paired by seed, 95% t-interval over seeds above 0 (else not "
          "testable); direction: full RL's exact KL(world || model) per token minus SFT's, paired by seed, 95% "
          "t-interval over seeds above 0; no magnitude or shape (the paper gives none)", source="summary only"),
)
CLAIM_IDS = {c.id for c in CLAIMS}


def claims_dir() -> Path:
    """Where records go: ``$PREDACT_CLAIMS_DIR``, else ``<cache>/claims``."""
    env = os.environ.get("PREDACT_CLAIMS_DIR")
    return Path(env) if env else paths.cache_dir() / "claims"


#: The comparisons of the stage table: which alignment stage carries an effect.
STAGES: tuple[str, ...] = ("SFT vs Base", "DPO vs Base", "RLHF vs Base", "RLHF vs SFT")


def stage(comparison: str, pair: str, effect: str, holds: bool | None) -> dict[str, Any]:
    """One cell of the stage table: a comparison (one of :data:`STAGES`), the pair it was measured on, the
    effect in words, and whether it lies in the paper's direction by the claim's rule (None: no rule applies)."""
    if comparison not in STAGES:
        raise ValueError(f"stage comparison must be one of {STAGES}, got {comparison!r}")
    return {"comparison": comparison, "pair": pair, "effect": effect, "holds": holds}


#: ``method`` of a derived pair whose "Base" side is the SFT model the RLHF model was trained from.
RLHF_VS_SFT = "rlhf-vs-sft"


def stage_of(method: str) -> str | None:
    """The stage comparison of a Base / aligned pair trained with ``method`` (sft, dpo, rlhf, ppo; or
    :data:`RLHF_VS_SFT`), or None for a pair of another or unknown method (``custom``: a pair given by paths),
    which has no stage cell."""
    if method.lower() == RLHF_VS_SFT:
        return "RLHF vs SFT"
    label = {"sft": "SFT", "dpo": "DPO", "rlhf": "RLHF", "ppo": "RLHF"}.get(method.lower())
    return f"{label} vs Base" if label else None


def record(claim_id: str, measured: str, verdict: str, *, reason: str, pair: str, scale: str,
           detail: str = "", stages: Iterable[Mapping[str, Any]] = ()) -> Path:
    """Write this build's result for ``claim_id``: what was measured, the verdict (one of
    :data:`predact_utils.verdicts.VERDICTS`), the reason its rule gave, and the same measure per alignment
    stage (:func:`stage` entries)."""
    if claim_id not in CLAIM_IDS:
        raise ValueError(f"unknown claim {claim_id!r}; known: {sorted(CLAIM_IDS)}")
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    stages = [stage(**dict(x)) for x in stages]
    folder = claims_dir()
    folder.mkdir(parents=True, exist_ok=True)
    data = {"id": claim_id, "measured": measured, "verdict": verdict, "reason": reason, "pair": pair,
            "scale": scale, "detail": detail, "stages": stages}
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


def scoreboard(folder: Path | None = None) -> pd.DataFrame:
    """One row per claim: the paper's result, this build's measurement and verdict ("not run" if absent)."""
    folder = folder or claims_dir()
    rows = []
    for c in CLAIMS:
        f = folder / f"{c.id}.json"
        rec = json.loads(f.read_text()) if f.is_file() else None
        rows.append({"figure": c.figure, "claim": c.claim, "paper": c.paper, "source": c.source,
                     "this build": rec["measured"] if rec else "not run in this build",
                     "verdict": rec["verdict"] if rec else "not run", "why": rec["reason"] if rec else "",
                     "rule": c.rule, "pair": rec["pair"] if rec else "", "scale": rec["scale"] if rec else "",
                     "chapter": c.notebook})
    return pd.DataFrame(rows)


def stage_table(folder: Path | None = None) -> pd.DataFrame:
    """Which alignment stage carries each effect: one row per claim, one column per :data:`STAGES`
    comparison, each cell the effect with "holds" / "does not hold" by the claim's rule, or "not measured"."""
    folder = folder or claims_dir()
    rows = []
    for c in CLAIMS:
        f = folder / f"{c.id}.json"
        rec = json.loads(f.read_text()) if f.is_file() else {}
        cells = {k: "not measured" for k in STAGES}
        for st in rec.get("stages", []):
            mark = {True: "holds", False: "does not hold", None: "no rule"}[st["holds"]]
            cell = f"{mark}: {st['effect']} ({st['pair']})"
            k = st["comparison"]
            cells[k] = cell if cells[k] == "not measured" else f"{cells[k]}; {cell}"
        rows.append({"figure": c.figure, "claim": c.claim, **cells})
    return pd.DataFrame(rows)

