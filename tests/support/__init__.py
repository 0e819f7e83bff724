"""Helpers shared by test folders (not tests themselves)."""

from tests.support.llama_server import LlamaServer, ServerStartError, free_port, llama_server

__all__ = ["LlamaServer", "ServerStartError", "free_port", "llama_server"]
