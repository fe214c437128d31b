"""The data manifest ``data/corpora/manifest.json`` and its checks (book section: Data).

Per corpus: category, role, description, license, source packages with their
versions, and per split the number of documents, bytes, estimated tokens, the
sha256 of the split file and whether it is committed. Token counts are an
estimate, ``bytes / 4`` (:data:`TOKEN_PROXY`), because the project's BPE
tokenizer is trained later from these corpora.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from predact_utils.data.corpora.io import sha256_file, write_json
from predact_utils.paths import data_dir, repo_root

TOKEN_PROXY = "bytes/4 (UTF-8 bytes of the texts divided by 4; the project's BPE tokenizer does not exist yet)"
FORMAT = 1


def corpora_dir() -> Path:
    """``data/corpora``."""
    return data_dir() / "corpora"


def manifest_path() -> Path:
    """``data/corpora/manifest.json``."""
    return corpora_dir() / "manifest.json"


def est_tokens(n_bytes: int) -> int:
    """Estimated token count of ``n_bytes`` of text (see :data:`TOKEN_PROXY`)."""
    return n_bytes // 4


def load_manifest(path: Path | None = None) -> dict[str, Any]:
    """The manifest as a dict (error says how to rebuild it)."""
    p = path or manifest_path()
    if not p.exists():
        raise FileNotFoundError(f"{p} not found; run `make data` or git checkout data/corpora")
    return json.loads(p.read_text(encoding="utf-8"))


def save_manifest(manifest: dict[str, Any], path: Path | None = None) -> None:
    """Write the manifest atomically."""
    write_json(path or manifest_path(), manifest)


def rel(path: Path) -> str:
    """Path relative to the data folder (as stored in the manifest)."""
    return str(Path(path).resolve().relative_to(data_dir().resolve()))


def committed_files(manifest: dict[str, Any]) -> dict[str, str]:
    """{data-relative path: sha256} of every committed file the manifest lists."""
    out = {}
    for c in manifest["corpora"].values():
        for s in c["splits"].values():
            if s["committed"]:
                out[s["path"]] = s["sha256"]
    for group in ("instructions", "prefixes", "prompts"):
        for path, sha in manifest.get(group, {}).items():
            out[path] = sha
    return out


def verify_committed(manifest: dict[str, Any] | None = None) -> list[str]:
    """Problems (missing or changed committed files); an empty list means all match."""
    m = manifest or load_manifest()
    problems = []
    for path, sha in sorted(committed_files(m).items()):
        p = data_dir() / path
        if not p.exists():
            problems.append(f"{path}: missing")
        elif sha256_file(p) != sha:
            problems.append(f"{path}: sha256 differs from the manifest")
    return problems


def table(manifest: dict[str, Any]) -> str:
    """The corpus table printed by ``make data`` (corpus, category, role, docs, MB, est. tokens, license)."""
    head = f"{'corpus':17s} {'category':10s} {'role':6s} {'docs':>7s} {'MB':>7s} {'~tokens':>9s} {'eval ~tok':>9s}  license"
    lines = [head, "-" * len(head)]
    for name, c in manifest["corpora"].items():
        docs = sum(s["docs"] for s in c["splits"].values())
        nbytes = sum(s["bytes"] for s in c["splits"].values())
        ev = c["splits"].get("validation", {}).get("est_tokens", 0)
        lines.append(f"{name:17s} {c['category']:10s} {c['role']:6s} {docs:7d} {nbytes / 1e6:7.2f} "
                     f"{est_tokens(nbytes) / 1e6:8.2f}M {ev / 1e6:8.2f}M  {c['license']}")
    lines.append(f"tokens: {manifest['token_proxy']}; root: {repo_root()}")
    return "\n".join(lines)
