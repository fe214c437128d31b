"""Chapter 00: the environment report and the Zipf nucleus demo."""

from predact_utils.chapters.setup.chapter import (
    Results,
    Settings,
    claim_records,
    figures,
    nucleus_plotly,
    numbers,
    run,
)

__all__ = ["Results", "Settings", "claim_records", "figures", "nucleus_plotly", "numbers", "run"]
