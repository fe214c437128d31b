"""Registry of model pairs: the packaged file, name/path/tuple resolution, local availability."""

from __future__ import annotations

import pytest

from predact_utils.lm import registry
from predact_utils.lm.registry import PairSpec, RegistryError


def test_packaged_registry_has_the_paper_pairs():
    reg = registry.load_registry()
    for name in ("mini-s-sft", "mini-s-dpo", "mini-m-sft", "mini-m-dpo", "mini-m-rlhf"):
        assert reg[name].local and reg[name].base.startswith("mini-")
    assert reg["llama2-7b-chat"].base == "meta-llama/Llama-2-7b-hf"
    assert reg["llama2-70b-chat"].aligned == "meta-llama/Llama-2-70b-chat-hf"
    assert reg["tulu2-dpo-7b"].aligned == "allenai/tulu-2-dpo-7b"
    assert reg["tulu2-dpo-70b"].aligned == "allenai/tulu-2-dpo-70b"
    assert reg["llama3-8b-instruct"].aligned == "meta-llama/Meta-Llama-3-8B-Instruct"
    assert "<|assistant|>" in reg["tulu2-dpo-7b"].template_text
    assert reg["mini-m-rlhf"].method == "rlhf" and reg["tulu2-dpo-70b"].method == "dpo"
    assert registry.default_pair_name() in reg


def test_resolve_pair_forms():
    spec = registry.resolve_pair("/a/base, /b/aligned")
    assert (spec.base, spec.aligned, spec.chat_template) == ("/a/base", "/b/aligned", "tokenizer")
    assert registry.resolve_pair(("x/base", "y/chat")).aligned == "y/chat"
    assert registry.resolve_pair("llama2-7b-chat").family == "Llama-2"
    given = PairSpec("p", "b", "a")
    assert registry.resolve_pair(given) is given
    with pytest.raises(RegistryError, match="Known pairs: .*mini-m-rlhf"):
        registry.resolve_pair("no-such-pair")
    with pytest.raises(RegistryError, match="two model ids"):
        registry.resolve_pair(("only-one",))


def test_local_availability_follows_models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PREDACT_MODELS", str(tmp_path))
    assert not registry.get_pair("mini-s-dpo").is_available_locally()
    for name in ("mini-s-base", "mini-s-dpo"):
        (tmp_path / name).mkdir()
    spec = registry.get_pair("mini-s-dpo")
    assert spec.base_location() == str(tmp_path / "mini-s-base")
    assert spec.is_available_locally()
    assert [s.name for s in registry.list_pairs(local_only=True)] == ["mini-s-dpo"]
    table = registry.pairs_table()
    assert table.loc[table["pair"] == "mini-s-dpo", "on this machine"].item()


def test_malformed_registry_is_rejected(tmp_path):
    bad = tmp_path / "r.yaml"
    bad.write_text("pairs:\n  x:\n    base: a\n    aligned: b\n    chat_template: builtin:nope\n")
    with pytest.raises(RegistryError, match="nope"):
        registry.load_registry(bad)
    bad.write_text("pairs:\n  x:\n    base: a\n")
    with pytest.raises(RegistryError, match="'base' and 'aligned'"):
        registry.load_registry(bad)
    bad.write_text("pairs:\n  x:\n    base: a\n    aligned: b\n    colour: red\n")
    with pytest.raises(RegistryError, match="unknown fields"):
        registry.load_registry(bad)


def test_available_pairs_skips_unbuilt_miniatures(tmp_path, monkeypatch):
    from predact_utils.lm.registry import RegistryError, available_pairs

    monkeypatch.setenv("PREDACT_MODELS", str(tmp_path))
    for name in ("mini-s-base", "mini-s-dpo"):
        (tmp_path / name).mkdir()
    ok, skipped = available_pairs("mini-s-dpo; mini-m-rlhf")
    assert [s.name for s in ok] == ["mini-s-dpo"] and skipped == ["mini-m-rlhf"]
    with pytest.raises(RegistryError, match="make miniature"):
        available_pairs("mini-m-rlhf")
    with pytest.raises(RegistryError, match="no pair given"):
        available_pairs(" ; ")
    listed, _ = available_pairs(["mini-s-dpo", "mini-m-rlhf"])  # a YAML list, e.g. papermill -y 'pairs: [...]'
    assert [s.name for s in listed] == ["mini-s-dpo"]
    with pytest.raises(RegistryError, match="';'-separated string or a list"):
        available_pairs(["mini-s-dpo", 3])


def test_first_available_pair_follows_the_preference_order(tmp_path, monkeypatch):
    from predact_utils.lm.registry import RegistryError, first_available_pair, not_built_note

    monkeypatch.setenv("PREDACT_MODELS", str(tmp_path))
    for name in ("mini-s-base", "mini-s-dpo", "mini-s-sft"):
        (tmp_path / name).mkdir()
    spec, not_built = first_available_pair("mini-m-rlhf;mini-s-sft;mini-s-dpo")
    assert spec.name == "mini-s-sft" and not_built == ["mini-m-rlhf"]
    assert not_built_note(not_built) == "; not built, hence not used: mini-m-rlhf" and not_built_note([]) == ""
    with pytest.raises(RegistryError, match="make miniature"):
        first_available_pair("mini-m-rlhf")
    from predact_utils.lm.registry import left_out_pairs

    assert left_out_pairs("mini-m-rlhf;mini-s-sft;mini-s-dpo") == ["mini-s-dpo"]
    note = not_built_note(not_built, left_out_pairs("mini-m-rlhf;mini-s-sft;mini-s-dpo"))
    assert note.startswith("; not built, hence not used: mini-m-rlhf; built but not measured here: mini-s-dpo (")
    assert "set `pair` to one of them" in note
