"""Chapter 05: planning ahead (hidden-state probes).

:mod:`.chapter` holds the settings and the pipeline (``run(settings) -> Results``), :mod:`.page` what the
page shows of the results; :mod:`.probing` and :mod:`.plan_probe` are the probes, :mod:`.plots` the figures.
"""

from .chapter import Results, Settings, run
from .page import (
    claim_records,
    curves_interactive,
    figures,
    layers_table,
    numbers,
    plan_table,
    scores_table,
    sizes_table,
    stages_table,
)

__all__ = ["Results", "Settings", "claim_records", "curves_interactive", "figures", "layers_table", "numbers",
           "plan_table", "run", "scores_table", "sizes_table", "stages_table"]
