"""What makes the app safe to put on a shared machine: who may reach it and what it serves.

Three rules, each enforced here and tested in a browser:

- **No open door.** Listening beyond loopback needs ``PERSONA_UI_AUTH``; with it,
  Gradio requires the login for the pages and the API alike (:func:`check_exposure`).
- **A small, named API.** Only the endpoints of :mod:`ui.api` are public, each with
  a stable ``api_name``; the screens' own event handlers are marked private, so
  they are neither listed by ``gradio_client.Client.view_api()`` nor callable by
  name (:func:`keep_handlers_private`).
- **Uploads do not stay on the file server.** An uploaded table or document is
  moved out of Gradio's cache into the app's private folder as soon as a handler
  sees it, so its ``/gradio_api/file=…`` URL stops serving it (:class:`UploadVault`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from persona.config import Settings
from persona.errors import ConfigError

__all__ = [
    "LOOPBACK_HOSTS",
    "UploadVault",
    "check_exposure",
    "is_loopback",
    "keep_handlers_private",
]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(host: str) -> bool:
    """True when ``host`` is reachable only from this machine."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to serve beyond loopback without a login (the data is personal data).

    Raises :class:`ConfigError` naming the setting to change; the CLI turns it
    into a message and a non-zero exit code.
    """
    if settings.ui_auth is None and not is_loopback(settings.ui_host):
        # Anyone who can reach the machine would open the customer data without a password.
        raise ConfigError(
            "PERSONA_UI_HOST",
            settings.ui_host,
            "127.0.0.1, localhost or ::1; another address only with "
            "PERSONA_UI_AUTH=user:password set (everyone then logs in, for the pages and "
            "the API alike)",
        )


def keep_handlers_private(app: gr.Blocks, public: Mapping[str, Callable[..., Any]]) -> list[str]:
    """Mark every endpoint of ``app`` private except the functions in ``public``.

    ``public`` maps each stable ``api_name`` to the function registered under it.
    The screens' handlers take the screens' components as arguments and change
    whenever a screen does; scripts get the stable endpoints of :mod:`ui.api`
    instead. Returns the public names, sorted.
    """
    names = {id(fn): name for name, fn in public.items()}
    kept = []
    for block_fn in app.fns.values():
        name = names.get(id(block_fn.fn))
        if name is None:
            block_fn.api_visibility = "private"
        elif block_fn.api_name != name:
            # Gradio renames a clashing endpoint ("segment_1"): scripts would break.
            raise RuntimeError(f"public endpoint {name!r} was registered as {block_fn.api_name!r}")
        else:
            kept.append(name)
    if sorted(kept) != sorted(public):
        raise RuntimeError(f"public endpoints not registered: {sorted(set(public) - set(kept))}")
    return sorted(kept)


class UploadVault:
    """Uploaded files, moved out of Gradio's cache into a private folder.

    The browser keeps sending the cache path it was given; :meth:`claim` maps it
    to the kept copy, so a screen can read the same upload again (preview, then
    "Find segments") while no URL serves it. The folder is removed when the app
    exits; a path that is neither in the cache nor kept is refused.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._kept: dict[str, Path] = {}
        self._lock = threading.Lock()

    def claim(self, given: str | None) -> Path | None:
        """The private copy of the upload at ``given`` (moving it there on first sight)."""
        if not given:
            return None
        source = Path(given)
        with self._lock:
            kept = self._kept.get(str(source))
            if not source.exists() and kept is not None and kept.exists():
                return kept
            if not source.exists():
                raise gr.Error(
                    f"The uploaded file {source.name} is no longer on the server (the app "
                    "was restarted or the upload expired). Upload it again.",
                    print_exception=False,
                )
            if not _inside(source, Path(get_upload_folder())):
                raise gr.Error(
                    f"{source.name} was not uploaded through the app; upload it again.",
                    print_exception=False,
                )
            target = Path(tempfile.mkdtemp(dir=self.folder)) / source.name
            shutil.move(source, target)
            _remove_if_empty(source.parent)
            self._kept[str(source)] = target
            return target

    def claim_all(self, given: Iterable[str] | None) -> list[Path]:
        """:meth:`claim` for each upload of a multi-file box."""
        return [path for path in (self.claim(item) for item in given or []) if path is not None]

    def discard(self, kept: Iterable[Path]) -> None:
        """Delete private copies that are no longer needed (documents once ingested)."""
        with self._lock:
            for path in kept:
                shutil.rmtree(path.parent, ignore_errors=True)
                for key in [k for k, v in self._kept.items() if v == path]:
                    del self._kept[key]


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _remove_if_empty(folder: Path) -> None:
    # Another upload may share the folder, or it is already gone.
    with contextlib.suppress(OSError):
        folder.rmdir()
