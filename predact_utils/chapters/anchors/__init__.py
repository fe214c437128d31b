"""Chapter 04: anchor spans (the paper's Fig. 1 and its n-gram numbers)."""

from predact_utils.chapters.anchors.chapter import Results, Settings, claim_records, figures, numbers, run
from predact_utils.chapters.anchors.displays import (
    plotly_ngrams,
    plotly_position,
    plotly_sankey,
    table_comparison,
    table_example_spans,
    table_folding,
    table_overflow_check,
    table_position_edges,
    table_shared_ngrams,
    table_spans,
    table_stages,
    widget_sankey,
)

__all__ = [
    "Results",
    "Settings",
    "claim_records",
    "figures",
    "numbers",
    "plotly_ngrams",
    "plotly_position",
    "plotly_sankey",
    "run",
    "table_comparison",
    "table_example_spans",
    "table_folding",
    "table_overflow_check",
    "table_position_edges",
    "table_shared_ngrams",
    "table_spans",
    "table_stages",
    "widget_sankey",
]
