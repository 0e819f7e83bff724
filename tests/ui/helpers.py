"""Playwright helpers for Gradio 6 pages, and scripted model replies for UI tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = [
    "choose",
    "click_tab",
    "draft_reply",
    "shoot",
    "toasts",
    "type_into",
    "wait_for_text",
]


def click_tab(page: Any, tab_id: str) -> None:
    """Open one of the app's tabs (``data``, ``documents``, ``personas`` …)."""
    page.locator(f"#tab-{tab_id}-button").click()
    page.wait_for_selector(f"#tab-{tab_id}", state="visible")


def choose(page: Any, elem_id: str, option: str, *, exact: bool = False) -> None:
    """Pick ``option`` in the Gradio dropdown ``#elem_id`` (a substring, or the exact label)."""
    page.locator(f"#{elem_id} input").click()
    if exact:
        page.get_by_role("option", name=option, exact=True).click()
    else:
        page.locator("ul[role=listbox] li[role=option]").filter(has_text=option).first.click()


def type_into(page: Any, elem_id: str, text: str) -> None:
    """Replace the text of the textbox ``#elem_id``."""
    box = page.locator(f"#{elem_id} textarea, #{elem_id} input").first
    box.fill(text)


def wait_for_text(page: Any, elem_id: str, pattern: str, timeout: float = 60_000) -> str:
    """Wait until ``#elem_id`` contains text matching ``pattern`` (a regex); return its text."""
    locator = page.locator(f"#{elem_id}")
    locator.filter(has_text=re.compile(pattern)).first.wait_for(timeout=timeout)
    return str(locator.inner_text())


def toasts(page: Any) -> list[str]:
    """The texts of the error/warning/info toasts on screen."""
    return [str(t) for t in page.locator(".toast-body").all_inner_texts()]


def shoot(page: Any, folder: Path, name: str) -> Path:
    """Save a full-page screenshot ``folder/name.png``."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def draft_reply(name: str, **overrides: Any) -> str:
    """A valid ``PersonaDraft`` JSON reply for the scripted model (no numbers, no links)."""

    def item(text: str) -> dict[str, Any]:
        return {"text": text, "sources": []}

    draft: dict[str, Any] = {
        "name": name,
        "occupation": "Teacher",
        "background": "Lives with family and plans trips well ahead.",
        "goals": [item("Find durable gear for family trips")],
        "challenges": [item("Little spare time to compare products")],
        "needs": [item("Clear advice on what fits")],
        "pain_points": [item("Confusing return rules")],
        "personality": ["Careful"],
        "hobbies": ["Hiking"],
        "behaviour_patterns": [item("Compares options before buying")],
        "channels": ["Email"],
        "quote": "I want gear that lasts.",
    }
    draft.update(overrides)
    return json.dumps(draft)
