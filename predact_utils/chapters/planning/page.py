"""Chapter 05, planning ahead: what the page shows of :class:`~predact_utils.chapters.planning.chapter.Results`.

The glued numbers (:func:`numbers`), the static figures (:func:`figures`), the scoreboard record
(:func:`claim_records`), and the tables and the interactive figure the page displays. Everything here
is a pure function of the results; the verdict rules are small functions of their own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from predact_utils.verdicts import DOES_NOT, NOT_TESTABLE, Verdict, decide

from .chapter import SOURCES, Results, Settings

#: Columns of the page's full table of scores.
SCORE_COLUMNS: list[str] = ["role", "source", "layer", "k", "n_positions", "acc", "acc_lo", "acc_hi", "base_acc",
                            "ce", "base_ce", "gain", "gain_lo", "gain_hi"]


def difference_verdict(c: dict[str, float]) -> str:
    """The prose's reading of a gain difference (aligned - Base) and its interval."""
    if c["lo"] > 0:
        return "more forward-predictive in the aligned model (the whole interval of the difference is above zero)"
    if c["hi"] < 0:
        return "more forward-predictive in the Base model (the whole interval of the difference is below zero)"
    return "not clearly different between the two models (the interval of the difference includes zero)"


def held_out_groups(c: dict[str, float]) -> int:
    """How many held-out groups (prompts, documents) the comparison's bootstraps resample (the fewer side)."""
    return int(min(c["groups_a"], c["groups_b"]))


def probe_ahead_verdict(c: dict[str, float], unit: str = "held-out document") -> Verdict:
    """The rule of ``probe-ahead`` (:data:`predact_utils.claims.CLAIMS`): the 95% interval over ``unit`` (gold
    text: held-out documents) of the (aligned - Base) probe gain over the no-state baseline above 0, *and*
    both gains (``a``: Base, ``b``: aligned) above 0, for a probe that loses to its baseline shows no
    planning. The paper gives no number and no shape. A gain at or below 0 fails the claim whatever the
    interval; otherwise a single held-out unit (which resamples to itself: its "interval" is a point) leaves
    it not testable."""
    n = held_out_groups(c)
    losing = [f"the {name} gain ({g:+.3f} nats/token)" for name, g in (("Base", c["a"]), ("aligned", c["b"]))
              if not g > 0]
    why = (f"{' and '.join(losing)} {'is' if len(losing) == 1 else 'are'} not above 0: a probe that loses to its "
           "baseline shows no planning") if losing else ""
    if n < 2:
        point = f"{n} {unit}: a bootstrap over one {unit} gives a point, not an interval over {unit}s"
        return Verdict(DOES_NOT, f"{why} ({point})") if losing else Verdict(NOT_TESTABLE, point)
    v = decide(c["lo"], c["hi"], unit=unit)
    if v.word == NOT_TESTABLE:
        return Verdict(DOES_NOT, f"{why} ({v.reason})") if losing else v
    if losing:
        if v.word == DOES_NOT:
            return Verdict(DOES_NOT, f"{v.reason}, and {why}")
        return Verdict(DOES_NOT, f"the 95% interval of the difference lies above 0, but {why}")
    if v.word == DOES_NOT:
        return v
    return Verdict(v.word, f"{v.reason}, and both gains are above 0 (Base {c['a']:+.3f}, aligned "
                           f"{c['b']:+.3f} nats/token)")


def layers_above(by_layer: dict[int, dict[str, float]]) -> str:
    """``"n of m"``: probed layers whose 95% interval of the (aligned - Base) gain lies above 0."""
    return f"{sum(c['lo'] > 0 for c in by_layer.values())} of {len(by_layer)}"


def plan_result_text(r: dict[str, Any]) -> str:
    """The prose's summary of one model's plan probe (its row of the plan table)."""
    if np.isfinite(r["AUC probe"]):
        return (f"a mean AUC of {r['AUC probe']:.3f} [{r['AUC probe lo']:.3f}, {r['AUC probe hi']:.3f}] "
                f"({r['AUC no state']:.3f} without the state; {r['spans per prompt']:.1f} spans per prompt)")
    return (f"no measurable AUC ({r['spans per prompt']:.1f} spans per prompt: no held-out prompt has both spans "
            "of its own and spans of other prompts that none of its generations contain)")


def plan_targets_text(s: Settings) -> str:
    """The prose's description of the plan probe's target spans."""
    if s.plan_spans == "anchor":
        return (f"The targets are the prompt's anchor spans of the anchor-span chapter: the MAFFT alignment of "
                f"its {s.n_samples} generations (options `{s.mafft_options}`, shared with that chapter through "
                f"the artifact cache), anchor columns at threshold {s.anchor_threshold:g}, spans of at least "
                f"{s.plan_min_tokens} tokens that {s.plan_min_share:.0%} to {s.plan_max_share:.0%} of the "
                f"generations contain verbatim")
    return (f"The targets are the token {s.plan_ngram}-grams of the prompt present in {s.plan_min_share:.0%} to "
            f"{s.plan_max_share:.0%} of its {s.n_samples} generations (no alignment)")


def score_row(table: pd.DataFrame, role: str, src: str, layer: int, k: int) -> pd.Series:
    """The row of ``table`` of one role, source, layer and offset."""
    t = table[(table["role"] == role) & (table["source"] == src) & (table["layer"] == layer) & (table["k"] == k)]
    return t.iloc[0]


def cells_aligned_ahead(table: pd.DataFrame, ks: list[int]) -> str:
    """``"n of m"``: layer x offset cells (offsets ``ks``, both sources) where the aligned gain is the larger."""
    cells = table[table["k"].isin(ks)].pivot_table(index=["source", "layer", "k"], columns="role", values="gain")
    return f"{int((cells['aligned'] > cells['base']).sum())} of {len(cells)}"


def pair_label(results: Results) -> str:
    """``"base / aligned"``: the pair of the run."""
    return f"{results.base_name} / {results.aligned_name}"


def numbers(results: Results) -> dict[str, str]:
    """Every text glue of the page."""
    from predact_utils.lm.registry import not_built_note

    s, curve, table = results.settings, results.curve, results.table
    out = {
        "pl_pair": pair_label(results) + not_built_note(results.not_built) + stage_note(results),
        "pl_layers": ", ".join(map(str, results.layers)),
        "pl_curve_layer": f"{curve}",
        "pl_top_n": f"{s.probe_top_n}",
        "pl_probe_samples": f"{s.probe_samples}",
        "pl_samples": f"{s.n_samples}",
        "pl_k_show": f"{s.k_show}",
        "pl_ks_ahead": ", ".join(map(str, s.ks_ahead)),
    }
    for src, tag in SOURCES:
        for role in ("base", "aligned"):
            r = score_row(table, role, src, curve, s.k_show)
            out[f"pl_{tag}_{role}_acc"] = f"{r['acc']:.3f} [{r['acc_lo']:.3f}, {r['acc_hi']:.3f}]"
            out[f"pl_{tag}_{role}_base_acc"] = f"{r['base_acc']:.3f}"
            out[f"pl_{tag}_{role}_gain"] = f"{r['gain']:.3f} [{r['gain_lo']:.3f}, {r['gain_hi']:.3f}]"
        c = results.comparisons[src]
        out[f"pl_{tag}_mean_base"] = f"{c['a']:.3f}"
        out[f"pl_{tag}_mean_aligned"] = f"{c['b']:.3f}"
        out[f"pl_{tag}_diff"] = f"{c['diff']:+.3f} [{c['lo']:+.3f}, {c['hi']:+.3f}]"
        out[f"pl_{tag}_verdict"] = difference_verdict(c)
    out["pl_cells_aligned_ahead"] = cells_aligned_ahead(table, s.ks_ahead)
    for src, tag in SOURCES:
        layers = results.by_layer.get(src, {})
        out[f"pl_{tag}_layers_above"] = layers_above(layers) if layers else "n/a (not measured per layer)"
    out["pl_plan_n"] = f"{s.plan_ngram}"
    out["pl_plan_targets"] = plan_targets_text(s)
    out["pl_plan_min_share"] = f"{s.plan_min_share:.0%}"
    out["pl_plan_max_share"] = f"{s.plan_max_share:.0%}"
    out["pl_plan_max_spans"] = f"{s.plan_max_spans}"
    for r in results.plan_rows:
        out[f"pl_plan_{r['role']}_result"] = plan_result_text(r)
    return out


def figures(results: Results) -> dict[str, Any]:
    """The page's static figures: the curves at the curve layer and the heatmap of the gains."""
    from predact_utils.plotting import set_style

    from .plots import curves_figure, heatmap_figure

    set_style()
    title = f"Forward-predictive probes, layer {results.curve} ({results.base_name} vs {results.aligned_name})"
    return {
        "fig_pl_curves": curves_figure(results.table, results.curve, title),
        "fig_pl_heatmap": heatmap_figure(results.table, "gain",
                                         "Information gain over the bigram baseline (nats / token), by layer and k"),
    }


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The scoreboard's record of this chapter (``probe-ahead``: gold text, mean over k >= 2, at the curve layer
    fixed before the run), judged by :func:`probe_ahead_verdict`; the other layers are reported beside it."""
    c = results.comparisons["gold text"]
    v = probe_ahead_verdict(c, unit="held-out document")
    n = held_out_groups(c)
    how = (f"paired bootstrap over the {n} held-out document{'' if n == 1 else 's'}" if c.get("paired", 0.0) else
           f"independent bootstraps over the held-out documents ({int(c['groups_a'])} Base, {int(c['groups_b'])} "
           "aligned)")
    measured = (f"gold text, layer {results.curve}: information gain over the token-only baseline, mean "
                f"over k >= 2, aligned {c['b']:+.3f} vs Base {c['a']:+.3f} nats/token; difference {c['diff']:+.3f} "
                f"(95% interval {c['lo']:+.3f} to {c['hi']:+.3f}, {how})")
    detail = ("source: the paper's summary only (no figure or number of the paper to compare with, so no "
              "magnitude); the text probed is gold text, which both models read token for token; layer rule: "
              f"the curve layer ({results.curve}), fixed before the run")
    gold_layers = results.by_layer.get("gold text", {})
    if len(gold_layers) > 1:
        detail += (f"; every probed layer is reported on the page: the interval lies above 0 at "
                   f"{layers_above(gold_layers)} layers")
    from predact_utils.claims import stage, stage_of

    comparison = stage_of(results.method)
    stages = [stage(comparison, pair_label(results), f"{c['diff']:+.3f} nats/token [{c['lo']:+.3f}, {c['hi']:+.3f}]",
                    v.direction_holds)] if comparison else []
    stages += [stage(cell.comparison, cell.label, stage_effect(sc), probe_ahead_verdict(sc).direction_holds)
               for cell, sc in results.stage_cells]
    return [{"claim_id": "probe-ahead", "measured": measured, "verdict": v.word, "reason": v.reason,
             "pair": pair_label(results), "scale": results.settings.scale, "detail": detail, "stages": stages}]


def stage_effect(c: dict[str, float]) -> str:
    """A stage cell's comparison in words: the difference, its interval, both gains and the layer."""
    return (f"{c['diff']:+.3f} nats/token [{c['lo']:+.3f}, {c['hi']:+.3f}] (gains {c['b']:+.3f} vs "
            f"{c['a']:+.3f}, layer {int(c['layer'])})")


def stage_note(results: Results) -> str:
    """Which other pairs of the list this run probed for the stage table (the page's pair label)."""
    labels = [cell.label for cell, _ in results.stage_cells]
    if not labels:
        return ""
    return (f"; for the scoreboard's stage table the gold-text probe is also run on {', '.join(labels)} (the curve "
            "layer of each model; no figures)")


def stages_table(results: Results) -> pd.DataFrame:
    """Per stage-table cell: the gold-text comparison at the curve layer (difference with its 95% interval, both
    gains) and the verdict its rule gives (the page's pair first)."""
    from predact_utils.claims import stage_of

    def row(comparison: str, pair: str, c: dict[str, float], layer: int) -> dict[str, Any]:
        return {"comparison": comparison, "pair": pair, "layer": layer, "Base-side gain": round(c["a"], 3),
                "trained gain": round(c["b"], 3), "difference [95% interval]":
                f"{c['diff']:+.3f} [{c['lo']:+.3f}, {c['hi']:+.3f}]", "verdict": probe_ahead_verdict(c).word}

    rows = [row(stage_of(results.method) or results.method, pair_label(results), results.comparisons["gold text"],
                results.curve)]
    rows += [row(cell.comparison, cell.label, sc, int(sc["layer"])) for cell, sc in results.stage_cells]
    return pd.DataFrame(rows)


def layers_table(results: Results) -> pd.DataFrame:
    """The (aligned - Base) gain difference, mean over k >= 2, with its 95% interval, at every probed layer
    and for both text sources (the scoreboard uses gold text at the curve layer)."""
    rows = [{"source": src, "layer": layer, "Base gain": c["a"], "aligned gain": c["b"], "difference": c["diff"],
             "lo": c["lo"], "hi": c["hi"], "verdict layer": layer == results.curve and src == "gold text"}
            for src, layers in results.by_layer.items() for layer, c in layers.items()]
    return pd.DataFrame(rows).round(4)


def sizes_table(results: Results) -> pd.DataFrame:
    """Train and test sizes of every probe run."""
    return results.sizes


def scores_table(results: Results) -> pd.DataFrame:
    """The full table of scores, rounded for the page."""
    return results.table[SCORE_COLUMNS].round(4)


def plan_table(results: Results) -> pd.DataFrame:
    """The plan probe's table, one row per model, rounded for the page."""
    return pd.DataFrame(results.plan_rows).round(3)


def curves_interactive(results: Results) -> Any:
    """The plotly version of the curves, with a slider over the probed layers."""
    from .plots import curves_plotly

    return curves_plotly(results.table, results.layers, results.curve)
