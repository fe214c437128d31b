"""Chapter 06: the trade-off frontier (beyond the paper)."""
