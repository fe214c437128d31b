"""The RL stage's stopping rule on reward curves made by hand (predact_utils.miniature.trainutil.plateaued)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from predact_utils.miniature.trainutil import RewardPlateau, plateaued


def test_a_rising_curve_never_plateaus() -> None:
    assert plateaued([0.1 * i for i in range(50)], window=5, patience=10, min_delta=0.02) is None


def test_a_flat_curve_stops_after_patience() -> None:
    # smoothed values are all 1.0: the best is set at smoothed index 0, the stop comes 3 indices later
    assert plateaued([1.0] * 10, window=2, patience=3, min_delta=0.0) == 3 + 1


def test_rise_then_flat_stops_patience_after_the_last_real_gain() -> None:
    curve = [0.0, 1.0, 2.0, 3.0] + [3.0] * 6
    # window 1: best 3.0 at index 3; indices 4..6 do not beat it by > 0.5; patience 3 -> stop at index 6
    assert plateaued(curve, window=1, patience=3, min_delta=0.5) == 6


def test_gains_below_min_delta_do_not_count() -> None:
    curve = [1.0 + 0.001 * i for i in range(20)]
    assert plateaued(curve, window=1, patience=5, min_delta=0.01) == 5
    assert plateaued(curve, window=1, patience=5, min_delta=0.0) is None


def test_bad_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="window and patience"):
        plateaued([1.0], window=0, patience=1, min_delta=0.0)


def test_callback_stops_and_records_the_curve(tmp_path) -> None:
    cb = RewardPlateau(tmp_path, window=1, patience=2, min_delta=0.0)
    history = [{"step": 10 * (i + 1), "reward": r} for i, r in enumerate([0.5, 0.7, 0.7, 0.6])]
    state = SimpleNamespace(log_history=history, global_step=40)
    control = SimpleNamespace(should_save=False, should_training_stop=False)
    cb.on_log(None, state, control)
    assert control.should_training_stop and control.should_save
    info = json.loads((tmp_path / "plateau.json").read_text())
    assert info["plateau_step"] == 40 and info["reward_curve"] == [0.5, 0.7, 0.7, 0.6]
    state.log_history = history[:2]
    control2 = SimpleNamespace(should_save=False, should_training_stop=False)
    (tmp_path / "plateau.json").unlink()
    cb.on_log(None, state, control2)
    assert not control2.should_training_stop and not (tmp_path / "plateau.json").exists()
