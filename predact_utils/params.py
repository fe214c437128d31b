"""Validation of a notebook's papermill parameters (shared by every section notebook).

Every notebook calls :func:`validate_parameters` right after its ``parameters``
cell, so a reader who passes ``-p scale fast`` or ``-p n_samples ten`` gets a
clear message instead of a confusing failure deep inside a computation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Allowed values of the ``scale`` parameter: the book (``full``) and the tests (``smoke``).
SCALES: tuple[str, ...] = ("full", "smoke")


class ParameterError(ValueError):
    """A papermill parameter has the wrong type or value."""


@dataclass(frozen=True)
class Param:
    """What one parameter may hold: a type (or tuple of types), and optionally a set of choices or bounds."""

    kind: type | tuple[type, ...]
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


def _type_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


def validate_parameters(values: Mapping[str, Any], spec: Mapping[str, Param]) -> dict[str, Any]:
    """Check ``values`` (the notebook's globals, or a dict) against ``spec``; return the checked values.

    Integers are accepted where floats are expected; booleans are never taken
    for numbers. Raises :class:`ParameterError` naming every bad parameter and
    how to pass a good one.
    """
    problems: list[str] = []
    out: dict[str, Any] = {}
    for name, p in spec.items():
        if name not in values:
            problems.append(f"{name}: missing; the parameters cell must define it")
            continue
        v = values[name]
        kinds = p.kind if isinstance(p.kind, tuple) else (p.kind,)
        ok = isinstance(v, kinds) and not (isinstance(v, bool) and bool not in kinds)
        if not ok and float in kinds and isinstance(v, int) and not isinstance(v, bool):
            v, ok = float(v), True
        if not ok:
            problems.append(
                f"{name}: expected {_type_name(p.kind)}, got {type(v).__name__} {v!r}"
                f" (with papermill, pass e.g. -p {name} <value>, or -y '{name}: <yaml>' for lists)"
            )
            continue
        if p.choices is not None and v not in p.choices:
            problems.append(f"{name}: {v!r} is not one of {list(p.choices)}")
        if p.minimum is not None and isinstance(v, (int, float)) and v < p.minimum:
            problems.append(f"{name}: {v!r} is below the minimum {p.minimum}")
        if p.maximum is not None and isinstance(v, (int, float)) and v > p.maximum:
            problems.append(f"{name}: {v!r} is above the maximum {p.maximum}")
        out[name] = v
    if problems:
        raise ParameterError("bad notebook parameters:\n  " + "\n  ".join(problems))
    return out


#: The parameters every notebook shares.
COMMON: dict[str, Param] = {
    "scale": Param(str, choices=SCALES),
    "seed": Param(int, minimum=0),
}
