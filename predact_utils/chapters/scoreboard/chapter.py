"""Chapter 07, the scoreboard: every claim's record written by the chapters of this build, in one table.

``run`` reads the records (``PREDACT_CLAIMS_DIR``, see :mod:`predact_utils.claims`); ``numbers`` counts the
verdicts; ``styled_board`` colours the verdict column for the page (the introduction shows the same table).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from predact_utils.claims import claims_dir, scoreboard, stage_table
from predact_utils.settings import ChapterSettings
from predact_utils.verdicts import DIRECTION_ONLY, DOES_NOT, NOT_TESTABLE, REPRODUCES

#: Background colour of each verdict on the page.
VERDICT_COLORS: dict[str, str] = {REPRODUCES: "#d9f2d9", DIRECTION_ONLY: "#fff2cc", DOES_NOT: "#f8d7da",
                                  NOT_TESTABLE: "#e8e8f4", "not run": "#eeeeee"}


@dataclass(frozen=True)
class Settings(ChapterSettings):
    """The scoreboard takes only the common parameters."""


@dataclass
class Results:
    """The scoreboard table and the folder its records came from."""

    settings: Settings
    board: pd.DataFrame
    folder: Path
    stages: pd.DataFrame | None = None  # claims.stage_table: which alignment stage carries each effect


def run(settings: Settings, folder: Path | None = None) -> Results:
    """Read this build's records (from ``folder``, default :func:`predact_utils.claims.claims_dir`)."""
    folder = folder or claims_dir()
    return Results(settings, scoreboard(folder), folder, stage_table(folder))


def runs_text(board: pd.DataFrame) -> str:
    """``chapter: pair (scale)`` for every chapter that recorded a claim, in the table's order."""
    ran = board[board["verdict"] != "not run"]
    rows = ran[["chapter", "pair", "scale"]].drop_duplicates().itertuples(index=False)
    return "; ".join(f"{ch}: {pr} ({sc})" for ch, pr, sc in rows) or "none"


def numbers(results: Results) -> dict[str, str]:
    """Counts of each verdict, the records' folder and the pairs per chapter."""
    board = results.board
    counts = board["verdict"].value_counts()
    return {"sb_reproduces": f"{int(counts.get(REPRODUCES, 0))}",
            "sb_direction": f"{int(counts.get(DIRECTION_ONLY, 0))}",
            "sb_not": f"{int(counts.get(DOES_NOT, 0))}",
            "sb_untestable": f"{int(counts.get(NOT_TESTABLE, 0))}",
            "sb_total": f"{len(board)}",
            "sb_notrun": f"{int(counts.get('not run', 0))}", "sb_dir": str(results.folder),
            "sb_runs": runs_text(board), "sb_stages": stages_text(results)}


def styled_board(results: Results) -> Styler:
    """The table with its verdict column coloured."""
    return (results.board.drop(columns=["pair", "scale", "rule"]).style.set_uuid("scoreboard").hide(axis="index")
            .map(lambda v: f"background-color: {VERDICT_COLORS.get(v, 'white')}", subset=["verdict"])
            .set_properties(**{"text-align": "left", "white-space": "normal"}))


def stages_table(results: Results) -> pd.DataFrame:
    """Per claim, the same measure for each alignment stage (SFT, DPO, RLHF against Base; RLHF against SFT),
    only the claims some stage was measured for."""
    t = results.stages if results.stages is not None else pd.DataFrame()
    if t.empty:
        return t
    stage_cols = [c for c in t.columns if c not in ("figure", "claim")]
    return t[(t[stage_cols] != "not measured").any(axis=1)].reset_index(drop=True)


def stages_text(results: Results) -> str:
    """How many claims have a per-stage measurement, and how many stage cells in all."""
    t = stages_table(results)
    if t.empty:
        return "no claim of this build was measured per stage"
    cells = int((t.drop(columns=["figure", "claim"]) != "not measured").to_numpy().sum())
    claims = "1 claim has" if len(t) == 1 else f"{len(t)} claims have"
    return f"{claims} a per-stage measurement ({cells} stage cell{'' if cells == 1 else 's'})"


def rules_table(results: Results) -> pd.DataFrame:
    """The rule that decides each claim's verdict, and where in the paper the claim comes from."""
    return results.board[["figure", "claim", "source", "rule"]]


def figures(results: Results) -> dict[str, Any]:
    """The styled table, glued so that the introduction shows it too."""
    return {"sb_table": styled_board(results)}


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The scoreboard records no claim of its own."""
    return []
