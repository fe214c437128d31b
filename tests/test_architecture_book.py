"""A chapter of the book runs end to end on tiny random pairs of the registry's other architecture families:
Mistral with a sliding window (sampled by the fallback loop) and OLMo, built from configs with the
miniature's tokenizer and chat template. (The whole smoke book ran through `predact run` on the Mistral pair
once, by hand: every chapter, exit 0; too slow to repeat in every CI run.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, MistralConfig, OlmoConfig

from predact_utils import paths
from predact_utils.book.build import error_outputs, execute_notebook
from predact_utils.book.gluecheck import glued_values

pytestmark = pytest.mark.book
FAMILIES = {"mistral-sliding": (MistralConfig, {"sliding_window": 16}), "olmo": (OlmoConfig, {})}


def tiny_pair(root: Path, family: str) -> str:
    """``base,aligned`` folders of a tiny random model of ``family`` (two seeds)."""
    tok = AutoTokenizer.from_pretrained(paths.models_dir() / "mini-s-sft")
    cls, extra = FAMILIES[family]
    out = []
    for role, seed in (("base", 0), ("aligned", 1)):
        torch.manual_seed(seed)
        cfg = cls(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                  bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, **extra)
        folder = root / f"{family}-{role}"
        AutoModelForCausalLM.from_config(cfg).save_pretrained(folder)
        tok.save_pretrained(folder)
        out.append(str(folder))
    return ",".join(out)


#: The chapter each family is run through: the sliding-window model where sampling is (the fallback loop),
#: OLMo where scoring and Fig. 2B's fine-tuning are.
CHAPTERS = {"mistral-sliding": ("03_distribution_collapse", "pairs", "fig3-top1"),
            "olmo": ("02_world_modeling", "pairs", "fig2a-worse")}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_chapter_runs_on_a_tiny_pair_of_each_family(family: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PREDACT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PREDACT_CLAIMS_DIR", str(tmp_path / "claims"))
    pair = tiny_pair(tmp_path, family)
    notebook, name, claim = CHAPTERS[family]
    py = paths.repo_root() / "notebooks" / f"{notebook}.py"
    out = tmp_path / f"{notebook}.ipynb"
    execute_notebook(py, out, {"scale": "smoke", name: pair, f"smoke_{name}": pair} if notebook != "02_world_modeling"
                     else {"scale": "smoke", "pairs": pair, "finetune_pairs": pair}, py.parent, 900)
    assert error_outputs(out) == []
    assert glued_values(out)
    assert (tmp_path / "claims" / f"{claim}.json").is_file()
