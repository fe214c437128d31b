"""``make miniature``: build the miniature family stage by stage (miniature family section).

Stages, in order (each skipped when its output exists and is complete):

``tokenizer``   byte-level BPE on a balanced sample of every training split
``pool``        the packed, shuffled pre-training token blocks (cached)
``base-s``      the small Base LM;  ``base-m`` the medium Base LM
``sft-s``, ``sft-m``, ``dpo-s``, ``dpo-m``, ``reward-m``, ``rlhf-m``: the aligned models
``cards``       measure every finished checkpoint and write its model card

Run ``python -m predact_utils.miniature.build --stages base-m --max-minutes 30``
to work in slices: an interrupted or time-limited stage resumes from its last
checkpoint under ``data/cache/miniature/work/``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from predact_utils import paths
from predact_utils.lm.allocator import keep_allocations
from predact_utils.miniature import pretrain as pt
from predact_utils.miniature.configs import BUDGETS
from predact_utils.miniature.store import SEED, load_tokenizer, pool_path, tokenizer_dir, work_dir
from predact_utils.miniature.tokenizer import balanced_sample, save_tokenizer, train_tokenizer

TOKENIZER_SAMPLE_BYTES = 20_000_000
CAP_TOKENS_PER_CORPUS = 2_000_000
STAGES = ("tokenizer", "pool", "base-s", "base-m", "sft-s", "sft-m", "dpo-s", "dpo-m", "reward-m", "rlhf-m", "cards")
#: Checkpoints of the family, in the order their cards are written.
FAMILY = ("mini-s-base", "mini-m-base", "mini-s-sft", "mini-m-sft", "mini-s-dpo", "mini-m-dpo", "mini-m-reward",
          "mini-m-rlhf")






def pretraining_texts() -> dict[str, list[str]]:
    """Every training split, without any document that is word for word in an evaluation split."""
    import predact_utils.data.corpora as corpora
    from predact_utils.data import decontam
    from predact_utils.data.corpora.build import heldout_rows
    from predact_utils.data.corpora.registry import SPECS

    evaluation = {decontam.document_key(r["text"]) for s in SPECS if s.role in ("eval", "prefix")
                  for r in heldout_rows(s)}
    out = {}
    for s in SPECS:
        if s.has_train:
            out[s.name] = [r["text"] for r in corpora.load_texts(s.name, "train")
                           if decontam.document_key(r["text"]) not in evaluation]
    if not out:
        raise RuntimeError("no training splits found; run `make data` first")
    return out


def stage_tokenizer() -> None:
    """Train and save the shared tokenizer."""
    out = tokenizer_dir()
    if (out / "tokenizer.json").exists():
        print(f"[miniature] tokenizer exists at {out}")
        return
    t0 = time.time()
    texts = balanced_sample(pretraining_texts(), TOKENIZER_SAMPLE_BYTES, seed=SEED)
    tok = train_tokenizer(texts, vocab_size=8192)
    save_tokenizer(tok, out)
    info = {"documents": len(texts), "bytes": sum(len(t.encode()) for t in texts), "vocab_size": len(tok),
            "seed": SEED, "wall_seconds": round(time.time() - t0, 1)}
    (out / "training_info.json").write_text(json.dumps(info, indent=1))
    print(f"[miniature] tokenizer: {info}")






def stage_pool(block: int = 512) -> np.ndarray:
    """Tokenize every training split (capped per corpus), cut into shuffled blocks, cache as .npy."""
    p = pool_path(block)
    if p.exists():
        return np.load(p, mmap_mode="r")
    tok = load_tokenizer()
    stream, counts = pt.token_pool(tok, pretraining_texts(), CAP_TOKENS_PER_CORPUS)
    blocks = pt.blocks_of(stream, block, seed=SEED)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp.npy")
    np.save(tmp, blocks)
    os.replace(tmp, p)
    (p.with_suffix(".json")).write_text(json.dumps({"tokens_per_corpus": counts, "blocks": int(blocks.shape[0]),
                                                    "block": block, "total_tokens": int(stream.size)}, indent=1))
    print(f"[miniature] pool: {blocks.shape[0]} blocks of {block} from {stream.size:,} tokens")
    return blocks


def stage_base(size: str, max_minutes: float | None) -> bool:
    """Pre-train (or resume) the Base LM of ``size``; return whether it is finished."""
    out = paths.models_dir() / f"mini-{size}-base"
    if (out / "model.safetensors").exists():
        print(f"[miniature] {out.name} exists")
        return True
    tok = load_tokenizer()
    blocks = np.asarray(stage_pool(BUDGETS[size].block))
    summary = pt.pretrain(size, tok, blocks, out, work_dir() / f"base-{size}", seed=SEED, max_minutes=max_minutes)
    (work_dir() / f"base-{size}" / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"[miniature] base-{size}: steps {summary['steps']}, tokens {summary['tokens_seen']:,}, "
          f"loss {summary['final_train_loss']}, finished {summary['finished']}")
    return bool(summary["finished"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated subset of {STAGES}")
    ap.add_argument("--max-minutes", type=float, default=None, help="stop a training stage after this long")
    args = ap.parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        print(f"unknown stage(s) {unknown}; choose from {STAGES}", file=sys.stderr)
        return 2
    keep_allocations()  # training on the CPU: reuse freed activations instead of faulting them in again
    for s in stages:
        if s == "tokenizer":
            stage_tokenizer()
        elif s == "pool":
            stage_pool()
        elif s == "cards":
            from predact_utils.miniature.measure import write_cards

            write_cards(list(FAMILY))
        elif s.startswith("base-"):
            if not stage_base(s.split("-")[1], args.max_minutes):
                print(f"[miniature] {s} stopped before the end; run again to resume")
                return 0
        else:
            from predact_utils.miniature import align

            if not align.run_stage(s, args.max_minutes):
                return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
