"""The one exception tree of Persona Studio.

Every error a user can meet is a subclass of :class:`PersonaError` and carries a
message that says what went wrong *and what to do next*. Library code raises
these; only the CLI (``persona.cli``) and the UI (``ui``) turn them into
messages, in exactly one place each.

::

    PersonaError
    ├── ConfigError (ValueError)          a PERSONA_* setting is invalid
    ├── StoreError                        the workspace database failed
    │   └── NotFoundError (LookupError)   no such dataset / persona / session …
    ├── ProviderError                     the LLM or embedding provider failed
    │   ├── ProviderUnavailable           not installed, unreachable, refused
    │   ├── ProviderTimeout (TimeoutError)
    │   └── GenerationError               output never validated (keeps attempts)
    ├── KnowledgeError                    documents and the Chroma index
    │   ├── DocumentError (ValueError)    one file cannot be ingested
    │   └── IndexMismatchError            index built with another embedding model
    ├── SnapshotError (ValueError)        a newer table does not fit the segmentation
    ├── PrivacyError                      a request would expose personal data
    ├── GroundingError                    a persona/answer contradicts its facts
    ├── ResearchError (ValueError)        a screener, recruitment or notes step cannot run
    └── ExportError                       an export could not be written

Table-loading and clustering errors live in ``segments.errors`` (``segments``
must stay usable without this package); :data:`USER_ERRORS` lists both roots so
the shells can catch them together.
"""

from __future__ import annotations

from typing import Any

from segments.errors import SegmentsError

__all__ = [
    "USER_ERRORS",
    "ConfigError",
    "DocumentError",
    "ExportError",
    "GenerationError",
    "GroundingError",
    "IndexMismatchError",
    "KnowledgeError",
    "NotFoundError",
    "PersonaError",
    "PrivacyError",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "ResearchError",
    "SnapshotError",
    "StoreError",
]


class PersonaError(Exception):
    """Base of every Persona Studio error. ``str(err)`` is fit to show a user."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} {hint}")


class ConfigError(PersonaError, ValueError):
    """A configuration value is invalid; names the variable and allowed values."""

    def __init__(self, variable: str, value: object, allowed: str) -> None:
        self.variable = variable
        self.value = value
        self.allowed = allowed
        super().__init__(
            f"{variable}={value!r} is not valid.",
            hint=f"Allowed: {allowed}. Fix or unset {variable}.",
        )


class StoreError(PersonaError):
    """The workspace database could not be read or written."""


class NotFoundError(StoreError, LookupError):
    """A named object (dataset, persona, session, document) does not exist."""

    def __init__(self, kind: str, key: object, *, hint: str | None = None) -> None:
        self.kind = kind
        self.key = key
        super().__init__(
            f"No {kind} {key!r} in this workspace.",
            hint=hint or f"List what exists with `persona {kind}s list`.",
        )


class ProviderError(PersonaError):
    """The LLM or embedding provider failed."""


class ProviderUnavailable(ProviderError):
    """The provider is not installed, not reachable, or refused the request."""


class ProviderTimeout(ProviderError, TimeoutError):
    """The provider did not answer within the configured timeout."""


class GenerationError(ProviderError):
    """The model's output never validated against the expected schema.

    ``attempts`` holds one entry per try (the raw output and the validation
    error); ``last_output`` is the final raw text.
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: list[dict[str, Any]] | None = None,
        last_output: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.attempts = attempts or []
        self.last_output = last_output
        super().__init__(
            message,
            hint=hint
            or "Try again, lower PERSONA_LLM_TEMPERATURE, or configure a larger model "
            "(see README, 'Choosing a model').",
        )


class KnowledgeError(PersonaError):
    """Document ingestion or retrieval failed."""


class DocumentError(KnowledgeError, ValueError):
    """One document cannot be ingested; names the file and the reason."""

    def __init__(self, path: object, reason: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}", hint=hint)


class IndexMismatchError(KnowledgeError):
    """The Chroma index was built with a different embedding model."""


class SnapshotError(PersonaError, ValueError):
    """A newer snapshot of the customers does not fit the segmentation it refreshes."""


class PrivacyError(PersonaError):
    """The request would send personal data or a too-small segment to a model."""


class GroundingError(PersonaError):
    """Generated text contradicts the facts it was given."""


class ResearchError(PersonaError, ValueError):
    """A research step cannot run: a segment too small, too few customers, a missing column."""


class ExportError(PersonaError):
    """An export could not be written."""


USER_ERRORS: tuple[type[Exception], ...] = (PersonaError, SegmentsError)
"""Every exception type whose message is meant for a user."""
