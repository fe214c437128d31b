"""predact_utils: all real logic of the predact book.

The book reproduces *Predicting vs. Acting: A Trade-off Between World Modeling
& Agent Modeling* (Li et al., 2024, arXiv:2407.02446). Notebooks under
``notebooks/`` stay thin and call the modules of this package.
"""

from __future__ import annotations

from predact_utils.seeding import seed_everything

__all__ = ["seed_everything", "__version__"]
__version__ = "0.1.0"
