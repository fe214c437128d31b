"""Chapter 03: distribution collapse (the paper's Figs. 3-5)."""
