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
    for corpus, row in card["validation"].items():
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


@pytest.mark.parametrize("name", [n for n in CHECKPOINTS if n.split("-")[-1] in ("sft", "dpo", "rlhf")])
def test_aligned_card_meets_the_sanity_thresholds(name: str) -> None:
    failures = measure.shortfalls(read_card(MODELS / name))
    assert not failures, f"{name}: {failures}"


def test_models_folder_is_small_enough() -> None:
    total = sum(f.stat().st_size for f in Path(MODELS).rglob("*") if f.is_file())
    assert total < 120 * 2**20, f"committed checkpoints take {total / 2**20:.1f} MB (limit 120 MB)"
