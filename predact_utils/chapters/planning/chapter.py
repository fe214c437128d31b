"""Chapter 05, planning ahead in hidden states: the settings, and the whole pipeline of the page.

:func:`run` samples (or reads from the artifact cache) each model's answers to the book's prompts,
probes the hidden states of its own generations and of gold text for the token ``k`` positions ahead
(:mod:`predact_utils.chapters.planning.probing`), compares the two models' information gains, and runs
the sequence-level plan probe on the state after the prompt
(:mod:`predact_utils.chapters.planning.plan_probe`), whose target spans come from chapter 04's
alignments. What the page shows is in :mod:`predact_utils.chapters.planning.page`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from predact_utils.runs.generations import PromptChapterSettings
from predact_utils.seeding import seed_everything
from predact_utils.settings import PAIRS_KIND, param

from .probing import parse_ints

if TYPE_CHECKING:
    from predact_utils.lm.registry import PairSpec, StageSides

    from .probing import ProbeRun

#: The two models of the pair.
ROLES: tuple[str, ...] = ("base", "aligned")
#: The two text sources every probe is run on, in the page's order, with their glue tags.
SOURCES: tuple[tuple[str, str], ...] = (("own generations", "own"), ("gold text", "gold"))


@dataclass(frozen=True)
class Settings(PromptChapterSettings):
    """Every parameter of the planning-ahead notebook (the literals of its parameters cell)."""

    pair: Any = param("mini-m-rlhf;mini-m-sft;mini-s-dpo", PAIRS_KIND,
                      doc="pairs: the first built one is the page's, the other built ones fill the stage table "
                          "(gold-text probe at the curve layer)")
    smoke_pair: Any = param("mini-s-dpo", PAIRS_KIND, doc="the pair list used instead at smoke scale")
    layers: str = param("all", str, smoke="0,-1", doc="probed layers: 'all' or comma-separated indices")
    offsets: str = param("1,2,3,4,6,8,12,16", str, doc="offsets k of the probed tokens, comma-separated")
    curve_layer: int = param(-1, int, doc="the layer of the curves and of the plan probe (among `layers`)")
    probe_top_n: int = param(127, int, minimum=1, doc="label space: the most frequent target tokens")
    probe_l2: float = param(0.001, float, minimum=0.0, doc="L2 penalty of the softmax probe")
    probe_max_iter: int = param(50, int, minimum=1, smoke=15, doc="L-BFGS iterations of the probe")
    max_train_positions: int = param(10000, int, minimum=100, smoke=2000,
                                     doc="training positions per probe (subsampled)")
    test_fraction: float = param(0.2, float, minimum=0.01, maximum=0.9, doc="held-out share of sequences")
    split_by: str = param("prompt", str, choices=("prompt", "sequence"),
                          doc="train/test split of generations: by prompt or by sequence")
    n_prompts: int = param(80, int, minimum=3, smoke=4, doc="prompts of the shared generations")

    n_samples: int = param(100, int, minimum=1, smoke=4, doc="shared generations per prompt")
    n_probe_samples: int = param(8, int, minimum=1, smoke=4, doc="generations per prompt that are probed")
    max_new_tokens: int = param(128, int, minimum=1, smoke=24, doc="tokens per generation")
    top_p: float = param(0.9, float, minimum=0.0, maximum=1.0, doc="nucleus sampling mass")
    temperature: float = param(1.0, float, minimum=0.0, doc="sampling temperature")
    gold_docs: int = param(20, int, minimum=1, smoke=1, doc="test documents per evaluation corpus")
    gold_tokens: int = param(128, int, minimum=8, smoke=32, doc="tokens of each gold document")
    plan_spans: str = param("anchor", str, choices=("anchor", "ngram"),
                            doc="targets of the plan probe: anchor spans or frequent n-grams")
    anchor_threshold: float = param(0.5, float, minimum=0.01, maximum=1.0, doc="anchor-column threshold")
    plan_min_tokens: int = param(2, int, minimum=1, doc="shortest anchor span")
    mafft_options: str = param("--retree 2 --maxiterate 0", str, doc="MAFFT options (shared with chapter 04)")
    mafft_timeout: float = param(300, float, minimum=1.0, doc="seconds per MAFFT alignment")
    mafft_overflow: int = param(32, int, minimum=0, doc="MAFFT's overflow symbols (shared with chapter 04)")
    plan_ngram: int = param(4, int, minimum=1, doc="n of the n-gram targets")
    plan_min_share: float = param(0.2, float, minimum=0.0, maximum=1.0,
                                  doc="least share of generations that contain a target span")
    plan_max_share: float = param(0.8, float, minimum=0.0, maximum=1.0,
                                  doc="largest share of generations that contain a target span")
    plan_max_spans: int = param(20, int, minimum=1, doc="target spans per prompt")
    n_boot: int = param(1000, int, minimum=10, smoke=100, doc="bootstrap draws of every interval")


    @property
    def pairs(self) -> Any:
        """The pair list of this run (``smoke_pair`` at smoke scale)."""
        return self.smoke_pair if self.smoke else self.pair

    @property
    def offset_list(self) -> list[int]:
        """The offsets ``k`` as integers."""
        return parse_ints(self.offsets, "offsets")

    @property
    def ks_ahead(self) -> list[int]:
        """The offsets ``k >= 2`` (all of them if none is): the comparison's average."""
        return [k for k in self.offset_list if k >= 2] or self.offset_list

    @property
    def k_show(self) -> int:
        """The offset the prose quotes: 4, or the largest offset when 4 is not probed."""
        return 4 if 4 in self.offset_list else self.offset_list[-1]

    @property
    def probe_samples(self) -> int:
        """Generations per prompt that are actually probed."""
        return min(self.n_probe_samples, self.n_samples)

    def layer_indices(self, n_entries: int) -> list[int]:
        """The requested layers before resolution (``'all'``: every one of the ``n_entries``)."""
        return list(range(n_entries)) if self.layers == "all" else parse_ints(self.layers, "layers")

    def probe_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of every :func:`~predact_utils.chapters.planning.probing.run_probes` call."""
        return dict(offsets=self.offset_list, top_n=self.probe_top_n, test_fraction=self.test_fraction,
                    max_train_positions=self.max_train_positions, l2=self.probe_l2,
                    max_iter=self.probe_max_iter, n_boot=self.n_boot, seed=self.seed)


@dataclass
class Results:
    """What the page shows: the probes' long table, the comparisons and the plan probe's rows."""

    settings: Settings
    base_name: str
    aligned_name: str
    not_built: list[str]
    layers: list[int]  # probed layers (absolute indices)
    curve: int  # the layer of the curves and of the plan probe
    table: pd.DataFrame  # one row per role, source, layer and offset
    sizes: pd.DataFrame  # train/test sizes of each probe run
    comparisons: dict[str, dict[str, float]]  # by source: gain_difference at the curve layer (own generations:
    # over held-out prompts; gold text: over held-out documents)
    plan_rows: list[dict[str, Any]]  # one per role: the plan probe's summary
    #: by source, then probed layer: the same comparison as ``comparisons`` at every layer (the page reports
    #: them all; the scoreboard's verdict uses the curve layer, fixed before the run)
    by_layer: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)
    method: str = "custom"  # the pair's training method (its stage)
    #: the stage table's other cells (the other built pairs of the list, and RLHF vs SFT), each with the
    #: gold-text comparison at its models' curve layer (the keys of :func:`~.probing.gain_difference`, and
    #: ``layer``)
    stage_cells: list[tuple[StageSides, dict[str, float]]] = field(default_factory=list)


def gold_sequences(tokenizer: Any, settings: Settings) -> list[list[int]]:
    """Token ids of the start of the test documents of every evaluation corpus (``gold_tokens + 1`` each)."""
    import predact_utils.data.corpora as corpora
    from predact_utils.lm.scoring import encode_documents

    # 16 characters per token is far above the average token length, so this keeps gold_tokens tokens
    texts = [t for c in corpora.names(role="eval")
             for t in corpora.sample_texts(c, "test", max_docs=settings.gold_docs,
                                           max_doc_chars=16 * settings.gold_tokens, seed=settings.seed)]
    return [s[: settings.gold_tokens + 1] for s in encode_documents(tokenizer, texts)]


def plan_spans_of(gens: Sequence[Sequence[Sequence[int]]], settings: Settings) -> list[list[tuple[int, ...]]]:
    """Target spans of each prompt: its anchor spans (MAFFT, shared with chapter 04) or frequent n-grams."""
    from predact_utils.chapters.anchors.msa import align_prompts, parse_options

    from .plan_probe import anchor_plan_spans, frequent_ngram_spans

    s = settings
    if s.plan_spans == "anchor":
        aligned = align_prompts(gens, parse_options(s.mafft_options), timeout=s.mafft_timeout,
                                n_overflow=s.mafft_overflow)
        return [anchor_plan_spans(a.columns, g, threshold=s.anchor_threshold, min_tokens=s.plan_min_tokens,
                                  min_share=s.plan_min_share, max_share=s.plan_max_share,
                                  max_spans=s.plan_max_spans)
                for a, g in zip(aligned, gens, strict=True)]
    return [frequent_ngram_spans(g, n=s.plan_ngram, min_share=s.plan_min_share, max_share=s.plan_max_share,
                                 max_spans=s.plan_max_spans) for g in gens]


def plan_row(role: str, name: str, spans: Sequence[Sequence[Any]], summary: dict[str, float]) -> dict[str, Any]:
    """One row of the plan-probe table (NaN where no held-out prompt could be scored)."""
    s = summary
    return {"role": role, "model": name, "prompts with spans": sum(bool(x) for x in spans),
            "spans per prompt": float(np.mean([len(x) for x in spans])),
            "prompts scored": int(s["prompts"]), "AUC probe": s.get("auc_probe", np.nan),
            "AUC probe lo": s.get("auc_probe_lo", np.nan), "AUC probe hi": s.get("auc_probe_hi", np.nan),
            "AUC no state": s.get("auc_prior", np.nan), "AUC gain": s.get("auc_gain", np.nan),
            "AUC gain lo": s.get("auc_gain_lo", np.nan), "AUC gain hi": s.get("auc_gain_hi", np.nan)}


def run(settings: Settings) -> Results:
    """Everything the page computes, in the order of the page (random streams are consumed in that order)."""
    import transformers

    from predact_utils.lm.chat import encode_prompts
    from predact_utils.lm.hidden import n_hidden_layers, resolve_layers
    from predact_utils.lm.models import load_pair
    from predact_utils.lm.registry import available_pairs
    from predact_utils.runs.artifacts import cached_hidden_states
    from predact_utils.runs.generations import prompt_generations, sampling_params

    from .plan_probe import plan_probe
    from .probing import gain_difference, generation_sequences, regrouped, run_probes

    s = settings
    seed_everything(s.seed)
    transformers.logging.disable_progress_bar()  # no widgets in the book's output
    offsets = s.offset_list
    available, not_built = available_pairs(s.pairs)
    spec, others = available[0], available[1:]
    models = load_pair(spec)
    layers = resolve_layers(models.base.model, s.layer_indices(n_hidden_layers(models.base.model)))
    curve = resolve_layers(models.base.model, [s.curve_layer])[0]
    if curve not in layers:
        raise ValueError(f"curve_layer {s.curve_layer} is not among the probed layers {layers}; add it to `layers`")
    params = sampling_params(top_p=s.top_p, temperature=s.temperature, max_new_tokens=s.max_new_tokens,
                             n=s.n_samples, seed=s.seed)
    probe_kw = {**s.probe_kwargs(), "device": models.base.device}  # probes fit where the model runs

    # probe data: own generations and gold text
    gold_seqs = gold_sequences(models.base.tokenizer, s)
    runs, prompt_runs, prompt_ids, prompt_of = {}, {}, {}, {}
    rows = s.prompt_rows()
    for lm in models:
        gen = prompt_generations(lm, params, n_prompts=s.n_prompts, rows=rows, progress=False)
        prompt_runs[lm.role] = gen
        prompt_ids[lm.role] = encode_prompts(lm.tokenizer, [r["prompt"] for r in gen.prompts], lm.role)
        seqs, starts, groups = generation_sequences(
            prompt_ids[lm.role], [gen.token_ids(i) for i in range(len(gen.prompts))], s.n_probe_samples)
        prompt_of[lm.role] = groups  # the prompt each probed generation answers
        if s.split_by == "sequence":
            groups = None
        hidden = cached_hidden_states(lm, seqs, layers, progress=False)
        runs[(lm.role, "own generations")] = run_probes(hidden, seqs, starts, layers, groups=groups, **probe_kw)
        hidden = cached_hidden_states(lm, gold_seqs, layers, progress=False)
        runs[(lm.role, "gold text")] = run_probes(hidden, gold_seqs, [0] * len(gold_seqs), layers, **probe_kw)
        del hidden
    table = pd.concat([r.table.assign(role=role, source=src) for (role, src), r in runs.items()],
                      ignore_index=True)
    sizes = pd.DataFrame([{"role": role, "source": src, "train sequences": r.n_train_sequences,
                           "train positions": r.n_train_positions, "test sequences": r.n_test_sequences,
                           "test positions (k=1)": int(r.table[r.table["k"] == offsets[0]]["n_positions"].iloc[0])}
                          for (role, src), r in runs.items()])

    # accuracy and information gain against the offset: the two models compared, resampling the independent
    # unit: the prompt for own generations (split by sequence, the held-out generations are merged by
    # prompt first), the document for gold text (one sequence each)
    compared = dict(runs)
    if s.split_by == "sequence":
        for role in ROLES:
            compared[(role, "own generations")] = regrouped(runs[(role, "own generations")], prompt_of[role])
    by_layer = {src: {layer: gain_difference(compared[("base", src)], compared[("aligned", src)], layer, offsets,
                                             s.ks_ahead, n_boot=s.n_boot, seed=s.seed) for layer in layers}
                for src, _ in SOURCES}
    comparisons = {src: by_layer[src][curve] for src, _ in SOURCES}

    # a sequence-level plan: the state after the prompt against the prompt's spans
    plan_rows = []
    for lm in models:
        gen = prompt_runs[lm.role]
        gens = [gen.token_ids(i) for i in range(len(gen.prompts))]
        spans = plan_spans_of(gens, s)
        states = cached_hidden_states(lm, prompt_ids[lm.role], [curve], progress=False)
        after_prompt = np.stack([h[-1, 0].astype(np.float32) for h in states])
        # no span in any prompt (e.g. very diverse generations): nothing to probe, reported as such
        summary = (plan_probe(after_prompt, spans, gens, min_share=s.plan_min_share, n_boot=s.n_boot,
                              seed=s.seed).summary if any(spans) else {"prompts": 0.0})
        plan_rows.append(plan_row(lm.role, lm.name, spans, summary))
    return Results(settings=s, base_name=models.base.name, aligned_name=models.aligned.name,
                   not_built=list(not_built), layers=layers, curve=curve, table=table, sizes=sizes,
                   comparisons=comparisons, plan_rows=plan_rows, by_layer=by_layer, method=spec.method,
                   stage_cells=stage_cells(s, spec, others, gold_seqs,
                                           {role: runs[(role, "gold text")] for role in ROLES}, curve, probe_kw))


def stage_cells(s: Settings, spec: PairSpec, others: Sequence[PairSpec], gold_seqs: list[list[int]],
                gold_runs: dict[str, ProbeRun], curve: int,
                probe_kw: dict[str, Any]) -> list[tuple[StageSides, dict[str, float]]]:
    """The gold-text probe comparison (mean gain over k >= 2 at the curve layer, paired over held-out
    documents) of every stage cell the pair list fills besides the page's own pair: the other pairs' models
    are probed at their own curve layer (``s.curve_layer`` resolved on each model)."""
    from predact_utils.lm.hidden import resolve_layers
    from predact_utils.lm.models import load_pair
    from predact_utils.lm.registry import stage_sides
    from predact_utils.runs.artifacts import cached_hidden_states

    from .probing import gain_difference, run_probes

    probed: dict[tuple[str, str], tuple[ProbeRun, int]] = {(spec.name, r): (gold_runs[r], curve) for r in ROLES}
    for other in others:
        models = load_pair(other)
        for lm in models:
            layer = resolve_layers(lm.model, [s.curve_layer])[0]
            hidden = cached_hidden_states(lm, gold_seqs, [layer], progress=False)
            probed[(other.name, lm.role)] = (run_probes(hidden, gold_seqs, [0] * len(gold_seqs), [layer],
                                                        **probe_kw), layer)
            del hidden
        del models
    out = []
    for cell in stage_sides([spec, *others]):
        if cell.label == spec.name:
            continue
        (before, layer), (after, layer_after) = probed[cell.before], probed[cell.after]
        if layer != layer_after:
            raise ValueError(f"stage cell {cell.label}: the two models' curve layers differ ({layer} and "
                             f"{layer_after}); they must have the same depth")
        c = gain_difference(before, after, layer, s.offset_list, s.ks_ahead, n_boot=s.n_boot, seed=s.seed)
        out.append((cell, {**c, "layer": float(layer)}))
    return out
