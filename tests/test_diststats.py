"""Distribution statistics on hand-made distributions with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from predact_utils.lm.diststats import DistStats, DistStatsConfig, distribution_stats

P = [0.4, 0.3, 0.2, 0.1 - 2e-9, 1e-9, 1e-9]


def _lp(rows):
    return torch.log(torch.tensor(rows, dtype=torch.float64))


@pytest.fixture(params=["numpy", "kernels"])
def cpu_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the NumPy passes and again with the compiled kernels of ``statkernels``."""
    import predact_utils.lm.diststats as ds
    from predact_utils.lm import statkernels
    if request.param == "kernels" and not statkernels.AVAILABLE:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(ds, "_FUSED", request.param == "kernels")
    return request.param


@pytest.mark.parametrize("pad", [0, 300])
def test_topk_mass_counts_entropy_rank(cpu_path: str, pad: int):
    """The hand-made distribution, alone and padded with ``pad`` zero-probability tokens (a vocabulary
    large enough for the block selection and, with ``cpu_path == "kernels"``, the compiled kernels)."""
    cfg = DistStatsConfig(top_k=4, thresholds=(1e-8, 0.15, 0.35))
    st = distribution_stats(_lp([P + [0.0] * pad, P[::-1] + [0.0] * pad]), torch.tensor([2, 0]), cfg)
    np.testing.assert_allclose(st.topk_mass[0], [0.4, 0.7, 0.9, 1.0 - 2e-9], atol=1e-6)
    np.testing.assert_allclose(st.topk_mass[1], st.topk_mass[0], atol=1e-6)  # order of the vocabulary is irrelevant
    np.testing.assert_array_equal(st.n_above[0], [4, 3, 1])
    entropy = -sum(p * math.log(p) for p in P)
    np.testing.assert_allclose(st.entropy, [entropy, entropy], rtol=1e-5)
    assert st.rank.tolist() == [3, 5]  # token 2 has p = 0.2 (third); reversed row: token 0 has p = 1e-9 (tied 5th)
    assert st.topk_mass.dtype == np.float32 and st.n_above.dtype == np.int32


def test_ties_zeros_and_small_vocab():
    cfg = DistStatsConfig(top_k=6, thresholds=(1e-8,))
    st = distribution_stats(_lp([[0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0]]), torch.tensor([3, 2]), cfg)
    np.testing.assert_allclose(st.topk_mass[0], [0.25, 0.5, 0.75, 1, 1, 1], atol=1e-6)  # K > V pads with 1
    np.testing.assert_allclose(st.topk_mass[1], [0.5, 1, 1, 1, 1, 1], atol=1e-6)
    assert st.n_above[:, 0].tolist() == [4, 2]
    np.testing.assert_allclose(st.entropy, [math.log(4), math.log(2)], rtol=1e-6)
    assert st.rank.tolist() == [1, 3]  # ties counted in the token's favour; a zero-probability token after the two


def test_concat_select_and_no_targets():
    lp = torch.log_softmax(torch.randn(5, 50, generator=torch.Generator().manual_seed(0)), -1)
    whole = distribution_stats(lp)
    parts = DistStats.concat([distribution_stats(lp[:2]), distribution_stats(lp[2:])])
    np.testing.assert_allclose(parts.topk_mass, whole.topk_mass)
    assert len(parts) == 5 and len(whole.select(slice(1, 3))) == 2
    assert (whole.rank == 0).all()
    assert len(DistStats.concat([])) == 0


def test_config_validation():
    with pytest.raises(ValueError):
        DistStatsConfig(top_k=0)
    with pytest.raises(ValueError):
        DistStatsConfig(thresholds=(2.0,))


def test_accelerator_path_matches_the_cpu_path() -> None:
    """GPU logits go through torch ops, CPU logits through NumPy: same numbers (run here on CPU tensors)."""
    from predact_utils.lm.diststats import _stats_cpu, _stats_torch

    x = torch.randn(7, 300, generator=torch.Generator().manual_seed(1)) * 4
    x[0, :10] = -torch.inf  # zero-probability tokens
    t_x = x.gather(-1, torch.arange(7).view(-1, 1) * 3)
    top = torch.topk(x, 5, dim=-1).values
    log_t = np.log(np.array([1e-8, 1e-3], np.float32))
    a = _stats_cpu(x.numpy(), top.numpy(), t_x.numpy(), log_t)
    b = _stats_torch(x, top, t_x, torch.from_numpy(log_t))
    for u, w in zip(a, b, strict=True):
        np.testing.assert_allclose(np.asarray(u, np.float64), w.numpy().astype(np.float64), rtol=1e-5, atol=1e-6)
    assert np.isfinite(a[2]).all()  # entropy stays finite with -inf logits


def test_rows_split_over_threads_give_the_same_statistics(cpu_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On CPU the rows are split over the torch threads; the split must not change a number."""
    import predact_utils.lm.diststats as ds

    x = torch.randn(700, 257, generator=torch.Generator().manual_seed(2)) * 3
    t = torch.arange(700) % 257
    cfg = DistStatsConfig(top_k=8, thresholds=(1e-8, 1e-3))
    threads = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        lp_split, split = ds.stats_from_logits(x, t, cfg)
        monkeypatch.setattr(ds, "_MIN_ROWS_PER_THREAD", 10**9)
        lp_one, one = ds.stats_from_logits(x, t, cfg)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(lp_split, lp_one)
    for name in ("topk_mass", "n_above", "entropy", "rank"):
        np.testing.assert_array_equal(getattr(split, name), getattr(one, name))


def _crafted_rows(vocab: int) -> np.ndarray:
    """Rows [12, vocab] that a block or group selection could get wrong: every value tied, half the row
    tied at the top, -inf (masked tokens), the largest values in the tail past the last whole block,
    one dominant token, all -inf but one value, and random rows."""
    gen = torch.Generator().manual_seed(vocab)
    x = torch.randn(12, vocab, generator=gen) * 3
    x[0, :] = 1.5
    x[1, : vocab // 2] = 4.0
    x[2, ::3] = -math.inf
    x[3, -20:] = 9.0 + torch.arange(20.0)
    x[4, 5] = 50.0
    x[5, :] = -math.inf
    x[5, 7] = 0.0
    return np.ascontiguousarray(x.numpy())


@pytest.mark.parametrize("vocab", [8192, 8000, 1000, 300, 40])
def test_blockwise_top_k_equals_a_full_sort(vocab: int) -> None:
    """The block-maximum selection returns exactly the K largest values of each row, ties included, on
    the crafted rows."""
    from predact_utils.lm.diststats import _topk_desc

    k = 32 if vocab >= 32 else vocab
    x = _crafted_rows(vocab)
    want = np.sort(x, axis=-1)[:, ::-1][:, :k]
    np.testing.assert_array_equal(_topk_desc(x, k), want)


@pytest.mark.parametrize("vocab,k", [(8192, 32), (8000, 32), (1000, 32), (300, 8), (40, 5)])
def test_kernel_top_k_equals_a_full_sort(vocab: int, k: int) -> None:
    """The compiled group-maximum selection of ``statkernels.top_k`` on the same crafted rows."""
    from predact_utils.lm import statkernels
    if not statkernels.AVAILABLE:
        pytest.skip("numba is not installed")
    x = _crafted_rows(vocab)
    want = np.sort(x, axis=-1)[:, ::-1][:, :k]
    got = np.empty((len(x), k), np.float32)
    statkernels.top_k(x, k, min(8 * k, vocab), got)
    np.testing.assert_array_equal(got, want)


def test_kernels_match_the_numpy_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """On logits of a realistic vocabulary, with masked (-inf) tokens, ties and targets inside and
    outside the top K, the compiled kernels give the NumPy passes' counts and ranks exactly and their
    masses to float32 rounding; their entropies and log-probabilities agree with a float64
    ``log_softmax`` (the kernels sum in float64: closer than the NumPy passes' float32 sums)."""
    import predact_utils.lm.diststats as ds
    from predact_utils.lm import statkernels
    if not statkernels.AVAILABLE:
        pytest.skip("numba is not installed")
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(200, 8192, generator=gen) * 3
    x[0, :4000] = -math.inf
    x[1, 10:20] = x[1].max() + 1  # ten tied top tokens
    t = torch.randint(0, 8192, (200,), generator=gen)
    t[0], t[1] = 5, 15  # a masked target (row 0) and one tied at the top (row 1)
    cfg = DistStatsConfig(top_k=32, thresholds=(1e-8, 1e-4, 1e-2))
    monkeypatch.setattr(ds, "_FUSED", False)
    lp_np, st_np = ds.stats_from_logits(x, t, cfg)
    monkeypatch.setattr(ds, "_FUSED", True)
    lp_k, st_k = ds.stats_from_logits(x, t, cfg)
    np.testing.assert_array_equal(st_k.n_above, st_np.n_above)
    np.testing.assert_array_equal(st_k.rank, st_np.rank)
    assert st_k.rank[1] == 1
    np.testing.assert_allclose(st_k.topk_mass, st_np.topk_mass, rtol=1e-5)
    lp64 = torch.log_softmax(x.double(), -1)
    p64 = lp64.exp()
    entropy = -(p64 * torch.where(p64 > 0, lp64, 0.0)).sum(-1).numpy()
    np.testing.assert_allclose(st_k.entropy, entropy, atol=1e-6)
    np.testing.assert_allclose(st_np.entropy, entropy, atol=3e-4)
    target = lp64.gather(-1, t.view(-1, 1)).squeeze(-1).numpy()
    finite = np.isfinite(target)
    assert not finite.all() and np.isneginf(lp_k.numpy()[~finite]).all()  # masked targets: -inf
    np.testing.assert_allclose(lp_k.numpy()[finite], target[finite], atol=2e-6)
