"""Content-addressed artifact cache shared by all notebooks (generation, scoring, hidden states).

An entry is addressed by the SHA-256 of everything that determines it: its kind, the model
(name + revision or weight fingerprint), a hash of the input data, every parameter and the seed
(:func:`stable_hash` canonicalises them). Two notebooks asking for the same generations therefore
hit the same entry and compute it once; a file lock makes the second one wait while the first
computes. Entries live under ``paths.cache_dir()`` (``data/cache/``, or ``$PREDACT_CACHE``)::

    <root>/<kind>/<key[:2]>/<key>/meta.json        kind, key, a readable copy of the inputs, payload hash
    <root>/<kind>/<key[:2]>/<key>/data.pkl         the value
    <root>/<kind>/<key[:2]>/<key>/chunk-000003.pkl per-chunk values of a long job (+ .json with their hash)

Every file is written to a temporary name and renamed into place (atomic on POSIX), so an interrupted
run never leaves a half-written entry. On read the stored key and the payload's SHA-256 are checked;
an entry that does not match (corrupt, truncated, written by other code) is recomputed, not trusted.
Long jobs save each chunk as it finishes and resume from the first missing chunk. Payloads are pickles
written by this code on this machine; do not point the cache at files from untrusted sources.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from filelock import FileLock
from tqdm.auto import tqdm

from predact_utils import paths

T = TypeVar("T")
FORMAT_VERSION = 1


def _feed(h: Any, obj: Any) -> None:
    """Feed a canonical, type-tagged encoding of ``obj`` to the hash ``h``."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        h.update(b"J" + json.dumps(obj).encode() + b";")
    elif isinstance(obj, bytes):
        h.update(b"B%d:" % len(obj) + obj)
    elif isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        h.update(f"A{arr.dtype.str}{arr.shape}:".encode() + arr.tobytes())
    elif isinstance(obj, np.generic):
        _feed(h, obj.item())
    elif hasattr(obj, "detach") and hasattr(obj, "cpu"):  # torch tensor (bf16 has no NumPy dtype: hash its bits)
        import torch  # already imported by whoever made the tensor

        t = obj.detach().cpu()
        if t.dtype == torch.bfloat16:
            h.update(b"bf16")
            t = t.view(torch.int16)
        _feed(h, t.numpy())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"D{type(obj).__name__}:".encode())
        _feed(h, {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    elif isinstance(obj, Mapping):
        h.update(b"M%d{" % len(obj))
        for k in sorted(obj, key=str):
            _feed(h, str(k))
            _feed(h, obj[k])
        h.update(b"}")
    elif isinstance(obj, (list, tuple)):
        if obj and all(isinstance(x, int) and not isinstance(x, bool) for x in obj):
            _feed(h, np.asarray(obj, dtype=np.int64))  # token id lists: fast path
        else:
            h.update(b"L%d[" % len(obj))
            for x in obj:
                _feed(h, x)
            h.update(b"]")
    elif isinstance(obj, Path):
        _feed(h, str(obj))
    else:
        raise TypeError(f"cannot hash {type(obj).__name__} for a cache key; pass lists, dicts, arrays or scalars")


def stable_hash(obj: Any) -> str:
    """SHA-256 (hex) of a canonical encoding of nested dicts/lists/tuples/arrays/scalars/dataclasses."""
    h = hashlib.sha256()
    _feed(h, obj)
    return h.hexdigest()


def _readable(obj: Any, limit: int = 200) -> Any:
    """A short JSON-able description of cache inputs, for meta.json (the key uses the full hash)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj if not isinstance(obj, str) or len(obj) <= limit else obj[:limit] + "..."
    if isinstance(obj, Mapping):
        return {str(k): _readable(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _readable(dataclasses.asdict(obj))
    if isinstance(obj, (list, tuple)) and len(obj) <= 16:
        return [_readable(x) for x in obj]
    return f"<{type(obj).__name__} sha256:{stable_hash(obj)[:16]}>"


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Invalid entries already noted in this process (file, modification time).
_NOTED: set[tuple[str, int]] = set()
#: The file of the cache's notices (recomputed entries), which a book build echoes to the console.
NOTICES = "notices.log"


def notice(root: Path, text: str) -> None:
    """Warn (the notebook's output shows it) and append one line to the cache's notice file (the build
    prints new lines on the console after each notebook)."""
    warnings.warn(text, stacklevel=3)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with open(root / NOTICES, "a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")
    except OSError:  # a notice must never break a run
        pass


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename; the file gets the mode the user's
    umask gives new files (mkstemp's 0600 would hide a shared cache from its other users)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ArtifactCache:
    """The on-disk cache; ``ArtifactCache()`` uses ``paths.cache_dir()``."""

    def __init__(self, root: str | Path | None = None, lock_timeout: float = -1) -> None:
        self.root = Path(root) if root is not None else paths.cache_dir()
        self.lock_timeout = lock_timeout

    def key(self, kind: str, inputs: Mapping[str, Any]) -> str:
        """The entry key: hash of kind, format version and all inputs."""
        if not kind or "/" in kind:
            raise ValueError(f"kind must be a non-empty name without '/', got {kind!r}")
        return stable_hash({"kind": kind, "format": FORMAT_VERSION, "inputs": dict(inputs)})

    def entry_dir(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / key

    def _lock(self, folder: Path) -> FileLock:
        folder.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(folder) + ".lock", timeout=self.lock_timeout)

    # -- one-piece entries ------------------------------------------------------------------------
    def _read_payload(self, file: Path, meta_file: Path, key: str, chunk: int | None = None) -> tuple[bool, Any]:
        try:
            meta = json.loads(meta_file.read_text())
            if meta.get("key") != key:
                raise ValueError(f"stored key {meta.get('key')!r} does not match")
            if chunk is not None and meta.get("chunk") != chunk:
                raise ValueError(f"holds chunk {meta.get('chunk')!r}, not chunk {chunk}")
            if _sha_file(file) != meta.get("sha256"):
                raise ValueError("payload hash does not match")
            with open(file, "rb") as fh:
                return True, pickle.load(fh)
        except FileNotFoundError:
            return False, None
        except Exception as err:  # corrupt or foreign entry: recompute
            seen = (str(file), file.stat().st_mtime_ns if file.exists() else 0)
            if seen not in _NOTED:  # read twice (before and under the lock): one notice
                _NOTED.add(seen)
                notice(self.root, f"cache entry {file} is invalid ({err}); recomputing it")
            return False, None

    def _write_payload(self, file: Path, meta_file: Path, key: str, value: Any, extra: Mapping[str, Any]) -> None:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        _atomic_write(file, blob)
        meta = {"key": key, "sha256": hashlib.sha256(blob).hexdigest(), "format": FORMAT_VERSION, **extra}
        _atomic_write(meta_file, json.dumps(meta, indent=1, default=str).encode())

    def load(self, kind: str, inputs: Mapping[str, Any]) -> tuple[bool, Any]:
        """``(True, value)`` for a valid entry, else ``(False, None)``."""
        key = self.key(kind, inputs)
        d = self.entry_dir(kind, key)
        return self._read_payload(d / "data.pkl", d / "meta.json", key)

    def save(self, kind: str, inputs: Mapping[str, Any], value: Any) -> Path:
        """Store ``value`` under ``inputs`` (atomically) and return the entry folder."""
        key = self.key(kind, inputs)
        d = self.entry_dir(kind, key)
        self._write_payload(d / "data.pkl", d / "meta.json", key, value, {"kind": kind, "inputs": _readable(inputs)})
        return d

    def get_or_compute(self, kind: str, inputs: Mapping[str, Any], compute: Callable[[], T]) -> T:
        """The cached value for ``inputs``, computing and storing it (under a file lock) when missing or invalid."""
        key = self.key(kind, inputs)
        d = self.entry_dir(kind, key)
        ok, value = self._read_payload(d / "data.pkl", d / "meta.json", key)
        if ok:
            return value
        with self._lock(d):
            ok, value = self._read_payload(d / "data.pkl", d / "meta.json", key)  # another process may have won
            if ok:
                return value
            value = compute()
            self.save(kind, inputs, value)
            return value

    # -- chunked, resumable entries ---------------------------------------------------------------
    def get_or_compute_chunks(
        self,
        kind: str,
        inputs: Mapping[str, Any],
        n_chunks: int,
        compute_chunk: Callable[[int], T],
        *,
        progress: bool = True,
        desc: str | None = None,
    ) -> list[T]:
        """Values of chunks ``0..n_chunks-1``; each is saved when done, so an interrupted job resumes
        from the chunks still missing (or invalid) on the next call."""
        if n_chunks < 0:
            raise ValueError(f"n_chunks must be >= 0, got {n_chunks}")
        key = self.key(kind, {**dict(inputs), "__n_chunks__": n_chunks})
        d = self.entry_dir(kind, key)
        with self._lock(d):
            out: list[Any] = []
            done = 0
            bar = tqdm(range(n_chunks), desc=desc or kind, unit="chunk", disable=not progress)
            for i in bar:
                file, meta = d / f"chunk-{i:06d}.pkl", d / f"chunk-{i:06d}.json"
                ok, value = self._read_payload(file, meta, key, chunk=i)
                if not ok:
                    value = compute_chunk(i)
                    self._write_payload(file, meta, key, value, {"kind": kind, "chunk": i})
                else:
                    done += 1
                out.append(value)
            bar.close()
            info = {"key": key, "kind": kind, "n_chunks": n_chunks, "complete": True, "inputs": _readable(inputs),
                    "format": FORMAT_VERSION}
            _atomic_write(d / "meta.json", json.dumps(info, indent=1, default=str).encode())
            return out

    def chunks_done(self, kind: str, inputs: Mapping[str, Any], n_chunks: int) -> list[int]:
        """Indices of the valid chunks already stored (to report progress of a resumable job)."""
        key = self.key(kind, {**dict(inputs), "__n_chunks__": n_chunks})
        d = self.entry_dir(kind, key)
        return [i for i in range(n_chunks)
                if self._read_payload(d / f"chunk-{i:06d}.pkl", d / f"chunk-{i:06d}.json", key, chunk=i)[0]]


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` cut into consecutive pieces of at most ``size`` (the chunks of a resumable job)."""
    if size < 1:
        raise ValueError(f"chunk size must be >= 1, got {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]
