"""Known-answer tests of the forward-predictive probes (planning-ahead section)."""

from __future__ import annotations

import numpy as np
import pytest

from predact_utils.chapters.planning.plan_probe import (
    anchor_plan_spans,
    frequent_ngram_spans,
    plan_probe,
    span_containment,
)
from predact_utils.chapters.planning.probing import (
    BigramBaseline,
    LabelSpace,
    label_space,
    probe_positions,
    run_probes,
    split_sequences,
    summarize,
)


def planted(n_seq: int = 120, length: int = 30, d: int = 12, seed: int = 0):
    """Sequences whose token at t + 4 is the argmax of the first 4 features of the state at t."""
    rng = np.random.default_rng(seed)
    hidden, seqs = [], []
    for _ in range(n_seq):
        h = rng.standard_normal((length, 1, d)).astype(np.float16)
        ids = rng.integers(0, 4, length)
        ids[4:] = h[:-4, 0, :4].astype(np.float32).argmax(-1)
        hidden.append(h)
        seqs.append(ids.tolist())
    return hidden, seqs


def test_probe_recovers_planted_signal_at_k4_only():
    hidden, seqs = planted()
    run = run_probes(hidden, seqs, [0] * len(seqs), [0], offsets=(1, 4), top_n=8, max_iter=60, n_boot=200)
    t = run.table.set_index("k")
    assert t.loc[4, "acc"] > 0.9
    assert t.loc[4, "gain"] > 0.8  # nats over the bigram baseline, which sees no signal
    assert t.loc[1, "acc"] < 0.4  # the token at t + 1 depends on the state at t - 3: chance is 1/4
    assert t.loc[4, "acc_lo"] <= t.loc[4, "acc"] <= t.loc[4, "acc_hi"]


def test_probe_stays_at_chance_on_shuffled_labels():
    hidden, seqs = planted(seed=1)
    perm = np.random.default_rng(2).permutation(len(seqs))
    shuffled = [hidden[i] for i in perm]  # states of one sequence paired with the tokens of another
    run = run_probes(shuffled, seqs, [0] * len(seqs), [0], offsets=(4,), top_n=8, max_iter=60, n_boot=200)
    row = run.table.iloc[0]
    assert row["acc"] < 0.35
    assert row["gain"] < 0.05


def test_split_is_by_sequence_and_by_group():
    tr, te = split_sequences(50, 0.2, seed=3)
    assert set(tr).isdisjoint(te) and len(tr) + len(te) == 50 and len(te) == 10
    groups = np.repeat(np.arange(10), 5)
    tr, te = split_sequences(50, 0.3, seed=3, groups=groups)
    assert set(groups[tr]).isdisjoint(groups[te])
    pos_tr = probe_positions([[1, 2, 3]] * 50, [0] * 50, (1,), tr)
    pos_te = probe_positions([[1, 2, 3]] * 50, [0] * 50, (1,), te)
    assert set(pos_tr.seq).isdisjoint(pos_te.seq)
    with pytest.raises(ValueError):
        split_sequences(5, 1.5)


def test_positions_and_targets():
    p = probe_positions([[5, 6, 7, 8]], [1], (1, 2), [0])
    assert p.pos.tolist() == [1, 2] and p.current.tolist() == [6, 7]
    assert p.targets.tolist() == [[7, 8], [8, -1]]


def test_label_space_top_n_plus_other():
    ls = label_space(np.array([[3, 3, 3, 9], [9, 4, -1, 7]]), top_n=2)
    assert ls.tokens.tolist() == [3, 9] and ls.n_classes == 3
    assert ls.encode(np.array([3, 9, 4, -1])).tolist() == [0, 1, 2, -1]


def test_bigram_baseline_hand_computed():
    # train pairs: A->B x3, A->C x1, B->A x2 ; test: A->B, A->C, B->A, B->C
    A, B, C = 0, 1, 2
    cur = np.array([A, A, A, A, B, B])
    y = np.array([[B], [B], [B], [C], [A], [A]])
    base = BigramBaseline(3, alpha=0.01).fit(cur, y)
    lp = base.log_proba(np.array([A, A, B, B]))
    pred = lp[:, 0].argmax(-1)
    truth = np.array([B, C, A, C])
    assert (pred == truth).mean() == 0.5
    # p(B | A) = (3 + 0.01 * m(B)) / (4 + 0.01), m = add-one label marginal = (3, 4, 2) / 9
    assert np.exp(lp[0, 0, B]) == pytest.approx((3 + 0.01 * 4 / 9) / 4.01)
    # an unseen context falls back to the marginal
    assert np.exp(base.log_proba(np.array([7]))[0, 0]) == pytest.approx(np.array([3, 4, 2]) / 9)


def test_summary_accuracy_is_pooled_over_positions():
    from predact_utils.chapters.planning.probing import GroupScores

    s = GroupScores(np.arange(2), n=np.array([[2.0], [6.0]]), correct=np.array([[2.0], [3.0]]),
                    nll=np.array([[1.0], [3.0]]), base_correct=np.array([[1.0], [3.0]]),
                    base_nll=np.array([[2.0], [6.0]]))
    row = summarize(s, (4,), n_boot=100).iloc[0]
    assert row["acc"] == pytest.approx(5 / 8) and row["base_acc"] == pytest.approx(4 / 8)
    assert row["gain"] == pytest.approx((8 - 4) / 8)


def test_span_containment_and_frequent_ngrams():
    gens = [[1, 2, 3, 4, 5], [9, 1, 2, 3, 4], [1, 2, 7, 7, 7], [8, 8, 8, 8]]
    c = span_containment(gens, [(1, 2, 3), (7, 7), (4,)])
    assert c.tolist() == [[True, False, True], [True, False, True], [False, True, False], [False, False, False]]
    spans = frequent_ngram_spans(gens, n=3, min_share=0.5, max_share=0.8)
    assert spans == [(1, 2, 3), (2, 3, 4)]


def test_anchor_plan_spans_on_a_hand_aligned_case():
    """Four generations aligned without gaps; column 3 disagrees everywhere, so it splits two anchor spans."""
    gens = [[1, 2, 3, 4, 5, 6], [1, 2, 3, 9, 5, 6], [1, 2, 3, 8, 7, 7], [7, 8, 3, 10, 5, 6]]
    cols = np.array(gens)
    # (1, 2, 3) in g0, g1, g2; (5, 6) in g0, g1, g3: both in 3 of 4 generations
    assert anchor_plan_spans(cols, gens, threshold=0.5, min_share=0.2, max_share=0.8) == [(1, 2, 3), (5, 6)]
    assert anchor_plan_spans(cols, gens, threshold=0.5, min_tokens=3) == [(1, 2, 3)]
    assert anchor_plan_spans(cols, gens, max_share=0.7) == []  # present in too many generations to foretell
    assert anchor_plan_spans(cols, gens, max_spans=1) == [(1, 2, 3)]
    with pytest.raises(ValueError, match="3 generations"):
        anchor_plan_spans(cols, gens[:3])


def test_plan_probe_finds_planted_plan():
    rng = np.random.default_rng(0)
    P, d = 30, 8
    states = rng.standard_normal((P, d))
    states[:, 0] += np.sign(states[:, 0])  # a margin between the two plans
    topic = states[:, 0] > 0  # the state after the prompt decides which of two phrases the answers use
    phrase = {True: (10, 11, 12, 13), False: (20, 21, 22, 23)}
    gens, spans = [], []
    for p in range(P):
        per = []
        for _ in range(10):
            filler = rng.integers(30, 60, 8).tolist()
            per.append(filler[:4] + list(phrase[bool(topic[p])]) + filler[4:])
        gens.append(per)
        spans.append(frequent_ngram_spans(per, n=4, min_share=0.5, max_share=1.0))
    res = plan_probe(states, spans, gens, n_boot=200)
    assert res.summary["auc_probe"] > 0.95
    assert res.summary["auc_prior"] < 0.75  # without the state only the more common plan can be guessed


def test_label_space_dataclass_encode_empty_other():
    ls = LabelSpace(np.array([5]))
    assert ls.encode(np.array([[5, 6]])).tolist() == [[0, 1]]
