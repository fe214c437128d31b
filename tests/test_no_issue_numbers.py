"""Code, comments and the Makefile name no issue numbers (issues are the tracker's; the code says what it does)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATTERN = re.compile(r"\bissues?\s*#?\d+\b", re.I)


def test_no_issue_numbers_in_code() -> None:
    files = [*ROOT.glob("predact_utils/**/*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("benchmarks/*.py"),
             *ROOT.glob("notebooks/*.py"), ROOT / "Makefile", *ROOT.glob("predact_utils/**/*.yaml")]
    hits = [f"{f.relative_to(ROOT)}:{i}" for f in files if f.name != Path(__file__).name
            for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if PATTERN.search(line)]
    assert not hits, hits
