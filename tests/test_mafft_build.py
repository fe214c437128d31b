"""Which MAFFT runs (predact_utils.chapters.anchors.mafftbin), and the patched build against Debian's MAFFT.

The patched build (third_party/mafft, made by ``make setup``) must align every set exactly as Debian's
``/usr/bin/mafft`` does: the comparison runs both on planted-anchor sets, diverse sets and sets with folded
overflow symbols, with the book's options and two others.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from predact_utils.chapters.anchors import mafftbin
from predact_utils.chapters.anchors.mafftbin import MafftError, built_mafft, mafft_path
from predact_utils.chapters.anchors.msa import SymbolMap, run_mafft

DEBIAN = Path("/usr/bin/mafft")


def _fake_build(folder: Path, stamp: bool = True) -> Path:
    exe = folder / "bin" / "mafft"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\necho v0\n")
    exe.chmod(0o755)
    if stamp:
        (folder / mafftbin.STAMP).write_text("x")
    return exe


def test_order_env_then_build_then_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    build = tmp_path / "opt" / "mafft"
    exe = _fake_build(build)
    monkeypatch.setattr(mafftbin, "build_dir", lambda: build)
    monkeypatch.setattr(mafftbin.shutil, "which", lambda name: "/somewhere/mafft")
    monkeypatch.delenv("PREDACT_MAFFT", raising=False)
    assert mafft_path() == str(exe)
    assert "zero-term patch" in mafftbin.mafft_build()
    monkeypatch.setenv("PREDACT_MAFFT", str(exe))
    assert mafft_path() == str(exe) and "$PREDACT_MAFFT" in mafftbin.mafft_build()
    monkeypatch.delenv("PREDACT_MAFFT")
    (build / mafftbin.STAMP).unlink()  # an unfinished build is not used
    assert built_mafft(build) is None and mafft_path() == "/somewhere/mafft"
    assert mafftbin.mafft_build() == "/somewhere/mafft"


def test_bad_choices_are_clear_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PREDACT_MAFFT", str(tmp_path / "missing"))
    with pytest.raises(MafftError, match="PREDACT_MAFFT=.*not an executable"):
        mafft_path()
    monkeypatch.delenv("PREDACT_MAFFT")
    monkeypatch.setattr(mafftbin, "build_dir", lambda: tmp_path / "none")
    monkeypatch.setattr(mafftbin.shutil, "which", lambda name: None)
    with pytest.raises(MafftError, match="make setup.*apt-get install -y mafft"):
        mafft_path()


def _prompt_sets() -> list[tuple[str, list[bytes], int]]:
    """(what, MAFFT records, overflow symbols): planted anchors, diverse answers, many folded tokens."""
    rng = np.random.default_rng(11)
    out = []
    for kind in ("planted", "diverse", "folded"):
        vocab = 400 if kind != "folded" else 6000
        span = rng.integers(0, vocab, 25)
        seqs = []
        for j in range(40):
            s = rng.integers(0, vocab, int(rng.integers(30, 90)))
            if kind == "planted" and j % 3:
                s[5:30] = span
            seqs.append([int(t) for t in s])
        k = 8 if kind == "folded" else 32
        symbols = SymbolMap.fit(seqs, n_overflow=k)
        out.append((kind, [symbols.encode(s) for s in seqs], k))
    return out


@pytest.mark.skipif(built_mafft() is None or not DEBIAN.is_file(),
                    reason="needs `make setup`'s MAFFT build and Debian's /usr/bin/mafft")
@pytest.mark.parametrize("options", [("--retree", "2", "--maxiterate", "0"), ("--retree", "1"),
                                     ("--maxiterate", "2")])
def test_patched_build_aligns_exactly_as_debian(monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...]) -> None:
    for kind, records, _ in _prompt_sets():
        monkeypatch.setenv("PREDACT_MAFFT", str(DEBIAN))
        debian = run_mafft(records, options, timeout=120)
        monkeypatch.setenv("PREDACT_MAFFT", str(built_mafft()))
        patched = run_mafft(records, options, timeout=120)
        assert patched == debian, f"{kind} set, options {options}: the patched MAFFT aligned differently"
        assert len({len(r) for r in patched}) == 1 and len(patched[0]) > max(len(r) for r in records) - 1


def test_the_patch_touches_only_the_column_score_loops() -> None:
    patch = (Path(__file__).resolve().parents[1] / "third_party" / "mafft" / "zero-skip.patch").read_text("latin-1")
    added = [ln[1:].strip() for ln in patch.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln[1:].strip() for ln in patch.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert sum("if( c_ == 0.0 ) continue;" == a for a in added) == 14
    # every removed statement is a line of the old loops: the score sum, its loop headers, braces or comments
    allowed = ("scarr[l] += ", "scarr[l] = 0.0;", "for( ", "{", "}", "//")
    assert all(r.startswith(allowed) for r in removed if r), [r for r in removed if not r.startswith(allowed)]
