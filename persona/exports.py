"""Export files: written atomically, named by ids, failures as :class:`ExportError`.

Every file the product hands to a person (briefs, transcripts, panels, insight
briefs) goes through :func:`write_export`; it uses the same atomic writer as
the segmentation exports (:func:`segments.export.write_atomic`: temporary file
in the same folder, fsync, ``os.replace``, fsync of the folder).
"""

from __future__ import annotations

from pathlib import Path

from persona.errors import ExportError
from segments.export import write_atomic

__all__ = ["write_atomic", "write_export"]


def write_export(path: Path, text: str) -> Path:
    """Write an export file atomically; an OS error becomes an :class:`ExportError` naming it."""
    try:
        return write_atomic(path, text)
    except OSError as error:
        raise ExportError(
            f"Cannot write {path}: {error.strerror or error}.",
            hint="Choose a writable folder or output path.",
        ) from error
