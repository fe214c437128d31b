"""Hidden states of chosen layers: values, float16 storage, batching with padding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from predact_utils.lm.hidden import hidden_states, resolve_layers


def test_hidden_states_match_output_hidden_states(tiny_model):
    g = torch.Generator().manual_seed(0)
    seqs = [torch.randint(0, 300, (n,), generator=g).tolist() for n in (12, 5, 9)]
    out = hidden_states(tiny_model, seqs, layers=[0, 1, -1], batch_tokens=64, progress=False)
    for seq, h in zip(seqs, out, strict=True):
        assert h.shape == (len(seq), 3, 32) and h.dtype == np.float16
        with torch.no_grad():
            ref = tiny_model(torch.tensor([seq]), output_hidden_states=True).hidden_states
        want = torch.stack([ref[0][0], ref[1][0], ref[-1][0]], dim=1).numpy()
        np.testing.assert_allclose(h.astype(np.float32), want, rtol=2e-3, atol=2e-3)
    alone = hidden_states(tiny_model, seqs[1:2], layers=[0, 1, -1], progress=False)[0]
    np.testing.assert_allclose(alone.astype(np.float32), out[1].astype(np.float32), atol=2e-3)


def test_layer_indices_and_length_checks(tiny_model):
    assert resolve_layers(tiny_model, [-1, 0, 2]) == [2, 0, 2]
    with pytest.raises(ValueError, match="out of range"):
        resolve_layers(tiny_model, [3])
    with pytest.raises(ValueError, match="truncate"):
        hidden_states(tiny_model, [[1] * 300], layers=[-1], progress=False)
