"""Loading Base / aligned model pairs, offline by default (all sections).

:func:`load_pair` turns a registry name (``"mini-m-rlhf"``, ``"llama2-7b-chat"``),
a ``"base_path,aligned_path"`` string or a ``(base, aligned)`` tuple into two
:class:`LoadedModel` objects. On a GPU machine models load in bf16 with
``device_map="auto"`` (``accelerate`` shards a 70B pair over the GPUs of a
node). On CPU they load in bf16 too where the processor multiplies bf16
matrices in hardware (Intel AMX: 4-5x the float32 matmul rate on the book's
2-core machine), else in float32; ``$PREDACT_DTYPE`` (``fp32``, ``bf16``,
``fp16``, ``auto``) or the ``dtype`` argument overrides the choice.

The book never reaches the network unless asked: a hub id is loaded only from
the local Hugging Face cache (``local_files_only=True``), and one that is not
there fails at once with the list of local pairs. Set
``PREDACT_ALLOW_DOWNLOAD=1`` (or pass ``allow_download=True``) on a machine
with hub access to download paper-scale checkpoints.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from predact_utils import paths
from predact_utils.lm.allocator import keep_allocations
from predact_utils.lm.registry import PairSpec, list_pairs, resolve_pair

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".json", ".model", ".txt")
_FULL_HASH_LIMIT = 256 * 2**20  # files above this are fingerprinted by size + head + tail
_fingerprints: dict[tuple[str, float, int], str] = {}


class ModelNotAvailableError(FileNotFoundError):
    """A model id is neither a local folder nor in the local hub cache, and downloads are off."""


class TokenizerMismatchError(ValueError):
    """The two models of a pair do not share a tokenizer, so token-by-token comparisons are impossible."""


@dataclass
class LoadedModel:
    """A causal LM with its tokenizer, where it came from, and a fingerprint of its weights."""

    model: Any
    tokenizer: Any
    name: str
    location: str
    role: str
    fingerprint: str

    @property
    def device(self) -> torch.device:
        """Device of the input embeddings (where input ids must go)."""
        return self.model.get_input_embeddings().weight.device

    @property
    def dtype(self) -> str:
        """The dtype the model computes in (``"bf16"``, ``"fp32"``, ...), read off its input embeddings."""
        return dtype_label(self.model.get_input_embeddings().weight.dtype)

    @property
    def cache_id(self) -> str:
        """What identifies these weights, in the dtype they compute in, in the artifact cache.

        A local checkpoint is identified by the content hash of its files alone, so the same weights
        share cache entries whether they were loaded by registry name, by path, or from another
        clone (the anchor-span chapter reuses the collapse chapter's generations this way); a hub
        snapshot by its name and commit. The compute dtype is part of the id (``|bf16``): results
        computed in float32 are not reused for bf16 and the other way round.
        """
        ident = self.fingerprint if self.fingerprint.startswith("sha256:") else f"{self.name}@{self.fingerprint}"
        return f"{ident}|{self.dtype}"


@dataclass
class ModelPair:
    """A Base model and its aligned version, with the registry entry that describes them."""

    spec: PairSpec
    base: LoadedModel
    aligned: LoadedModel

    def __iter__(self):
        yield self.base
        yield self.aligned

    def by_role(self, role: str) -> LoadedModel:
        """``"base"`` or ``"aligned"``."""
        if role not in ("base", "aligned"):
            raise ValueError(f"role must be 'base' or 'aligned', got {role!r}")
        return self.base if role == "base" else self.aligned


def _flag(name: str) -> bool:
    return os.environ.get(name, "0").strip().lower() in ("1", "true", "yes")


def download_switch_on() -> bool:
    """Whether the user turned downloads on (``PREDACT_ALLOW_DOWNLOAD=1``)."""
    return _flag("PREDACT_ALLOW_DOWNLOAD")


def downloads_allowed(allow_download: bool | None = None) -> bool:
    """Whether hub downloads are allowed: the argument, else ``$PREDACT_ALLOW_DOWNLOAD`` (default off), unless
    the hub client itself is switched off (``HF_HUB_OFFLINE=1``), which would refuse them anyway."""
    if allow_download is not None:
        return allow_download
    return download_switch_on() and not _flag("HF_HUB_OFFLINE")


DTYPE_NAMES = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, "fp16": torch.float16,
               "float16": torch.float16, "fp32": torch.float32, "float32": torch.float32}


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (Intel AMX tiles), as PyTorch reports it."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


def default_dtype(dtype: str | torch.dtype | None = None) -> torch.dtype:
    """The compute dtype: ``dtype`` if given, else ``$PREDACT_DTYPE``, else ``"auto"``.

    ``"auto"`` is bf16 on a CUDA GPU that computes in it (else fp16: V100, T4) and on a CPU with bf16 matrix
    hardware (:func:`cpu_has_fast_bf16`), float32 otherwise. Other names: ``"bf16"``, ``"fp16"``, ``"fp32"`` (and the torch spellings).
    """
    if isinstance(dtype, torch.dtype):
        return dtype
    source = "the dtype argument"
    if dtype is None:
        dtype, source = os.environ.get("PREDACT_DTYPE", "auto").strip().lower() or "auto", "$PREDACT_DTYPE"
    if dtype == "auto":
        if torch.cuda.is_available():
            from predact_utils.lm.memory import half_dtype

            return half_dtype(torch.cuda.is_bf16_supported())
        return torch.bfloat16 if cpu_has_fast_bf16() else torch.float32
    if dtype not in DTYPE_NAMES:
        raise ValueError(f"unknown dtype {dtype!r} in {source}; use one of {sorted(DTYPE_NAMES)} or 'auto'")
    return DTYPE_NAMES[dtype]


def dtype_label(dtype: torch.dtype) -> str:
    """Short name of a torch dtype for cache keys and the book's text (``"bf16"``, ``"fp32"``, ...)."""
    return {torch.bfloat16: "bf16", torch.float16: "fp16", torch.float32: "fp32"}.get(dtype, str(dtype))


def _local_dir(ident: str) -> Path | None:
    for cand in (Path(ident).expanduser(), paths.models_dir() / ident):
        if cand.is_dir() and (cand / "config.json").is_file():
            return cand.resolve()
    return None


def _hub_snapshot(ident: str, revision: str | None) -> Path | None:
    """The cached snapshot folder of a hub id, found without any network access."""
    from huggingface_hub import try_to_load_from_cache

    if ident.count("/") != 1 or ident.startswith((".", "/", "~")):
        return None
    try:
        hit = try_to_load_from_cache(ident, "config.json", cache_dir=str(paths.hf_cache_dir()), revision=revision)
    except Exception:  # malformed ids are simply "not cached"
        return None
    return Path(hit).parent if isinstance(hit, str) else None


def _not_available_message(ident: str) -> str:
    folder = Path(ident).expanduser()
    if folder.is_dir() and not (folder / "config.json").is_file():
        return (f"{folder} is a folder but not a Hugging Face checkpoint (it has no config.json); pass the folder "
                "that holds config.json, the weights (*.safetensors) and the tokenizer files, e.g. the output of "
                "model.save_pretrained(...) and tokenizer.save_pretrained(...)")
    local = [s.name for s in list_pairs(local_only=True)]
    pairs = ", ".join(local) if local else "none yet (build them with `make miniature`)"
    return (
        f"model {ident!r} is neither a local checkpoint folder nor in the Hugging Face cache "
        f"({paths.hf_cache_dir()}), and downloads are off (the book runs offline by default). "
        f"Pairs available on this machine: {pairs}. To use your own checkpoints pass folders, e.g. "
        f"load_pair('/path/to/base,/path/to/aligned') or load_model('/path/to/model'); " + _download_hint()
    )


def _download_hint() -> str:
    """The one switch that turns downloads on, given what is set now."""
    if download_switch_on() and _flag("HF_HUB_OFFLINE"):
        return ("PREDACT_ALLOW_DOWNLOAD=1 is set, but HF_HUB_OFFLINE=1 switches the hub client off: unset "
                "HF_HUB_OFFLINE (and TRANSFORMERS_OFFLINE) to download.")
    return "to download from the hub, set PREDACT_ALLOW_DOWNLOAD=1 on a machine with network access."


def fingerprint_dir(folder: str | Path) -> str:
    """A content hash of a checkpoint folder's weight, config and tokenizer files (16 hex digits).

    Files up to 256 MiB are hashed whole; bigger shards by name, size and their first and last MiB
    (hashing 140 GB of a 70B model would take minutes; a hub snapshot is fingerprinted by its commit).
    """
    folder = Path(folder)
    h = hashlib.sha256()
    for f in sorted(folder.iterdir()):
        if not f.is_file() or not f.name.endswith(_WEIGHT_SUFFIXES):
            continue
        st = f.stat()
        key = (str(f.resolve()), st.st_mtime, st.st_size)
        if key not in _fingerprints:
            fh_hash = hashlib.sha256()
            with open(f, "rb") as fh:
                if st.st_size <= _FULL_HASH_LIMIT:
                    for block in iter(lambda: fh.read(1 << 22), b""):
                        fh_hash.update(block)
                else:
                    fh_hash.update(fh.read(1 << 20))
                    fh.seek(st.st_size - (1 << 20))
                    fh_hash.update(fh.read(1 << 20))
                    fh_hash.update(str(st.st_size).encode())
            _fingerprints[key] = fh_hash.hexdigest()
        h.update(f.name.encode() + b"\0" + _fingerprints[key].encode())
    return h.hexdigest()[:16]


def resolve_location(ident: str, *, revision: str | None = None, allow_download: bool | None = None) -> tuple[str, str, bool]:
    """Where to load ``ident`` from: ``(location, fingerprint, local_files_only)``; never touches the network.

    Raises :class:`ModelNotAvailableError` when the model would have to be downloaded and downloads are off.
    """
    local = _local_dir(ident)
    if local is not None:
        return str(local), "sha256:" + fingerprint_dir(local), True
    snap = _hub_snapshot(ident, revision)
    if snap is not None:
        return str(snap), "rev:" + snap.name, True
    if downloads_allowed(allow_download):
        return ident, "rev:" + (revision or "main"), False
    raise ModelNotAvailableError(_not_available_message(ident))


def load_model(
    ident: str,
    *,
    role: str = "base",
    dtype: str | torch.dtype | None = None,
    device_map: str | dict | None = None,
    revision: str | None = None,
    allow_download: bool | None = None,
    chat_template: str | None = None,
) -> LoadedModel:
    """Load one causal LM and its tokenizer from a folder, a ``data/models/`` name or a (cached) hub id.

    ``dtype`` defaults to :func:`default_dtype` (bf16 on GPU and on CPUs with AMX, float32 on other CPUs),
    ``device_map`` to ``"auto"`` on GPU. ``chat_template``
    is set on the tokenizer when it has none (registry ``builtin:`` templates).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    location, fingerprint, local_only = resolve_location(ident, revision=revision, allow_download=allow_download)
    torch_dtype = default_dtype(dtype)
    if device_map is None and torch.cuda.is_available():
        device_map = "auto"
    kwargs: dict[str, Any] = {"local_files_only": local_only}
    if revision is not None and not local_only:
        kwargs["revision"] = revision
    if device_map == "auto" and torch.cuda.is_available():
        from predact_utils.lm.memory import gpu_totals, max_memory

        kwargs["max_memory"] = max_memory(gpu_totals())  # headroom for caches; no silent offload to CPU or disk
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, **{k: v for k, v in kwargs.items() if k != "max_memory"})
        model = AutoModelForCausalLM.from_pretrained(location, dtype=torch_dtype, device_map=device_map, **kwargs)
    except OSError as err:
        raise ModelNotAvailableError(f"{_not_available_message(ident)} (loader said: {err})") from err
    model.eval()
    if model.get_input_embeddings().weight.device.type == "cpu":
        keep_allocations()
    if chat_template and not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = chat_template
    if tokenizer.pad_token_id is None and tokenizer.eos_token_id is not None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(model, tokenizer, ident, location, role, fingerprint)


def check_same_tokenizer(tok_a: Any, tok_b: Any, probe: str | None = None) -> None:
    """Raise :class:`TokenizerMismatchError` unless both tokenizers map text to the same token ids.

    Token-by-token analyses (scoring one model's generations with the other, per-position
    distributions, cross-model perplexity) need one shared vocabulary; this compares the
    vocabularies and the encoding of a probe text, and says how they differ.
    """
    va, vb = tok_a.get_vocab(), tok_b.get_vocab()
    if va != vb:
        only_a = sorted(set(va) - set(vb))[:5]
        only_b = sorted(set(vb) - set(va))[:5]
        moved = sorted(t for t in set(va) & set(vb) if va[t] != vb[t])[:5]
        raise TokenizerMismatchError(
            f"the tokenizers differ: vocab sizes {len(va)} vs {len(vb)}; tokens only in the first {only_a}, "
            f"only in the second {only_b}, with different ids {moved}. Token-level comparisons need a pair "
            "whose aligned model was tuned from the Base model without changing its tokenizer."
        )
    probe = probe or "The quick brown fox, 1234 times: naïve café — über!\nNext line."
    ids_a = tok_a(probe, add_special_tokens=False)["input_ids"]
    ids_b = tok_b(probe, add_special_tokens=False)["input_ids"]
    if ids_a != ids_b:
        raise TokenizerMismatchError(
            f"the vocabularies match but the tokenizers encode {probe!r} differently ({ids_a} vs {ids_b}): "
            "their normalisers or pre-tokenisers differ; use tokenizers that encode text identically."
        )


def load_pair(
    pair: str | Sequence[str] | PairSpec,
    *,
    dtype: str | torch.dtype | None = None,
    device_map: str | dict | None = None,
    allow_download: bool | None = None,
    check_tokenizers: bool = True,
) -> ModelPair:
    """Load the Base and aligned models of a pair (registry name, ``"base,aligned"`` or a tuple).

    Both ids are resolved before any weights are read, so a missing checkpoint fails at once.
    With ``check_tokenizers`` the two tokenizers must agree (:func:`check_same_tokenizer`).
    """
    spec = resolve_pair(pair)
    base_id, aligned_id = spec.base_location(), spec.aligned_location()
    for ident in (base_id, aligned_id):
        resolve_location(ident, allow_download=allow_download)
    base = load_model(base_id, role="base", dtype=dtype, device_map=device_map, allow_download=allow_download)
    aligned = load_model(
        aligned_id, role="aligned", dtype=dtype, device_map=device_map,
        allow_download=allow_download, chat_template=spec.template_text,
    )
    base.name, aligned.name = spec.base, spec.aligned
    if check_tokenizers:
        check_same_tokenizer(base.tokenizer, aligned.tokenizer)
    return ModelPair(spec, base, aligned)
