"""Chapter 08, the sampling explorer: settings, the run over the grid, the page's numbers and figures.

:func:`run` samples both models of a pair on a grid of temperatures x top-p values for a few prompts,
aligns each prompt's generations with MAFFT and reduces them with the anchor-span chapter's rules
(:mod:`predact_utils.chapters.explorer.analysis`); :func:`numbers` and :func:`figures` are what the page
glues. The interactive displays (the static explorer, the live widgets) are in
:mod:`predact_utils.chapters.explorer.views`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from predact_utils.chapters.anchors.mafftbin import mafft_build
from predact_utils.chapters.anchors.msa import mafft_version, parse_options
from predact_utils.chapters.explorer.analysis import (
    ROLES,
    ExplorerConfig,
    ExplorerGrid,
    grid_heatmaps,
    grid_table,
    run_grid,
)
from predact_utils.lm.models import load_pair
from predact_utils.lm.registry import first_available_pair, left_out_pairs, not_built_note
from predact_utils.params import ParameterError
from predact_utils.plotting import ROLE_COLORS, set_style
from predact_utils.runs.generations import PromptChapterSettings, select_prompts
from predact_utils.seeding import seed_everything
from predact_utils.settings import PAIRS_KIND, param

#: At smoke scale the generations are at most this many new tokens long.
SMOKE_MAX_NEW_TOKENS = 24


def floats(text: str, name: str) -> list[float]:
    """A ';'-separated list of numbers from a string parameter."""
    try:
        values = [float(v) for v in text.split(";") if v.strip()]
    except ValueError as exc:
        raise ParameterError(f"{name} must be numbers separated by ';', e.g. '0.7;1.0', got {text!r}") from exc
    if not values:
        raise ParameterError(f"{name} is empty; give at least one value, e.g. '1.0'")
    return values


def ends(values: list[float]) -> list[float]:
    """The smallest and largest value of a list (the smoke grid)."""
    return sorted({min(values), max(values)})


@dataclass(frozen=True)
class Settings(PromptChapterSettings):
    """The parameters of the sampling explorer."""

    pair: Any = param("mini-m-rlhf;mini-m-dpo;mini-s-dpo", PAIRS_KIND, doc="pairs to try, first built one used")
    smoke_pair: Any = param("mini-s-dpo", PAIRS_KIND, doc="the pair list at smoke scale")
    prompt_ids: str = param("comparison-01;howto-01;explanation-01", doc="';'-separated prompt ids")

    n_samples: int = param(30, minimum=2, smoke=6, doc="generations per prompt, model and setting")
    max_new_tokens: int = param(96, minimum=1, doc="most new tokens of a generation (24 at most at smoke)")
    temperatures: str = param("0.7;1.0;1.3", doc="';'-separated temperatures of the grid")
    top_ps: str = param("0.8;0.9;0.95;1.0", doc="';'-separated top-p values of the grid")
    initial_temperature: float = param(1.0, minimum=0.0, doc="temperature the explorer opens at")
    initial_top_p: float = param(0.9, minimum=0.0, maximum=1.0, doc="top-p the explorer opens at")
    max_n: int = param(24, minimum=1, doc="longest n of the n-gram coverage curve")
    ngram_n: int = param(10, minimum=1, doc="n of the n-gram coverage in the overview")
    min_others: int = param(5, minimum=1, doc="k: a token is aligned when k other generations carry it")
    anchor_threshold: float = param(0.5, minimum=0.0, maximum=1.0, doc="consensus share of an anchor column")
    max_anchors: int = param(8, minimum=1, doc="anchor spans drawn in the Sankey")
    n_points: int = param(40, minimum=2, doc="normalised positions of the aligned-with-k curve")
    mafft_options: str = param("--retree 2 --maxiterate 0", doc="MAFFT options (text mode is always used)")
    mafft_timeout: int = param(300, minimum=1, doc="seconds MAFFT may take per alignment")
    mafft_overflow: int = param(32, minimum=1, maximum=247, doc="MAFFT symbols for the rarest tokens")
    live_widgets: bool = param(False, doc="show the ipywidgets controls (needs a live kernel)")


    def __post_init__(self) -> None:
        self.grid()
        try:
            parse_options(self.mafft_options)
        except ValueError as exc:
            raise ParameterError(f"mafft_options: {exc}") from exc

    def grid(self) -> tuple[list[float], list[float]]:
        """The temperatures and top-p values sampled (only the ends of each list at smoke scale)."""
        grid_t, grid_p = floats(self.temperatures, "temperatures"), floats(self.top_ps, "top_ps")
        return (ends(grid_t), ends(grid_p)) if self.smoke else (grid_t, grid_p)

    @property
    def pair_list(self) -> Any:
        """The pair preference list of this scale."""
        return self.smoke_pair if self.smoke else self.pair

    @property
    def tokens_used(self) -> int:
        """Most new tokens of a generation at this scale."""
        return min(self.max_new_tokens, SMOKE_MAX_NEW_TOKENS) if self.smoke else self.max_new_tokens

    @property
    def others_used(self) -> int:
        """k, at most one less than the number of generations."""
        return min(self.min_others, self.n_samples - 1)

    def explorer_config(self) -> ExplorerConfig:
        """The analysis rules of this run."""
        return ExplorerConfig(max_n=min(self.max_n, self.tokens_used), min_others=self.others_used,
                              n_points=self.n_points, anchor_threshold=self.anchor_threshold,
                              max_anchors=self.max_anchors, mafft_options=parse_options(self.mafft_options),
                              mafft_timeout=self.mafft_timeout, mafft_overflow=self.mafft_overflow)

    @property
    def ngram_used(self) -> int:
        """n of the overview's n-gram coverage (no longer than the coverage curve)."""
        return min(self.ngram_n, self.explorer_config().max_n)


def choose_prompts(prompt_ids: str, all_rows: list[dict[str, Any]], smoke: bool) -> list[dict[str, Any]]:
    """The prompts named in ``prompt_ids``, in that order (the first one only at smoke scale)."""
    wanted = [p.strip() for p in prompt_ids.split(";") if p.strip()]
    unknown = sorted(set(wanted) - {r["id"] for r in all_rows})
    if unknown or not wanted:
        raise ParameterError(f"prompt_ids: unknown or no ids {unknown}; ids look like 'comparison-01' "
                             "(data/prompts.jsonl)")
    return [next(r for r in all_rows if r["id"] == pid) for pid in wanted][: 1 if smoke else None]


@dataclass
class Results:
    """What the page shows: the pair, the grid and its per-setting table."""

    settings: Settings
    pair: str  # the registry name of the pair used
    method: str
    base_model: str
    aligned_model: str
    not_built: list[str]
    prompts: list[dict[str, Any]]
    temperatures: list[float]
    top_ps: list[float]
    config: ExplorerConfig
    mafft: str  # MAFFT's version string and which program ran (mafftbin.mafft_build)
    table: pd.DataFrame  # grid_table: per role and setting, means over the prompts
    seconds: float = 0.0
    grid: ExplorerGrid | None = None
    models: Any = None  # the loaded ModelPair (the explorer decodes with its tokenizer)
    left_out: list[str] = field(default_factory=list)  # built pairs of the list this run leaves out

    @property
    def n_cells(self) -> int:
        """Settings of the grid."""
        return len(self.temperatures) * len(self.top_ps)

    @property
    def ngram(self) -> int:
        """n of the overview's n-gram coverage (no longer than the coverage curve)."""
        return min(self.settings.ngram_n, self.config.max_n)


def run(settings: Settings) -> Results:
    """Load the pair, sample, align and analyse the whole grid (through the artifact caches)."""
    seed_everything(settings.seed)
    grid_t, grid_p = settings.grid()
    rows = choose_prompts(settings.prompt_ids, select_prompts(None, settings.prompt_rows()),
                          settings.smoke)
    config = settings.explorer_config()
    spec, not_built = first_available_pair(settings.pair_list)
    models = load_pair(spec)
    version = f"{mafft_version()}; {mafft_build()}"
    t0 = time.perf_counter()
    grid = run_grid(models, rows, grid_t, grid_p, n=settings.n_samples, max_new_tokens=settings.tokens_used,
                    seed=settings.seed, config=config)
    seconds = time.perf_counter() - t0
    return Results(settings=settings, pair=spec.name, method=spec.method, base_model=models.base.name,
                   aligned_model=models.aligned.name, not_built=not_built, prompts=rows, temperatures=grid_t,
                   top_ps=grid_p, config=config, mafft=version, table=grid_table(grid, settings.ngram_used),
                   seconds=seconds, grid=grid, models=models, left_out=left_out_pairs(settings.pair_list))


def names(results: Results) -> dict[str, str]:
    """The two models' labels, by role."""
    return {"base": f"Base ({results.base_model})",
            "aligned": f"{results.method.upper()} ({results.aligned_model})"}


def colors(results: Results) -> dict[str, str]:
    """The two models' colours, by role (the aligned one by its method)."""
    return {"base": ROLE_COLORS["base"], "aligned": ROLE_COLORS.get(results.method, ROLE_COLORS["aligned"])}


def setting_text(row: pd.Series) -> str:
    """``"40% at temperature 0.7, top-p 0.8"``: a table row's coverage and its setting."""
    return f"{100 * row['coverage']:.0f}% at temperature {row['temperature']:g}, top-p {row['top_p']:g}"


def more_counts(table: pd.DataFrame) -> dict[str, int]:
    """Per measure (``coverage``, ``aligned_share``): settings in which the aligned model's is higher than Base's."""
    paired = table.pivot_table(index=["temperature", "top_p"], columns="role", values=["coverage", "aligned_share"])
    return {m: int((paired[m]["aligned"] > paired[m]["base"]).sum()) for m in ("coverage", "aligned_share")}


def run_numbers(results: Results) -> dict[str, str]:
    """The glue of the "This run" paragraph: pair, counts, grid and rules."""
    s, cfg = results.settings, results.config
    n_prompts = len(results.prompts)
    return {
        "ex_pair": f"{results.pair} ({results.base_model} and {results.aligned_model}, {results.method})"
                   + not_built_note(results.not_built, results.left_out),
        "ex_prompts": f"{n_prompts} prompt" + ("s" if n_prompts != 1 else ""),
        "ex_samples": f"{s.n_samples}",
        "ex_tokens": f"{s.tokens_used}",
        "ex_temperatures": ", ".join(f"{t:g}" for t in results.temperatures),
        "ex_top_ps": ", ".join(f"{p:g}" for p in results.top_ps),
        "ex_cells": f"{results.n_cells}",
        "ex_total": f"{2 * results.n_cells * n_prompts * s.n_samples:,}",
        "ex_k": f"{cfg.min_others}",
        "ex_ngram": f"{results.ngram}",
        "ex_threshold": f"{100 * s.anchor_threshold:.0f}%",
        "ex_anchors": f"{s.max_anchors}",
        "ex_points": f"{s.n_points}",
        "ex_mafft": f"MAFFT {results.mafft}, options {' '.join(cfg.mafft_options) or '(none)'}, "
                    f"{s.mafft_overflow} overflow symbols",
    }


def grid_numbers(results: Results) -> dict[str, str]:
    """The glue of the grid's paragraph: time taken, coverage and aligned-token ranges, counts of settings."""
    table = results.table
    out = {"ex_seconds": f"{results.seconds:.0f}"}
    for role in ROLES:
        part = table[table["role"] == role]
        out[f"ex_cov_lo_{role}"] = setting_text(part.loc[part["coverage"].idxmin()])
        out[f"ex_cov_hi_{role}"] = setting_text(part.loc[part["coverage"].idxmax()])
        out[f"ex_aligned_range_{role}"] = (f"{100 * part['aligned_share'].min():.0f}% to "
                                           f"{100 * part['aligned_share'].max():.0f}%")
    more = more_counts(table)
    out["ex_more_ngram"] = f"{more['coverage']} of {results.n_cells}"
    out["ex_more_aligned"] = f"{more['aligned_share']} of {results.n_cells}"
    return out


def numbers(results: Results) -> dict[str, str]:
    """Every text glue of the page."""
    return {**run_numbers(results), **grid_numbers(results)}


def figures(results: Results) -> dict[str, Any]:
    """The glued static figure: the grid's heatmaps."""
    set_style()
    return {"fig_ex_grid": grid_heatmaps(results.table, names(results), results.ngram, results.config.min_others)}


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The explorer tests no claim of the paper: no scoreboard records."""
    return []

