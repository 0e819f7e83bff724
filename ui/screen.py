"""The little contract between a screen module and the app that assembles them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gradio.components import Component

__all__ = ["Screen"]


@dataclass
class Screen:
    """What a screen's ``build`` returns.

    ``refresh(project, *inputs)`` recomputes what the screen shows from the
    workspace (called when the page loads, when the project changes and, if
    ``refresh_on_tab``, when its tab is opened, so it sees what other screens
    made) and returns one value per component of ``outputs``; ``inputs`` are
    extra components whose current values it needs (e.g. the selected persona).
    """

    refresh: Callable[..., Any]
    outputs: Sequence[Component]
    inputs: Sequence[Component] = field(default_factory=list)
    refresh_on_tab: bool = True
