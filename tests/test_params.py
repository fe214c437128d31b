"""Parameter validation shared by the notebooks (predact_utils.params)."""

from __future__ import annotations

import pytest

from predact_utils.params import COMMON, Param, ParameterError, validate_parameters


def test_good_values_pass_and_int_is_taken_for_float() -> None:
    out = validate_parameters({"scale": "smoke", "seed": 3, "top_p": 1}, {**COMMON, "top_p": Param(float)})
    assert out == {"scale": "smoke", "seed": 3, "top_p": 1.0}
    assert isinstance(out["top_p"], float)


def test_bad_scale_names_the_choices() -> None:
    with pytest.raises(ParameterError, match=r"scale: 'fast' is not one of \['full', 'smoke'\]"):
        validate_parameters({"scale": "fast", "seed": 0}, COMMON)


def test_wrong_type_says_how_to_pass_it() -> None:
    with pytest.raises(ParameterError, match=r"seed: expected int, got str '3'.*-p seed"):
        validate_parameters({"scale": "full", "seed": "3"}, COMMON)


def test_bool_is_not_a_number_and_bounds_are_checked() -> None:
    with pytest.raises(ParameterError) as err:
        validate_parameters({"scale": "full", "seed": True, "p": 1.5}, {**COMMON, "p": Param(float, maximum=1.0)})
    msg = str(err.value)
    assert "seed: expected int, got bool" in msg and "p: 1.5 is above the maximum 1.0" in msg


def test_missing_parameter_is_reported() -> None:
    with pytest.raises(ParameterError, match="seed: missing"):
        validate_parameters({"scale": "full"}, COMMON)
