"""Services: the settings, the store and the chat model of one session, built lazily.

The CLI and the UI each build one :class:`Services` at their entry point and
pass it to the domain functions; tests build one on ``tmp_path``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from persona.config import Settings
from persona.identifiers import known_identifiers
from persona.llm import make_chat_model
from persona.repos.identifiers import recorded_count
from persona.store import Store

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from persona.identifiers import KnownIdentifiers

__all__ = ["Services"]


@dataclass
class Services:
    """What a command needs: settings, the workspace store, the chat model."""

    settings: Settings
    fake_replies: list[str] | None = field(default=None, repr=False)
    _model: BaseChatModel | None = field(default=None, init=False, repr=False)
    _known: tuple[tuple[int, int], KnownIdentifiers] | None = field(
        default=None, init=False, repr=False
    )

    @cached_property
    def store(self) -> Store:
        """The workspace database (created on first use)."""
        return Store(self.settings.database_path)

    @property
    def project_id(self) -> int:
        """Id of the current project (``settings.project``), created on first use."""
        return self.store.project_id(self.settings.project)

    def chat_model(self) -> BaseChatModel:
        """The chat model for these settings (loaded once, then reused)."""
        if self._model is None:
            self._model = make_chat_model(self.settings, fake_replies=self.fake_replies)
        return self._model

    def use_model(self, model: BaseChatModel) -> None:
        """Use ``model`` instead of the configured one (tests, a scripted demo)."""
        self._model = model

    def known_identifiers(self) -> KnownIdentifiers:
        """The project's recorded customer ids and names, to mask in typed text.

        Loaded once and again only when the project records more (a new table).
        """

        project_id = self.project_id
        stamp = (project_id, recorded_count(self.store, project_id))
        if self._known is None or self._known[0] != stamp:
            self._known = (stamp, known_identifiers(self.store, project_id))
        return self._known[1]
