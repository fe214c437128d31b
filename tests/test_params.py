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


def test_unknown_injected_parameter_in_notebook_globals_is_named() -> None:
    import math

    notebook_globals = {"get_ipython": object(), "In": ["", "x"], "Out": {}, "_i1": "code", "math": math,
                        "validate_parameters": validate_parameters, "COMMON": COMMON,  # imported plain data
                        "scale": "smoke", "seed": 0, "n_sampels": 4}
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) \['n_sampels'\]: this notebook takes "
                                             r"\['scale', 'seed'\]"):
        validate_parameters(notebook_globals, COMMON)
    del notebook_globals["n_sampels"]
    assert validate_parameters(notebook_globals, COMMON) == {"scale": "smoke", "seed": 0}
    # a plain dict (not a kernel's globals) may carry other keys
    assert validate_parameters({"scale": "full", "seed": 0, "other": 1}, COMMON) == {"scale": "full", "seed": 0}


def test_a_typo_injected_into_a_kernel_namespace_is_refused(monkeypatch) -> None:
    """In a kernel, ``__main__``'s dictionary is the notebook's globals: a mistyped ``-p n_sample 5`` must not
    pass as "imported from __main__" (it used to, and the notebook ran with its defaults)."""
    import sys
    import types

    import pytest

    from predact_utils.chapters import setup
    from predact_utils.params import ParameterError

    main = types.ModuleType("__main__")
    main.__dict__.update({"get_ipython": object(), "In": [], "Out": {}, "scale": "smoke", "seed": 0,
                          "zipf_exponent": 1.1, "vocab_size": 8192, "top_p": 0.9, "zipf_exp": 1.3})
    monkeypatch.setitem(sys.modules, "__main__", main)
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) \['zipf_exp'\].*did you mean 'zipf_exponent'"):
        setup.Settings.from_globals(main.__dict__)
