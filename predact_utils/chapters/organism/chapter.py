"""Chapter 09, the model organism: a world whose distribution is known, its own Base / SFT / RL family, and the
exact frontier between world modeling and reward.

``run`` draws the world, trains the Base on its samples, then per seed an SFT model and RL runs (trl's RLOO,
:mod:`predact_utils.organism.rl`) at each KL coefficient, keeping the weights at each RL-steps checkpoint,
and interpolates weights between the SFT model and an RL model (the integration method); every point is
measured by :func:`~predact_utils.chapters.organism.points.measure`. What the page shows of the results is in
:mod:`~predact_utils.chapters.organism.page`.
"""

from __future__ import annotations

import copy
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from predact_utils.chapters.frontier.models import interpolate_weights
from predact_utils.chapters.organism import frontier
from predact_utils.chapters.organism.points import Probe, measure
from predact_utils.params import ParameterError, list_entries
from predact_utils.seeding import seed_everything
from predact_utils.settings import ChapterSettings, param


@dataclass(frozen=True)
class Settings(ChapterSettings):
    """Every parameter of the organism notebook (the literals of its parameters cell)."""

    n_topics: int = param(3, int, minimum=2, doc="topics of the world")
    states: int = param(4, int, minimum=1, doc="hidden states per topic")
    vocab: int = param(24, int, minimum=2, doc="words of the world")
    concentration: float = param(0.3, float, minimum=0.01, doc="Dirichlet concentration of emissions and moves")
    end_prob: float = param(0.08, float, minimum=0.001, maximum=0.5, doc="chance that a state ends the document")
    min_words: int = param(4, int, minimum=1, doc="shortest answer the reward accepts")
    max_words: int = param(16, int, minimum=1, doc="longest answer the reward accepts")
    train_docs: int = param(4000, int, minimum=10, smoke=600, doc="world samples the Base is trained on")
    base_steps: int = param(400, int, minimum=1, smoke=80, doc="Base training steps")
    layers: int = param(2, int, minimum=1, doc="layers of the organism's models")
    hidden: int = param(64, int, minimum=4, doc="width of the organism's models")
    sft_docs: int = param(800, int, minimum=1, smoke=200, doc="SFT demonstrations")
    sft_steps: int = param(100, int, minimum=1, smoke=30, doc="SFT steps")
    rl_seeds: int = param(3, int, minimum=1, smoke=1, doc="seeds of SFT and RL (intervals over seeds)")
    betas: str = param("0.0;0.1", str, smoke="0.1", doc="KL coefficients of the RL runs")
    rl_steps: str = param("10;20;40", str, smoke="4;8", doc="RL steps at which the policy is measured (the "
                          "last is the run's length)")
    rl_lr: float = param(3e-3, float, minimum=0.0, doc="RL learning rate")
    rl_batch: int = param(16, int, minimum=2, smoke=8, doc="completions per RL step")
    num_generations: int = param(8, int, minimum=2, smoke=4, doc="completions per request (RLOO's group)")
    interp: str = param("0.25;0.5;0.75", str, smoke="0.5", doc="weights a of the SFT-to-RL interpolation")
    interp_beta: float = param(0.1, float, minimum=0.0, doc="the RL run whose final model is interpolated")
    test_docs: int = param(200, int, minimum=2, smoke=30, doc="held-out world documents of the exact KL")
    requests_per_topic: int = param(4, int, minimum=1, smoke=2, doc="requests per topic at every point")
    answers_per_request: int = param(16, int, minimum=2, smoke=8, doc="answers per request at every point")
    ngram: int = param(4, int, minimum=1, doc="n of the most common n-gram share")
    min_others: int = param(5, int, minimum=1, doc="k of 'aligned with at least k others'")
    n_points: int = param(20, int, minimum=2, doc="normalised positions of the alignment measure")

    def check(self) -> None:
        if self.min_words > self.max_words:
            raise ParameterError(f"min_words ({self.min_words}) must not exceed max_words ({self.max_words})")
        if self.interp_beta not in self.beta_list:
            raise ParameterError(f"interp_beta {self.interp_beta:g} must be one of betas ({self.betas})")
        if self.rl_batch % self.num_generations:
            raise ParameterError(f"rl_batch ({self.rl_batch}) must be a multiple of num_generations "
                                 f"({self.num_generations})")
        if min(self.beta_list) < 0 or min(self.step_list) < 1 or not all(0 < a < 1 for a in self.interp_list):
            raise ParameterError("betas must be >= 0, rl_steps >= 1 and every interp weight strictly between 0 "
                                 f"and 1; got betas {self.betas!r}, rl_steps {self.rl_steps!r}, interp {self.interp!r}")

    @property
    def beta_list(self) -> list[float]:
        """The KL coefficients, in the given order."""
        return _numbers(self.betas, "betas", float)

    @property
    def step_list(self) -> list[int]:
        """The RL-steps checkpoints, ascending (the last is the length of every RL run)."""
        return sorted(set(_numbers(self.rl_steps, "rl_steps", int)))

    @property
    def interp_list(self) -> list[float]:
        """The interpolation weights, in the given order."""
        return _numbers(self.interp, "interp", float)


def _numbers(text: str, name: str, kind: type) -> list[Any]:
    """``"0.1;0.2"`` -> ``[0.1, 0.2]``, with an error naming the parameter."""
    try:
        out = [kind(x) for x in list_entries(text, name)]
    except ValueError as err:
        raise ParameterError(f"{name} must be ';'-separated numbers such as '0.1;0.2', got {text!r}") from err
    if not out:
        raise ParameterError(f"{name} is empty; give e.g. '0.1;0.2'")
    return out


@dataclass
class Results:
    """The world's floor, the Base's loss, and one row per (seed, point) with every measure."""

    settings: Settings
    entropy: tuple[float, float, float]  # the world's entropy per token, 95% interval over documents
    base_loss: float  # the Base's held-out NLL per token on world samples (nats)
    table: pd.DataFrame  # one row per seed and point
    seconds: dict[str, float]
    params: int = 0  # parameters of each of the organism's models

    @property
    def summary(self) -> pd.DataFrame:
        """Mean and 95% t-interval over seeds of every measure, per point."""
        return frontier.summarise(self.table)


def run(settings: Settings) -> Results:
    """Everything the page computes, in the page's order."""
    import numpy as np
    import transformers

    from predact_utils.organism.lm import (
        BaseBudget,
        bos_token,
        finetune,
        make_model,
        pretrain,
    )
    from predact_utils.organism.measure import entropy_per_token
    from predact_utils.organism.rl import RLBudget, reinforce, save_for_trl
    from predact_utils.organism.task import Task
    from predact_utils.organism.world import random_world

    s = settings
    seed_everything(s.seed)
    transformers.logging.disable_progress_bar()  # no widgets in the book's output
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    world = random_world(s.n_topics, s.states, s.vocab, seed=s.seed, concentration=s.concentration,
                         end_prob=s.end_prob)
    task = Task(world, min_words=s.min_words, max_words=s.max_words)
    n_tokens, bos = task.n_tokens, bos_token(task.n_tokens)
    max_len = 4 * s.max_words
    test = world.sample(s.test_docs, seed=s.seed + 1, max_len=max_len)
    entropy = entropy_per_token(world, test, seed=s.seed)
    topics = [k for k in range(s.n_topics) for _ in range(s.requests_per_topic)]
    probe = Probe(task, test, topics, s.answers_per_request, s.ngram, s.min_others, s.n_points, s.seed)
    heads = 4 if s.hidden % 4 == 0 else 1
    budget = BaseBudget(layers=s.layers, hidden=s.hidden, heads=heads, steps=s.base_steps, batch=32, lr=3e-3,
                        max_len=max_len)
    base = make_model(n_tokens, budget, seed=s.seed)
    pretrain(base, world.sample(s.train_docs, seed=s.seed + 2, max_len=max_len), budget, seed=s.seed, bos=bos)
    seconds["base"] = time.perf_counter() - t0
    rows = [{"seed": s.seed, "point": "Base", "stage": "base", "beta": np.nan, "steps": 0, "alpha": np.nan,
             **measure(base, probe)}]
    base_loss = rows[0]["nll"]
    sft_budget = BaseBudget(layers=s.layers, hidden=s.hidden, heads=heads, steps=s.sft_steps, batch=32, lr=1e-3,
                            max_len=max_len)
    with tempfile.TemporaryDirectory(prefix="organism-") as tmp:
        for r in range(s.rl_seeds):
            seed = s.seed + r
            t1 = time.perf_counter()
            sft = copy.deepcopy(base)
            demos = [([task.request_token(k)], d) for k, d in task.demonstrations(s.sft_docs, seed=seed + 10)]
            finetune(sft, demos, sft_budget, seed=seed, bos=bos)
            rows.append({"seed": seed, "point": "SFT", "stage": "sft", "beta": np.nan, "steps": 0, "alpha": np.nan,
                         **measure(sft, probe)})
            folder = save_for_trl(sft, task, Path(tmp) / f"sft-{seed}")
            seconds["sft"] = seconds.get("sft", 0.0) + time.perf_counter() - t1
            finals = {}
            for beta in s.beta_list:
                t1 = time.perf_counter()
                rl_budget = RLBudget(steps=s.step_list[-1], beta=beta, lr=s.rl_lr, batch=s.rl_batch,
                                     num_generations=s.num_generations)
                final, _, snaps = reinforce(folder, task, topics, rl_budget, seed=seed,
                                            work_dir=Path(tmp) / f"rl-{seed}-{beta:g}", snapshot_steps=s.step_list)
                seconds["rl"] = seconds.get("rl", 0.0) + time.perf_counter() - t1
                finals[beta] = final
                for step in s.step_list:
                    # a clean copy of the architecture: accelerate wraps the trained model's forward in a closure
                    # over that model, so a deep copy of it would still run the trained weights
                    point = copy.deepcopy(sft)
                    point.load_state_dict(snaps[step])
                    rows.append({"seed": seed, "point": f"RL beta {beta:g}, {step} steps", "stage": "rl",
                                 "beta": beta, "steps": step, "alpha": np.nan, **measure(point.eval(), probe)})
            for alpha in s.interp_list:
                mixed = interpolate_weights(sft, finals[s.interp_beta], alpha)
                rows.append({"seed": seed, "point": f"SFT-to-RL a = {alpha:g}", "stage": "interp",
                             "beta": s.interp_beta, "steps": s.step_list[-1], "alpha": alpha,
                             **measure(mixed, probe)})
    seconds["total"] = time.perf_counter() - t0
    return Results(s, entropy, base_loss, pd.DataFrame(rows), seconds, sum(p.numel() for p in base.parameters()))
