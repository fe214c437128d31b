"""What a notebook cell hands to the page: glued numbers and figures (``myst_nb.glue``).

A chapter's ``numbers(results)`` returns ``{glue name: formatted text}`` and its ``figures(results)``
``{glue name: figure}``; :func:`glue_all` glues them without displaying, so the prose and the
``{glue:figure}`` directives pick them up by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any


def glue_all(values: Mapping[str, Any]) -> None:
    """Glue every value under its name, without showing it in the cell's output."""
    from myst_nb import glue

    from predact_utils.plotting import close_all

    for name, value in values.items():
        glue(name, value, display=False)
    close_all()


def run_chapter(chapter: ModuleType, namespace: Mapping[str, Any]) -> tuple[Any, Any]:
    """A notebook's one call: check its parameters (``namespace``: the notebook's globals) against the chapter's
    ``Settings``, ``run`` the chapter, glue its numbers and figures, write its scoreboard records; return
    ``(settings, results)`` for the page's displays."""
    from predact_utils.claims import record_all

    settings = chapter.Settings.from_globals(namespace)
    results = chapter.run(settings)
    glue_all(chapter.numbers(results))
    glue_all(chapter.figures(results))
    record_all(chapter.claim_records(results))
    return settings, results
