"""Prompt templates: Jinja2 files rendered by one function that fails on a missing variable.

Each task has ``templates/<task>.system.j2`` and ``templates/<task>.user.j2``.
Templates are data: loops and conditionals only, no logic. User-supplied text is
always passed as a *variable*, never as template source, so text such as
``{{ 7*7 }}`` inside a document is rendered literally.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, UndefinedError

__all__ = ["MissingVariableError", "TemplateMissingError", "render", "template_names"]


class MissingVariableError(KeyError):
    """A template referenced a variable the caller did not pass."""


class TemplateMissingError(LookupError):
    """No template file has the requested name."""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("prompts", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # prompts are plain text, not HTML
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> str:
    """Render ``templates/<name>.j2`` with ``context``; raise on any missing variable.

    >>> render("persona.system")  # doctest: +SKIP
    """
    environment = _environment()
    try:
        template = environment.get_template(f"{name}.j2")
    except TemplateNotFound:
        raise TemplateMissingError(
            f"No prompt template {name!r}; known: {', '.join(template_names())}"
        ) from None
    try:
        return template.render(**context).strip() + "\n"
    except UndefinedError as error:
        raise MissingVariableError(f"template {name!r}: {error.message}") from None


def template_names() -> list[str]:
    """Names of every template, without the ``.j2`` suffix."""
    return sorted(n.removesuffix(".j2") for n in _environment().list_templates(extensions=["j2"]))
