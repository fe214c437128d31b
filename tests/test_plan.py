"""``predact plan`` on stated shapes: exact parameter counts, fine-tuning memory, per-chapter token counts
from the chapters' settings, and the command on a local Llama-2-7B-shaped config."""

from __future__ import annotations

import json

import pytest
from transformers import LlamaConfig

from predact_utils.book import cli
from predact_utils.book import plan as planning

LLAMA2_7B = dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=32, vocab_size=32000, max_position_embeddings=4096)
GIB = 2**30


def test_parameter_count_and_lora_size_of_llama2_7b() -> None:
    shape = planning.shape_of(LlamaConfig(**LLAMA2_7B))
    assert shape.params == 6_738_415_616  # Llama-2-7B's published count
    assert planning.finetune_bytes(shape, "full") == 16 * 6_738_415_616
    # peft reports 39,976,960 trainable parameters for rank 16 on every linear layer of Llama-2-7B
    assert planning.finetune_bytes(shape, "lora", 16) == 16 * 39_976_960


def test_chapter_loads_follow_the_chapters_settings() -> None:
    shape = planning.shape_of(LlamaConfig(**LLAMA2_7B))
    loads = {ld.chapter: ld for ld in planning.chapter_loads("full", shape, 40, 80 * GIB, {"a": 1000, "b": 500})}
    # 2 models x 80 prompts x 100 samples x 128 tokens, plus 2 x 3 prefix sets x 32 prefixes x 2 x 128
    assert loads["03_distribution_collapse"].generated == 2 * 80 * 100 * 128 + 2 * 3 * 32 * 2 * 128
    assert loads["04_anchor_spans"].generated == 0 and "shared with 03" in loads["04_anchor_spans"].note
    assert loads["02_world_modeling"].scored == 2 * 2 * 1500
    assert loads["02_world_modeling"].trained == 2 * 2 * 30 * 8 * 256
    assert "lora fine-tuning" in loads["02_world_modeling"].note  # 6.7B parameters: above the LoRA threshold
    rows = {r["chapter"]: r for r in planning.plan_table(list(loads.values()), shape, None)}
    assert rows["02_world_modeling"]["peak GiB"] < 80 and rows["02_world_modeling"]["minutes"] == "n/a"
    assert rows["03_distribution_collapse"]["peak GiB"] <= 80
    timed = planning.plan_table([loads["08_sampling_explorer"]], shape,
                                {"sampling_tokens_per_s": 100.0, "scoring_tokens_per_s": 1000.0})
    assert timed[0]["minutes"] == round(loads["08_sampling_explorer"].generated / 100 / 60, 1)


def test_gpus_needed_for_the_weights_with_headroom() -> None:
    seven = planning.shape_of(LlamaConfig(**LLAMA2_7B))
    seventy = planning.shape_of(LlamaConfig(hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
                                            num_attention_heads=64, num_key_value_heads=8, vocab_size=32000))
    assert seventy.params == 68_976_648_192  # Llama-2-70B's published count
    assert planning.gpus_needed(seven, 80) == 1 and planning.gpus_needed(seven, 24) == 2
    assert planning.gpus_needed(seventy, 80) == 5  # 257 GiB of bf16 weights in 80% of 80 GiB GPUs


def test_rates_come_from_the_gpu_checks_json(tmp_path) -> None:
    f = tmp_path / "gpu.json"
    f.write_text(json.dumps({"llama2_7b_shape": {"sampling_tokens_per_s": 900.5, "scoring_tokens_per_s": 12000}}))
    assert planning.read_rates(f) == {"sampling_tokens_per_s": 900.5, "scoring_tokens_per_s": 12000.0}
    f.write_text("{}")
    with pytest.raises(ValueError, match="make gpu-check"):
        planning.read_rates(f)


def test_the_command_prints_a_plan_for_a_local_7b_shaped_config(tmp_path, capsys) -> None:
    from predact_utils import paths

    folder = tmp_path / "llama2-7b-shape"
    folder.mkdir()
    LlamaConfig(**{**LLAMA2_7B, "vocab_size": 8192}).save_pretrained(folder)
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(paths.models_dir() / "mini-s-sft").save_pretrained(folder)
    assert cli.main(["plan", "--pair", str(folder), str(folder), "--scale", "smoke"]) == 0
    out = capsys.readouterr().out
    assert "6.54B parameters per model" in out and "24.4 GiB of weights" in out  # untied 8,192-token vocabulary
    assert "02_world_modeling" in out and "lora fine-tuning" in out


def test_a_pair_whose_config_is_not_here_is_refused_with_the_way_out(capsys) -> None:
    assert cli.main(["plan", "--pair", "nobody/base-model", "nobody/chat-model"]) == 2
    assert "PREDACT_ALLOW_DOWNLOAD=1" in capsys.readouterr().err


def test_a_registry_pair_offline_is_planned_from_its_config_snapshot(capsys) -> None:
    # no hub here: Llama-2-70B-chat's shape comes from the shipped snapshot, and the plan says so
    assert planning.config_snapshot("meta-llama/Llama-2-70b-chat-hf") is not None
    assert planning.config_snapshot("nobody/chat-model") is None
    assert cli.main(["plan", "--pair", "llama2-70b-chat", "--scale", "smoke"]) == 0
    out = capsys.readouterr().out
    assert "config snapshot meta-llama--Llama-2-70b-chat-hf.json" in out and "4 characters per token" in out
    assert "68.98B parameters per model" in out and "run with --gpus 5 or more" in out
    inputs = planning.inputs_for("llama2-7b-chat", scale="smoke")
    assert inputs.shape.params == 6_738_415_616 and inputs.note and inputs.prompt_tokens > 0
