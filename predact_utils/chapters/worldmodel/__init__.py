"""Chapter 02: worse world models (the paper's Fig. 2)."""
