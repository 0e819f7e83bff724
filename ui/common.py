"""What every screen shares: the error boundary, safe rendering, and per-project services.

The error boundary is the *one* place where the UI turns exceptions into
messages (as :func:`persona.cli.main` is for the CLI): a
:data:`persona.errors.USER_ERRORS` exception shows its own message (with server
paths reduced to file names), anything else shows :data:`GENERIC_MESSAGE` and is
logged with its traceback on the server only.

Model output and document text are untrusted (OWASP LLM05, 2025): they reach
the page only through :func:`md_text` (Markdown components: links, images and
raw HTML neutralised) or :func:`html_text` (our own HTML templates: escaped).
"""

from __future__ import annotations

import atexit
import functools
import html
import inspect
import logging
import queue
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import gradio as gr
from gradio.context import LocalContext

from persona.errors import USER_ERRORS
from persona.render import Markup, render_html
from persona.safe_text import escape_html, neutralize_markdown
from persona.services import Services
from persona.text import synthetic_label
from ui.security import UploadVault

__all__ = [
    "GENERIC_MESSAGE",
    "SYNTHETIC_NOTICE",
    "Workspace",
    "boundary",
    "html_text",
    "md_text",
    "progress_callback",
    "raising_boundary",
    "redact_paths",
    "render_snippet",
    "stream_callbacks",
    "user_message",
    "verdict_badge",
]

log = logging.getLogger("persona.ui")

P = ParamSpec("P")
R = TypeVar("R")

GENERIC_MESSAGE = (
    "Something went wrong on the server. Nothing was shown here on purpose; the details "
    "are in the server log. Try again, and if it keeps failing, run `persona doctor`."
)
"""Shown for every exception that is not one of the product's own errors."""

SYNTHETIC_NOTICE = synthetic_label("")
"""The label every generated artefact carries on screen."""

# POSIX paths of two or more components ("/tmp/gradio/ab12/customers.csv") and
# Windows paths ("C:\\Users\\x\\file.pdf"). The look-behind keeps URLs, ratios
# ("2/3") and "and/or" intact.
_POSIX_PATH = re.compile(r"(?<![\w:/.~-])(?:/[^\s/'\"`<>|]+){2,}/?")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[^\s\\'\"`<>|]+\\)*[^\s\\'\"`<>|]*")


def redact_paths(text: str) -> str:
    """Replace absolute file paths in ``text`` by their last component.

    The product's messages name the file they are about; in a browser the
    server's folders (upload cache, workspace) are nobody's business.
    """
    text = _POSIX_PATH.sub(lambda m: Path(m.group(0).rstrip("/")).name or "/", text)
    return _WINDOWS_PATH.sub(lambda m: m.group(0).rstrip("\\").rsplit("\\", 1)[-1], text)


def user_message(error: BaseException) -> str:
    """The text a user sees for ``error``, HTML-escaped (toasts render HTML).

    The product's own errors keep their message (paths redacted); anything
    else becomes :data:`GENERIC_MESSAGE`.
    """
    if isinstance(error, USER_ERRORS):
        return html.escape(redact_paths(str(error)), quote=True)
    return GENERIC_MESSAGE


def _as_gradio_error(error: Exception, where: str) -> gr.Error:
    if isinstance(error, gr.Error):
        return error
    if isinstance(error, USER_ERRORS):
        log.info("user error in %s: %s", where, error)
    else:
        log.error("unexpected error in %s", where, exc_info=error)
    # print_exception=False: the traceback is in our log already, and must not
    # be echoed anywhere a user could see it.
    return gr.Error(user_message(error), print_exception=False)


def _in_page() -> bool:
    """True while Gradio runs an event for a page (not a direct call, not a unit test)."""
    return LocalContext.event_id.get(None) is not None


def _tell(error: gr.Error) -> Any:
    """Show ``error`` as a toast and leave every output of the event as it was."""
    gr.Warning(str(error.message), title="Not done")
    return gr.skip()


def boundary(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap an event handler so that no exception reaches the page as a raw error.

    In the page, an error becomes one toast and the event updates none of its
    outputs (``gr.skip()``): the screen keeps a consistent state, with no red
    "Error" over each output. Called directly (tests, scripts), it raises the
    same safe :class:`gr.Error`. Works for plain and generator (streaming)
    handlers; the wrapper keeps ``fn``'s signature so Gradio still finds a
    ``gr.Progress`` parameter.
    """
    where = getattr(fn, "__qualname__", repr(fn))
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: P.args, **kwargs: P.kwargs) -> Iterator[Any]:
            try:
                yield from cast(Iterator[Any], fn(*args, **kwargs))
            except Exception as error:
                safe = _as_gradio_error(error, where)
                if not _in_page():
                    raise safe from None
                yield _tell(safe)

        return cast(Callable[P, R], stream)

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            safe = _as_gradio_error(error, where)
            if not _in_page():
                raise safe from None
            return cast(R, _tell(safe))

    return call


def raising_boundary(fn: Callable[P, R]) -> Callable[P, R]:
    """Like :func:`boundary`, but always raise the safe :class:`gr.Error`.

    For the public API (:mod:`ui.api`): a script must get an error, not a toast.
    """
    where = getattr(fn, "__qualname__", repr(fn))

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            raise _as_gradio_error(error, where) from None

    return call


# --------------------------------------------------------------------------- safe text


def md_text(text: object, *, inline: bool = False) -> str:
    """Untrusted text made inert for a Markdown component (or a chat message).

    Raw HTML, images, links and autolinks are escaped or removed, so the
    renderer shows the characters and fetches nothing.
    """
    return neutralize_markdown("" if text is None else str(text), inline=inline)


def html_text(text: object) -> str:
    """Untrusted text escaped for our own HTML templates (URLs defanged too)."""
    return escape_html("" if text is None else str(text))


_VERDICT_COLOURS = {
    "pass": ("#166534", "#dcfce7"),
    "warn": ("#854d0e", "#fef9c3"),
    "fail": ("#991b1b", "#fee2e2"),
    "unknown": ("#374151", "#f3f4f6"),
}


def verdict_badge(verdict: object, title: object = "") -> Markup:
    """An HTML badge for a scorecard verdict (``pass``/``warn``/``fail``/``unknown``)."""
    name = str(verdict) if str(verdict) in _VERDICT_COLOURS else "unknown"
    ink, paper = _VERDICT_COLOURS[name]
    return render_snippet("verdict_badge", verdict=name, title=str(title), ink=ink, paper=paper)


def render_snippet(template: str, **context: Any) -> Markup:
    """Render ``ui/templates/<template>.html.j2``: every value escaped unless it is ``Markup``.

    The result is ``Markup`` itself, so a snippet can sit inside another one.
    """
    return Markup(render_html(template, package="ui", **context).strip())


# --------------------------------------------------------------------------- progress


def progress_callback(progress: gr.Progress, *, low: float = 0.0, high: float = 1.0) -> Any:
    """Adapt a ``gr.Progress`` to the library's ``progress(stage, fraction)`` callbacks."""

    def report(stage: str, fraction: float) -> None:
        share = min(max(float(fraction), 0.0), 1.0)
        progress(low + (high - low) * share, desc=redact_paths(str(stage)))

    return report


class _Cancelled(Exception):
    """Raised inside a callback when the browser stopped listening."""


_DONE = object()


def stream_callbacks(work: Callable[[Callable[[Any], None]], object]) -> Iterator[Any]:
    """Turn a callback-style library call into a generator a Gradio handler can stream.

    ``work(emit)`` runs in a worker thread; every ``emit(event)`` is yielded
    here. An exception in ``work`` is re-raised here. When the consumer stops
    (the user pressed Stop or left), the next ``emit`` raises inside ``work``,
    so the library stops at its next callback and stores what it has as
    interrupted, instead of running on unobserved.
    """
    events: queue.Queue[tuple[object, Any]] = queue.Queue()
    cancelled = threading.Event()

    def emit(event: Any) -> None:
        if cancelled.is_set():
            raise _Cancelled
        events.put((None, event))

    def run() -> None:
        try:
            work(emit)
        except _Cancelled:
            return
        except BaseException as error:
            events.put((error, None))
            return
        events.put((_DONE, None))

    worker = threading.Thread(target=run, name="persona-ui-stream", daemon=True)
    worker.start()
    try:
        while True:
            status, event = events.get()
            if status is _DONE:
                return
            if isinstance(status, BaseException):
                raise status
            yield event
    finally:
        cancelled.set()


# --------------------------------------------------------------------------- projects

DOWNLOAD_MAX_AGE = 3600
"""Seconds a prepared download is kept (Gradio's own cache is purged on the same scale)."""

# The rule PERSONA_PROJECT follows (persona.config): a name fit for a folder and a URL.
_PROJECT_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Workspace:
    """The launch services plus one :class:`Services` per project, built on demand.

    Every project shares the chat model the app was launched with (a scripted
    model in tests, the embedded model otherwise), so switching projects does
    not load a model again. Downloads are written to a private temporary
    folder, never into the workspace (which is blocked from the file server);
    uploads are moved out of Gradio's cache into another (:attr:`uploads`).
    """

    def __init__(self, services: Services) -> None:
        self.base = services
        self._by_project: dict[str, Services] = {services.settings.project: services}
        self._lock = threading.Lock()
        self.downloads = Path(tempfile.mkdtemp(prefix="persona-ui-"))
        # Downloads can hold customer IDs (the labels CSV): gone when the app exits.
        atexit.register(shutil.rmtree, self.downloads, ignore_errors=True)
        private = Path(tempfile.mkdtemp(prefix="persona-uploads-"))
        atexit.register(shutil.rmtree, private, ignore_errors=True)
        self.uploads = UploadVault(private)
        """Uploaded files, moved out of Gradio's cache as soon as a screen reads them."""

    @property
    def default_project(self) -> str:
        """The project the app was launched with."""
        return self.base.settings.project

    def projects(self) -> list[str]:
        """Every project of the workspace, the launch project included."""
        names = set(self.base.store.projects())
        names.add(self.default_project)
        return sorted(names)

    def check_name(self, project: str) -> None:
        """Raise a message for people unless ``project`` is fit for a folder and a URL."""
        if not _PROJECT_NAME.match(project):
            raise gr.Error(
                "A project name is 1-64 letters, digits, '-', '_' or '.'.", print_exception=False
            )

    def services(self, project: str | None) -> Services:
        """The services of ``project`` (the launch project when empty)."""
        name = (project or "").strip() or self.default_project
        self.check_name(name)
        with self._lock:
            found = self._by_project.get(name)
            if found is None:
                found = Services(
                    self.base.settings.with_(project=name), fake_replies=self.base.fake_replies
                )
                found.use_model(self.base.chat_model())
                self._by_project[name] = found
            return found

    def download_path(self, project: str, filename: str) -> Path:
        """A fresh path for a download of ``project`` (its own folder, a fixed name).

        Downloads older than :data:`DOWNLOAD_MAX_AGE` seconds are deleted first,
        so a long-running app does not pile up exports of customer data.
        """
        cutoff = time.time() - DOWNLOAD_MAX_AGE
        for old in self.downloads.iterdir():
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{project}-", dir=self.downloads))
        return folder / filename
