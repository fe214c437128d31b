"""Bad inputs a new user tries, each with the message they see and the exit code (2: a usage error, found
before any notebook runs). The book's troubleshooting page (book/troubleshooting.md) lists the same cases;
a test keeps the two in step."""

from __future__ import annotations

import json
import re
import shutil
from collections import namedtuple
from pathlib import Path

import pytest

from predact_utils import paths
from predact_utils.book import cli

ROOT = paths.repo_root()
PAGE = ROOT / "book" / "troubleshooting.md"
MODELS = paths.models_dir()
Case = namedtuple("Case", "what argv env fragment code")

#: ``{tmp}``: a folder of crafted inputs (see ``crafted``); ``{models}``: data/models.
CASES = [
    Case("no command", [], {}, "predact run --pair NAME", 2),
    Case("an unknown command", ["frobnicate"], {}, "unknown command 'frobnicate'", 2),
    Case("run without a pair", ["run"], {}, "the following arguments are required: --pair", 2),
    Case("an unknown pair name", ["run", "--pair", "llama9-chat"], {}, "llama9-chat", 2),
    Case("three models for a pair", ["run", "--pair", "a", "b", "c"], {}, "--pair takes a registry name or two", 2),
    Case("an unknown scale", ["run", "--pair", "mini-s-dpo", "--scale", "medium"], {}, "invalid choice: 'medium'", 2),
    Case("a timeout of 0", ["run", "--pair", "mini-s-dpo", "--timeout", "0"], {}, "0 is not at least 1 second", 2),
    Case("a timeout that is not a number", ["run", "--pair", "mini-s-dpo", "--timeout", "soon"], {},
         "'soon' is not a whole number of seconds", 2),
    Case("-p scale beside --scale", ["run", "--pair", "mini-s-dpo", "-p", "scale", "smoke"], {},
         "-p scale conflicts with --scale", 2),
    Case("-p pairs beside --pair", ["run", "--pair", "mini-s-dpo", "-p", "pairs", "mini-m-rlhf"], {},
         "-p pairs conflicts with --pair", 2),
    Case("the same checkpoint twice", ["run", "--pair", "{models}/mini-s-sft", "{models}/mini-s-sft"], {},
         "Base and aligned are the same checkpoint", 2),
    Case("two paths that do not exist", ["run", "--pair", "{tmp}/nope-a", "{tmp}/nope-b", "--scale", "smoke"], {},
         "Base model '{tmp}/nope-a'", 2),
    Case("a folder that is not a checkpoint", ["run", "--pair", "{tmp}/empty", "{models}/mini-s-sft", "--scale",
                                               "smoke"], {}, "is a folder but not a Hugging Face checkpoint", 2),
    Case("a pair whose tokenizers differ", ["run", "--pair", "{tmp}/a", "{tmp}/b", "--scale", "smoke"], {},
         "the tokenizers differ", 2),
    Case("a hub id with downloads off", ["run", "--pair", "meta-llama/Llama-2-7b-hf",
                                         "meta-llama/Llama-2-7b-chat-hf"], {}, "set PREDACT_ALLOW_DOWNLOAD=1", 2),
    Case("a negative sample count", ["run", "--pair", "mini-s-dpo", "-p", "n_samples", "-5"], {},
         "n_samples: -5 is below the minimum", 2),
    Case("top_p above 1", ["run", "--pair", "mini-s-dpo", "-p", "top_p", "1.5"], {},
         "top_p: 1.5 is above the maximum 1.0", 2),
    Case("a negative seed", ["run", "--pair", "mini-s-dpo", "-p", "seed", "-1"], {},
         "seed: -1 is below the minimum 0", 2),
    Case("a sample count that is not a number", ["run", "--pair", "mini-s-dpo", "-p", "n_samples", "many"], {},
         "n_samples", 2),
    Case("a mistyped parameter name", ["run", "--pair", "mini-s-dpo", "-p", "n_sample", "5"], {}, "n_samples", 2),
    Case("a prompts file that does not exist", ["run", "--pair", "mini-s-dpo", "-p", "prompts_file",
                                                "{tmp}/mine.jsonl"], {}, "mine.jsonl", 2),
    Case("a malformed prompts file", ["run", "--pair", "mini-s-dpo", "-p", "prompts_file", "{tmp}/bad.jsonl"], {},
         "bad.jsonl:2: not valid JSON", 2),
    Case("an output folder that cannot be written", ["run", "--pair", "mini-s-dpo", "--out", "{tmp}/a-file/out"], {},
         "cannot write there", 2),
    Case("an unknown PREDACT_DTYPE", ["run", "--pair", "mini-s-dpo"], {"PREDACT_DTYPE": "fp8"},
         "unknown dtype 'fp8' in $PREDACT_DTYPE", 2),
    Case("MAFFT not usable", ["run", "--pair", "mini-s-dpo"], {"PREDACT_MAFFT": "{tmp}/no-bin/mafft"},
         "MAFFT is not usable", 2),
    Case("a full disk", ["run", "--pair", "mini-s-dpo"], {"SIMULATE_FULL_DISK": "1"}, "disk: 0.0 GiB free", 2),
    Case("an unknown plan pair", ["plan", "--pair", "nobody/base", "nobody/chat"], {}, "PREDACT_ALLOW_DOWNLOAD=1", 2),
]


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Path:
    """Inputs the cases point at: a mismatched pair, an empty folder, prompts files, a file in a path."""
    tmp = tmp_path_factory.mktemp("bad")
    for name in ("a", "b"):
        shutil.copytree(MODELS / "mini-s-base", tmp / name)
    tok = json.loads((tmp / "b" / "tokenizer.json").read_text())
    vocab = tok["model"]["vocab"]
    first = next(iter(vocab))
    vocab[first + "X"] = vocab.pop(first)
    (tmp / "b" / "tokenizer.json").write_text(json.dumps(tok))
    (tmp / "empty").mkdir()
    (tmp / "no-bin").mkdir()
    (tmp / "bad.jsonl").write_text('{"id": "a", "category": "x", "prompt": "Why?"}\n{not json}\n')
    (tmp / "a-file").write_text("x")
    return tmp


@pytest.mark.parametrize("case", CASES, ids=[c.what for c in CASES])
def test_a_bad_input_gets_its_message_and_exit_code(case: Case, crafted: Path, monkeypatch, capsys) -> None:
    fill = {"tmp": str(crafted), "models": str(MODELS)}
    for k, v in case.env.items():
        if k == "SIMULATE_FULL_DISK":
            monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**12, 10**12, 0))
        else:
            monkeypatch.setenv(k, v.format(**fill))
    monkeypatch.delenv("PREDACT_ALLOW_DOWNLOAD", raising=False)

    def no_build(*args, **kwargs):  # a bad input must be refused before the book is built
        raise AssertionError("the run reached the book build")
    monkeypatch.setattr("predact_utils.book.build.build", no_build)
    code = cli.main([a.format(**fill) for a in case.argv])
    out = capsys.readouterr()
    assert code == case.code, (out.out[-500:], out.err[-500:])
    assert case.fragment.format(**fill) in out.out + out.err, out.err[-1500:]


def test_the_troubleshooting_page_lists_every_case() -> None:
    rows = [line for line in PAGE.read_text().splitlines() if line.startswith("| ") and not line.startswith("| what")]
    rows = [r for r in rows if not set(r) <= set("|- ")]
    assert len(rows) == len(CASES) >= 25
    for case, row in zip(CASES, rows, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == case.what and cells[-1] == str(case.code), row
        assert re.sub(r"\{\w+\}", "…", case.fragment) == cells[-2].strip("`"), row
