"""The README's RFM rule table is the code's rule table, in the same order."""

from __future__ import annotations

import re
from pathlib import Path

from segments import RFM_RULES

README = Path(__file__).resolve().parents[2] / "README.md"


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def test_the_readme_lists_every_rule_in_order() -> None:
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$",
                      README.read_text("utf-8"), flags=re.MULTILINE)  # fmt: skip
    expected = [
        (str(i), rule.name, _span(*rule.recency), _span(*rule.frequency), _span(*rule.monetary))
        for i, rule in enumerate(RFM_RULES, start=1)
    ]
    assert [tuple(cell.strip() for cell in row) for row in rows] == expected
