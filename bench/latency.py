"""What the user waits for with the embedded model, over the sample flow (issue #20).

One process, the default settings (embedded SmolLM2, composer writer, MiniLM
embeddings, answers capped at ``PERSONA_ANSWER_MAX_TOKENS``):

1. the bundled sample is segmented and its documents ingested;
2. **persona card**: every persona is regenerated one at a time (what a user
   waits for after "Regenerate"; it reads the documents for every segment, so
   each sentence goes to one persona), p50/p95 over the personas;
3. **interview answer**: questions through ``persona.interview.ask_stream``:
   time to the first piece shown and to the stored answer (gate, re-ask and
   evidence fallback included), p50/p95;
4. **brief**: ``compile_brief`` over the interview, timed ``--briefs`` times;
5. **baseline**: each turn's exact prompt straight through
   ``llama_cpp.Llama.create_chat_completion`` (same GGUF, same options) with
   ``max_tokens`` = the tokens of the stored answer (at least 1), so the ratio
   says what the product adds to raw generation of the same length.

    python bench/latency.py --questions 8

Targets (2 idle cores): card <= 30 s, first words <= 3 s, whole answer <= 15 s,
brief <= 30 s. Timings on a shared machine are noisy: the script prints the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as a script from a checkout
    sys.path.insert(0, str(ROOT))

from langchain_core.messages import convert_to_openai_messages  # noqa: E402

from bench.interview import QUESTIONS, evict, timed_raw  # noqa: E402
from persona.config import Settings  # noqa: E402
from persona.demo import SAMPLE_DATA  # noqa: E402
from persona.generate import generate_personas, regenerate_persona  # noqa: E402
from persona.insights import compile_brief  # noqa: E402
from persona.interview import ask_stream, start_interview  # noqa: E402
from persona.interview.session import _prompt  # noqa: E402
from persona.knowledge import add_documents, close_clients  # noqa: E402
from persona.llm import LlamaCppChatModel  # noqa: E402
from persona.personas import get_persona  # noqa: E402
from persona.segmentation import run_segmentation  # noqa: E402
from persona.services import Services  # noqa: E402

TARGETS = {"card_s": 30.0, "first_words_s": 3.0, "answer_s": 15.0, "brief_s": 30.0}


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values``, linear between points."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    at = q * (len(ordered) - 1)
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95 and max of ``values``, rounded."""
    return {
        "p50": round(pct(values, 0.5), 2),
        "p95": round(pct(values, 0.95), 2),
        "max": round(max(values), 2),
        "n": len(values),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures, optionally write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--briefs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load_before = os.getloadavg()
    home = Path(tempfile.mkdtemp(prefix="persona-bench-latency-"))
    settings = Settings(home=home, llm_provider="llamacpp", embeddings="local")
    services = Services(settings)
    try:
        run_segmentation(services, SAMPLE_DATA / "customers.csv")
        add_documents(
            services.store, settings, sorted(p for p in (SAMPLE_DATA / "documents").iterdir())
        )
        started = time.perf_counter()
        first = generate_personas(services)
        all_at_once = time.perf_counter() - started
        cards: list[float] = []
        for result in first:
            assert result.persona_id is not None, result.reason
            started = time.perf_counter()
            regenerate_persona(services, result.persona_id)
            cards.append(time.perf_counter() - started)
        persona_id = first[0].persona_id or 0
        model = services.chat_model()
        assert isinstance(model, LlamaCppChatModel)
        llama = model.client
        persona = get_persona(services, persona_id).persona
        interview_id = start_interview(services, persona_id)
        firsts: list[float] = []
        wholes: list[float] = []
        raw_wholes: list[float] = []
        raw_firsts: list[float] = []
        flags: dict[str, int] = {}
        for number, question in enumerate(QUESTIONS[: args.questions], start=1):
            if number == 1:
                evict(llama)
            start = time.perf_counter()
            stream = ask_stream(services, interview_id, question)
            shown = 0.0
            for index, _piece in enumerate(stream):
                if index == 0:
                    shown = time.perf_counter()
            done = time.perf_counter()
            answer = stream.turn
            firsts.append(shown - start)
            wholes.append(done - start)
            for flag in answer.flags:
                flags[flag.kind] = flags.get(flag.kind, 0) + 1
            tokens = len(llama.tokenize(answer.content.encode("utf-8"), add_bos=False))
            messages = [
                {"role": str(m["role"]), "content": str(m.get("content") or "")}
                for m in convert_to_openai_messages(
                    _prompt(services, model, persona, stream.question)[0]
                )
            ]
            options: dict[str, Any] = {
                **model.completion_options(None),
                "max_tokens": max(tokens, 1),
            }
            evict(llama)  # the raw call pays for its prompt as the project's first turn did
            raw_start = time.perf_counter()
            replay = timed_raw(llama, messages, options)
            raw_wholes.append(time.perf_counter() - raw_start)
            raw_firsts.append(replay.ttft)
            print(
                f"turn {number:>2}: first words {firsts[-1]:5.2f} s, whole {wholes[-1]:5.2f} s "
                f"({tokens} tokens; raw llama.cpp {raw_wholes[-1]:5.2f} s), "
                f"flags {[f.kind for f in answer.flags]}",
                flush=True,
            )
        briefs: list[float] = []
        for _ in range(args.briefs):
            started = time.perf_counter()
            compile_brief(services, interview_ids=[interview_id])
            briefs.append(time.perf_counter() - started)
    finally:
        close_clients(settings)
        services.store.close()
    results: dict[str, Any] = {
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "answer_max_tokens": settings.answer_max_tokens,
        "personas_all_at_once_s": round(all_at_once, 2),
        "card_s": summary(cards),
        "first_words_s": summary(firsts),
        "answer_s": summary(wholes),
        "raw_first_token_s": summary(raw_firsts),
        "raw_same_tokens_s": summary(raw_wholes),
        "answer_vs_raw_ratio_p50": round(
            statistics.median(w / r for w, r in zip(wholes, raw_wholes, strict=True)), 2
        ),
        "brief_s": summary(briefs),
        "flags": flags,
        "targets": TARGETS,
    }
    print(json.dumps(results, indent=2))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
