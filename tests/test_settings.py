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


def test_a_value_the_smoke_scale_replaces_or_caps_is_said(capsys) -> None:
    from predact_utils.chapters import anchors

    anchors.Settings.from_values({"scale": "smoke"})
    assert capsys.readouterr().out == ""  # defaults replaced by smoke values: nothing to say
    s = anchors.Settings.from_values({"scale": "smoke", "n_prompts": 7, "n_samples": 50})
    out = capsys.readouterr().out
    assert "[settings] n_prompts = 7 is replaced by its smoke value 3 at smoke scale" in out
    assert "[settings] n_samples = 50 is capped at 12 generations per prompt at smoke scale" in out
    assert s.samples_used == 12
    anchors.Settings.from_values({"scale": "full", "n_samples": 50})
    assert capsys.readouterr().out == ""


def test_predact_run_prints_the_notes_before_the_work() -> None:
    from predact_utils import paths
    from predact_utils.book.build import notebook_sources
    from predact_utils.book.preflight import parameter_notes

    notes = parameter_notes(notebook_sources(paths.repo_root()), {"n_samples": 50}, "smoke")
    assert "04_anchor_spans: n_samples = 50 is replaced by its smoke value" not in " ".join(notes)  # no smoke value
    assert any(n.startswith("04_anchor_spans: n_samples = 50 is capped at 12") for n in notes)
    assert any(n.startswith("03_distribution_collapse: n_samples = 50 is replaced by its smoke value 4") for n in notes)
