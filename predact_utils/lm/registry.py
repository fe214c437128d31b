"""Named Base / aligned model pairs (all sections; the pair table of the setup section).

The registry file ``predact_utils/lm/registry.yaml`` lists the miniature pairs the
book runs on by default and the paper-scale pairs (Llama-2 7B/13B/70B with
-chat, Llama-2 with Tulu-2-DPO, Llama-3 with -Instruct, ...) that a reader can
run on GPUs. A pair can also be given without the registry, as a
``"base_path,aligned_path"`` string or a ``(base, aligned)`` tuple: see
:func:`resolve_pair`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import yaml

from predact_utils import paths
from predact_utils.claims import RLHF_VS_SFT, stage_of
from predact_utils.params import ParameterError, list_entries

REGISTRY_FILE = Path(__file__).with_name("registry.yaml")
_ALLOWED_METHODS = ("sft", "dpo", "rlhf", "ppo", "custom")


class RegistryError(ValueError):
    """The registry file is malformed or a pair name is unknown."""


@dataclass(frozen=True)
class PairSpec:
    """One Base / aligned pair: where to load each model and how to label it in figures."""

    name: str
    base: str
    aligned: str
    local: bool = False
    chat_template: str = "tokenizer"
    family: str = ""
    size: str = ""
    method: str = "custom"
    params_b: float | None = None
    notes: str = ""
    reward: str | None = None
    template_text: str | None = None

    @property
    def label(self) -> str:
        """Short label for figure legends, e.g. ``"Llama-2 7B (rlhf)"``."""
        parts = [p for p in (self.family, self.size) if p]
        return f"{' '.join(parts) or self.name} ({self.method})"

    def base_location(self) -> str:
        """Where the Base checkpoint is: a local folder for miniature pairs, else the hub id."""
        return _locate(self.base, self.local)

    def aligned_location(self) -> str:
        """Where the aligned checkpoint is: a local folder for miniature pairs, else the hub id."""
        return _locate(self.aligned, self.local)

    def reward_location(self) -> str | None:
        """Where the reward model is (``None`` when the pair names none)."""
        return _locate(self.reward, self.local) if self.reward else None

    def is_available_locally(self) -> bool:
        """True when both checkpoints are folders on this machine (no download needed)."""
        return all(Path(loc).is_dir() for loc in (self.base_location(), self.aligned_location()))


def _locate(ident: str, local: bool) -> str:
    if local:
        return str(paths.models_dir() / ident)
    return ident


def _parse(raw: dict, source: Path) -> tuple[dict[str, PairSpec], str | None]:
    if not isinstance(raw, dict) or not isinstance(raw.get("pairs"), dict):
        raise RegistryError(f"{source}: expected a mapping with a 'pairs:' section")
    templates = raw.get("templates") or {}
    specs: dict[str, PairSpec] = {}
    for name, entry in raw["pairs"].items():
        if not isinstance(entry, dict) or "base" not in entry or "aligned" not in entry:
            raise RegistryError(f"{source}: pair {name!r} needs at least 'base' and 'aligned'")
        unknown = set(entry) - {f for f in PairSpec.__dataclass_fields__ if f not in ("name", "template_text")}
        if unknown:
            raise RegistryError(f"{source}: pair {name!r} has unknown fields {sorted(unknown)}")
        spec = PairSpec(name=str(name), **entry)
        if spec.method not in _ALLOWED_METHODS:
            raise RegistryError(f"{source}: pair {name!r} method {spec.method!r} not in {_ALLOWED_METHODS}")
        src = spec.chat_template
        if src.startswith("builtin:"):
            key = src.split(":", 1)[1]
            if key not in templates:
                raise RegistryError(f"{source}: pair {name!r} asks for template {key!r}, not in 'templates:'")
            spec = replace(spec, template_text=str(templates[key]))
        elif src != "tokenizer":
            raise RegistryError(f"{source}: pair {name!r} chat_template must be 'tokenizer' or 'builtin:<name>'")
        specs[spec.name] = spec
    default = raw.get("default")
    if default is not None and default not in specs:
        raise RegistryError(f"{source}: default pair {default!r} is not listed under 'pairs:'")
    return specs, default


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> tuple[dict[str, PairSpec], str | None]:
    with open(path, encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh), Path(path))


def load_registry(path: str | Path | None = None) -> dict[str, PairSpec]:
    """All pairs of the registry file (default: the packaged ``registry.yaml``), by name."""
    p = Path(path) if path is not None else REGISTRY_FILE
    if not p.is_file():
        raise RegistryError(f"registry file {p} not found; pass path= to a YAML file with a 'pairs:' section")
    return dict(_load_cached(str(p), p.stat().st_mtime)[0])


def default_pair_name(path: str | Path | None = None) -> str:
    """The pair the book uses when a notebook does not name one (the medium miniature RLHF pair)."""
    p = Path(path) if path is not None else REGISTRY_FILE
    load_registry(p)
    default = _load_cached(str(p), p.stat().st_mtime)[1]
    return default or next(iter(load_registry(p)))


def list_pairs(*, local_only: bool = False, path: str | Path | None = None) -> list[PairSpec]:
    """The registry's pairs; with ``local_only`` only those whose checkpoints are on this machine."""
    specs = list(load_registry(path).values())
    return [s for s in specs if s.is_available_locally()] if local_only else specs


def get_pair(name: str, path: str | Path | None = None) -> PairSpec:
    """The pair called ``name``; an unknown name raises with the list of known ones."""
    reg = load_registry(path)
    if name not in reg:
        raise RegistryError(
            f"unknown model pair {name!r}. Known pairs: {', '.join(reg)}. "
            "To use other checkpoints pass 'base_path,aligned_path' or a (base, aligned) tuple."
        )
    return reg[name]


def resolve_pair(pair: str | Sequence[str] | PairSpec, path: str | Path | None = None) -> PairSpec:
    """A :class:`PairSpec` from a registry name, a ``"base,aligned"`` string, or a ``(base, aligned)`` tuple.

    Ad-hoc pairs take their chat template from the aligned tokenizer.
    """
    if isinstance(pair, PairSpec):
        return pair
    if isinstance(pair, str):
        if "," not in pair:
            return get_pair(pair, path)
        pair = [s.strip() for s in pair.split(",")]
    items = list(pair)
    if len(items) != 2 or not all(isinstance(s, str) and s for s in items):
        raise RegistryError(f"a pair is a registry name or two model ids/paths (base, aligned); got {pair!r}")
    base, aligned = items
    return PairSpec(name=f"{Path(base).name}+{Path(aligned).name}", base=base, aligned=aligned)


def pair_entries(pairs: str | Sequence[str]) -> list[str]:
    """The entries of a pair list: a ``";"``-separated string, or a list (e.g. papermill ``-y 'pairs: [a, b]'``)."""
    try:
        return list_entries(pairs, "pairs")
    except ParameterError as e:
        raise RegistryError(str(e)) from None


def available_pairs(pairs: str | Sequence[str], path: str | Path | None = None) -> tuple[list[PairSpec], list[str]]:
    """The pairs of a ``";"``-separated list or a list (names, or ``"base,aligned"`` ids/paths) that can run here,
    and the names of the miniature pairs left out because they are not built yet. Raises when none can run."""
    specs = [resolve_pair(p, path) for p in pair_entries(pairs)]
    if not specs:
        raise RegistryError(f"no pair given in {pairs!r}; name one, e.g. {default_pair_name(path)!r}")
    available = [s for s in specs if not s.local or s.is_available_locally()]
    if not available:
        raise RegistryError(f"none of the pairs {pairs!r} is built on this machine; build the miniature family "
                            "(make miniature) or pass a pair of local checkpoint folders")
    return available, [s.name for s in specs if s not in available]


def first_available_pair(pairs: str | Sequence[str], path: str | Path | None = None) -> tuple[PairSpec, list[str]]:
    """The first pair of a ``";"``-separated preference list that can run here, and the names of the listed
    miniature pairs that are not built yet (a single unbuilt name is refused, saying how to build it)."""
    available, skipped = available_pairs(pairs, path)
    return available[0], skipped


def left_out_pairs(pairs: str | Sequence[str], path: str | Path | None = None) -> list[str]:
    """The built pairs of a preference list after the first: the ones a one-pair chapter leaves out."""
    available, _ = available_pairs(pairs, path)
    return [s.name for s in available[1:]]


def not_built_note(names: list[str], left_out: Sequence[str] = ()) -> str:
    """``"; not built, hence not used: a, b"`` for a chapter's pair label (``""`` when every pair is built), and
    for the built pairs a one-pair chapter leaves out, why and how to run them."""
    out = f"; not built, hence not used: {', '.join(names)}" if names else ""
    if left_out:
        out += (f"; built but not measured here: {', '.join(left_out)} (this chapter measures the first built pair "
                "of its list, to keep the book within its time budget; set `pair` to one of them to measure it)")
    return out


def pairs_table(path: str | Path | None = None) -> pd.DataFrame:
    """One row per registered pair, for the book's table of models (setup section)."""
    rows = [
        {
            "pair": s.name,
            "family": s.family,
            "size": s.size,
            "method": s.method,
            "base": s.base,
            "aligned": s.aligned,
            "chat template": s.chat_template,
            "on this machine": s.is_available_locally(),
        }
        for s in load_registry(path).values()
    ]
    return pd.DataFrame(rows)


def rlhf_sft_couples(pairs: Sequence[PairSpec]) -> list[tuple[PairSpec, PairSpec]]:
    """(RLHF pair, SFT pair) for every RLHF (or PPO) pair of ``pairs`` whose Base also has an SFT pair among
    ``pairs``: the RLHF model and the SFT model it can be compared with."""
    sft = {(p.base_location(), p.local): p for p in pairs if p.method.lower() == "sft"}
    return [(p, sft[(p.base_location(), p.local)]) for p in pairs
            if p.method.lower() in ("rlhf", "ppo") and (p.base_location(), p.local) in sft]


def rlhf_vs_sft(pairs: Sequence[PairSpec]) -> list[PairSpec]:
    """For every :func:`rlhf_sft_couples` couple, a derived pair with the SFT model on the Base side (method
    :data:`predact_utils.claims.RLHF_VS_SFT`), so that the measures a chapter already made of both aligned models give the "RLHF vs
    SFT" cell without scoring anything again."""
    return [replace(p, name=f"{p.name} vs {ref.name}", base=ref.aligned, method=RLHF_VS_SFT,
                    notes=f"{p.name}'s aligned model against {ref.name}'s aligned model")
            for p, ref in rlhf_sft_couples(pairs)]


@dataclass(frozen=True)
class StageSides:
    """One cell of the stage table: the comparison (``"SFT vs Base"``, ..., ``"RLHF vs SFT"``), its label, and
    the two models it compares, each as (pair name, role in that pair): ``before`` the model the stage starts
    from, ``after`` the model it trains."""

    comparison: str
    label: str
    before: tuple[str, str]
    after: tuple[str, str]


def stage_sides(pairs: Sequence[PairSpec]) -> list[StageSides]:
    """The stage-table cells a list of pairs can fill: every pair of a known method (its Base against its
    aligned model), then every RLHF model against the SFT model of the same Base (:func:`rlhf_sft_couples`).
    Pairs of another method (``custom``) fill no cell."""
    cells = [StageSides(c, p.name, (p.name, "base"), (p.name, "aligned")) for p in pairs
             if (c := stage_of(p.method)) is not None]
    cells += [StageSides("RLHF vs SFT", f"{rl.name} vs {sft.name}", (sft.name, "aligned"),
                         (rl.name, "aligned")) for rl, sft in rlhf_sft_couples(pairs)]
    return cells
