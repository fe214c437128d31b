"""Chapter 08: the sampling explorer."""

from predact_utils.chapters.explorer.analysis import show_explorer
from predact_utils.chapters.explorer.chapter import Results, Settings, claim_records, figures, numbers, run
from predact_utils.chapters.explorer.views import explorer_plotly, grid_display, live_widget

__all__ = ["Results", "Settings", "claim_records", "explorer_plotly", "figures", "grid_display", "live_widget",
           "numbers", "run", "show_explorer"]
