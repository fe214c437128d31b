"""Chapter 06: the trade-off frontier (beyond the paper)."""

from predact_utils.chapters.frontier.chapter import (
    Results,
    Settings,
    claim_records,
    figures,
    frontier_plotly,
    numbers,
    points_table,
    run,
)

__all__ = ["Results", "Settings", "claim_records", "figures", "frontier_plotly", "numbers", "points_table", "run"]
