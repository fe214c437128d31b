"""Chapter 00, setting up: the environment of the run and nucleus sampling on Zipf laws (no model).

``run`` records the software and hardware and computes the nucleus of one Zipf law; ``figures`` draws
the static figure of nucleus size against p for a few exponents; ``nucleus_plotly`` is the interactive
version with every exponent precomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from predact_utils.chapters.setup.environment import environment_table
from predact_utils.chapters.setup.zipf import (
    nucleus_size,
    nucleus_size_figure,
    nucleus_size_plotly,
    zipf_probs,
)
from predact_utils.plotting import set_style
from predact_utils.seeding import seed_everything
from predact_utils.settings import ChapterSettings, param

#: Exponents of the interactive figure's slider.
PLOTLY_EXPONENTS: tuple[float, ...] = (0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 2.0)


@dataclass(frozen=True)
class Settings(ChapterSettings):
    """Parameters of the setup chapter."""

    zipf_exponent: float = param(1.1, minimum=0.0, doc="exponent s of the Zipf law p(r) ~ r^-s")
    vocab_size: int = param(8192, minimum=2, doc="vocabulary size of the Zipf law")
    top_p: float = param(0.9, minimum=0.0, maximum=1.0, doc="nucleus mass p")

    def exponents(self) -> list[float]:
        """Exponents of the static figure: five at full scale, two at smoke scale."""
        chosen = [0.8, 1.0, self.zipf_exponent, 1.4, 2.0] if not self.smoke else [1.0, self.zipf_exponent]
        return sorted(set(chosen))


@dataclass
class Results:
    """The environment table and the nucleus of the chapter's Zipf law."""

    settings: Settings
    environment: pd.DataFrame
    nucleus_tokens: int


def run(settings: Settings) -> Results:
    """Record the environment and the nucleus size of the Zipf law of ``settings``."""
    seed_everything(settings.seed)
    env = environment_table()
    probs = zipf_probs(settings.vocab_size, settings.zipf_exponent)
    return Results(settings, env, nucleus_size(probs, settings.top_p))


def compute_dtype(env: pd.DataFrame) -> str:
    """The "compute dtype" row of the environment table."""
    return str(env.loc[env["name"] == "compute dtype", "value"].item())


def numbers(results: Results) -> dict[str, str]:
    """The page's glued text."""
    s = results.settings
    return {"env_dtype": compute_dtype(results.environment), "vocab_size": f"{s.vocab_size:,}",
            "zipf_exponent": f"{s.zipf_exponent:g}", "top_p": f"{s.top_p:g}",
            "nucleus_tokens": f"{results.nucleus_tokens:,}"}


def figures(results: Results) -> dict[str, Any]:
    """The static figure of nucleus size against p."""
    set_style()
    return {"fig_setup_nucleus": nucleus_size_figure(results.settings.vocab_size, results.settings.exponents())}


def nucleus_plotly(results: Results) -> go.Figure:
    """The interactive figure: a slider over precomputed exponents."""
    return nucleus_size_plotly(results.settings.vocab_size, list(PLOTLY_EXPONENTS))


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The setup chapter tests no claim of the paper."""
    return []
