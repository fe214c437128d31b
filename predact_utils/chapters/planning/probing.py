"""Forward-predictive probes on hidden states (book section: Planning ahead in hidden states).

Position-level probes. For each offset ``k``, a linear softmax probe reads the
hidden state at position ``t`` and predicts the token at ``t + k``. The label
space is the ``top_n`` most frequent target tokens of the *training* sequences
plus one ``other`` class for every remaining token (:class:`LabelSpace`), so the
probe has ``top_n + 1`` outputs per offset. Sequences, never positions, are
split into train and test (:func:`split_sequences`, optionally by groups such as
the prompt a generation answers), and every score is computed on held-out
sequences, with bootstrap confidence intervals over held-out groups.

What the probe adds is measured against :class:`BigramBaseline`, which predicts
the label of the token at ``t + k`` from the token at ``t`` alone (counts on the
same training positions and label space, smoothed towards the label marginal).

The sequence-level plan probe lives in :mod:`predact_utils.chapters.planning.plan_probe`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

#: The offsets of the book's figures.
OFFSETS: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16)


@dataclass(frozen=True)
class LabelSpace:
    """Class ``i < top_n`` is token ``tokens[i]``; class ``top_n`` ("other") is every other token."""

    tokens: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(self.tokens) + 1

    @property
    def other(self) -> int:
        return len(self.tokens)

    def encode(self, token_ids: np.ndarray) -> np.ndarray:
        """Class index of each token id; negative ids (masked targets) stay ``-1``."""
        ids = np.asarray(token_ids, dtype=np.int64)
        lookup = {int(t): i for i, t in enumerate(self.tokens)}
        out = np.array([lookup.get(int(t), self.other) for t in ids.ravel()], dtype=np.int64).reshape(ids.shape)
        out[ids < 0] = -1
        return out


def label_space(targets: np.ndarray, top_n: int) -> LabelSpace:
    """The ``top_n`` most frequent ids among ``targets`` (ties broken by the smaller id); ``-1`` is ignored."""
    if top_n < 1:
        raise ValueError(f"top_n must be >= 1, got {top_n}")
    ids = np.asarray(targets).ravel()
    ids = ids[ids >= 0]
    if ids.size == 0:
        raise ValueError("no targets to build a label space from; give longer sequences or smaller offsets")
    values, counts = np.unique(ids, return_counts=True)
    order = np.lexsort((values, -counts))[:top_n]
    return LabelSpace(values[order].astype(np.int64))


def split_sequences(n: int, test_fraction: float = 0.2, seed: int = 0,
                    groups: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices of ``n`` sequences; with ``groups`` a whole group goes to one side.

    The split is by sequence (never by position), so no sequence has positions in both
    halves; grouping by prompt also keeps sibling generations of one prompt together.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    g = np.arange(n) if groups is None else np.asarray(groups)
    if len(g) != n:
        raise ValueError(f"groups has {len(g)} entries for {n} sequences")
    uniq = np.unique(g)
    if len(uniq) < 2:
        raise ValueError("need at least two sequences (or groups) to split into train and test")
    rng = np.random.default_rng(seed)
    n_test = min(len(uniq) - 1, max(1, int(round(test_fraction * len(uniq)))))
    test_groups = rng.permutation(uniq)[:n_test]
    is_test = np.isin(g, test_groups)
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


@dataclass
class Positions:
    """Probe positions of some sequences: sequence index, position ``t``, token at ``t`` and at ``t + k``."""

    seq: np.ndarray  # [P]
    pos: np.ndarray  # [P]
    current: np.ndarray  # [P] token id at t
    targets: np.ndarray  # [P, K] token id at t + k, or -1 beyond the end


def probe_positions(token_seqs: Sequence[Sequence[int]], starts: Sequence[int], offsets: Sequence[int],
                    indices: Sequence[int], *, max_positions: int | None = None, seed: int = 0) -> Positions:
    """Positions ``t >= starts[i]`` with ``t + 1`` inside sequence ``i``, for the sequences in ``indices``.

    ``max_positions`` keeps a seeded random subset (for training cost); targets beyond the end are -1.
    """
    offs = np.asarray(offsets, dtype=np.int64)
    seqs, poss, curs, tgts = [], [], [], []
    for i in indices:
        ids = np.asarray(token_seqs[i], dtype=np.int64)
        t = np.arange(max(int(starts[i]), 0), len(ids) - 1)
        if t.size == 0:
            continue
        j = t[:, None] + offs[None, :]
        tg = np.where(j < len(ids), ids[np.minimum(j, len(ids) - 1)], -1)
        seqs.append(np.full(t.size, i))
        poss.append(t)
        curs.append(ids[t])
        tgts.append(tg)
    if not seqs:
        return Positions(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                         np.zeros((0, len(offs)), np.int64))
    out = Positions(np.concatenate(seqs), np.concatenate(poss), np.concatenate(curs), np.concatenate(tgts))
    if max_positions is not None and len(out.seq) > max_positions:
        keep = np.sort(np.random.default_rng(seed).choice(len(out.seq), max_positions, replace=False))
        out = Positions(out.seq[keep], out.pos[keep], out.current[keep], out.targets[keep])
    return out


def gather_states(hidden: Sequence[np.ndarray], where: Positions, layer: int) -> np.ndarray:
    """float32 ``[P, d]`` states of entry ``layer`` of ``hidden[i]`` (arrays ``[T, layers, d]``) at ``where``."""
    if len(where.seq) == 0:
        return np.zeros((0, hidden[0].shape[-1]), np.float32)
    out = np.empty((len(where.seq), hidden[0].shape[-1]), np.float32)
    for i in np.unique(where.seq):
        m = where.seq == i
        out[m] = hidden[i][where.pos[m], layer].astype(np.float32)
    return out


class SoftmaxProbe:
    """Multinomial logistic regression, one head per offset, fitted jointly by full-batch L-BFGS.

    Features are standardised with the training mean and standard deviation; the penalty is
    ``l2 / 2 * ||W||^2`` added to the mean cross-entropy of each head. Fitted on ``device`` (the probed
    model's: an accelerator fits the probes of a 70B model's states in seconds); deterministic on CPU.
    """

    def __init__(self, n_classes: int, *, l2: float = 1e-3, max_iter: int = 100, seed: int = 0,
                 device: str | torch.device = "cpu") -> None:
        self.n_classes, self.l2, self.max_iter, self.seed = n_classes, l2, max_iter, seed
        self.device = torch.device(device)

    def fit(self, X: np.ndarray, Y: np.ndarray) -> SoftmaxProbe:
        """``X`` ``[P, d]`` states, ``Y`` ``[P, K]`` classes (``-1``: no target for that head)."""
        torch.manual_seed(self.seed)
        self.mean_ = X.mean(0)
        self.scale_ = X.std(0) + 1e-6
        x = torch.from_numpy(((X - self.mean_) / self.scale_).astype(np.float32)).to(self.device)
        y = torch.from_numpy(np.asarray(Y, dtype=np.int64)).to(self.device)
        K, C = y.shape[1], self.n_classes
        W = torch.zeros(x.shape[1], K * C, requires_grad=True, device=self.device)
        b = torch.zeros(K * C, requires_grad=True, device=self.device)
        valid = y >= 0
        counts = valid.sum(0).clamp_min(1).float()
        y0 = y.clamp_min(0)
        opt = torch.optim.LBFGS([W, b], lr=1.0, max_iter=self.max_iter, history_size=10,
                                line_search_fn="strong_wolfe", tolerance_grad=1e-6, tolerance_change=1e-9)

        def closure() -> torch.Tensor:
            opt.zero_grad()
            logp = torch.log_softmax((x @ W + b).view(-1, K, C), dim=-1)
            nll = -logp.gather(-1, y0.unsqueeze(-1)).squeeze(-1) * valid
            loss = (nll.sum(0) / counts).sum() + 0.5 * self.l2 * (W * W).sum()
            loss.backward()
            return loss

        opt.step(closure)
        self.W_, self.b_ = W.detach(), b.detach()
        self.n_heads_ = K
        return self

    @torch.no_grad()
    def log_proba(self, X: np.ndarray) -> np.ndarray:
        """``[P, K, C]`` log-probabilities of the classes for each head."""
        x = torch.from_numpy(((X - self.mean_) / self.scale_).astype(np.float32)).to(self.device)
        logits = (x @ self.W_ + self.b_).view(-1, self.n_heads_, self.n_classes)
        return torch.log_softmax(logits, dim=-1).cpu().numpy()


class BigramBaseline:
    """``p(label of x_{t+k} | x_t)`` from counts, Dirichlet-smoothed towards the label marginal.

    ``p(y | x) = (c(x, y) + alpha * m(y)) / (c(x) + alpha)`` with ``m`` the add-one smoothed
    marginal of the training labels; an unseen ``x`` gets ``m``. One table per offset.
    """

    def __init__(self, n_classes: int, *, alpha: float = 1.0) -> None:
        if alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        self.n_classes, self.alpha = n_classes, alpha

    def fit(self, current: np.ndarray, Y: np.ndarray) -> BigramBaseline:
        """``current`` ``[P]`` token ids at ``t``, ``Y`` ``[P, K]`` classes of the tokens at ``t + k``."""
        self.contexts_ = np.unique(current)
        ctx = np.searchsorted(self.contexts_, current)
        K, C = Y.shape[1], self.n_classes
        self.counts_ = np.zeros((K, len(self.contexts_), C))
        self.marginal_ = np.zeros((K, C))
        for k in range(K):
            v = Y[:, k] >= 0
            np.add.at(self.counts_[k], (ctx[v], Y[v, k]), 1.0)
            m = np.bincount(Y[v, k], minlength=C) + 1.0
            self.marginal_[k] = m / m.sum()
        return self

    def log_proba(self, current: np.ndarray) -> np.ndarray:
        """``[P, K, C]`` log-probabilities."""
        idx = np.searchsorted(self.contexts_, current).clip(0, len(self.contexts_) - 1)
        seen = self.contexts_[idx] == current
        c = self.counts_[:, idx, :].astype(np.float32) * seen[None, :, None]  # [K, P, C]
        p = (c + np.float32(self.alpha) * self.marginal_[:, None, :].astype(np.float32)) / (
            c.sum(-1, keepdims=True) + np.float32(self.alpha))
        return np.log(p, dtype=np.float32).transpose(1, 0, 2)


@dataclass
class GroupScores:
    """Per held-out group and offset: positions, correct top-1 and summed NLL (nats) of probe and baseline."""

    groups: np.ndarray  # [G]
    n: np.ndarray  # [G, K]
    correct: np.ndarray  # [G, K]
    nll: np.ndarray  # [G, K]
    base_correct: np.ndarray  # [G, K]
    base_nll: np.ndarray  # [G, K]


def group_scores(logp: np.ndarray, base_logp: np.ndarray, Y: np.ndarray, groups: np.ndarray) -> GroupScores:
    """Sum the scores of positions (``[P, K, C]`` log-probabilities, ``[P, K]`` classes) by group."""
    uniq, g = np.unique(groups, return_inverse=True)
    G, K = len(uniq), Y.shape[1]
    out = [np.zeros((G, K)) for _ in range(5)]
    for k in range(K):
        v = Y[:, k] >= 0
        y = Y[v, k]
        lp, blp = logp[v, k], base_logp[v, k]
        rows = np.arange(len(y))
        for arr, val in zip(out, (np.ones(len(y)), lp.argmax(-1) == y, -lp[rows, y],
                                  blp.argmax(-1) == y, -blp[rows, y]), strict=True):
            np.add.at(arr[:, k], g[v], val)
    return GroupScores(uniq, *out)


def bootstrap_weights(n_groups: int, n_boot: int, seed: int) -> np.ndarray:
    """``[n_boot, n_groups]`` multiplicities of a bootstrap over groups (seeded)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_groups, size=(n_boot, n_groups))
    return np.stack([np.bincount(d, minlength=n_groups) for d in draws]).astype(float)


def summarize(scores: GroupScores, offsets: Sequence[int], *, n_boot: int = 1000, seed: int = 0,
              level: float = 0.95) -> pd.DataFrame:
    """One row per offset: accuracy, cross-entropy, baseline, information gain, with bootstrap intervals.

    ``gain`` is the baseline's cross-entropy minus the probe's (nats per token): what the state adds
    to the current token. Intervals are percentile intervals of a bootstrap over held-out groups.
    """
    w = bootstrap_weights(len(scores.groups), n_boot, seed)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    rows = []
    for k, off in enumerate(offsets):
        n = scores.n[:, k]
        stats = {"acc": scores.correct[:, k], "ce": scores.nll[:, k], "base_acc": scores.base_correct[:, k],
                 "base_ce": scores.base_nll[:, k], "gain": scores.base_nll[:, k] - scores.nll[:, k],
                 "acc_gain": scores.correct[:, k] - scores.base_correct[:, k]}
        row: dict[str, float] = {"k": int(off), "n_positions": int(n.sum()), "n_groups": len(n)}
        boot_n = w @ n
        for name, s in stats.items():
            row[name] = float(s.sum() / max(n.sum(), 1))
            b = (w @ s) / np.maximum(boot_n, 1)
            row[f"{name}_lo"], row[f"{name}_hi"] = (float(q) for q in np.quantile(b, [lo, hi]))
        rows.append(row)
    return pd.DataFrame(rows)


def mean_gain_draws(scores: GroupScores, offsets: Sequence[int], ks: Sequence[int], *, n_boot: int = 1000,
                    seed: int = 0) -> tuple[float, np.ndarray]:
    """Mean over offsets ``ks`` of the information gain, and its ``n_boot`` bootstrap draws over groups."""
    cols = [list(offsets).index(k) for k in ks]
    w = bootstrap_weights(len(scores.groups), n_boot, seed)
    gain = scores.base_nll[:, cols] - scores.nll[:, cols]
    n = scores.n[:, cols]
    point = float(np.mean(gain.sum(0) / np.maximum(n.sum(0), 1)))
    draws = ((w @ gain) / np.maximum(w @ n, 1)).mean(1)
    return point, draws


def regroup(scores: GroupScores, group_of: Sequence[int]) -> GroupScores:
    """The same sums with the held-out groups merged into coarser ones: group ``g`` becomes ``group_of[g]``
    (e.g. each held-out generation its prompt, so that a bootstrap resamples prompts)."""
    coarse = np.asarray(group_of)[np.asarray(scores.groups)]
    uniq, inverse = np.unique(coarse, return_inverse=True)
    out = []
    for arr in (scores.n, scores.correct, scores.nll, scores.base_correct, scores.base_nll):
        summed = np.zeros((len(uniq), arr.shape[1]))
        np.add.at(summed, inverse, arr)
        out.append(summed)
    return GroupScores(uniq, *out)


@dataclass
class ProbeRun:
    """Results of the probes of one model on one text source: a table and the per-group scores."""

    table: pd.DataFrame  # one row per layer and offset
    scores: dict[int, GroupScores]  # by layer
    labels: LabelSpace
    n_train_positions: int
    n_train_sequences: int
    n_test_sequences: int


def run_probes(hidden: Sequence[np.ndarray], token_seqs: Sequence[Sequence[int]], starts: Sequence[int],
               layers: Sequence[int], *, offsets: Sequence[int] = OFFSETS, groups: Sequence[int] | None = None,
               top_n: int = 127, test_fraction: float = 0.2, max_train_positions: int | None = 20_000,
               l2: float = 1e-3, max_iter: int = 100, alpha: float = 1.0, n_boot: int = 1000,
               seed: int = 0, device: str | torch.device = "cpu") -> ProbeRun:
    """Fit and score the probes of every layer and offset on one set of sequences.

    ``hidden[i]`` is ``[len(token_seqs[i]), len(layers), d]`` (the layers named by ``layers``, in order);
    probing starts at position ``starts[i]``. Train/test is split by sequence (by ``groups`` if given).
    """
    if len(hidden) != len(token_seqs) or len(starts) != len(token_seqs):
        raise ValueError("hidden, token_seqs and starts must have one entry per sequence")
    g_all = np.arange(len(token_seqs)) if groups is None else np.asarray(groups)
    tr, te = split_sequences(len(token_seqs), test_fraction, seed, g_all)
    train = probe_positions(token_seqs, starts, offsets, tr, max_positions=max_train_positions, seed=seed)
    test = probe_positions(token_seqs, starts, offsets, te)
    if len(train.seq) == 0 or len(test.seq) == 0:
        raise ValueError("no probe positions in the train or test split; give more or longer sequences")
    labels = label_space(train.targets, top_n)
    y_tr, y_te = labels.encode(train.targets), labels.encode(test.targets)
    base = BigramBaseline(labels.n_classes, alpha=alpha).fit(train.current, y_tr)
    base_logp = base.log_proba(test.current)
    tables, scores = [], {}
    for li, layer in enumerate(layers):
        probe = SoftmaxProbe(labels.n_classes, l2=l2, max_iter=max_iter, seed=seed, device=device)
        probe.fit(gather_states(hidden, train, li), y_tr)
        logp = probe.log_proba(gather_states(hidden, test, li))
        scores[layer] = group_scores(logp, base_logp, y_te, g_all[test.seq])
        t = summarize(scores[layer], offsets, n_boot=n_boot, seed=seed)
        t.insert(0, "layer", layer)
        tables.append(t)
    return ProbeRun(pd.concat(tables, ignore_index=True), scores, labels, len(train.seq),
                    len(np.unique(train.seq)), len(np.unique(test.seq)))


def regrouped(run: ProbeRun, group_of: Sequence[int]) -> ProbeRun:
    """``run`` with every layer's held-out scores merged by :func:`regroup` (the table is left as it is)."""
    return ProbeRun(run.table, {layer: regroup(s, group_of) for layer, s in run.scores.items()}, run.labels,
                    run.n_train_positions, run.n_train_sequences, run.n_test_sequences)


def gain_difference(a: ProbeRun, b: ProbeRun, layer: int, offsets: Sequence[int], ks: Sequence[int], *,
                    n_boot: int = 1000, seed: int = 0) -> dict[str, float]:
    """Mean information gain over offsets ``ks`` of run ``b`` minus run ``a`` at ``layer``, with a 95% CI.

    When both runs held out the same groups (same split of the same prompts or documents) the
    bootstrap is paired over those groups; otherwise the two bootstraps are independent. ``groups_a`` and
    ``groups_b``: how many held-out groups each bootstrap resamples.
    """
    sa, sb = a.scores[layer], b.scores[layer]
    paired = np.array_equal(sa.groups, sb.groups)
    ga, da = mean_gain_draws(sa, offsets, ks, n_boot=n_boot, seed=seed)
    gb, db = mean_gain_draws(sb, offsets, ks, n_boot=n_boot, seed=seed if paired else seed + 1)
    d = db - da
    return {"a": ga, "b": gb, "diff": gb - ga, "lo": float(np.quantile(d, 0.025)),
            "hi": float(np.quantile(d, 0.975)), "paired": float(paired), "groups_a": float(len(sa.groups)),
            "groups_b": float(len(sb.groups))}


def parse_ints(spec: str, name: str) -> list[int]:
    """``"1,2,4"`` -> ``[1, 2, 4]`` (a notebook parameter), with a clear error."""
    try:
        out = [int(x) for x in spec.replace(";", ",").split(",") if x.strip()]
    except ValueError as err:
        raise ValueError(f"{name} must be comma-separated integers such as '1,2,4', got {spec!r}") from err
    if not out:
        raise ValueError(f"{name} is empty; give e.g. '1,2,4'")
    return out


def generation_sequences(prompt_ids: Sequence[Sequence[int]], generations: Sequence[Sequence[Sequence[int]]],
                         per_prompt: int) -> tuple[list[list[int]], list[int], list[int]]:
    """Prompt + generation token ids of the first ``per_prompt`` generations of each prompt.

    Returns the sequences, the probe start (the last prompt position: its state precedes the
    first generated token) and the prompt index of each sequence (the split's groups).
    """
    seqs, starts, groups = [], [], []
    for p, (pids, gens) in enumerate(zip(prompt_ids, generations, strict=True)):
        for g in gens[:per_prompt]:
            seqs.append(list(pids) + list(g))
            starts.append(len(pids) - 1)
            groups.append(p)
    return seqs, starts, groups
