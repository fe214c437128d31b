"""A synthetic world whose true next-token distribution is known: the model organism's ground truth.

The world is a hidden-Markov source with ``topics``: a document first draws a topic (it never changes, the
long-range structure), then walks the topic's own hidden states, emitting one token per step, until a state
emits the end of the document. All topics share one vocabulary, so a token says little about the topic and
a document reveals it only over many tokens. Written as one HMM with a block-diagonal transition matrix
(topic x state), every quantity is exact:

* :meth:`World.log_prob` of a document: the forward algorithm (log space);
* :meth:`World.next_token_probs`: the exact predictive distribution after any prefix (the forward filter),
  so the KL from the world to a model is computed exactly at each sampled prefix;
* :meth:`World.topic_posterior`: the exact posterior of the topic given a text (the assistant task's
  programmatic reward: no learned reward model to hack);
* :meth:`World.entropy_rate`: the exact conditional entropy at sampled prefixes, averaged, with a
  bootstrap interval over documents (an unbiased estimate of the entropy per token).

Token ``0`` is the end of a document; tokens ``1..vocab`` are words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EOS = 0


@dataclass(frozen=True)
class World:
    """A topic-mixture HMM: ``prior[k]`` of topic ``k``; per topic ``start[k]`` over its states,
    ``trans[k]`` between them, ``emit[k]`` from each state over ``EOS`` and the words."""

    prior: np.ndarray  # [K]
    start: np.ndarray  # [K, S]
    trans: np.ndarray  # [K, S, S]
    emit: np.ndarray  # [K, S, V + 1]; column 0 is the end of the document

    def __post_init__(self) -> None:
        K, S = self.start.shape
        if self.prior.shape != (K,) or self.trans.shape != (K, S, S) or self.emit.shape[:2] != (K, S):
            raise ValueError("prior [K], start [K, S], trans [K, S, S] and emit [K, S, V + 1] must agree")
        for name, arr in (("prior", self.prior), ("start", self.start), ("trans", self.trans), ("emit", self.emit)):
            if (arr < 0).any() or not np.allclose(arr.sum(-1), 1.0, atol=1e-9):
                raise ValueError(f"every row of {name} must be a probability distribution")

    @property
    def n_topics(self) -> int:
        return int(self.start.shape[0])

    @property
    def vocab(self) -> int:
        """Words (token ids 1..vocab); with the end token, ``vocab + 1`` ids."""
        return int(self.emit.shape[2] - 1)

    # -- the joint HMM ------------------------------------------------------------------------------
    def _joint(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Initial distribution [K*S], transitions [K*S, K*S] (block diagonal), emissions [K*S, V+1]."""
        K, S = self.start.shape
        pi = (self.prior[:, None] * self.start).reshape(K * S)
        A = np.zeros((K * S, K * S))
        for k in range(K):
            A[k * S:(k + 1) * S, k * S:(k + 1) * S] = self.trans[k]
        return pi, A, self.emit.reshape(K * S, -1)

    def _filter(self, tokens: Sequence[int]) -> tuple[np.ndarray, float]:
        """Belief over joint states *before* the next emission, after ``tokens``; and log p(tokens)."""
        pi, A, B = self._joint()
        belief, logp = pi.copy(), 0.0
        for t in tokens:
            joint = belief * B[:, int(t)]
            z = joint.sum()
            if z <= 0:
                return np.zeros_like(belief), -np.inf
            logp += float(np.log(z))
            belief = (joint / z) @ A
        return belief, logp

    def log_prob(self, tokens: Sequence[int]) -> float:
        """Exact log-probability of a document (its tokens, ending with ``EOS``) or of a prefix of one."""
        return self._filter(tokens)[1]

    def next_token_probs(self, prefix: Sequence[int]) -> np.ndarray:
        """Exact distribution of the next token [V + 1] after ``prefix`` (a prefix the world can produce)."""
        belief, logp = self._filter(prefix)
        if not np.isfinite(logp):
            raise ValueError("the prefix has probability 0 in this world")
        _, _, B = self._joint()
        return belief @ B

    def topic_posterior(self, tokens: Sequence[int]) -> np.ndarray:
        """Exact posterior over the topics given a text (any tokens, ``EOS`` or not)."""
        logs = np.array([np.log(self.prior[k]) + self.topic_world(k).log_prob(tokens) if self.prior[k] > 0
                         else -np.inf for k in range(self.n_topics)])
        if not np.isfinite(logs).any():
            return np.full(self.n_topics, np.nan)
        w = np.exp(logs - logs.max())
        return w / w.sum()

    def topic_world(self, k: int) -> World:
        """The world restricted to topic ``k``."""
        prior = np.zeros(self.n_topics)
        prior[k] = 1.0
        return World(prior, self.start, self.trans, self.emit)

    # -- sampling -----------------------------------------------------------------------------------
    def sample(self, n: int, seed: int, max_len: int = 256, topic: int | None = None) -> list[list[int]]:
        """``n`` documents (each ends with ``EOS``, or is cut at ``max_len`` tokens), from one seed."""
        rng = np.random.default_rng(seed)
        docs = []
        for _ in range(n):
            k = int(rng.choice(self.n_topics, p=self.prior)) if topic is None else topic
            s = int(rng.choice(self.start.shape[1], p=self.start[k]))
            doc: list[int] = []
            while len(doc) < max_len:
                tok = int(rng.choice(self.emit.shape[2], p=self.emit[k, s]))
                doc.append(tok)
                if tok == EOS:
                    break
                s = int(rng.choice(self.trans.shape[1], p=self.trans[k, s]))
            docs.append(doc)
        return docs

    def entropy_rate(self, docs: Sequence[Sequence[int]], n_boot: int = 1000, seed: int = 0) -> tuple[float, float, float]:
        """Mean exact conditional entropy of the next token (nats) over every position of ``docs`` (world
        samples), with a 95% bootstrap interval over documents: the floor of any model's loss per token."""
        per_doc = []
        for d in docs:
            h = []
            for t in range(len(d)):
                p = self.next_token_probs(d[:t])
                q = p[p > 0]
                h.append(float(-(q * np.log(q)).sum()))
            per_doc.append((sum(h), len(h)))
        tot = np.array(per_doc, dtype=float)
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(tot), size=(n_boot, len(tot)))
        boot = tot[idx, 0].sum(1) / tot[idx, 1].sum(1)
        return float(tot[:, 0].sum() / tot[:, 1].sum()), float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))


def random_world(n_topics: int = 4, states: int = 6, vocab: int = 48, *, seed: int = 0, concentration: float = 0.3,
                 end_prob: float = 0.02) -> World:
    """A world drawn from Dirichlet priors (sparse emissions: each state prefers a few words), every state
    ending the document with ``end_prob``; the same seed gives the same world."""
    rng = np.random.default_rng(seed)
    start = rng.dirichlet(np.ones(states), size=n_topics)
    trans = rng.dirichlet(np.full(states, concentration), size=(n_topics, states))
    words = rng.dirichlet(np.full(vocab, concentration), size=(n_topics, states))
    emit = np.concatenate([np.full((n_topics, states, 1), end_prob), (1 - end_prob) * words], axis=-1)
    return World(np.full(n_topics, 1.0 / n_topics), start, trans, emit)
