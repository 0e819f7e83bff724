"""Fixtures of the knowledge-base tests: a store on the temp workspace, fixture files."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from persona.config import Settings
from persona.knowledge import close_clients
from persona.store import Store


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """The workspace store of ``settings``; Chroma clients are released afterwards."""
    with Store(settings.database_path) as opened:
        yield opened
    close_clients(settings)
