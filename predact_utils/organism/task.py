"""The organism's assistant task: asked for a topic, write a document of it; the reward is programmatic.

A request is one token, ``request_token(k)`` (ids after the world's words); the answer is a document of the
world's words ending with the end token. Its reward is the exact posterior probability of the requested
topic given the answer (:meth:`~predact_utils.organism.world.World.topic_posterior`), when the answer ends
and has ``min_words`` to ``max_words`` words, else 0: checkable, with no learned reward model to hack.
Full reward needs text that only topic ``k`` would write, so reward pressure pulls the answers towards
the topic's most telling words and away from the world's own distribution: the trade-off, measured exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from predact_utils.organism.world import EOS, World


@dataclass(frozen=True)
class Task:
    """The request / answer format and the reward's length rule."""

    world: World
    min_words: int = 8
    max_words: int = 64

    def __post_init__(self) -> None:
        if not 1 <= self.min_words <= self.max_words:
            raise ValueError(f"need 1 <= min_words <= max_words, got {self.min_words} and {self.max_words}")

    def request_token(self, topic: int) -> int:
        """The token that asks for a document of ``topic``."""
        if not 0 <= topic < self.world.n_topics:
            raise ValueError(f"topic must be in 0..{self.world.n_topics - 1}, got {topic}")
        return self.world.vocab + 1 + topic

    @property
    def n_tokens(self) -> int:
        """Token ids in all: the end token, the words, one request token per topic."""
        return self.world.vocab + 1 + self.world.n_topics

    def reward(self, topic: int, answer: Sequence[int]) -> float:
        """The exact posterior of ``topic`` given ``answer`` (without its end token), or 0 when the answer
        does not end, is too short or too long, or holds a token that is not a word."""
        if not answer or answer[-1] != EOS:
            return 0.0
        words = list(answer[:-1])
        if not self.min_words <= len(words) <= self.max_words:
            return 0.0
        if any(not 1 <= t <= self.world.vocab for t in words):
            return 0.0
        return float(self.world.topic_posterior(words)[topic])

    def demonstrations(self, n: int, seed: int, max_draws: int = 100) -> list[tuple[int, list[int]]]:
        """``n`` supervised examples ``(topic, answer)``: topics drawn from the world's prior, each answer a
        world document of that topic within the length rule (drawn until one fits, at most ``max_draws``
        times): the SFT data, the topic's own documents conditioned on the length rule."""
        rng = np.random.default_rng(seed)
        out = []
        for i in range(n):
            k = int(rng.choice(self.world.n_topics, p=self.world.prior))
            for _ in range(max_draws):
                doc = self.world.sample(1, seed=int(rng.integers(2**31)), max_len=self.max_words + 1, topic=k)[0]
                if doc[-1] == EOS and self.min_words <= len(doc) - 1 <= self.max_words:
                    out.append((k, doc))
                    break
            else:
                raise ValueError(f"no document of topic {k} met the length rule {self.min_words}..{self.max_words} "
                                 f"words in {max_draws} draws (example {i}); widen the rule or change the world")
        return out
