"""Tests of persona.llm and persona.structured (real llama.cpp, a real server, the fake)."""
