"""Every committed miniature checkpoint loads offline and its card's numbers hold on a quick re-measurement.

The card (``card.json``) records, besides the full measurements, a small subset
(``check``) measured the same way; this test recomputes that subset on the
committed weights and compares, then checks the sanity thresholds of the model cards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

from predact_utils import paths
from predact_utils.miniature import measure, sanity
from predact_utils.miniature.cards import read_card

MODELS = paths.models_dir()
CHECKPOINTS = sorted(p.parent.name for p in MODELS.glob("mini-*/model.safetensors"))

pytestmark = pytest.mark.skipif(not CHECKPOINTS, reason=f"no miniature checkpoints under {MODELS} yet")

@pytest.mark.parametrize("name", CHECKPOINTS)
def test_checkpoint_loads_offline_with_its_card(name: str) -> None:
    d = MODELS / name
    card = read_card(d)
    assert card["name"] == name
    tok = AutoTokenizer.from_pretrained(str(d))
    cls = AutoModelForSequenceClassification if card["role"] == "reward" else AutoModelForCausalLM
    model = cls.from_pretrained(str(d), local_files_only=True)
    assert sum(p.numel() for p in model.parameters()) == card["parameters"]
    for f in d.glob("*.safetensors"):
        from safetensors import safe_open

        with safe_open(str(f), "pt") as sf:
            assert {sf.get_tensor(k).dtype for k in sf.keys()} <= {torch.float16, torch.bfloat16}
    assert tok.chat_template and "<|assistant|>" in tok.chat_template
    assert (d / "README.md").read_text().startswith("---")


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in CHECKPOINTS if n.endswith("-base")])
def test_base_card_remeasured_and_beats_bigram(name: str) -> None:
    d = MODELS / name
    card = read_card(d)
    model, tok = measure.load_lm(d)
    fresh = measure.validation_table(model, tok, None, card["check"]["docs_per_corpus"])
    for corpus, row in card["check"]["validation"].items():
        assert fresh[corpus]["tokens"] == row["tokens"]
        assert fresh[corpus]["ppl"] == pytest.approx(row["ppl"], rel=1e-3), corpus
    pretraining = [c for c in card["validation"] if c != "instruct_heldout"]
    for corpus in pretraining:  # the corpora whose training splits it was trained on
        row = card["validation"][corpus]
        assert row["ppl"] < 0.75 * row["bigram_ppl"], f"{name} does not beat the bigram baseline on {corpus}"


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in CHECKPOINTS if n.split("-")[-1] in ("sft", "dpo", "rlhf")])
def test_aligned_card_remeasured_and_behaves(name: str) -> None:
    d = MODELS / name
    card = read_card(d)
    model, tok = measure.load_lm(d)
    k = card["check"]["prompts"]
    fresh = sanity.assistant_behaviour(model, tok, measure.prompts_text()[:k], n=2)
    for key in ("samples", "ends_with_eos", "stays_in_role", "ok"):
        assert fresh[key] == pytest.approx(card["check"]["behaviour"][key], abs=1e-9), key
    if name.endswith("-dpo"):
        ref, _ = measure.load_lm(MODELS / card["parent"])
        pairs = measure.check_pairs(measure.heldout_pairs(), card["check"]["pairs"])
        again = sanity.preference_accuracy(model, ref, tok, pairs)
        assert again["accuracy"] == pytest.approx(card["check"]["preference"]["accuracy"])


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_card_states_every_sanity_threshold_it_misses(name: str) -> None:
    card = read_card(MODELS / name)
    missed = measure.shortfalls(card)
    assert card.get("shortfalls", []) == missed
    for line in missed:
        assert line in card["limitations"] and line in (MODELS / name / "README.md").read_text()


def test_shortfalls_name_each_missed_threshold_and_nothing_else() -> None:
    base = {"role": "base", "validation": {"a": {"ppl": 70.0, "bigram_ppl": 100.0},
                                            "b": {"ppl": 75.0, "bigram_ppl": 100.0}}}
    assert measure.shortfalls(base) == ["validation perplexity on b 75.0, not below 0.75 x the bigram's 100.0"]
    dpo = {"role": "dpo", "behaviour": {"ok": 0.95}, "preference": {"accuracy": 0.6}}
    assert measure.shortfalls(dpo) == ["held-out preference accuracy 0.600 (threshold 0.75)"]
    good = {"role": "rlhf", "behaviour": {"ok": 0.95}, "reward_vs_sft": {"ci_low": 0.1}}
    assert measure.shortfalls(good) == []
    noted = measure.note_shortfalls({**dpo, "limitations": "Small."})
    assert noted["limitations"] == "Small. Sanity thresholds missed by this checkpoint: " + dpo_line(dpo) + "."
    assert measure.note_shortfalls(noted) == noted  # idempotent
    assert "shortfalls" not in measure.note_shortfalls({**good, "limitations": "Small."})


def dpo_line(card: dict) -> str:
    return measure.shortfalls(card)[0]


def test_models_folder_is_small_enough() -> None:
    total = sum(f.stat().st_size for f in Path(MODELS).rglob("*") if f.is_file())
    assert total < 120 * 2**20, f"committed checkpoints take {total / 2**20:.1f} MB (limit 120 MB)"


@pytest.mark.skipif(not {"mini-s-base", "mini-m-base"} <= set(CHECKPOINTS), reason="both Base sizes not built")
def test_medium_base_is_the_better_world_model_on_every_corpus() -> None:
    small, medium = (read_card(MODELS / f"mini-{s}-base") for s in ("s", "m"))
    assert set(small["validation"]) == set(medium["validation"])
    worse = {c: (medium["validation"][c]["ppl"], small["validation"][c]["ppl"]) for c in small["validation"]
             if not medium["validation"][c]["ppl"] < small["validation"][c]["ppl"]}
    assert not worse, f"mini-m-base is not below mini-s-base in validation perplexity on {worse}"
    for card in (small, medium):
        assert card["tokens_per_parameter"] == pytest.approx(card["tokens_seen"] / card["parameters"], abs=0.01)
