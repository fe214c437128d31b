"""Chapter 02: worse world models (the paper's Fig. 2)."""

from predact_utils.chapters.worldmodel.chapter import (
    Results,
    Settings,
    claim_records,
    delta_plotly,
    figures,
    numbers,
    run,
    summary_a,
    table_a,
    table_b,
)

__all__ = ["Results", "Settings", "claim_records", "delta_plotly", "figures", "numbers", "run", "summary_a",
           "table_a", "table_b"]
