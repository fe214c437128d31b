"""``predact plan``: what a run of the book on a pair will cost, read before starting it.

Per chapter, from the chapter's own settings at the chosen scale and the model's config (never from typed
figures): the tokens generated (an upper bound: every answer at its ``max_new_tokens``), the tokens scored
or read for hidden states, the tokens fine-tuned on, the estimated peak accelerator memory (both models'
weights, plus the chapter's largest batch: a sampling batch's key/value cache, or a fine-tuning's
optimizer states), and a time estimate from measured tokens-per-second figures (``--rates``: the JSON
of ``make gpu-check``; ``--measure``: a short measurement on this machine). Chapters that share cached
generations (the anchor-span and planning chapters reuse the collapse chapter's) count them once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from predact_utils.lm import memory

#: Characters per token when no tokenizer is at hand (English prose in a 32K-token BPE).
CHARS_PER_TOKEN = 4.0


@dataclass(frozen=True)
class ModelShape:
    """What the plan needs of a model: its config, parameter count and compute dtype size."""

    config: Any
    params: int
    dtype_bytes: int = 2

    @property
    def weight_bytes(self) -> int:
        return memory.weight_bytes(self.params, self.dtype_bytes)


@dataclass(frozen=True)
class ChapterLoad:
    """One chapter's work for one pair."""

    chapter: str
    generated: int = 0
    scored: int = 0
    trained: int = 0
    batch_bytes: int = 0  # the largest batch beyond the weights
    note: str = ""


def shape_of(config: Any, dtype_bytes: int = 2) -> ModelShape:
    """A config's exact parameter count (the model built on the meta device: no memory, no weights)."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return ModelShape(config, int(sum(p.numel() for p in model.parameters())), dtype_bytes)


def gpus_needed(shape: ModelShape, gpu_gib: float) -> int:
    """Accelerators of ``gpu_gib`` that hold both models' weights within their weight share
    (:data:`predact_utils.lm.memory.WEIGHT_SHARE`), the rest left for caches."""
    return max(1, math.ceil(2 * shape.weight_bytes / (memory.WEIGHT_SHARE * gpu_gib * 2**30)))


def sampling_batch_bytes(shape: ModelShape, rows: int, length: int) -> int:
    """Key/value cache and one step's logits of a sampling batch of ``rows`` rows of ``length`` tokens."""
    return rows * memory.kv_bytes_per_token(shape.config, shape.dtype_bytes) * length + memory.logits_bytes(
        shape.config, rows)


def finetune_bytes(shape: ModelShape, method: str, lora_rank: int = 16) -> int:
    """Fine-tuning memory beyond the loaded weights: full (float32 weights, gradients and two AdamW moments,
    16 bytes per parameter) or LoRA (adapters on every linear layer, ~2 x rank x width per matrix, 16 bytes
    per trained parameter)."""
    if method == "full":
        return 16 * shape.params
    from predact_utils.lm.modelconfig import decoder_config

    cfg = decoder_config(shape.config)
    d, ffn = cfg.hidden_size, cfg.intermediate_size
    head_dim = getattr(cfg, "head_dim", None) or d // cfg.num_attention_heads
    kv = (getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads) * head_dim
    # rank x (in + out) per adapted matrix: q, k, v, o, then gate, up, down
    per_layer = lora_rank * ((d + d) + 2 * (d + kv) + (d + d) + 3 * (d + ffn))
    return 16 * per_layer * cfg.num_hidden_layers


def chapter_loads(scale: str, shape: ModelShape, prompt_tokens: int, gpu_bytes: int,
                  corpus_tokens: Mapping[str, int] | None = None) -> list[ChapterLoad]:
    """The work of every chapter for one pair at ``scale``, from the chapters' settings.

    ``prompt_tokens``: the mean prompt length in the pair's tokens (chat template included);
    ``corpus_tokens``: the tokens of each evaluation corpus' test sample (Fig. 2A); ``gpu_bytes``: the
    accelerator memory the batches are sized for (sampling rows from what the weights leave free)."""
    from predact_utils.chapters import anchors, collapse, explorer, frontier, planning, worldmodel

    values = {"scale": scale}
    free = max(1, gpu_bytes - 2 * shape.weight_bytes)
    out = []

    w = worldmodel.Settings.from_values(values)
    corpora = dict(corpus_tokens or {})
    scored = 2 * 2 * sum(corpora.values())  # two models; windows of stride W/2 read each token twice
    b = w.finetune_budget()
    method = b.method_for(shape.params)
    trained = 2 * len(corpora) * b.steps * b.batch * b.block
    out.append(ChapterLoad("02_world_modeling", scored=scored, trained=trained,
                           batch_bytes=finetune_bytes(shape, method, b.lora_rank),
                           note=f"Fig. 2B: {method} fine-tuning, {len(corpora)} corpora x 2 models"))

    c = collapse.Settings.from_values(values)
    n_prompts = c.n_prompts or 80
    answer = prompt_tokens + c.max_new_tokens
    generated = 2 * n_prompts * c.n_samples * c.max_new_tokens
    prefixes = 2 * 3 * c.n_prefixes * c.prefix_samples * c.prefix_tokens  # three prefix sets
    scored = 2 * 2 * n_prompts * c.scored_samples * answer + 2 * 9 * c.gold_docs * c.gold_tokens + 2 * prefixes
    rows = memory.rows_that_fit(free, shape.config, shape.dtype_bytes, answer)
    out.append(ChapterLoad("03_distribution_collapse", generated=generated + prefixes, scored=scored,
                           batch_bytes=sampling_batch_bytes(shape, rows, answer),
                           note=f"{rows} sampling rows per batch"))

    a = anchors.Settings.from_values(values)
    shared = (a.n_samples, a.max_new_tokens, a.top_p) == (c.n_samples, c.max_new_tokens, c.top_p)
    out.append(ChapterLoad("04_anchor_spans", generated=0 if shared else 2 * n_prompts * a.samples_used * a.max_new_tokens,
                           note="generations shared with 03 (cache)" if shared else "own generations"))

    p = planning.Settings.from_values(values)
    hidden = 2 * (p.n_prompts * p.probe_samples * (prompt_tokens + p.max_new_tokens) + 9 * p.gold_docs * p.gold_tokens)
    shared_p = (p.n_samples, p.max_new_tokens, p.top_p) == (c.n_samples, c.max_new_tokens, c.top_p)
    gen_p = 0 if shared_p else 2 * p.n_prompts * p.n_samples * p.max_new_tokens
    out.append(ChapterLoad("05_planning_ahead", generated=gen_p, scored=hidden,
                           note="hidden states of the probed layers; probes fit on the device"))

    f = frontier.Settings.from_values(values)
    points = int(round(1 / f.grid_step)) + 1
    f_answer = prompt_tokens + f.max_new_tokens
    out.append(ChapterLoad("06_tradeoff_frontier", generated=points * f.n_prompts * f.n_samples * f.max_new_tokens,
                           scored=points * (9 * f.gold_docs * f.gold_tokens + f.n_prompts * f.reward_per_prompt * f_answer),
                           note=f"{points} interpolation points"))

    out.append(ChapterLoad("09_model_organism", note="its own tiny models on the CPU; the pair is not used"))

    e = explorer.Settings.from_values(values)
    grid = len([t for t in e.temperatures.split(";") if t.strip()]) * len([t for t in e.top_ps.split(";") if t.strip()])
    n_ids = len([t for t in e.prompt_ids.split(";") if t.strip()])
    new = min(e.max_new_tokens, 24) if e.smoke else e.max_new_tokens
    out.append(ChapterLoad("08_sampling_explorer", generated=2 * grid * n_ids * e.n_samples * new,
                           note=f"{grid} sampling settings x {n_ids} prompts"))
    return out


def plan_table(loads: list[ChapterLoad], shape: ModelShape, rates: Mapping[str, float] | None) -> list[dict[str, Any]]:
    """Rows of the printed plan: tokens, peak memory (both weights plus the chapter's largest batch), time."""
    rows = []
    for ld in loads:
        seconds = math.nan
        if rates:
            seconds = (ld.generated / rates["sampling_tokens_per_s"] + ld.scored / rates["scoring_tokens_per_s"]
                       + 3 * ld.trained / rates["scoring_tokens_per_s"])  # a training token: forward + backward
        rows.append({"chapter": ld.chapter, "generated tokens": ld.generated, "scored tokens": ld.scored,
                     "fine-tuned tokens": ld.trained,
                     "peak GiB": round((2 * shape.weight_bytes + ld.batch_bytes) / 2**30, 1),
                     "minutes": round(seconds / 60, 1) if math.isfinite(seconds) else "n/a", "note": ld.note})
    return rows


def read_rates(path: Path) -> dict[str, float]:
    """Tokens per second of sampling and scoring from ``make gpu-check``'s JSON (its 7B-shape check)."""
    data = json.loads(Path(path).read_text())
    part = data.get("llama2_7b_shape", data)
    try:
        return {k: float(part[k]) for k in ("sampling_tokens_per_s", "scoring_tokens_per_s")}
    except KeyError as err:
        raise ValueError(f"{path} has no {err.args[0]!r}; pass the JSON that `make gpu-check` writes") from err


class Inputs(NamedTuple):
    """What the plan reads of a pair: the aligned model's shape, the mean prompt length and each Fig. 2A test
    sample's tokens, and how they were obtained when not from the model's own files."""

    shape: ModelShape
    prompt_tokens: int
    corpus_tokens: dict[str, int]
    note: str = ""


def inputs_for(pair: str, dtype_bytes: int = 2, scale: str = "full") -> Inputs:
    """The plan's inputs for a pair: the aligned model's shape (from its config), the mean prompt length in
    its tokens (chat template applied), and the tokens of each Fig. 2A test sample. Reads config and
    tokenizer files only (offline unless downloads are allowed); where they are not here, a shipped config
    snapshot (:func:`config_snapshot`) with token counts from characters, said in ``note``."""
    from transformers import AutoConfig, AutoTokenizer

    import predact_utils.data.corpora as corpora
    from predact_utils.chapters import worldmodel
    from predact_utils.data import prompts as prompt_data
    from predact_utils.lm.chat import encode_prompts
    from predact_utils.lm.models import ModelNotAvailableError, resolve_location
    from predact_utils.lm.registry import resolve_pair

    spec = resolve_pair(pair)
    w = worldmodel.Settings.from_values({"scale": scale})
    samples = {c: corpora.sample_texts(c, "test", max_docs=w.max_docs, max_chars=w.max_corpus_chars,
                                       max_doc_chars=w.max_doc_chars, seed=w.seed)
               for c in corpora.select_eval(w.corpus_names, smoke=w.smoke)}
    prompts = [r["prompt"] for r in prompt_data.load()]
    try:
        location, _, local_only = resolve_location(spec.aligned_location())
    except ModelNotAvailableError as err:
        snapshot = config_snapshot(spec.aligned)
        if snapshot is None:
            raise SystemExit(f"the plan needs the config and tokenizer of {spec.aligned!r}, which are not on this "
                             "machine; on a machine with hub access run it with PREDACT_ALLOW_DOWNLOAD=1 (only "
                             f"config.json and the tokenizer files are fetched, not the weights). ({err})") from err
        # no tokenizer either: token counts from characters (the chat template's few tokens left out)
        prompt_tokens = int(round(sum(len(p) for p in prompts) / len(prompts) / CHARS_PER_TOKEN))
        corpus_tokens = {c: int(round(sum(map(len, t)) / CHARS_PER_TOKEN)) for c, t in samples.items()}
        note = (f"{spec.aligned}'s files are not on this machine: its shape comes from the config snapshot "
                f"{snapshot.name} and token counts from {CHARS_PER_TOKEN:g} characters per token")
        return Inputs(shape_of(AutoConfig.for_model(**json.loads(snapshot.read_text())), dtype_bytes),
                      prompt_tokens, corpus_tokens, note)
    config = AutoConfig.from_pretrained(location, local_files_only=local_only)
    tok = AutoTokenizer.from_pretrained(location, local_files_only=local_only)
    if spec.template_text and not getattr(tok, "chat_template", None):
        tok.chat_template = spec.template_text
    ids = encode_prompts(tok, prompts, "aligned")
    prompt_tokens = int(round(sum(map(len, ids)) / len(ids)))
    corpus_tokens = {c: sum(len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts)
                     for c, texts in samples.items()}
    return Inputs(shape_of(config, dtype_bytes), prompt_tokens, corpus_tokens)


#: The shipped config snapshots (shape fields of published configs) the plan falls back on offline.
CONFIG_SNAPSHOTS = Path(__file__).resolve().parent.parent / "lm" / "configs"


def config_snapshot(model_id: str) -> Path | None:
    """The shipped config snapshot of a hub id (``org/name`` -> ``configs/org--name.json``), or None."""
    path = CONFIG_SNAPSHOTS / f"{model_id.replace('/', '--')}.json"
    return path if path.is_file() else None


def measure_rates(pair: str, n_prompts: int = 4, n_samples: int = 8, new_tokens: int = 32) -> dict[str, float]:
    """Tokens per second of the book's sampler and scorer with the pair's Base model on this machine (a short
    run: ``n_prompts`` x ``n_samples`` answers of ``new_tokens`` tokens, then scoring them)."""
    import time

    from predact_utils.data import prompts as prompt_data
    from predact_utils.lm.chat import encode_prompts, stop_token_ids
    from predact_utils.lm.models import load_model
    from predact_utils.lm.registry import resolve_pair
    from predact_utils.lm.sampling import SamplingParams, sample_ids
    from predact_utils.lm.scoring import token_logprobs

    lm = load_model(resolve_pair(pair).base_location())
    ids = encode_prompts(lm.tokenizer, [r["prompt"] for r in prompt_data.load()[:n_prompts]], "base")
    t0 = time.perf_counter()
    out = sample_ids(lm.model, ids, SamplingParams(n=n_samples, max_new_tokens=new_tokens, seed=0),
                     stop_token_ids(lm.tokenizer, lm.model), progress=False)
    t_sample = time.perf_counter() - t0
    seqs = [list(p) + g for p, per in zip(ids, out, strict=True) for g, _ in per]
    t0 = time.perf_counter()
    scores = token_logprobs(lm.model, seqs, progress=False)
    t_score = time.perf_counter() - t0
    return {"sampling_tokens_per_s": sum(len(g) for per in out for g, _ in per) / t_sample,
            "scoring_tokens_per_s": sum(sc.n_scored for sc in scores) / t_score}

