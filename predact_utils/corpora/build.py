"""Build every corpus, the instruction data, the prefix sets and the manifest: ``python -m predact_utils.corpora.build``.

Book section: Data. Run by ``make data`` after the sources are installed.
Outputs (paths under ``data/``):

* ``corpora/eval/<name>/{validation,test}.jsonl``  committed evaluation splits
* ``corpora/build/<name>/{train,validation,test}.jsonl``  full build, git-ignored
  (for evaluation corpora only ``train`` is here; their held-out splits are the committed ones)
* ``instructions/*.jsonl``, ``prefixes/<name>.jsonl``, ``corpora/manifest.json``

Each row of a split is ``{"id", "source", "text"}``; files are canonical JSON
lines (sorted keys), written atomically, so a rebuild is byte-for-byte stable.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from predact_utils import instructions, prompts
from predact_utils.corpora.clean import chunk, dedup, normalize, text_sha
from predact_utils.corpora.io import jsonl_bytes, read_jsonl, sha256_file, write_jsonl
from predact_utils.corpora.manifest import (
    FORMAT,
    TOKEN_PROXY,
    corpora_dir,
    est_tokens,
    load_manifest,
    rel,
    save_manifest,
    table,
)
from predact_utils.corpora.prefixes import make_prefixes
from predact_utils.corpora.registry import SPECS, CorpusSpec, spec
from predact_utils.corpora.splits import SPLIT_SALT, SPLITS, assign_splits
from predact_utils.paths import data_dir

Row = dict[str, str]
#: Corpora whose sources the instruction data (and so ``instruct_heldout``) is built from.
INSTRUCTION_SOURCE_CORPORA = ("gcide", "foldoc", "jargon", "manpages", "python_code", "chatterbot",
                              "perl_pod", "python_docs", "debian_docs")


def clean_docs(name: str, raw: Iterable[dict[str, str]], min_chars: int = 20) -> list[Row]:
    """Normalise, chunk, filter short and deduplicate raw documents; give each a content id."""
    def rows() -> Iterable[Row]:
        for d in raw:
            for i, piece in enumerate(chunk(normalize(d["text"]))):
                piece = piece.strip()
                if len(piece) >= min_chars:
                    src = d["source"] if i == 0 else f"{d['source']}@{i}"
                    yield {"id": f"{name}/{text_sha(piece)[:16]}", "source": src, "text": piece}
    return list(dedup(rows()))


def split_rows(s: CorpusSpec, docs: list[Row]) -> dict[str, list[Row]]:
    """The rows of each split of a corpus (source order kept within a split)."""
    names = assign_splits([d["text"] for d in docs], s.budget, with_train=s.has_train)
    out: dict[str, list[Row]] = {k: [] for k in SPLITS}
    for d, k in zip(docs, names, strict=True):
        out[k].append(d)
    if not s.has_train:
        del out["train"]
    return out


def build_corpus(name: str, heldout_chats: list[dict[str, Any]] | None = None) -> dict[str, list[Row]]:
    """Extract and split one corpus in memory (``instruct_heldout`` needs the held-out chats)."""
    s = spec(name)
    if s.extract is None:
        if heldout_chats is None:
            raise ValueError(f"{name} is built from the held-out instruction chats; pass heldout_chats")
        raw = ({"source": c["id"], "text": instructions.render_chat(c)} for c in heldout_chats)
    else:
        raw = s.extract()
    return split_rows(s, clean_docs(name, raw, s.min_chars))


def split_path(s: CorpusSpec, split: str) -> Path:
    """Where a split is written: committed ``eval/`` for held-out splits of evaluation corpora, else ``build/``."""
    sub = "eval" if s.role == "eval" and split != "train" else "build"
    return corpora_dir() / sub / s.name / f"{split}.jsonl"


def source_versions(s: CorpusSpec) -> dict[str, str]:
    """{package: version} of a corpus' sources (for ``instruct_heldout``: those of the instruction data)."""
    srcs = s.sources or tuple(x for n in INSTRUCTION_SOURCE_CORPORA for x in spec(n).sources)
    return {x.package: x.version() for x in dict.fromkeys(srcs)}


def write_corpus(s: CorpusSpec, splits: dict[str, list[Row]]) -> dict[str, Any]:
    """Write the splits of a corpus; return its manifest entry."""
    entry: dict[str, Any] = {"category": s.category, "role": s.role, "description": s.description,
                             "license": s.license, "sources": source_versions(s), "splits": {}}
    for split, rows in splits.items():
        path = split_path(s, split)
        nbytes = sum(len(r["text"].encode("utf-8")) for r in rows)
        entry["splits"][split] = {"path": rel(path), "docs": len(rows), "bytes": nbytes,
                                  "est_tokens": est_tokens(nbytes), "sha256": write_jsonl(path, rows),
                                  "committed": "/eval/" in str(path)}
    return entry


def heldout_rows(s: CorpusSpec) -> list[Row]:
    """Held-out rows (test, then validation) of a built corpus, read back from disk."""
    rows: list[Row] = []
    for split in ("test", "validation"):
        rows += list(read_jsonl(split_path(s, split)))
    return rows


def main(argv: list[str] | None = None) -> int:
    """CLI: build all (or ``--only``) corpora, then instructions, prefixes and the manifest; print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="corpora to (re)build; default: all")
    ap.add_argument("--check", action="store_true", help="only verify committed files against the manifest")
    args = ap.parse_args(argv)
    from predact_utils.corpora.manifest import verify_committed

    if args.check:
        problems = verify_committed()
        print("\n".join(problems) or "all committed data files match data/corpora/manifest.json")
        return 1 if problems else 0
    t0 = time.time()
    try:
        manifest = load_manifest()
    except FileNotFoundError:
        manifest = {}
    corpora: dict[str, Any] = manifest.get("corpora", {})
    wanted = [s for s in SPECS if args.only is None or s.name in args.only]
    prompt_rows = prompts.load()
    heldout: list[dict[str, Any]] | None = None
    for s in tqdm(wanted, desc="corpora"):
        if s.extract is None:
            info = instructions.build([p["prompt"] for p in prompt_rows])
            heldout = info["heldout"]
            manifest["instructions"] = {f"instructions/{k}": v["sha256"] for k, v in info["files"].items()}
        corpora[s.name] = write_corpus(s, build_corpus(s.name, heldout))
        tqdm.write(f"{s.name:17s} " + "  ".join(f"{k}={v['docs']} docs/{v['bytes'] / 1e6:.2f} MB"
                                                 for k, v in corpora[s.name]["splits"].items()))
    # prefix sets from the 9 evaluation corpora + the 2 prefix corpora
    pref = {}
    for s in tqdm([s for s in SPECS if s.role in ("eval", "prefix")], desc="prefix sets", leave=False):
        path = data_dir() / "prefixes" / f"{s.name}.jsonl"
        pref[rel(path)] = write_jsonl(path, make_prefixes(s.name, s.category, heldout_rows(s)))
    manifest.update({"format": FORMAT, "split_salt": SPLIT_SALT, "token_proxy": TOKEN_PROXY,
                     "corpora": {s.name: corpora[s.name] for s in SPECS if s.name in corpora},
                     "prefixes": pref, "prompts": {"prompts.jsonl": sha256_file(prompts.prompts_path())}})
    save_manifest(manifest)
    print(table(manifest))
    print(f"built in {time.time() - t0:.0f} s")
    return 0


def rebuild_bytes(name: str, heldout_chats: list[dict[str, Any]] | None = None) -> dict[str, bytes]:
    """The bytes each split file of ``name`` would have after a rebuild (used by the reproducibility test)."""
    return {k: jsonl_bytes(v) for k, v in build_corpus(name, heldout_chats).items()}


if __name__ == "__main__":
    sys.exit(main())
