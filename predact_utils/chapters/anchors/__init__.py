"""Chapter 04: anchor spans (the paper's Fig. 1 and its n-gram numbers)."""
