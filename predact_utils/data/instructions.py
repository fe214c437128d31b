"""Instruction chats and DPO preference pairs for the miniature aligned model (book section: Models / Fig. 2).

Recipe (also in ``data/instructions/README.md``):

* **Chats** (``messages`` = list of ``{"role", "content"}``, user then assistant):
  - real FAQ pairs: perlfaq1-9, the Python FAQ, the Debian FAQ (question -> answer);
  - chatterbot-corpus conversations (first question -> first answer);
  - templates over real reference text: a GCIDE/FOLDOC/Jargon entry answers
    "What does the word 'X' mean?" / "What does X mean?"; a man page's NAME line
    and first DESCRIPTION paragraphs answer "What does the X command do?"; a
    standard-library docstring's first paragraph answers "What does `module.func` do?".
  Templated items are a deterministic, hash-ordered sample (:data:`TEMPLATE_COUNTS`); answers longer than
  :data:`MAX_ANSWER_CHARS` are cut at a paragraph (or sentence) boundary.
  Any chat whose question equals a generation prompt, or whose templated term
  (word, command, function) occurs in a generation prompt, is dropped.
* **Split**: held out when the hash of the question falls in the first
  :data:`HELDOUT_FRACTION` of the range; held-out chats feed the
  ``instruct_heldout`` evaluation corpus.
* **Preference pairs** (trl conversational format ``prompt``/``chosen``/``rejected``):
  chosen = the real answer; rejected, chosen by hash among three strategies:
  ``other_answer`` (the answer to a different question of the same kind),
  ``off_topic`` (an answer of a different kind), ``truncated`` (the real answer
  cut after its first ~30% of words, mid-sentence). Pairs are made for a
  hash-ordered sample of :data:`N_PAIRS` chats per split.
* **Clean answers, no leakage**: source metadata is stripped from reference answers
  (:mod:`predact_utils.data.answers`), short templated answers are left out, and every training chat and
  pair that shares a 13-word run with an evaluation split is dropped (:mod:`predact_utils.data.decontam`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from predact_utils.data.answers import clean_answer, word_count
from predact_utils.data.corpora.io import read_jsonl, write_jsonl
from predact_utils.data.corpora.splits import split_score, train_heldout
from predact_utils.data.decontam import EvalIndex, document_key
from predact_utils.data.prompts import normalize_question
from predact_utils.paths import data_dir

SALT = "predact-instructions-v1"
HELDOUT_FRACTION = 0.35
#: Answers are cut at a paragraph boundary below this length (FAQ answers are long-form; keep most of them).
MAX_ANSWER_CHARS = 3000
#: Templated reference answers shorter than this (words, after the metadata is stripped) are left out:
#: the sources hold far more entries than the data needs, so the build prefers the long-form ones.
MIN_TEMPLATED_WORDS = 25
#: Kinds whose answers are templated reference text (the length floor applies to them).
TEMPLATED_KINDS = ("gcide", "foldoc", "jargon", "man", "docstring")
#: How many templated chats to take per kind (hash-ordered sample).
TEMPLATE_COUNTS: dict[str, int] = {"gcide": 3000, "foldoc": 3500, "jargon": 1200, "man": 800, "docstring": 3000}
#: How many preference pairs to keep per split (hash-ordered sample of the chats).
N_PAIRS: dict[str, int] = {"train": 3000, "heldout": 1000}
REJECTIONS: tuple[str, ...] = ("other_answer", "off_topic", "truncated")
Chat = dict[str, Any]


def instructions_dir() -> Path:
    """``data/instructions``."""
    return data_dir() / "instructions"


def cap_answer(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """Cut an answer to at most ``limit`` characters at a paragraph, else sentence, boundary."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit)
    if cut < limit // 3:
        cut = max(text.rfind(". ", 0, limit) + 1, limit // 3)
    return text[:cut].strip()


def chat(source: str, kind: str, question: str, answer: str, term: str = "") -> Chat:
    """One single-turn chat record, its answer stripped of source metadata and capped in length."""
    q, a = " ".join(question.split()), cap_answer(clean_answer(kind, answer, term))
    return {"id": f"{kind}-{split_score(q + chr(0) + a, SALT):016x}", "source": source, "kind": kind,
            "term": term, "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}


def sample(items: Sequence[Any], n: int, key: Callable[[Any], str]) -> list[Any]:
    """The ``n`` items with the lowest hash score of ``key(item)`` (a deterministic sample)."""
    return sorted(items, key=lambda it: (split_score(key(it), SALT), key(it)))[:n]


def templated_dictionary(entries: Sequence[Any], kind: str, n: int, word_question: bool,
                         min_words: int = MIN_TEMPLATED_WORDS) -> list[Chat]:
    """"What does X mean?" chats answered by dictionary entries (``Entry`` objects) of at least ``min_words``
    words once their metadata is stripped."""
    ok = [e for e in entries if re.fullmatch(r"[A-Za-z][A-Za-z' -]{1,40}", e.headwords[0]) and len(e.text) > 60
          and word_count(clean_answer(kind, e.text, e.headwords[0])) >= min_words]
    out = []
    for e in sample(ok, n, lambda e: e.headwords[0]):
        first_line = e.text.split("\n", 1)[0].strip()
        w = first_line if first_line.lower() == e.headwords[0].lower() else e.headwords[0]  # keep the entry's case
        q = f"What does the word '{w}' mean?" if word_question else f"What does {w} mean?"
        out.append(chat(f"{kind}/{w}", kind, q, e.text, term=w))
    return out


def templated_man(pages: Sequence[tuple[str, str]], n: int, min_words: int = MIN_TEMPLATED_WORDS) -> list[Chat]:
    """"What does the X command do?" chats answered by NAME + DESCRIPTION of section-1/8 pages."""
    from predact_utils.data.corpora.extract_man import describe

    cands = []
    for source, text in pages:
        if not re.search(r"/man[18]/", source):
            continue
        d = describe(text)
        if d and d[2] and re.fullmatch(r"[\w.+-]+", d[0][0]):
            names, summary, desc = d
            answer = f"{names[0]} - {summary}\n\n{desc}"
            if word_count(answer) >= min_words:
                cands.append((source, names[0], answer))
    return [chat(s, "man", f"What does the {name} command do?", a, term=name)
            for s, name, a in sample(cands, n, lambda c: c[1])]


def templated_docstrings(items: Sequence[tuple[str, str]], n: int, min_words: int = MIN_TEMPLATED_WORDS) -> list[Chat]:
    """"What does `module.func` do?" chats answered by the docstring's first paragraph."""
    ok = [(q, d) for q, d in items if not any(p.startswith("_") for p in q.split(".")) and len(d) > 40
          and word_count(d) >= min_words]
    return [chat(f"python-stdlib/{q}", "docstring", f"What does `{q}` do?", d, term=q.rsplit(".", 1)[1])
            for q, d in sample(ok, n, lambda it: it[0])]


def faq_chats(pairs: Sequence[Any]) -> list[Chat]:
    """Chats from real FAQ pairs (``QA`` objects)."""
    return [chat(p.source, "faq", p.question, p.answer) for p in pairs]


def chatterbot_chats(conversations: Sequence[tuple[str, list[str]]]) -> list[Chat]:
    """Chats from chatterbot conversations (first question, first answer)."""
    return [chat(f"chatterbot/{topic}", "chatterbot", turns[0], turns[1]) for topic, turns in conversations]


def exclude_prompts(chats: Sequence[Chat], prompts: Sequence[str]) -> list[Chat]:
    """Drop chats whose question equals a prompt, or whose templated term is a word of a prompt."""
    qs = {normalize_question(p) for p in prompts}
    words = {w for p in prompts for w in normalize_question(p).replace("'", " ").split()}
    return [c for c in chats if normalize_question(c["messages"][0]["content"]) not in qs
            and not (c["term"] and c["term"].lower() in words)]


def dedup_chats(chats: Sequence[Chat]) -> list[Chat]:
    """Keep the first chat of each (normalised) question, sorted by id for a stable order."""
    seen: set[str] = set()
    out = []
    for c in chats:
        k = normalize_question(c["messages"][0]["content"])
        if k not in seen and c["messages"][1]["content"]:
            seen.add(k)
            out.append(c)
    return sorted(out, key=lambda c: c["id"])


def split(chats: Sequence[Chat]) -> tuple[list[Chat], list[Chat]]:
    """(train, heldout) by the hash of the question."""
    flags = train_heldout([c["messages"][0]["content"] for c in chats], HELDOUT_FRACTION, SALT + "/split")
    return [c for c, h in zip(chats, flags, strict=True) if not h], [c for c, h in zip(chats, flags, strict=True) if h]


def chat_text(c: Chat) -> str:
    """Every turn of a chat (what a training stage reads)."""
    return "\n".join(m["content"] for m in c["messages"])


def pair_text(p: dict[str, Any]) -> str:
    """Prompt, chosen and rejected answer of a preference pair."""
    return "\n".join(m["content"] for k in ("prompt", "chosen", "rejected") for m in p[k])


def decontaminate(rows: Sequence[Any], index: EvalIndex, text: Callable[[Any], str]) -> tuple[list[Any], int]:
    """(rows that share no word run with the index, how many were dropped)."""
    kept = [r for r in rows if not index.shares_run(text(r))]
    return kept, len(rows) - len(kept)


def truncate(answer: str, fraction: float = 0.3) -> str:
    """The first ``fraction`` of an answer's words (at least 3), cut mid-sentence."""
    words = answer.split()
    return " ".join(words[: max(3, int(len(words) * fraction))])


def preference_pairs(chats: Sequence[Chat], n: int | None = None) -> list[dict[str, Any]]:
    """DPO pairs (trl conversational format) from single-turn chats; see the module docstring.

    With ``n``, only the chats of a hash-ordered sample of ``n`` get a pair (the
    pools of rejected answers still use all chats).
    """
    chosen_ids = {c["id"] for c in sample(chats, n, lambda c: c["id"])} if n is not None else None
    by_kind: dict[str, list[Chat]] = {}
    for c in chats:
        by_kind.setdefault(c["kind"], []).append(c)
    kinds = sorted(by_kind)
    out = []
    for c in chats:
        if chosen_ids is not None and c["id"] not in chosen_ids:
            continue
        q, a = c["messages"][0]["content"], c["messages"][1]["content"]
        s = split_score(c["id"], SALT + "/pref")
        how = REJECTIONS[s % len(REJECTIONS)]
        if how == "truncated" and len(a.split()) < 12:
            how = "other_answer"
        if how == "off_topic" and len(kinds) < 2:
            how = "other_answer"
        if how == "truncated":
            rejected = truncate(a)
        else:
            if how == "off_topic":
                others = [k for k in kinds if k != c["kind"]]
                pool = by_kind[others[(s >> 8) % len(others)]]
            else:
                pool = by_kind[c["kind"]]
            rejected = a
            for step in range(len(pool)):
                cand = pool[((s >> 16) + step) % len(pool)]["messages"][1]["content"]
                if cand != a:
                    rejected = cand
                    break
            if rejected == a:
                how, rejected = "truncated", truncate(a)
        out.append({"id": c["id"], "kind": c["kind"], "rejection": how,
                    "prompt": [{"role": "user", "content": q}],
                    "chosen": [{"role": "assistant", "content": a}],
                    "rejected": [{"role": "assistant", "content": rejected}]})
    return out


def answer_tokens(turns: Sequence[dict[str, str]], tokenizer: Any) -> int:
    """Tokens of the last turn's text alone (no special tokens): an answer's length in ``tokenizer``'s tokens."""
    return len(tokenizer(turns[-1]["content"], add_special_tokens=False)["input_ids"])


def render_chat(c: Chat) -> str:
    """Plain-text rendering of a chat (``User: ...`` / ``Assistant: ...``) for the evaluation corpus."""
    return "\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in c["messages"])


def build(prompts: Sequence[str], out_dir: Path | None = None, index: EvalIndex | None = None,
          pretraining: set[str] | None = None) -> dict[str, Any]:
    """Extract every source, write the chat and preference files, return their stats, the held-out chats and
    how many rows each filter dropped.

    ``index`` holds the word runs of every evaluation split; the held-out chats (the ``instruct_heldout``
    corpus) are added to it, and every training chat and preference pair that shares a run is dropped.
    ``pretraining`` holds the :func:`~predact_utils.data.decontam.document_key` of every pre-training
    document; a held-out chat whose rendering is one of them is dropped, so the Base models never saw an
    evaluation document."""
    from predact_utils.data.corpora import extract_code, extract_dialogue, extract_dictd, extract_man

    chats: list[Chat] = []
    steps = ["faq", "chatterbot", "gcide", "foldoc", "jargon", "man", "docstring"]
    for step in tqdm(steps, desc="instruction sources", leave=False):
        if step == "faq":
            chats += faq_chats(extract_dialogue.faq_pairs())
        elif step == "chatterbot":
            chats += chatterbot_chats(extract_dialogue.chatterbot_conversations())
        elif step in ("gcide", "foldoc", "jargon"):
            pkg = f"dict-{step}"
            d = extract_dictd.DICTD_DIR
            entries = extract_dictd.read_dictd(d / f"{step}.dict.dz", d / f"{step}.index", pkg)
            chats += templated_dictionary(entries, step, TEMPLATE_COUNTS[step], word_question=step == "gcide")
        elif step == "man":
            pages = [(doc["source"], doc["text"]) for doc in extract_man.manpages()]
            chats += templated_man(pages, TEMPLATE_COUNTS["man"])
        else:
            items = [it for f in extract_code.stdlib_files()
                     for it in extract_code.docstrings(f.read_text(encoding="utf-8", errors="replace"),
                                                       extract_code.module_name(f))]
            chats += templated_docstrings(items, TEMPLATE_COUNTS["docstring"])
    n_all = len(chats)
    kept = exclude_prompts(chats, prompts)
    dropped = {"generation_prompts": n_all - len(kept)}
    chats = dedup_chats(kept)
    dropped["duplicate_questions_or_empty_answers"] = len(kept) - len(chats)
    train, heldout = split(chats)
    if pretraining:
        kept_heldout = [c for c in heldout if document_key(render_chat(c)) not in pretraining]
        dropped["heldout_chats_that_are_pretraining_documents"] = len(heldout) - len(kept_heldout)
        heldout = kept_heldout
    index = index if index is not None else EvalIndex()
    index.add(render_chat(c) for c in heldout)
    train, dropped["train_chats_sharing_a_13_word_run"] = decontaminate(train, index, chat_text)
    pairs, dropped["preference_pairs_sharing_a_13_word_run"] = decontaminate(
        preference_pairs(train, N_PAIRS["train"]), index, pair_text)
    out = out_dir or instructions_dir()
    files = {"train.jsonl": train, "heldout.jsonl": heldout, "preferences_train.jsonl": pairs,
             "preferences_heldout.jsonl": preference_pairs(heldout, N_PAIRS["heldout"])}
    stats = {name: {"rows": len(rows), "sha256": write_jsonl(out / name, rows)} for name, rows in files.items()}
    return {"files": stats, "heldout": heldout, "dropped": dropped, "lengths": length_table(train)}


def length_table(chats: Sequence[Chat]) -> dict[str, dict[str, float]]:
    """Answer lengths in words per kind and overall: count, median, share of 100 words or more."""
    import numpy as np

    by: dict[str, list[int]] = {}
    for c in chats:
        n = word_count(c["messages"][-1]["content"])
        by.setdefault(c["kind"], []).append(n)
        by.setdefault("all", []).append(n)
    return {k: {"chats": len(v), "median_words": float(np.median(v)), "share_100_words": round(
        float(np.mean(np.asarray(v) >= 100)), 4)} for k, v in sorted(by.items())}


def load(split_name: str = "train") -> Any:
    """Chats of ``train`` or ``heldout`` as a ``datasets.Dataset`` (columns id, source, kind, term, messages)."""
    import datasets

    if split_name not in ("train", "heldout"):
        raise ValueError(f"split must be 'train' or 'heldout', got {split_name!r}")
    path = instructions_dir() / f"{split_name}.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run `make data` (or git checkout data/instructions)")
    return datasets.Dataset.from_list(list(read_jsonl(path)))


def load_preferences(split_name: str = "train", with_meta: bool = False) -> Any:
    """DPO pairs as a ``datasets.Dataset`` with ``prompt``/``chosen``/``rejected`` (plus id/kind/rejection)."""
    import datasets

    if split_name not in ("train", "heldout"):
        raise ValueError(f"split must be 'train' or 'heldout', got {split_name!r}")
    path = instructions_dir() / f"preferences_{split_name}.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run `make data` (or git checkout data/instructions)")
    rows = list(read_jsonl(path))
    if not with_meta:
        rows = [{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in rows]
    return datasets.Dataset.from_list(rows)
