"""Nucleus (top-p) truncation on a probability vector (setup section; used again in the collapse section).

The paper samples every generation with nucleus sampling at p = 0.9
(Holtzman et al., 2020): keep the smallest set of most probable tokens whose
cumulative mass reaches p. These helpers compute that set's size exactly, and
draw the setup chapter's figure of nucleus size against p on Zipf laws.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure


def zipf_probs(vocab_size: int, exponent: float) -> np.ndarray:
    """Probabilities ``p(r) ∝ r**-exponent`` for ranks ``r = 1..vocab_size``, sorted descending."""
    if vocab_size < 1:
        raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
    if exponent < 0:
        raise ValueError(f"exponent must be >= 0, got {exponent}")
    w = np.arange(1, vocab_size + 1, dtype=np.float64) ** -float(exponent)
    return w / w.sum()


def nucleus_size(probs: np.ndarray, top_p: float) -> int:
    """Size of the top-p nucleus: the fewest most-probable tokens whose mass is >= ``top_p``.

    Matches ``transformers``' ``TopPLogitsWarper``, which always keeps at least one token.
    """
    if not 0.0 <= top_p <= 1.0:
        raise ValueError(f"top_p must be in [0, 1], got {top_p}")
    p = np.sort(np.asarray(probs, dtype=np.float64))[::-1]
    total = p.sum()
    if not np.isclose(total, 1.0, atol=1e-6):
        raise ValueError(f"probabilities must sum to 1, got {total:.6f}")
    cum = np.cumsum(p)
    # tolerance: a mass that equals top_p up to rounding counts as reaching it
    k = int(np.searchsorted(cum, top_p - 1e-12, side="left")) + 1
    return max(1, min(k, p.size))


def nucleus_curve(vocab_size: int, exponent: float, ps: np.ndarray) -> np.ndarray:
    """Nucleus sizes for each mass in ``ps`` on a Zipf law."""
    probs = zipf_probs(vocab_size, exponent)
    return np.array([nucleus_size(probs, float(p)) for p in ps])


def _grid() -> np.ndarray:
    return np.round(np.linspace(0.05, 0.99, 95), 4)


def nucleus_size_figure(vocab_size: int, exponents: Sequence[float]) -> Figure:
    """Static figure: nucleus size (log) against p, one line per Zipf exponent."""
    ps = _grid()
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for s in exponents:
        ax.plot(ps, nucleus_curve(vocab_size, s, ps), label=f"s = {s:g}")
    ax.set_yscale("log")
    ax.set_xlabel("nucleus mass p")
    ax.set_ylabel("tokens in the nucleus")
    ax.axvline(0.9, color="grey", lw=0.8, ls="--")
    ax.legend(title="Zipf exponent", fontsize=8)
    return fig


def nucleus_size_plotly(vocab_size: int, exponents: Sequence[float]) -> go.Figure:
    """Interactive figure: the same curve with a slider over precomputed exponents."""
    ps = _grid()
    fig = go.Figure()
    for i, s in enumerate(exponents):
        fig.add_trace(
            go.Scatter(x=ps, y=nucleus_curve(vocab_size, s, ps), mode="lines", name=f"s = {s:g}", visible=i == 0)
        )
    steps = [
        {
            "method": "update",
            "label": f"{s:g}",
            "args": [{"visible": [j == i for j in range(len(exponents))]}],
        }
        for i, s in enumerate(exponents)
    ]
    fig.update_layout(
        title="Tokens kept by nucleus sampling on a Zipf law",
        xaxis_title="nucleus mass p",
        yaxis_title="tokens in the nucleus",
        yaxis_type="log",
        sliders=[{"active": 0, "currentvalue": {"prefix": "Zipf exponent s = "}, "steps": steps}],
        template="plotly_white",
        height=420,
    )
    return fig
