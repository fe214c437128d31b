"""Chapter 02: worse world models (the paper's Fig. 2)."""

from predact_utils.chapters.worldmodel.chapter import (
    Results,
    Settings,
    before_after_tables,
    by_stage,
    claim_records,
    delta_plotly,
    figures,
    first_documents,
    numbers,
    run,
    stage_entries,
    summary_a,
    table_a,
    table_b,
    verdict_rows,
)

__all__ = ["Results", "Settings", "before_after_tables", "by_stage", "claim_records", "delta_plotly", "figures", "first_documents", "numbers", "run", "stage_entries",
           "summary_a",
           "table_a", "table_b", "verdict_rows"]
