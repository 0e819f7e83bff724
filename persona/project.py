"""Opening a project from Python: the handle every public function takes.

A notebook or a script does what the CLI does, with the same functions::

    import persona

    project = persona.open_project("workspace", "northwind", llm="fake")
    persona.run_segmentation(project, "customers.csv")
    persona.add_documents(project, ["docs/"])
    personas = persona.generate_personas(project)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from persona.config import load_settings
from persona.knowledge import IngestReport
from persona.knowledge import add_documents as _index_documents
from persona.services import Services

__all__ = ["add_documents", "open_project"]


def open_project(
    home: Path | str | None = None,
    project: str | None = None,
    *,
    llm: str | None = None,
    embeddings: str | None = None,
) -> Services:
    """The project ``project`` in workspace ``home``, created on first use.

    Settings come from the ``PERSONA_*`` environment variables, as for the CLI;
    the arguments override them: ``home`` (``PERSONA_HOME``), ``project``
    (``PERSONA_PROJECT``), ``llm`` (``PERSONA_LLM_PROVIDER``: ``auto``, ``openai``,
    ``llamacpp`` or ``fake``) and ``embeddings`` (``PERSONA_EMBEDDINGS``).

    Raises:
        persona.errors.ConfigError: a setting is not valid (the message names it).
    """
    environ = dict(os.environ)
    for name, value in (
        ("PERSONA_HOME", home),
        ("PERSONA_PROJECT", project),
        ("PERSONA_LLM_PROVIDER", llm),
        ("PERSONA_EMBEDDINGS", embeddings),
    ):
        if value is not None:
            environ[name] = str(value)
    return Services(load_settings(environ))


def add_documents(project: Services, paths: Iterable[Path | str]) -> list[IngestReport]:
    """Index company documents (files or folders) for the project's personas to cite."""
    return _index_documents(project.store, project.settings, [Path(p) for p in paths])
