"""Chapter 03: distribution collapse (the paper's Figs. 3-5)."""

from predact_utils.chapters.collapse.chapter import Results, Settings, claim_records, figures, numbers, run
from predact_utils.chapters.collapse.tables import (
    cross_plotly,
    cross_table,
    ratios_table,
    scored_table,
    topk_plotly,
    verdicts_table,
)

__all__ = ["Results", "Settings", "claim_records", "cross_plotly", "cross_table", "figures", "numbers",
           "ratios_table", "run", "scored_table", "topk_plotly", "verdicts_table"]
