"""MAFFT text-mode alignment of token sequences (predact_utils.chapters.anchors.msa)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from predact_utils.chapters.anchors import msa
from predact_utils.chapters.anchors.msa import (
    ALPHABET,
    GAP,
    MafftError,
    SymbolMap,
    align_generations,
    decode_rows,
    run_mafft,
)

needs_mafft = pytest.mark.skipif(shutil.which("mafft") is None, reason="MAFFT not installed (apt-get install mafft)")


def test_alphabet_is_mafft_text_mode() -> None:
    assert len(ALPHABET) == 248 == len(set(ALPHABET))
    assert not set(ALPHABET) & set(b"><=- \r\n\x00")


def test_symbol_map_round_trips_without_folding() -> None:
    seqs = [[5, 5, 7, 1000], [7, 42], []]
    m = SymbolMap.fit(seqs)
    assert m.n_types == 4 and m.folded_types == 0 and m.folded_tokens == 0 and m.n_overflow == 0
    # ranked by frequency, ties by id: 5 and 7 (twice), then 42, 1000
    assert m.encode([5, 7, 42, 1000]) == ALPHABET[:4]
    for s in seqs:
        assert m.decode(m.encode(s)) == s


def test_symbol_map_folds_the_rarest_tokens() -> None:
    # 300 distinct tokens: token t occurs 300 - t times, so 0 is the most frequent
    seqs = [[t] * (300 - t) for t in range(300)]
    m = SymbolMap.fit(seqs, n_overflow=8)
    n_own = 248 - 8
    assert m.n_types == 300 and m.folded_types == 300 - n_own
    assert m.folded_tokens == sum(300 - t for t in range(n_own, 300))
    assert m.own == frozenset(range(n_own))
    assert m.encode([0, 1]) == ALPHABET[:2]
    # folded tokens go to ALPHABET[240 + t % 8]
    assert m.encode([240, 249, 299]) == bytes([ALPHABET[240], ALPHABET[241], ALPHABET[243]])
    dec = m.decode(m.encode([3, 250]))
    assert dec == [3, None]  # an overflow symbol stands for several tokens
    assert 0 < m.folded_share < 1
    with pytest.raises(ValueError, match="not in the sequences"):
        m.encode([10_000])


def test_decode_rows_puts_real_tokens_back() -> None:
    rows = [b"ab-c", b"-abc"]
    got = decode_rows(rows, [[10, 11, 12], [20, 21, 22]])
    np.testing.assert_array_equal(got, [[10, 11, GAP, 12], [GAP, 20, 21, 22]])
    with pytest.raises(ValueError):
        decode_rows([b"ab"], [[1]])


@needs_mafft
def test_mafft_aligns_four_hand_made_sequences() -> None:
    # the same 8-token skeleton: one substitution, one deletion, one extra leading token
    seqs = [
        [1, 2, 3, 4, 5, 6, 7, 8],
        [1, 2, 99, 4, 5, 6, 7, 8],
        [1, 2, 3, 4, 5, 7, 8],
        [50, 1, 2, 3, 4, 5, 6, 7, 8],
        [],
    ]
    a = align_generations(seqs, options=(), timeout=60)
    g = GAP
    expected = [
        [g, 1, 2, 3, 4, 5, 6, 7, 8],
        [g, 1, 2, 99, 4, 5, 6, 7, 8],
        [g, 1, 2, 3, 4, 5, g, 7, 8],
        [50, 1, 2, 3, 4, 5, 6, 7, 8],
        [g] * 9,
    ]
    np.testing.assert_array_equal(a.columns, expected)
    assert a.lengths().tolist() == [8, 8, 7, 9, 0]
    assert a.sequence(2) == seqs[2] and a.positions(3).tolist() == list(range(9))


@needs_mafft
def test_mafft_with_folding_still_returns_real_tokens() -> None:
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 5000, size=int(rng.integers(20, 60))).tolist() for _ in range(12)]
    a = align_generations(seqs, options=(), timeout=60, n_overflow=8)
    assert a.symbols.folded_types > 0
    for s, seq in enumerate(seqs):
        assert a.sequence(s) == seq


def test_missing_mafft_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from predact_utils.chapters.anchors import mafftbin

    monkeypatch.delenv("PREDACT_MAFFT", raising=False)
    monkeypatch.setattr(mafftbin, "built_mafft", lambda folder=None: None)
    monkeypatch.setattr(mafftbin.shutil, "which", lambda name: None)
    with pytest.raises(MafftError, match=r"apt-get install -y mafft"):
        run_mafft([b"abc", b"abd"])


@needs_mafft
def test_failing_mafft_is_an_error_not_a_fallback() -> None:
    with pytest.raises(MafftError, match="mafft"):
        run_mafft([b"abc", b"abd"], options=("--no-such-option-xyz",), timeout=30)


def test_forbidden_symbols_are_rejected() -> None:
    with pytest.raises(ValueError):
        run_mafft([b"a-b", b"ab"])


def test_parse_options() -> None:
    assert msa.parse_options("--retree 2  --maxiterate 0") == ("--retree", "2", "--maxiterate", "0")
    assert msa.parse_options("") == ()
    with pytest.raises(ValueError):
        msa.parse_options("--text")


def _fake_mafft(tmp_path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """Run a fake ``mafft`` program, chosen by ``$PREDACT_MAFFT`` (hardening: broken installations)."""
    exe = tmp_path / "bin" / "mafft"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PREDACT_MAFFT", str(exe))


def test_mafft_timing_out_is_an_error(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_mafft(tmp_path, monkeypatch, "sleep 30")
    with pytest.raises(MafftError, match="did not finish within 0.5 s"):
        run_mafft([b"abc", b"abd"], timeout=0.5)


def test_mafft_output_that_does_not_decode_is_an_error(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_mafft(tmp_path, monkeypatch, "printf '>s0\\nab-c\\n>s1\\nxyz\\n'")
    with pytest.raises(MafftError, match="does not contain sequence s1"):
        run_mafft([b"abc", b"abd"])


@needs_mafft
def test_prompts_aligned_in_parallel_equal_one_at_a_time(tmp_path) -> None:
    """Several MAFFT processes at once give, per prompt and in prompt order, the alignments of one process."""
    from predact_utils.runs.cache import ArtifactCache

    rng = np.random.default_rng(0)
    core = [5, 6, 7, 8, 9, 10]
    per_prompt = [[list(rng.integers(20, 40, 2)) + core[: 3 + p] + list(rng.integers(20, 40, 3)) for _ in range(6)]
                  for p in range(4)]
    serial = msa.align_prompts(per_prompt, ("--retree", "2"), cache=ArtifactCache(tmp_path / "a"), workers=1)
    parallel = msa.align_prompts(per_prompt, ("--retree", "2"), cache=ArtifactCache(tmp_path / "b"), workers=3)
    assert len(parallel) == 4
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a.columns, b.columns)
    for bad in (-1, 0):
        with pytest.raises(ValueError, match="workers must be >= 1"):
            msa.align_prompts(per_prompt, workers=bad)
