"""Privacy count: how many seeded personal identifiers reach a model, Chroma or the logs.

A synthetic table of customers and three documents carry unique identifiers
(customer ids, unique full names, e-mails, phones, IBANs, card numbers). A full
run — segment, documents, personas, one interview turn per persona, a panel, a
brief — goes once through the fake recording provider and once through the
OpenAI client against the recording stub on loopback (``tests/support``). Every
prompt, the Chroma folder's bytes and every log record (DEBUG) are searched.
Also measured: names and customer ids written *inside documents* (not scrubbed
by design of ``persona.privacy``, which is pattern-based).

Writes ``eval/out/privacy.md``. Measures, never asserts::

    python eval/privacy.py [--customers 800]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class _Capture(logging.Handler):
    """Keeps every formatted log record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.name} {record.getMessage()} {record.exc_text or ''}")
        except Exception:  # a record whose arguments do not format: keep the raw parts
            self.lines.append(f"{record.name} {record.msg!r} {record.args!r}")


def _run(provider: str, folder: Path, n: int) -> dict[str, object]:
    """One full run; the seeded values found per place and kind."""
    from persona.config import Settings
    from persona.knowledge import close_clients
    from persona.services import Services
    from tests.support.openai_stub import running_stub
    from tests.trust.support import (
        SchemaFake,
        all_prompt_text,
        find_seeded,
        folder_bytes,
        run_flow,
        seed_workspace_inputs,
    )

    inputs = seed_workspace_inputs(folder / "inputs", n=n)
    capture = _Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    started = time.perf_counter()
    try:
        if provider == "fake":
            settings = Settings(
                home=folder / "ws",
                llm_provider="fake",
                embeddings="hash",
                min_segment_size=inputs.min_segment_size,
            )
            services = Services(settings)
            model = SchemaFake(default_reply="I compare prices first and wait for the offers.")
            services.use_model(model)
            report = run_flow(services, inputs)
            prompts, requests = all_prompt_text(model), len(model.calls)
        else:
            with running_stub() as stub:
                settings = Settings(
                    home=folder / "ws",
                    llm_provider="openai",
                    llm_base_url=stub.base_url,
                    llm_api_key="eval",
                    embeddings="hash",
                    min_segment_size=inputs.min_segment_size,
                )
                services = Services(settings)
                report = run_flow(services, inputs)
                prompts, requests = stub.all_request_text(), len(stub.requests)
        chroma = folder_bytes(settings.chroma_path)
        close_clients(settings)
        services.store.close()
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    logs = "\n".join(capture.lines)
    return {
        "inputs": inputs,
        "requests": requests,
        "log_records": len(capture.lines),
        "personas": len(report.personas),
        "skipped": report.statuses.count("skipped"),
        "small_label_in_prompts": sum(label in prompts for label in report.small_segments.values()),
        "prompts": find_seeded(prompts, inputs.values),
        "chroma": find_seeded(chroma, inputs.values),
        "logs": find_seeded(logs, inputs.values),
        "seconds": time.perf_counter() - started,
    }


def _in_documents(folder: Path, values: Mapping[str, set[str]]) -> dict[str, tuple[int, int]]:
    """Names and customer ids written in a document: (seeded, found in Chroma) per kind."""
    from persona.config import Settings
    from persona.knowledge import add_documents, close_clients
    from persona.store import Store
    from tests.trust.support import find_seeded, folder_bytes

    names = sorted(values["name"])[:20]
    ids = sorted(values["customer_id"])[:20]
    doc = folder / "complaints.txt"
    doc.write_text(
        "".join(
            f"Complaint from {name} (customer {cid}): the jacket leaked.\n"
            for name, cid in zip(names, ids, strict=True)
        ),
        encoding="utf-8",
    )
    settings = Settings(home=folder / "docs-ws", llm_provider="fake", embeddings="hash")
    store = Store(settings.database_path)
    add_documents(store, settings, [doc])
    found = find_seeded(folder_bytes(settings.chroma_path), {"name": names, "customer_id": ids})
    close_clients(settings)
    store.close()
    return {
        "name": (len(names), len(found.get("name", ()))),
        "customer_id": (len(ids), len(found.get("customer_id", ()))),
    }


def _row(kind: str, seeded: int, run: Mapping[str, object]) -> str:
    counts = [len(run[place].get(kind, ())) for place in ("prompts", "chroma", "logs")]  # type: ignore[attr-defined]
    return f"| {kind} | {seeded} | " + " | ".join(str(c) for c in counts) + " |"


def main(argv: list[str] | None = None) -> int:
    """Run both providers and write the report."""
    parser = argparse.ArgumentParser(description="Seeded personal identifiers found.")
    parser.add_argument("--customers", type=int, default=800)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "privacy.md")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.trust.support import SEEDED_KINDS

    lines = [
        "# Privacy: seeded identifiers found in prompts, Chroma and logs",
        "",
        "A full run (segment → documents → personas → one interview turn per persona → "
        "panel → brief) on a synthetic table and three documents seeded with unique "
        "identifiers. The documents name customers of the table (id and full name) next to "
        "e-mails, phones, IBANs and cards, and the interview and panel questions paste a "
        "customer's name and id. Every LLM request, the Chroma folder's bytes and every "
        "DEBUG log record are searched (values as written, in lower case and with spaces "
        "removed).",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="persona-privacy-") as tmp:
        folder = Path(tmp)
        for provider in ("fake", "openai"):
            run = _run(provider, folder / provider, args.customers)
            inputs = run["inputs"]
            total = {place: sum(len(v) for v in run[place].values())  # type: ignore[attr-defined]
                     for place in ("prompts", "chroma", "logs")}  # fmt: skip
            title = (
                "fake recording provider"
                if provider == "fake"
                else "OpenAI client → recording stub on loopback"
            )
            lines += [
                f"## {title}",
                "",
                f"- {inputs.count} unique seeded values checked "  # type: ignore[attr-defined]
                f"({args.customers} customers, 3 documents); {run['requests']} LLM requests, "
                f"{run['log_records']} log records; {run['seconds']:.0f} s",
                f"- Personas written: {run['personas']}; segments below the minimum size "
                f"skipped: {run['skipped']}; their labels found in prompts: "
                f"{run['small_label_in_prompts']}",
                f"- **Found: {total['prompts']} in prompts, {total['chroma']} in Chroma, "
                f"{total['logs']} in logs**",
                "",
                "| kind | seeded | in prompts | in Chroma | in logs |",
                "|---|---:|---:|---:|---:|",
            ]
            lines += [
                _row(kind, len(inputs.values.get(kind, ())), run)  # type: ignore[attr-defined]
                for kind in SEEDED_KINDS
            ]
            lines.append("")
        in_docs = _in_documents(folder, run["inputs"].values)  # type: ignore[attr-defined]
    lines += [
        "## Names and customer ids written inside documents",
        "",
        "`persona.privacy.scrub_text` masks e-mails, phones, cards and IBANs only; names and "
        "customer ids in a document's text are not detected (known gap, see the trust tests' "
        "xfail `test_names_and_customer_ids_in_documents_are_not_indexed`).",
        "",
        "| kind | written in a document | found in Chroma |",
        "|---|---:|---:|",
        *[f"| {kind} | {seeded} | {found} |" for kind, (seeded, found) in in_docs.items()],
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
