"""Fixtures for the interview, panel and insight tests (fake model, hash embeddings)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from persona.config import Settings
from persona.services import Services
from tests.interview.support import add_persona, greta, maya


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A temp workspace with the fake model and hash embeddings."""
    return Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash")


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """Services on the temp workspace; Chroma clients are released afterwards."""
    built = Services(settings)
    yield built
    from persona.knowledge import close_clients

    close_clients(settings)
    built.store.close()


@pytest.fixture
def maya_id(services: Services) -> int:
    """The id of the stored price-sensitive persona."""
    return add_persona(services, maya())


@pytest.fixture
def greta_id(services: Services) -> int:
    """The id of the stored premium persona."""
    return add_persona(services, greta())
