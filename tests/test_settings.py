"""Chapter settings: one declaration per parameter, smoke values, checked values (predact_utils.settings)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from predact_utils.params import ParameterError
from predact_utils.settings import PAIRS_KIND, ChapterSettings, param


@dataclass(frozen=True)
class Toy(ChapterSettings):
    n_samples: int = param(100, minimum=1, smoke=3)
    top_p: float = param(0.9, minimum=0.0, maximum=1.0)
    pairs: str = param("a;b", PAIRS_KIND)
    mode: str = param("fast", choices=("fast", "slow"))


def test_defaults_and_spec_list_every_parameter() -> None:
    assert Toy.defaults() == {"scale": "full", "seed": 0, "n_samples": 100, "top_p": 0.9, "pairs": "a;b",
                              "mode": "fast"}
    assert set(Toy.spec()) == set(Toy.defaults())
    assert Toy.smoke_values() == {"n_samples": 3}


def test_smoke_values_apply_only_at_smoke_scale() -> None:
    assert Toy.from_values({"n_samples": 50}).n_samples == 50
    smoke = Toy.from_values({"scale": "smoke", "n_samples": 50})
    assert smoke.n_samples == 3 and smoke.smoke and smoke.top_p == 0.9


def test_ints_are_accepted_for_floats() -> None:
    assert Toy.from_values({"top_p": 1}).top_p == 1.0


@pytest.mark.parametrize("bad, words", [({"n_samples": 0}, "below the minimum"), ({"top_p": 1.5}, "above the maximum"),
                                        ({"mode": "medium"}, "is not one of"), ({"scale": "fast"}, "is not one of"),
                                        ({"seed": -1}, "below the minimum"), ({"n_samples": "ten"}, "expected int"),
                                        ({"n_samples": True}, "expected int"), ({"pairs": 3}, "expected str or list")])
def test_bad_values_are_named(bad: dict, words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        Toy.from_values(bad)


def test_a_kernel_namespace_must_define_every_parameter() -> None:
    namespace = {"get_ipython": object(), "scale": "full", "seed": 0}
    with pytest.raises(ParameterError, match="n_samples: missing"):
        Toy.from_globals(namespace)
