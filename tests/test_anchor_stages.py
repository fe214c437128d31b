"""Chapter 04's stage cells (predact_utils.chapters.anchors.stages) on planted generations, and which cells a
pair list fills (predact_utils.lm.registry.stage_sides)."""

from __future__ import annotations

import numpy as np

from predact_utils.chapters import anchors as chapter
from predact_utils.chapters.anchors.msa import parse_options
from predact_utils.chapters.anchors.stages import stage_measures
from predact_utils.lm.registry import PairSpec, stage_sides
from predact_utils.verdicts import DOES_NOT, NOT_TESTABLE, REPRODUCES

N_PROMPTS, N_GEN = 6, 12
SETTINGS = chapter.Settings.from_values({"n_samples": N_GEN, "max_new_tokens": 40, "control_prompts": 4,
                                         "n_points": 10})
OPTIONS = parse_options(SETTINGS.mafft_options)
IDS = [f"p{i}" for i in range(N_PROMPTS)]


def diverse(seed: int) -> list[list[list[int]]]:
    """Answers that share nothing beyond chance: 40 tokens drawn from 2,000."""
    rng = np.random.default_rng(seed)
    return [[rng.integers(100, 2100, 40).tolist() for _ in range(N_GEN)] for _ in range(N_PROMPTS)]


def blueprint(seed: int) -> list[list[list[int]]]:
    """Every answer of a prompt is the prompt's own 40-token skeleton with 2 tokens changed at random."""
    rng = np.random.default_rng(seed)
    out = []
    for p in range(N_PROMPTS):
        skeleton = list(range(5000 + 50 * p, 5040 + 50 * p))
        gens = []
        for _ in range(N_GEN):
            g = list(skeleton)
            for j in rng.choice(40, 2, replace=False):
                g[j] = int(rng.integers(100, 2100))
            gens.append(g)
        out.append(gens)
    return out


def test_stage_sides_of_a_family_list() -> None:
    rlhf = PairSpec("m-rlhf", "m-base", "m-rlhf", method="rlhf")
    sft = PairSpec("m-sft", "m-base", "m-sft", method="sft")
    dpo = PairSpec("s-dpo", "s-base", "s-dpo", method="dpo")
    custom = PairSpec("x", "a", "b")
    cells = stage_sides([rlhf, sft, dpo, custom])
    assert [(c.comparison, c.label) for c in cells] == [
        ("RLHF vs Base", "m-rlhf"), ("SFT vs Base", "m-sft"), ("DPO vs Base", "s-dpo"),
        ("RLHF vs SFT", "m-rlhf vs m-sft")]
    assert cells[0].before == ("m-rlhf", "base") and cells[0].after == ("m-rlhf", "aligned")
    # RLHF vs SFT: the SFT model answers in its aligned role, on the "before" side
    assert cells[-1].before == ("m-sft", "aligned") and cells[-1].after == ("m-rlhf", "aligned")
    assert stage_sides([custom]) == [] and [c.comparison for c in stage_sides([rlhf])] == ["RLHF vs Base"]


def test_a_planted_blueprint_stage_passes_every_direction_rule() -> None:
    measures = {m.claim_id: m for m in stage_measures(SETTINGS, diverse(0), blueprint(1), IDS, OPTIONS)}
    assert set(measures) == {"fig1-anchors", "ngram-10", "ngram-25"}
    # 40-token skeletons with 2 changes: nearly every answer holds a 10-gram and a 25-gram of the skeleton
    assert measures["ngram-10"].effect.startswith("+") and measures["ngram-10"].verdict.word == REPRODUCES
    assert measures["fig1-anchors"].verdict.word != DOES_NOT
    assert "over 4 prompts" in measures["fig1-anchors"].effect


def test_a_stage_that_changes_nothing_does_not_reproduce() -> None:
    same = blueprint(2)
    for m in stage_measures(SETTINGS, same, same, IDS, OPTIONS):
        assert m.verdict.word == DOES_NOT, (m.claim_id, m.verdict)
        assert "+0.0" in m.effect


def test_a_stage_on_one_prompt_is_not_testable() -> None:
    one = SETTINGS.__class__.from_values({"n_samples": N_GEN, "max_new_tokens": 40, "control_prompts": 4})
    for m in stage_measures(one, diverse(3)[:1], blueprint(4)[:1], IDS[:1], OPTIONS):
        assert m.verdict.word == NOT_TESTABLE, (m.claim_id, m.verdict)
