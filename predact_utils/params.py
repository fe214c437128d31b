"""Validation of a notebook's papermill parameters (shared by every section notebook).

Every notebook calls :func:`validate_parameters` right after its ``parameters``
cell, so a reader who passes ``-p scale fast`` or ``-p n_samples ten`` gets a
clear message instead of a confusing failure deep inside a computation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def list_entries(value: str | Sequence[str], what: str = "entries") -> list[str]:
    """The entries of a list parameter: a ``";"``-separated string or a list of strings (papermill
    ``-y 'pairs: [a, b]'``), stripped, empty ones dropped; anything else is a :class:`ParameterError`."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise ParameterError(f"{what} must be a ';'-separated string or a list of names, got {value!r}")


def _type_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


#: Plain data a notebook's globals hold before its first computation only when papermill injected it.
_PLAIN = (str, int, float, bool, list, dict, tuple, type(None))
#: IPython's own plain-data globals.
_IPYTHON_NAMES = frozenset({"In", "Out"})


def injected_unknown(values: Mapping[str, Any], spec: Mapping[str, Param]) -> list[str]:
    """Names of plain-data notebook globals that ``spec`` does not declare (a mistyped ``-p`` name).

    Only for a kernel's globals (they hold ``get_ipython``): right after a notebook's imports the only plain
    values are its parameters and those papermill injected. For a plain dict nothing is reported."""
    if "get_ipython" not in values:
        return []
    candidates = [k for k, v in values.items() if not k.startswith("_") and k not in spec
                  and k not in _IPYTHON_NAMES and isinstance(v, _PLAIN)]
    return sorted(k for k in candidates if not _imported(k, values[k], values))


def _imported(name: str, value: Any, namespace: Mapping[str, Any]) -> bool:
    """Whether ``value`` is the object some loaded module holds under ``name`` (``from m import NAME``). The
    namespace's own module does not count: in a kernel, ``__main__``'s dictionary *is* the notebook's
    globals, so every injected parameter would look imported from it."""
    import sys

    return any(getattr(m, name, None) is value for m in list(sys.modules.values())
               if m is not None and getattr(m, "__dict__", None) is not namespace)


def validate_parameters(values: Mapping[str, Any], spec: Mapping[str, Param]) -> dict[str, Any]:
    """Check ``values`` (the notebook's globals, or a dict) against ``spec``; return the checked values.

    Integers are accepted where floats are expected; booleans are never taken
    for numbers. Raises :class:`ParameterError` naming every bad parameter and
    how to pass a good one.
    """
    problems: list[str] = []
    out: dict[str, Any] = {}
    unknown = injected_unknown(values, spec)
    if unknown:
        import difflib

        hints = [f"{u!r}: did you mean {m[0]!r}?" for u in unknown if (m := difflib.get_close_matches(u, spec, 1))]
        problems.append(f"unknown parameter(s) {unknown}: this notebook takes {sorted(spec)} "
                        "(check the spelling of the -p / -y names)" + ("; " + "; ".join(hints) if hints else ""))
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

#: A pair list: a ``";"``-separated string of names (or ``base,aligned`` ids), or a YAML list of them.
PAIRS = Param((str, list))
