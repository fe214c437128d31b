"""Controls of the anchor-span measures: what chance gives, and what length alone explains.

* **Chance baseline** (:func:`other_prompt_groups`): for each prompt, a group of as many generations, each
  answering a *different* prompt. Aligned (or counted) together, they show how many tokens line up, or how
  common an n-gram is, when the generations share nothing but the model's habits: anchors of a prompt are
  worth something only above that.
* **Length-matched comparison** (:func:`length_matched`): the j-th Base and the j-th aligned generation of a
  prompt both cut to the shorter of the two, so that the two models are compared on texts of equal
  length (longer texts hold more n-grams, and a shorter answer is read at coarser normalised positions).

Both leave the token ids as they are; the chapter runs the same measures on them as on the real sets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Generations = Sequence[Sequence[Sequence[int]]]  # per prompt, per sample: token ids


def other_prompt_groups(per_prompt: Generations) -> list[list[list[int]]]:
    """For prompt ``i``, ``n_i`` generations of the other prompts: member ``j`` is generation ``j // (P - 1)``
    of prompt ``(i + 1 + j mod (P - 1)) mod P`` (P prompts), so each group cycles through every other prompt
    before it takes a second generation of any; deterministic, and no member answers prompt ``i``."""
    n_prompts = len(per_prompt)
    if n_prompts < 2:
        raise ValueError("a chance baseline needs generations of at least 2 prompts")
    others = n_prompts - 1
    out = []
    for i, own in enumerate(per_prompt):
        group = []
        for j in range(len(own)):
            src = per_prompt[(i + 1 + j % others) % n_prompts]
            group.append(list(src[(j // others) % len(src)]) if len(src) else [])
        out.append(group)
    return out


def length_matched(base: Generations, aligned: Generations) -> tuple[list[list[list[int]]], list[list[list[int]]]]:
    """Both models' generations, the j-th of each prompt cut to the shorter of the two models' j-th."""
    if len(base) != len(aligned):
        raise ValueError(f"{len(base)} prompts of Base generations against {len(aligned)} aligned")
    cut_b, cut_a = [], []
    for b, a in zip(base, aligned, strict=True):
        if len(b) != len(a):
            raise ValueError(f"a prompt has {len(b)} Base and {len(a)} aligned generations; they must pair up")
        n = [min(len(x), len(y)) for x, y in zip(b, a, strict=True)]
        cut_b.append([list(x[:k]) for x, k in zip(b, n, strict=True)])
        cut_a.append([list(y[:k]) for y, k in zip(a, n, strict=True)])
    return cut_b, cut_a


def control_indices(n_prompts: int, n_control: int) -> list[int]:
    """``n_control`` prompt indices spread evenly over ``n_prompts`` (all of them when there are fewer)."""
    if n_control >= n_prompts:
        return list(range(n_prompts))
    return sorted({int(round(x)) for x in np.linspace(0, n_prompts - 1, n_control)})
