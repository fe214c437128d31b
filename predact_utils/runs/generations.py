"""The shared generation runs of the book: prompt answers and prefix continuations (Figs. 1, 3-5, probing, frontier).

Every section that looks at a model's own text asks for it here, with the same
:class:`~predact_utils.lm.sampling.SamplingParams`, so the artifact cache holds one
set of generations per model and settings and the sections analyse the same
samples (the anchor-span page and the collapse page see identical text).

* **Prompt answers** (:func:`prompt_generations`): the 80 prompts of
  ``data/prompts.jsonl``; aligned models get the prompt through their chat
  template, Base models the raw prompt text (see :mod:`predact_utils.lm.chat`).
* **Prefix continuations** (:func:`prefix_generations`): the prefixes of the
  11 prefix sets (``data/prefixes/``), continued as raw text by both models:
  the self-perplexity experiment asks how each model predicts its own
  continuations of a document, so no chat template is applied to either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from predact_utils.data import prompts as prompt_data
from predact_utils.lm.models import LoadedModel
from predact_utils.lm.sampling import Generation, SamplingParams
from predact_utils.runs.artifacts import cached_generations
from predact_utils.runs.cache import ArtifactCache
from predact_utils.settings import ChapterSettings, param

#: The book's sampling settings: nucleus p = 0.9 as in the paper, 100 samples per prompt.
BOOK_SAMPLING = SamplingParams(top_p=0.9, temperature=1.0, max_new_tokens=128, n=100, seed=0)


def sampling_params(*, top_p: float = 0.9, temperature: float = 1.0, max_new_tokens: int = 128, n: int = 100,
                    seed: int = 0) -> SamplingParams:
    """The notebooks' sampling parameters as one object (validated by :class:`SamplingParams`)."""
    return replace(BOOK_SAMPLING, top_p=top_p, temperature=temperature, max_new_tokens=max_new_tokens, n=n,
                   seed=seed)


@dataclass
class PromptRun:
    """Generations of one model for a list of prompts: ``generations[i]`` are the samples of ``prompts[i]``."""

    model: str
    role: str
    prompts: list[dict[str, Any]]
    generations: list[list[Generation]]
    params: SamplingParams

    def token_ids(self, i: int) -> list[list[int]]:
        """Token ids of the samples of prompt ``i``."""
        return [g.token_ids for g in self.generations[i]]

    def all_token_ids(self) -> list[list[int]]:
        """Token ids of every sample, prompt by prompt."""
        return [g.token_ids for per in self.generations for g in per]

    def eos_share(self) -> float:
        """Share of samples that stopped with an end-of-text token."""
        gens = [g for per in self.generations for g in per]
        return sum(g.stop_reason == "eos" for g in gens) / max(len(gens), 1)


def prompt_rows(prompts_file: str = "") -> list[dict[str, Any]]:
    """The prompts of ``prompts_file`` (JSON lines with ``id``, ``category``, ``prompt``, any number of them),
    or the book's 80 (``data/prompts.jsonl``) when it is ``""``; a missing or malformed file is a
    :class:`~predact_utils.params.ParameterError` that says what to fix."""
    from predact_utils.params import ParameterError

    if not prompts_file:
        return prompt_data.load()
    path = Path(prompts_file).expanduser()
    if not path.is_file():
        raise ParameterError(f"prompts_file: {path} is not a file; pass a JSON-lines file with one object per "
                             'line like {"id": "q-01", "category": "howto", "prompt": "How do I ...?"}, '
                             "or '' for the book's prompts")
    try:
        rows = prompt_data.load(path, expect=None)
    except prompt_data.PromptFileError as exc:
        raise ParameterError(f"prompts_file: {exc}") from exc
    if not rows:
        raise ParameterError(f"prompts_file: {path} holds no prompts")
    return rows


@dataclass(frozen=True)
class PromptChapterSettings(ChapterSettings):
    """The settings of a chapter that samples answers to prompts: its ``prompts_file`` parameter, checked when
    the settings are built (before any model loads)."""

    prompts_file: str = param("", str, doc="a JSON-lines file of your own prompts (id, category, prompt); "
                                           "'' = the book's 80")

    def check(self) -> None:
        """The prompts file, when one is given, exists and is well formed."""
        self.prompt_rows()

    def prompt_rows(self) -> list[dict[str, Any]]:
        """The prompts this run samples from (:func:`prompt_rows`)."""
        return prompt_rows(self.prompts_file)


def select_prompts(n_prompts: int | None = None, rows: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The first ``n_prompts`` prompts (all 80 when ``None`` or 0), in file order."""
    rows = list(rows) if rows is not None else prompt_data.load()
    if n_prompts is not None and n_prompts < 0:
        raise ValueError(f"n_prompts must be >= 0, got {n_prompts}")
    if not rows:
        raise ValueError("the prompt list is empty: nothing to sample. Pass rows with at least one "
                         "{'id': ..., 'prompt': ...}, or leave rows=None for the book's 80 prompts "
                         "(data/prompts.jsonl)")
    missing = [i for i, r in enumerate(rows) if not isinstance(r, dict) or not str(r.get("prompt", "")).strip()]
    if missing:
        raise ValueError(f"prompt rows {missing[:5]} have no non-empty 'prompt' text; each row must be a dict "
                         "with a 'prompt' string")
    return rows[:n_prompts] if n_prompts else rows


def prompt_index(chosen: Sequence[dict[str, Any]], prompt_id: str,
                 rows: Sequence[dict[str, Any]] | None = None) -> int:
    """Position of prompt ``prompt_id`` among the ``chosen`` prompts (0 when it is a known id left out of a
    smaller selection); an id the prompts (``rows``, default the book's) do not hold is an error that lists a
    few real ids."""
    for i, r in enumerate(chosen):
        if r.get("id") == prompt_id:
            return i
    known = [r["id"] for r in (rows if rows is not None else prompt_data.load())]
    if prompt_id not in known:
        raise ValueError(f"unknown prompt id {prompt_id!r}; ids look like {known[:3]} (see data/prompts.jsonl)")
    print(f"[settings] prompt {prompt_id!r} is not among the {len(chosen)} prompts of this run; "
          f"{chosen[0].get('id')!r} is shown in its place", flush=True)
    return 0


def prompt_generations(lm: LoadedModel, params: SamplingParams = BOOK_SAMPLING, *, n_prompts: int | None = None,
                       rows: Sequence[dict[str, Any]] | None = None, cache: ArtifactCache | None = None,
                       progress: bool = False) -> PromptRun:
    """``params.n`` answers of ``lm`` to each prompt (chat template for aligned models), cached and resumable."""
    chosen = select_prompts(n_prompts, rows)
    gens = cached_generations(lm, [r["prompt"] for r in chosen], params, cache=cache, progress=progress)
    return PromptRun(lm.name, lm.role, chosen, gens, params)


def prefix_generations(lm: LoadedModel, dataset: str, params: SamplingParams, *, n_prefixes: int | None = None,
                       cache: ArtifactCache | None = None, progress: bool = False) -> PromptRun:
    """``params.n`` raw-text continuations by ``lm`` of the prefixes of one prefix set (no chat template)."""
    rows = prompt_data.load_prefixes(dataset)
    if n_prefixes:
        rows = rows[:n_prefixes]
    texts = [r["prefix"] for r in rows]
    gens = cached_generations(lm, texts, params, role="base", cache=cache, progress=progress)
    return PromptRun(lm.name, "base", [dict(r, prompt=r["prefix"]) for r in rows], gens, params)
