"""The built sampling-explorer page: moving a control changes the figure, with no kernel (``pytest -m book``).

Uses the built book of :mod:`test_book_pages` (``$PREDACT_BOOK_HTML`` or
``_build/html``), its local web server and its headless Chromium.
"""

from __future__ import annotations

import pytest
from test_book_pages import HTML, _need, _wait, browser, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.book

PAGE = "notebooks/08_sampling_explorer.html"
FIG = "ex-explorer"
SHOWN = f"return document.getElementById('{FIG}').data.flatMap((t, i) => t.visible === true ? [i] : [])"


def _open(browser, server: str) -> list[int]:  # noqa: F811
    _need((HTML / PAGE).is_file(), f"no {PAGE} under {HTML}; build the book with the explorer page first")
    browser.get(f"{server}/{PAGE}")
    assert _wait(browser, f"return !!document.querySelector('#{FIG} .main-svg')"), "the explorer did not render"
    return browser.execute_script(SHOWN)


def test_slider_step_switches_the_setting(server: str, browser) -> None:  # noqa: F811
    """Clicking another top-p step shows other traces, holding that setting's numbers."""
    from selenium.webdriver import ActionChains

    before = _open(browser, server)
    assert before, "no trace visible at first"
    y_before = browser.execute_script(f"return document.getElementById('{FIG}').data[{before[0]}].y")
    active = f"return document.getElementById('{FIG}').layout.sliders[1].active"
    labels = browser.find_elements("css selector", f"#{FIG} .slider-group")[1].find_elements(
        "css selector", ".slider-labels .slider-label")
    assert len(labels) >= 2, "the top-p slider has fewer than two steps"
    target = 0 if browser.execute_script(active) != 0 else len(labels) - 1
    ActionChains(browser).move_to_element(labels[target]).click().perform()
    assert _wait(browser, f"{SHOWN}.join(',') !== '{','.join(map(str, before))}'"), "the figure did not change"
    after = browser.execute_script(SHOWN)
    assert browser.execute_script(active) == target
    assert len(after) == len(before) and not set(after) & set(before)
    key = browser.execute_script(
        f"var g = document.getElementById('{FIG}'), m = g.layout.updatemenus, s = g.layout.sliders;"
        "return [m[0].active, m[1].active, s[0].active, s[1].active].join(',')")
    assert after == browser.execute_script(f"return document.getElementById('{FIG}').layout.meta.explorer"
                                           f".visible['{key}']"), "the shown traces are not the new setting's"
    y_after = browser.execute_script(f"return document.getElementById('{FIG}').data[{after[0]}].y")
    assert len(y_after) == len(y_before)
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"JavaScript errors: {errors}"


def test_model_buttons_switch_the_sankey(server: str, browser) -> None:  # noqa: F811
    """The model buttons: one model shows half as many curves and one full-width Sankey."""
    before = _open(browser, server)
    buttons = browser.find_elements("css selector", f"#{FIG} .updatemenu-button")
    assert len(buttons) >= 3, "the model buttons are missing"
    buttons[-1].click()  # the last model button: the aligned model alone
    assert _wait(browser, f"return {SHOWN.removeprefix('return ')}.length === {len(before) // 2}"), (
        "choosing one model did not change the figure")
    kinds = browser.execute_script(f"return ({SHOWN.removeprefix('return ')}).map("
                                   f"i => document.getElementById('{FIG}').data[i].type)")
    assert sorted(kinds) == ["sankey", "scatter", "scatter"]
