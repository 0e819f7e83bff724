"""HTML pages and snippets rendered from Jinja templates with autoescape.

Templates live in ``<package>/templates/<name>.html.j2`` (``persona`` for
exported pages, ``ui`` for the app's snippets). Every value a template prints
is untrusted unless it is :class:`markupsafe.Markup`: it loses its invisible
characters, its URLs are defanged (a visible attacker URL still invites a
click) and it is HTML-escaped. A missing variable raises, as in :mod:`prompts`.
"""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from persona.safe_text import defang_urls
from persona.text import strip_invisible

__all__ = ["Markup", "render_html"]


def render_html(template: str, package: str = "persona", **context: Any) -> str:
    """Render ``<package>/templates/<template>.html.j2`` with ``context``, escaped."""
    return _environment(package).get_template(f"{template}.html.j2").render(**context)


def _clean(value: Any) -> Any:
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return defang_urls(strip_invisible(value))


@functools.cache
def _environment(package: str) -> Environment:
    return Environment(
        loader=PackageLoader(package, "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        finalize=_clean,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
