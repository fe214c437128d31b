"""Multiple sequence alignment of a prompt's generations with MAFFT (section "Implicit blueprints and anchor spans").

MAFFT aligns arbitrary symbol strings in its text mode (``mafft --text``), one
byte per symbol. Allowed are the bytes 1-255 except ``>``, ``=``, ``<``,
``-``, space, CR and LF: :data:`ALPHABET`, 248 symbols. A prompt's generations
are token-id sequences, so each prompt gets its own :class:`SymbolMap`:

* the tokens of that prompt's generations are ranked by how often they occur
  (ties: smaller token id first);
* if there are at most 248 distinct tokens, each gets its own symbol;
* otherwise the ``248 - n_overflow`` most frequent tokens get their own
  symbols and every rarer token is *folded* onto one of ``n_overflow`` shared
  overflow symbols (token id modulo ``n_overflow``). The map records how many
  token types and token occurrences were folded.

Folding only affects how MAFFT scores the alignment: two different rare
tokens on the same overflow symbol look identical to MAFFT. It never affects
what the book reports, because :func:`align_generations` decodes the aligned
rows back to the *real* token ids (each row's non-gap symbols are, in order,
exactly that generation's tokens), and every analysis compares real token ids.

MAFFT is an external program (Debian package ``mafft``, or the faster build with
identical output that ``make setup`` makes: :mod:`~predact_utils.chapters.anchors.mafftbin`).
When it is missing, fails or times out, :class:`MafftError` says so and how to install it;
there is no fallback aligner, because a different aligner would change the results.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from predact_utils.chapters.anchors.mafftbin import INSTALL_HINT, MafftError, mafft_path
from predact_utils.runs.cache import ArtifactCache, stable_hash

#: Bytes MAFFT's text mode cannot take as symbols (FASTA syntax, gap, whitespace).
FORBIDDEN: frozenset[int] = frozenset(b"><=- \r\n")
#: MAFFT's text alphabet: the 248 allowed byte values, in increasing order.
ALPHABET: bytes = bytes(b for b in range(1, 256) if b not in FORBIDDEN)
CODE_VERSION = "msa-1"  # bump when a change alters alignments, to invalidate cached ones
GAP = -1  # token id of a gap in a decoded alignment


@dataclass(frozen=True)
class SymbolMap:
    """Token id -> MAFFT text symbol for one prompt's generations, with overflow folding (see module doc)."""

    token_to_symbol: dict[int, int]
    own: frozenset[int]  # tokens with a symbol of their own
    n_overflow: int  # number of shared overflow symbols in use (0: nothing folded)
    n_types: int  # distinct tokens in the generations
    folded_types: int  # distinct tokens folded onto overflow symbols
    folded_tokens: int  # token occurrences folded onto overflow symbols
    n_tokens: int  # all token occurrences

    @classmethod
    def fit(cls, sequences: Sequence[Sequence[int]], n_overflow: int = 8) -> SymbolMap:
        """Build the map from the token frequencies of ``sequences`` (deterministic)."""
        if not 1 <= n_overflow < len(ALPHABET):
            raise ValueError(f"n_overflow must be in 1..{len(ALPHABET) - 1}, got {n_overflow}")
        counts = Counter(int(t) for s in sequences for t in s)
        if any(t < 0 for t in counts):
            raise ValueError("token ids must be non-negative")
        ranked = sorted(counts, key=lambda t: (-counts[t], t))
        n_tokens = sum(counts.values())
        if len(ranked) <= len(ALPHABET):
            mapping = {t: ALPHABET[i] for i, t in enumerate(ranked)}
            return cls(mapping, frozenset(ranked), 0, len(ranked), 0, 0, n_tokens)
        n_own = len(ALPHABET) - n_overflow
        own, rare = ranked[:n_own], ranked[n_own:]
        overflow = ALPHABET[n_own:]
        mapping = {t: ALPHABET[i] for i, t in enumerate(own)}
        mapping.update({t: overflow[t % n_overflow] for t in rare})
        return cls(mapping, frozenset(own), n_overflow, len(ranked), len(rare),
                   sum(counts[t] for t in rare), n_tokens)

    @property
    def folded_share(self) -> float:
        """Share of token occurrences that went to an overflow symbol."""
        return self.folded_tokens / self.n_tokens if self.n_tokens else 0.0

    def encode(self, tokens: Sequence[int]) -> bytes:
        """The symbol string of one token sequence."""
        try:
            return bytes(self.token_to_symbol[int(t)] for t in tokens)
        except KeyError as e:
            raise ValueError(f"token {e.args[0]} was not in the sequences this map was fitted on") from None

    def decode(self, symbols: bytes) -> list[int | None]:
        """Token ids of a symbol string; ``None`` for overflow symbols (which stand for several tokens)."""
        inverse = {s: t for t, s in self.token_to_symbol.items() if t in self.own}
        return [inverse.get(b) for b in symbols]


@dataclass
class Alignment:
    """A decoded MAFFT alignment: ``columns[s, c]`` is the token id of sequence ``s`` in column ``c``, or GAP."""

    columns: np.ndarray  # (n_sequences, n_columns) int64
    symbols: SymbolMap
    options: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_sequences(self) -> int:
        return int(self.columns.shape[0])

    @property
    def n_columns(self) -> int:
        return int(self.columns.shape[1])

    def lengths(self) -> np.ndarray:
        """Number of tokens (non-gap cells) of each sequence."""
        return (self.columns != GAP).sum(axis=1)

    def sequence(self, s: int) -> list[int]:
        """The tokens of sequence ``s`` (its row without gaps)."""
        row = self.columns[s]
        return [int(t) for t in row[row != GAP]]

    def positions(self, s: int) -> np.ndarray:
        """Column index of each token of sequence ``s``, in order."""
        return np.flatnonzero(self.columns[s] != GAP)


def _fasta(records: Sequence[bytes]) -> bytes:
    return b"".join(b">s%d\n" % i + r + b"\n" for i, r in enumerate(records))


def _parse_fasta(data: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    name: str | None = None
    chunks: list[bytes] = []
    for line in data.split(b"\n"):
        if line.startswith(b">"):
            if name is not None:
                out[name] = b"".join(chunks)
            name, chunks = line[1:].strip().decode("ascii"), []
        elif name is not None:
            chunks.append(line.rstrip(b"\r"))
    if name is not None:
        out[name] = b"".join(chunks)
    return out


def run_mafft(records: Sequence[bytes], options: Sequence[str] = (), timeout: float = 120.0) -> list[bytes]:
    """Align symbol strings with ``mafft --text --quiet <options>``; return the gapped rows in input order.

    Raises :class:`MafftError` when MAFFT is missing, exits with an error, times out, or returns rows
    that are not the input with gaps inserted.
    """
    for r in records:
        bad = set(r) & (FORBIDDEN | {0})
        if bad:
            raise ValueError(f"symbols {sorted(bad)} are not allowed in MAFFT's text mode")
    if len(records) < 2:
        return list(records)
    cmd = [mafft_path(), "--text", "--quiet", *options]
    with tempfile.TemporaryDirectory(prefix="predact-mafft-") as tmp:
        path = os.path.join(tmp, "in.fa")
        with open(path, "wb") as f:
            f.write(_fasta(records))
        env = dict(os.environ, TMPDIR=tmp)
        try:
            proc = subprocess.run([*cmd, path], capture_output=True, timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise MafftError(f"MAFFT did not finish within {timeout:g} s on {len(records)} sequences "
                             f"(command: {shlex.join(cmd)}); raise the timeout or use faster options "
                             "such as --retree 1.") from None
        except OSError as e:
            raise MafftError(f"could not run MAFFT ({e}). " + INSTALL_HINT) from e
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()[-800:]
        raise MafftError(f"MAFFT exited with status {proc.returncode} (command: {shlex.join(cmd)}): {err}\n"
                         "If the installation is broken, reinstall it. " + INSTALL_HINT)
    rows = _parse_fasta(proc.stdout)
    out: list[bytes] = []
    for i, r in enumerate(records):
        row = rows.get(f"s{i}")
        if row is None or row.replace(b"-", b"") != r:
            raise MafftError(f"MAFFT's output does not contain sequence s{i} with gaps inserted "
                             f"(command: {shlex.join(cmd)}); the installed MAFFT may not support --text. "
                             + INSTALL_HINT)
        out.append(row)
    if len({len(r) for r in out}) > 1:
        raise MafftError("MAFFT returned rows of different lengths; the alignment is unusable.")
    return out


def decode_rows(rows: Sequence[bytes], sequences: Sequence[Sequence[int]]) -> np.ndarray:
    """Token-id columns of aligned rows: each row's non-gap cells get that sequence's real tokens, in order."""
    n_cols = len(rows[0]) if rows else 0
    out = np.full((len(rows), n_cols), GAP, dtype=np.int64)
    gap = ord("-")
    for s, (row, seq) in enumerate(zip(rows, sequences, strict=True)):
        cells = np.frombuffer(row, dtype=np.uint8) != gap
        if int(cells.sum()) != len(seq):
            raise ValueError(f"row {s} has {int(cells.sum())} symbols for {len(seq)} tokens")
        out[s, cells] = np.asarray(seq, dtype=np.int64)
    return out


def align_generations(sequences: Sequence[Sequence[int]], options: Sequence[str] = ("--auto",),
                      timeout: float = 120.0, n_overflow: int = 8) -> Alignment:
    """Align a prompt's token sequences with MAFFT; empty sequences become all-gap rows."""
    seqs = [[int(t) for t in s] for s in sequences]
    symbols = SymbolMap.fit(seqs, n_overflow=n_overflow)
    nonempty = [i for i, s in enumerate(seqs) if s]
    rows = run_mafft([symbols.encode(seqs[i]) for i in nonempty], options=options, timeout=timeout)
    decoded = decode_rows(rows, [seqs[i] for i in nonempty])
    columns = np.full((len(seqs), decoded.shape[1]), GAP, dtype=np.int64)
    columns[nonempty] = decoded
    return Alignment(columns, symbols, tuple(options))


def parse_options(options: str) -> tuple[str, ...]:
    """MAFFT options from the notebook's string parameter (shell-like splitting, ``--text`` added by the caller)."""
    parts = tuple(shlex.split(options))
    if "--text" in parts or any(p in ("--amino", "--nuc") for p in parts):
        raise ValueError("pass MAFFT options without --text/--amino/--nuc; text mode is always used")
    return parts


_VERSION: str | None = None


def mafft_version() -> str:
    """MAFFT's version string (part of the cache key of an alignment)."""
    global _VERSION
    if _VERSION is None:
        proc = subprocess.run([mafft_path(), "--version"], capture_output=True, timeout=30, check=False)
        _VERSION = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip().splitlines()[0]
    return _VERSION


def cached_alignment(sequences: Sequence[Sequence[int]], options: Sequence[str] = ("--auto",),
                     timeout: float = 120.0, n_overflow: int = 8, cache: ArtifactCache | None = None) -> Alignment:
    """:func:`align_generations`, stored in the artifact cache (keyed on the tokens, options and MAFFT version)."""
    seqs = [[int(t) for t in s] for s in sequences]
    cache = cache or ArtifactCache()
    inputs = {"tokens": stable_hash(seqs), "options": list(options), "n_overflow": n_overflow,
              "mafft": mafft_version(), "code": CODE_VERSION}
    return cache.get_or_compute("mafft_alignment", inputs,
                                lambda: align_generations(seqs, options, timeout=timeout, n_overflow=n_overflow))


def align_prompts(per_prompt: Sequence[Sequence[Sequence[int]]], options: Sequence[str] = ("--auto",),
                  timeout: float = 120.0, n_overflow: int = 8, cache: ArtifactCache | None = None,
                  workers: int | None = None) -> list[Alignment]:
    """:func:`cached_alignment` of each prompt's generations, in prompt order.

    MAFFT runs single-threaded, so the prompts are aligned by ``workers`` MAFFT processes at once
    (default: one per CPU core); each alignment is independent and cached on its own, so the result
    does not depend on ``workers``.
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1 (or None for one per CPU core), got {workers}")
    workers = workers or os.cpu_count() or 1

    def one(seqs: Sequence[Sequence[int]]) -> Alignment:
        return cached_alignment(seqs, options, timeout=timeout, n_overflow=n_overflow, cache=cache)

    if workers == 1 or len(per_prompt) < 2:
        return [one(seqs) for seqs in per_prompt]
    with ThreadPoolExecutor(max_workers=min(workers, len(per_prompt)), thread_name_prefix="mafft") as pool:
        return list(pool.map(one, per_prompt))
