"""Chapter 07: the scoreboard of this build's claim records."""

from predact_utils.chapters.scoreboard.chapter import (
    Results,
    Settings,
    claim_records,
    figures,
    numbers,
    rules_table,
    run,
    runs_text,
    stages_table,
    styled_board,
)

__all__ = ["Results", "Settings", "claim_records", "figures", "numbers", "rules_table", "run", "runs_text", "stages_table",
           "styled_board"]
