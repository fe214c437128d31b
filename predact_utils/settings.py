"""Chapter settings: each notebook parameter declared once, with its default, bounds and smoke value.

A chapter package declares a frozen dataclass that extends :class:`ChapterSettings`; every field is a
:func:`param`. The notebook's ``parameters`` cell holds the same names as literals (papermill overrides
them), and one call turns the cell into a checked settings object (the notebook makes it through
:func:`predact_utils.book.pages.run_chapter`)::

    settings = Settings.from_globals(globals())

At ``scale="smoke"`` a field with a ``smoke`` value takes that value (the tests' small build); at
``scale="full"`` every field keeps what the parameters cell (or ``-p``) gave. Validation reuses
:func:`predact_utils.params.validate_parameters`, so a bad value or a mistyped ``-p`` name gets the same
message in every chapter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from predact_utils.params import SCALES, Param, validate_parameters

_NO_SMOKE = object()
S = TypeVar("S", bound="ChapterSettings")


def param(default: Any, kind: type | tuple[type, ...] | None = None, *, choices: tuple[Any, ...] | None = None,
          minimum: float | None = None, maximum: float | None = None, smoke: Any = _NO_SMOKE,
          doc: str = "") -> Any:
    """A settings field: ``default`` (the book's value), its type, bounds, and its value at smoke scale."""
    kind = kind if kind is not None else (float if isinstance(default, float) else type(default))
    meta = {"param": Param(kind, choices=choices, minimum=minimum, maximum=maximum), "smoke": smoke, "doc": doc}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


#: A pair list: a ``";"``-separated string of names (or ``base,aligned`` ids), or a YAML list of them.
PAIRS_KIND: tuple[type, ...] = (str, list)


@dataclass(frozen=True)
class ChapterSettings:
    """The parameters every chapter shares; subclasses add their own fields with :func:`param`."""

    scale: str = param("full", choices=SCALES, doc="'full' (the book) or 'smoke' (the tests' small build)")
    seed: int = param(0, minimum=0, doc="seed of every random step")

    @classmethod
    def spec(cls) -> dict[str, Param]:
        """``{name: Param}`` of every declared parameter (what the parameters cell must define)."""
        return {f.name: f.metadata["param"] for f in dataclasses.fields(cls) if "param" in f.metadata}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The book's value of every parameter (the literals of the notebook's parameters cell)."""
        out = {}
        for f in dataclasses.fields(cls):
            if "param" in f.metadata:
                out[f.name] = f.default_factory() if f.default is dataclasses.MISSING else f.default
        return out

    @classmethod
    def smoke_values(cls) -> dict[str, Any]:
        """The values the smoke scale replaces."""
        return {f.name: f.metadata["smoke"] for f in dataclasses.fields(cls)
                if f.metadata.get("smoke", _NO_SMOKE) is not _NO_SMOKE}

    @classmethod
    def from_values(cls: type[S], values: Mapping[str, Any]) -> S:
        """Check ``values`` (a notebook's globals, or a plain dict) and build the settings of this run.

        Missing names take their defaults when ``values`` is a plain dict (a test or a script); a kernel's
        globals must define every parameter (the parameters cell). Smoke values apply at smoke scale."""
        spec = cls.spec()
        if "get_ipython" not in values:
            values = {**cls.defaults(), **values}
        checked = validate_parameters(values, spec)
        replaced = cls.smoke_replacements(checked) if checked["scale"] == "smoke" else []
        if checked["scale"] == "smoke":
            checked.update(cls.smoke_values())
        settings = cls(**checked)
        settings.check()
        for line in replaced + settings.caps():
            print(f"[settings] {line}", flush=True)
        return settings

    @classmethod
    def smoke_replacements(cls, values: Mapping[str, Any]) -> list[str]:
        """A line for every value the smoke scale replaces although it was changed from the book's default
        (a value passed with ``-p`` at smoke scale)."""
        defaults = cls.defaults()
        return [f"{name} = {values[name]!r} is replaced by its smoke value {smoke!r} at smoke scale"
                for name, smoke in cls.smoke_values().items()
                if name in values and values[name] != defaults[name] and values[name] != smoke]

    def caps(self) -> list[str]:
        """A line for every value this run uses below what the parameters say (a cap at smoke scale);
        none by default."""
        return []

    from_globals = from_values

    def check(self) -> None:
        """Checks that need more than one value's bounds (a file that must exist, ids it must hold); raise
        :class:`~predact_utils.params.ParameterError` naming the parameter. None by default."""

    @property
    def smoke(self) -> bool:
        """Whether this is the tests' small build."""
        return self.scale == "smoke"
