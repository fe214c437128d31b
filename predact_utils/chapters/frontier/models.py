"""Two paths from a Base model to its aligned version, for the trade-off frontier section.

1. **Weight interpolation** (:func:`interpolated_model`):
   ``theta(a) = (1 - a) * theta_base + a * theta_aligned``, parameter by
   parameter; the two checkpoints must share an architecture and tokenizer.
   At ``a = 0`` and ``a = 1`` the formula gives the two models' weights
   exactly (``1 * x + 0 * y == x`` in floating point).
2. **Log-probability mixing** at decoding time (:class:`MixtureLM`):
   ``log p_a(v | x) = (1 - a) log p_base(v | x) + a log p_aligned(v | x) - log Z``,
   renormalised over the vocabulary at every position, i.e. a normalised
   geometric mixture of the two next-token distributions. Scoring the same
   inputs at several ``a`` (the gold text of world modeling) runs each parent
   once per input: :class:`ParentLogprobs` keeps the parents' log-probabilities
   and :meth:`MixtureLM.reusing` hands them to every point of the path.

Both return a :class:`~predact_utils.lm.models.LoadedModel`, so the sampler, the
scorer and the artifact cache treat every point of a path like any other model;
its cache id names the two parents' fingerprints and ``a``.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers.cache_utils import DynamicCache, DynamicLayer

from predact_utils.lm.modelconfig import text_config
from predact_utils.lm.models import LoadedModel
from predact_utils.runs.cache import stable_hash


def check_compatible(base: LoadedModel, aligned: LoadedModel) -> None:
    """Refuse pairs whose parameters cannot be mixed one to one (different names or shapes)."""
    sb, sa = base.model.state_dict(), aligned.model.state_dict()
    if sb.keys() != sa.keys():
        missing = sorted(set(sb) ^ set(sa))[:5]
        raise ValueError(f"the two models have different parameters (e.g. {missing}); interpolation and mixing need "
                         "two checkpoints of one architecture, like a Base model and its fine-tuned version")
    bad = [k for k in sb if sb[k].shape != sa[k].shape]
    if bad:
        raise ValueError(f"parameter shapes differ for {bad[:5]}; the models are not of the same architecture")
    if base.model.config.vocab_size != aligned.model.config.vocab_size:
        raise ValueError("the two models have different vocabularies; they must share a tokenizer")


#: Revision of the weight interpolation, part of its points' cache identity: revision 2 mixes a tied tensor once
#: (revision 1 mixed the tied embeddings twice), so results cached from revision 1 are not read back.
INTERP_REVISION = 2


def _point(base: LoadedModel, aligned: LoadedModel, model: Any, a: float, kind: str, role: str,
           revision: int | None = None) -> LoadedModel:
    key = {"kind": kind, "base": base.cache_id, "aligned": aligned.cache_id, "a": float(a)}
    fp = stable_hash(key if revision is None else {**key, "revision": revision})[:16]
    name = f"{kind}({base.name},{aligned.name},a={a:g})"
    return LoadedModel(model, aligned.tokenizer, name, f"{base.location} | {aligned.location}", role, fp)


def _check_a(a: float) -> float:
    a = float(a)
    if not 0.0 <= a <= 1.0:
        raise ValueError(f"the mixing weight a must be in [0, 1], got {a}")
    return a


@torch.no_grad()
def interpolate_weights(base: torch.nn.Module, aligned: torch.nn.Module, a: float) -> torch.nn.Module:
    """A deep copy of ``base`` with weights ``(1 - a) * base + a * aligned``, mixed in float32 and stored in
    ``base``'s dtype (eval mode); the parents are not changed."""
    a = _check_a(a)
    model = copy.deepcopy(base)
    # mixed from the parents, never from the copy being written: a tied tensor (input embeddings and output
    # head) appears under two names, and mixing the copy in place would mix it twice
    sb, sa = base.state_dict(), aligned.state_dict()
    for name, p in model.state_dict().items():
        if p.is_floating_point():
            mixed = (1.0 - a) * sb[name].float() + a * sa[name].to(p.device, torch.float32)  # mixed in float32
            p.copy_(mixed.to(p.dtype))
    return model.eval()


def interpolated_model(base: LoadedModel, aligned: LoadedModel, a: float, role: str = "aligned") -> LoadedModel:
    """A new model with weights ``(1 - a) * base + a * aligned`` (see module doc); the parents are not changed."""
    check_compatible(base, aligned)
    return _point(base, aligned, interpolate_weights(base.model, aligned.model, a), a, "interp", role,
                  revision=INTERP_REVISION)


def parent_logprobs(logits: torch.Tensor) -> torch.Tensor:
    """One parent's log-probabilities over the last axis (float32), the input of :func:`mix_parent_logprobs`."""
    return torch.log_softmax(logits.float(), dim=-1)


def mix_parent_logprobs(lb: torch.Tensor, la: torch.Tensor, a: float) -> torch.Tensor:
    """Normalised ``(1 - a) lb + a la`` over the last axis, from the parents' log-probabilities."""
    mixed = (1.0 - a) * lb + a * la
    return mixed - torch.logsumexp(mixed, dim=-1, keepdim=True)


def mix_logprobs(base_logits: torch.Tensor, aligned_logits: torch.Tensor, a: float) -> torch.Tensor:
    """Normalised ``(1 - a) log p_base + a log p_aligned`` over the last axis (float32)."""
    return mix_parent_logprobs(parent_logprobs(base_logits), parent_logprobs(aligned_logits), a)


def _inputs_key(*tensors: torch.Tensor | None, keep: int) -> str:
    """A digest of a forward call's inputs (shapes and values), what :class:`ParentLogprobs` is keyed by."""
    h = hashlib.sha256(str(keep).encode())
    for t in tensors:
        if t is None:
            h.update(b"none")
        else:
            h.update(str(tuple(t.shape)).encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


class ParentLogprobs:
    """The Base and aligned log-probabilities of scoring calls, kept so that the points of the mixing path
    score the same inputs with one forward pass of each parent in all.

    A parent's log-probabilities depend on the input alone, not on ``a``, so the mixture built from kept
    values is the one computed afresh, bit for bit (tested). Kept on the CPU, up to ``max_bytes``; calls
    past that are computed as usual.
    """

    def __init__(self, max_bytes: int = 4 * 2**30) -> None:
        self.max_bytes = max_bytes
        self.kept_bytes = 0
        self.computed = 0
        self.reused = 0
        self._kept: dict[str, tuple[torch.Tensor, torch.Tensor, torch.device]] = {}

    def get(self, key: str, compute: Callable[[], tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor,
                                                                                                 torch.Tensor]:
        """The parents' log-probabilities for ``key``: the kept ones (on the device they were computed on),
        else ``compute()``, kept if they fit."""
        if key in self._kept:
            self.reused += 1
            lb, la, device = self._kept[key]
            return lb.to(device), la.to(device)
        lb, la = compute()
        self.computed += 1
        size = lb.numel() * lb.element_size() + la.numel() * la.element_size()
        if self.kept_bytes + size <= self.max_bytes:
            self._kept[key] = (lb.cpu(), la.cpu(), lb.device)
            self.kept_bytes += size
        return lb, la


class _CacheView(DynamicCache):
    """The layers of one of the two models inside a mixture's cache (shares the layer objects)."""

    def __init__(self, layers: list[Any]) -> None:
        super().__init__()
        self.layers = layers
        self.layer_class_to_replicate = None


@dataclass
class _Output:
    logits: torch.Tensor


class MixtureLM(torch.nn.Module):
    """A causal LM whose next-token log-probabilities mix a Base and an aligned model (see module doc).

    It answers the calls the book's sampler and scorer make (``input_ids``, ``attention_mask``,
    ``position_ids``, ``cache``, ``logits_to_keep``): the cache holds the Base model's layers
    first and the aligned model's after them, and its ``config`` says so.
    """

    def __init__(self, base: Any, aligned: Any, a: float) -> None:
        super().__init__()
        self.base, self.aligned, self.a = base, aligned, _check_a(a)
        self.n_base = text_config(base).num_hidden_layers
        self.n_aligned = text_config(aligned).num_hidden_layers
        self.config = copy.deepcopy(base.config)
        self.config.num_hidden_layers = self.n_base + self.n_aligned
        if getattr(self.config, "layer_types", None) is not None:
            self.config.layer_types = list(base.config.layer_types) + list(aligned.config.layer_types)
        self.generation_config = base.generation_config
        self.parents: ParentLogprobs | None = None

    @contextmanager
    def reusing(self, parents: ParentLogprobs) -> Iterator[MixtureLM]:
        """Within the block, calls without a key/value cache (scoring) take the parents' log-probabilities
        from ``parents`` when another point of the path already computed them for the same inputs."""
        self.parents = parents
        try:
            yield self
        finally:
            self.parents = None

    def get_input_embeddings(self) -> Any:
        return self.base.get_input_embeddings()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None, cache: DynamicCache | None = None,
                use_cache: bool | None = None, logits_to_keep: int = 0, **kwargs: Any) -> _Output:
        views: tuple[Any, Any] = (None, None)
        if cache is not None:
            while len(cache.layers) < self.n_base + self.n_aligned:
                cache.layers.append(DynamicLayer())
            views = (_CacheView(cache.layers[: self.n_base]), _CacheView(cache.layers[self.n_base :]))
        common = {"input_ids": input_ids, "attention_mask": attention_mask, "position_ids": position_ids,
                  "use_cache": use_cache, "logits_to_keep": logits_to_keep}

        def parents() -> tuple[torch.Tensor, torch.Tensor]:
            lb = parent_logprobs(self.base(cache=views[0], **common).logits)
            return lb, parent_logprobs(self.aligned(cache=views[1], **common).logits.to(lb.device))

        if self.parents is not None and cache is None:
            key = _inputs_key(input_ids, attention_mask, position_ids, keep=logits_to_keep)
            lb, la = self.parents.get(key, parents)
        else:
            lb, la = parents()
        return _Output(mix_parent_logprobs(lb, la, self.a))


def mixture_model(base: LoadedModel, aligned: LoadedModel, a: float, role: str = "aligned") -> LoadedModel:
    """The decoding-time mixture at weight ``a`` as a :class:`LoadedModel` (shares the parents' weights)."""
    check_compatible(base, aligned)
    return _point(base, aligned, MixtureLM(base.model, aligned.model, a).eval(), a, "mix", role)


def pareto_front(cost: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Mask of the points that no other point dominates (lower or equal cost and higher or equal benefit,
    strictly better in one)."""
    cost, benefit = np.asarray(cost, float), np.asarray(benefit, float)
    if cost.shape != benefit.shape:
        raise ValueError("cost and benefit must have the same shape")
    keep = np.ones(cost.size, dtype=bool)
    for i in range(cost.size):
        dominated = (cost <= cost[i]) & (benefit >= benefit[i]) & ((cost < cost[i]) | (benefit > benefit[i]))
        keep[i] = not dominated.any()
    return keep


def grid_points(step: float) -> list[float]:
    """``0, step, 2 step, ..., 1`` rounded to avoid floating drift (0.30000000000000004)."""
    if not 0 < step <= 1:
        raise ValueError(f"grid step must be in (0, 1], got {step}")
    n = int(round(1.0 / step))
    if not np.isclose(n * step, 1.0):
        raise ValueError(f"grid step {step} does not divide 1 evenly")
    return [round(i / n, 10) for i in range(n + 1)]
