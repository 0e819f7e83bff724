"""The knowledge base: company documents in, cited chunks out.

Documents (PDF, DOCX, Markdown, HTML, text) are read into visible text
(hidden content stripped and counted), scrubbed of personal identifiers, split
into chunks with page and heading, stored in the workspace database (the source
of truth) and indexed in Chroma (one collection per project, rebuildable with
``persona docs reindex``)::

    from persona.knowledge import add_documents, search
    reports = add_documents(store, settings, [Path("brochure.pdf")])
    for hit in search(store, settings, "how long do refunds take?", k=5):
        print(hit.score, hit.source, hit.text[:80])

Every function works inside ``settings.project`` only.
"""

from persona.knowledge.extract import SUPPORTED_SUFFIXES
from persona.knowledge.index import close_clients
from persona.knowledge.ingest import add_documents, document_paths
from persona.knowledge.manage import reindex, remove_document
from persona.knowledge.retrieve import chunk_exists, get_chunk, list_documents, search
from persona.knowledge.types import (
    Citation,
    DocumentInfo,
    IngestReport,
    Progress,
    describe_removals,
)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Citation",
    "DocumentInfo",
    "IngestReport",
    "Progress",
    "add_documents",
    "chunk_exists",
    "close_clients",
    "describe_removals",
    "document_paths",
    "get_chunk",
    "list_documents",
    "reindex",
    "remove_document",
    "search",
]
