"""Build every corpus, the instruction data, the prefix sets and the manifest: ``python -m predact_utils.data.build``.

Book section: Data. Run by ``make data`` after the sources are installed.
The top of the data wing: it calls the corpus steps (:mod:`predact_utils.data.corpora.build`), the
instruction data (:mod:`predact_utils.data.instructions`) and the prompts (:mod:`predact_utils.data.prompts`).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tqdm.auto import tqdm

from predact_utils.data import decontam, instructions, prompts
from predact_utils.data.corpora.build import Row, build_corpus, heldout_rows, split_path, write_corpus
from predact_utils.data.corpora.io import read_jsonl, sha256_file, write_jsonl
from predact_utils.data.corpora.manifest import FORMAT, TOKEN_PROXY, load_manifest, rel, save_manifest, table
from predact_utils.data.corpora.prefixes import make_prefixes
from predact_utils.data.corpora.registry import SPECS
from predact_utils.data.corpora.splits import SPLIT_SALT
from predact_utils.paths import data_dir


def heldout_docs(chats: list[dict[str, Any]] | None) -> list[Row] | None:
    """The held-out instruction chats as corpus documents (``instruct_heldout``), or None."""
    if chats is None:
        return None
    return [{"source": c["id"], "text": instructions.render_chat(c)} for c in chats]


def build_instructions(prompt_texts: list[str], out_dir: Any = None) -> dict[str, Any]:
    """The instruction chats and preference pairs, decontaminated against every held-out split of the
    corpora built from sources and against the pre-training documents (:func:`instructions.build`)."""
    index = decontam.EvalIndex().add(r["text"] for e in SPECS if e.role in ("eval", "prefix")
                                      and e.extract is not None for r in heldout_rows(e))
    return instructions.build(prompt_texts, out_dir=out_dir, index=index, pretraining=pretraining_documents())


def pretraining_documents() -> set[str]:
    """Keys of every document of the training splits (what the Base models are pre-trained on)."""
    keys = set()
    for s in SPECS:
        if s.has_train:
            path = split_path(s, "train")
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing: build every corpus (`make data`) before the "
                                        "instruction data, which must not hold a pre-training document")
            keys |= {decontam.document_key(r["text"]) for r in read_jsonl(path)}
    return keys


def main(argv: list[str] | None = None) -> int:
    """CLI: build all (or ``--only``) corpora, then instructions, prefixes and the manifest; print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="corpora to (re)build; default: all")
    ap.add_argument("--check", action="store_true", help="only verify committed files against the manifest")
    args = ap.parse_args(argv)
    from predact_utils.data.corpora.manifest import verify_committed

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
    # every corpus first, then the instruction data (decontaminated against all their held-out splits),
    # then the corpus built from the held-out chats
    for s in tqdm(sorted(wanted, key=lambda s: s.extract is None), desc="corpora"):
        if s.extract is None:
            info = build_instructions([p["prompt"] for p in prompt_rows])
            heldout = info["heldout"]
            manifest["instructions"] = {f"instructions/{k}": v["sha256"] for k, v in info["files"].items()}
            manifest["instruction_filters"] = {"dropped_rows": info["dropped"], "answer_words": info["lengths"]}
        corpora[s.name] = write_corpus(s, build_corpus(s.name, heldout_docs(heldout)))
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


if __name__ == "__main__":
    sys.exit(main())
