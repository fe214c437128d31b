"""Figure helpers shared by every section: house style, offline plotly output, captions.

Plotly figures are shown as HTML that expects ``window.Plotly`` to be loaded by
the page (the book ships ``plotly.min.js`` in ``_static``, see
:mod:`predact_utils.book.build`), so a rendered page needs no internet.
"""

from __future__ import annotations

import html
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import seaborn as sns

#: Colours of the model roles, the same in every figure of the book.
ROLE_COLORS: dict[str, str] = {
    "base": "#1f77b4",
    "sft": "#9467bd",
    "dpo": "#d62728",
    "rlhf": "#ff7f0e",
    "aligned": "#d62728",
}


def set_style() -> None:
    """The house style for static figures (seaborn paper context, no top/right spines)."""
    sns.set_theme(context="notebook", style="whitegrid", font_scale=0.95)
    matplotlib.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.autolayout": True,
        }
    )


class PlotlyHTML:
    """A plotly figure as a notebook output that renders offline.

    In a notebook, the output bundle carries ``text/html`` (a ``div`` plus a
    script calling ``Plotly.newPlot``; the page must load plotly.js itself)
    and ``text/plain``. Jupyter Book picks the HTML; a plain console shows
    the title.
    """

    def __init__(self, fig: Any, div_id: str | None = None, height: int | None = None) -> None:
        self.fig = fig
        self.div_id = div_id
        if height is not None:
            fig.update_layout(height=height)

    def _repr_html_(self) -> str:
        body = self.fig.to_html(
            include_plotlyjs=False,
            full_html=False,
            div_id=self.div_id,
            config={"displaylogo": False, "responsive": True},
        )
        return f'<div class="predact-plotly">{body}</div>'

    def __repr__(self) -> str:
        title = self.fig.layout.title.text if self.fig.layout.title else None
        return f"<plotly figure: {html.escape(title or 'untitled')}>"


def show_plotly(fig: Any, div_id: str | None = None, height: int | None = None) -> PlotlyHTML:
    """Wrap ``fig`` so the book renders it without a CDN; return it as the cell's value."""
    return PlotlyHTML(fig, div_id=div_id, height=height)


def close_all() -> None:
    """Close every open matplotlib figure (keeps long notebooks' memory flat)."""
    plt.close("all")
