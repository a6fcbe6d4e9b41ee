"""Write a synthetic BFCL-v3-like run folder (report.json + samples.jsonl) of any size.

    python bench/synthetic_run.py OUTPUT_DIR [-n 4441] [--wrong 0.3] [--seed 0]

Records follow the schema the plugin writes (`build_record` in pytest_llmeval/runner.py, plus
`schema`, `verdict`, `responses` and `functions`): single-turn samples with their function docs,
multi-turn samples with whole transcripts (tool calls, tool results, per-turn steps and the
ground truth per turn), about `--wrong` of them failing with the checker's rule names, a few
errors and refusals. The rows come from the plugin's own aggregation, so the table matches.
For the viewer's scale tests (4,441 like a full BFCL v3 run, or 50,000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_llmeval.benchmarks.bfcl_v3.benchmark import CATEGORIES, BfclV3
from pytest_llmeval.records import SampleRecord
from pytest_llmeval.reporting.files import write_reports
from pytest_llmeval.reporting.gate import parse_threshold, shortfalls
from pytest_llmeval.reporting.rows import build_rows, usage_summary

SUBSET_SIZES = {
    "live_simple": 258, "live_multiple": 1053, "live_parallel": 16, "live_parallel_multiple": 24,
    "simple": 400, "multiple": 200, "parallel": 200, "parallel_multiple": 200, "java": 100,
    "javascript": 50, "multi_turn_base": 200, "multi_turn_miss_func": 200,
    "multi_turn_miss_param": 200, "multi_turn_long_context": 200, "irrelevance": 240,
    "live_relevance": 18, "live_irrelevance": 882,
}  # fmt: skip
SINGLE_RULES = [
    "value_error:string",
    "simple_function_checker:wrong_func_name",
    "ast_decoder:decoder_failed",
    "parallel_function_checker_no_order:cannot_find_match",
    "type_error:simple",
    "simple_function_checker:missing_required",
    "value_error:others",
]
MULTI_RULES = [
    "multi_turn:instance_state_mismatch",
    "multi_turn:execution_response_mismatch",
    "multi_turn:empty_turn_model_response",
]
WORDS = [
    "weather",
    "city",
    "forecast",
    "account",
    "balance",
    "transfer",
    "ticket",
    "flight",
    "hotel",
    "file",
    "folder",
    "directory",
    "message",
    "user",
    "stock",
    "price",
    "order",
    "vehicle",
    "engine",
    "door",
    "temperature",
    "report",
    "invoice",
    "calendar",
    "meeting",
    "reminder",
    "recipe",
    "distance",
    "route",
    "population",
    "currency",
    "rate",
    "translate",
    "summary",
]


def _doc(rng: random.Random, name: str) -> dict[str, Any]:
    properties = {
        f"{rng.choice(WORDS)}_{k}": {
            "type": rng.choice(["string", "integer", "boolean", "number"]),
            "description": " ".join(rng.choices(WORDS, k=rng.randint(5, 14))),
        }
        for k in range(rng.randint(1, 5))
    }
    return {
        "name": name,
        "description": " ".join(rng.choices(WORDS, k=rng.randint(8, 30))).capitalize() + ".",
        "parameters": {"type": "dict", "properties": properties, "required": list(properties)[:1]},
    }


def _args(rng: random.Random, doc: dict[str, Any]) -> dict[str, Any]:
    values = {
        "string": lambda: rng.choice(WORDS).title(),
        "integer": lambda: rng.randint(1, 500),
        "boolean": lambda: rng.random() < 0.5,
        "number": lambda: round(rng.random() * 100, 2),
    }
    return {k: values[p["type"]]() for k, p in doc["parameters"]["properties"].items()}


def _call_text(name: str, args: dict[str, Any]) -> str:
    return f"{name}({','.join(f'{k}={v!r}' for k, v in args.items())})"


def _response(text: str = "", calls: list[tuple[str, dict]] | None = None, **kw: Any) -> dict:
    return {
        "text": text,
        "reasoning": kw.get("reasoning", ""),
        "tool_calls": [
            {"name": n, "arguments": json.dumps(a), "id": f"call_{i}"}
            for i, (n, a) in enumerate(calls or [])
        ],
        "finish_reason": kw.get("finish", "tool_calls" if calls else "stop"),
    }


def _assistant(response: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": response["text"]}
    if response["tool_calls"]:
        message["tool_calls"] = [
            {"id": c["id"], "type": "function",
             "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in response["tool_calls"]
        ]  # fmt: skip
    return message


class Maker:
    def __init__(self, seed: int, wrong: float) -> None:
        self.rng = random.Random(seed)
        self.wrong = wrong
        self.pool = [_doc(self.rng, f"{w}_{i}") for i, w in enumerate(WORDS * 12)]
        self.classes = [self.rng.sample(self.pool, 18) for _ in range(8)]

    def record(self, subset: str, sample_id: str) -> dict[str, Any]:
        rng = self.rng
        multi = subset.startswith("multi_turn")
        docs = rng.choice(self.classes) if multi else rng.sample(self.pool, rng.randint(1, 4))
        fate = rng.random()
        kind = "passed"
        if fate < self.wrong:
            kind = "failed"
        if fate < 0.01:
            kind = "error"
        elif fate < 0.015 and not multi:
            kind = "refused"
        base = {
            "schema": 1, "nodeid": f"benchmarks/test_bfcl_v3.py::test_bfcl_v3[{sample_id}]",
            "dataset": "bfcl_v3", "subset": subset, "category": CATEGORIES[subset],
            "sample_id": sample_id, "repeat": 0, "labels": {},
            "judge_usage": {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0},
            "functions": docs, "cached": False, "error": None, "error_kind": None,
        }  # fmt: skip
        body = self._multi(docs, kind) if multi else self._single(subset, docs, kind)
        record = {**base, **body}
        passed = kind == "passed"
        record.update(
            passed=passed, verdict=kind, scored=True, metrics={"AverageAccuracy": float(passed)}
        )
        if kind == "error":
            record.update(
                error="HTTP 500: upstream model crashed", error_kind="service", tags=[],
                reason="error: HTTP 500: upstream model crashed",
            )  # fmt: skip
        calls = max(1, len(record["responses"]))
        record["usage"] = {
            "prompt_tokens": calls * rng.randint(200, 900),
            "completion_tokens": calls * rng.randint(10, 120), "calls": calls,
        }  # fmt: skip
        record["latency_s"] = round(calls * rng.lognormvariate(0, 0.6), 4)
        record["attempts"] = calls + (kind == "error")
        return record

    def _single(self, subset: str, docs: list[dict], kind: str) -> dict[str, Any]:
        rng = self.rng
        question = f"Please {' '.join(rng.choices(WORDS, k=rng.randint(8, 40)))}?"
        messages = [{"role": "user", "content": question}]
        relevance = "relevance" in subset and subset != "live_relevance"
        truth = (
            []
            if relevance
            else [{d["name"]: {k: [v] for k, v in _args(rng, d).items()}} for d in docs[:2]]
        )
        if kind == "refused":
            response = _response("I can't help with that request.", finish="content_filter")
        elif relevance:
            response = (
                _response("None of the functions fits.")
                if kind == "passed"
                else (_response(calls=[(docs[0]["name"], {})]))
            )
        else:
            calls = [(n, {k: v[0] for k, v in a.items()}) for g in truth for n, a in g.items()]
            if kind == "failed" and calls:
                name, args = calls[0]
                calls[0] = (name, {k: f"{v}_x" for k, v in args.items()})
            response = _response(calls=calls, reasoning="Pick the function." * (rng.random() < 0.1))
        rule = rng.choice(SINGLE_RULES) if not relevance else "irrelevance_error:decoder_success"
        refusal = ["ast_decoder:decoder_failed", "refused"]
        tags = {"passed": [], "failed": [rule], "refused": refusal, "error": []}[kind]
        reason = "ok" if kind == "passed" else f"{tags[0] if tags else 'error'}: expected a match"
        return {
            "messages": messages, "response": response, "responses": [response],
            "extracted": [{c["name"]: json.loads(c["arguments"])} for c in response["tool_calls"]]
            or None,
            "target": truth, "reason": reason, "tags": tags,
            "extra": {"functions_offered": [d["name"] for d in docs]},
        }  # fmt: skip

    def _multi(self, docs: list[dict], kind: str) -> dict[str, Any]:
        rng = self.rng
        turns = rng.randint(3, 5)
        messages: list[dict[str, Any]] = []
        responses, steps, truth = [], [], []
        failed_turn = rng.randrange(turns) if kind == "failed" else None
        for t in range(turns):
            messages.append(
                {"role": "user", "content": " ".join(rng.choices(WORDS, k=rng.randint(6, 25)))}
            )
            turn_steps, turn_truth = [], []
            for _ in range(rng.randint(1, 3)):
                doc = rng.choice(docs)
                args = _args(rng, doc)
                turn_truth.append(_call_text(doc["name"], args))
                if t == failed_turn:
                    args = {k: "wrong" for k in args}
                response = _response(calls=[(doc["name"], args)])
                responses.append(response)
                messages.append(_assistant(response))
                result = json.dumps({"result": " ".join(rng.choices(WORDS, k=rng.randint(4, 60)))})
                messages.append({"role": "tool", "content": result, "tool_call_id": "call_0"})
                turn_steps.append([[doc["name"], args]])
            final = _response("Done.")
            responses.append(final)
            messages.append(_assistant(final))
            steps.append(turn_steps)
            truth.append(turn_truth)
        rule = rng.choice(MULTI_RULES)
        reason = "ok" if kind == "passed" else f"{rule}: turn {failed_turn}: state differs"
        extra: dict[str, Any] = {"functions_offered": [d["name"] for d in docs], "steps": steps,
                                 "force_quit": False}  # fmt: skip
        if failed_turn is not None:
            extra["failed_turn"] = failed_turn
        return {
            "messages": messages, "response": responses[-1], "responses": responses,
            "extracted": steps, "target": truth, "reason": reason,
            "tags": [rule] if kind == "failed" else [], "extra": extra,
        }  # fmt: skip


def write_run(folder: Path, n: int = 4441, wrong: float = 0.3, seed: int = 0) -> Path:
    """A run folder of `n` samples spread over the subsets as in BFCL v3; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    maker = Maker(seed, wrong)
    total = sum(SUBSET_SIZES.values())
    records = []
    for subset, size in SUBSET_SIZES.items():
        for k in range(max(1, round(size * n / total))):
            records.append(maker.record(subset, f"{subset}_{k}"))
    records = records[:n]
    with (folder / "samples.jsonl").open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    benchmark = BfclV3()
    typed = [SampleRecord.from_dict(r) for r in records]
    rows = build_rows("synthetic", typed, {"bfcl_v3": benchmark})
    gate = [parse_threshold("bfcl_v3=0.7", lambda name: benchmark.figures())]
    errors = sum(1 for r in records if r["error"])
    gate_lines = shortfalls(gate, rows, {"bfcl_v3": (errors, len(records))}, 0.05)
    now = dt.datetime.now(dt.UTC).isoformat()
    meta = {
        "model": {"model": "synthetic", "base_url": "http://127.0.0.1:1/v1", "api_key": None,
                  "generation": {"temperature": 0.7}},
        "judge": None, "plugin_version": "synthetic",
        "datasets": {"bfcl_v3": {"source": "synthetic", "samples": len(records),
                                 "content_hash": f"seed{seed}"}},
        "usage": usage_summary(typed), "limit": None, "repeats": 1, "started": now,
        "finished": now, "wall_s": 0.0, "command": ["bench/synthetic_run.py", str(n)],
        "thresholds": ["bfcl_v3=0.7"], "gate_shortfalls": gate_lines, "usage_errors": [],
        "exit_status": 1 if gate_lines else 0,
    }  # fmt: skip
    write_reports(folder, rows, meta)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("-n", type=int, default=4441)
    parser.add_argument("--wrong", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(write_run(args.output, args.n, args.wrong, args.seed))


if __name__ == "__main__":
    main()
