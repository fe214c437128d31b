"""Chapter 09: the model organism (beyond the paper): an exact frontier between world modeling and reward.

:mod:`.chapter` holds the settings and the pipeline, :mod:`.points` what is measured of one model,
:mod:`.frontier` the rules that read the frontier, :mod:`.page` what the page shows, :mod:`.plots` the
figures.
"""

from predact_utils.chapters.organism.chapter import Results, Settings, run
from predact_utils.chapters.organism.page import claim_records, figures, numbers, points_table

__all__ = ["Results", "Settings", "claim_records", "figures", "numbers", "points_table", "run"]
