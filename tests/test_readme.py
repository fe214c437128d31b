"""The README is a user's page: short, the two set-up commands, no lab notebook."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_is_short_and_names_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert "make book" in text and "make test" in text
    assert not re.search(r"\bissue\s+#?\d+", text, re.I), "no issue numbers in the README"
    assert not re.search(r"\b[0-9a-f]{7}\b(?= |,|\))", text), "no commit-by-commit history in the README"
