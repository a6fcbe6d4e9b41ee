"""Re-score a finished run from its records with the current scorers: no model call.

For users who fix a scorer or compare two: the records hold what the model sent (every reply,
the conversation, the decoded multi-turn steps, the judge's grade), the samples are reloaded
from the data the run used, and a new run folder gets the new verdicts and table.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from .benchmarks import REGISTRY, Benchmark
from .records import Outcome, Response, Row, SampleRecord, ToolCall, plain, verdict_name
from .reporting.files import SamplesFile, run_dir_path, write_reports
from .reporting.rows import build_rows, table_order
from .reporting.viewer import write_viewer


class RescoreError(Exception):
    """A run folder that cannot be re-scored; the message is one line."""


def read_run(run_dir: Path) -> tuple[dict[str, Any], list[SampleRecord]]:
    try:
        report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
        lines = (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
        records = [SampleRecord.from_dict(json.loads(line)) for line in lines if line.strip()]
    except (OSError, ValueError, TypeError) as error:
        raise RescoreError(f"{run_dir}: not a finished run folder ({error})") from None
    return report, records


def _response(reply: dict[str, Any]) -> Response:
    listed = reply.get("tool_calls")
    return Response(
        reply.get("text") or "",
        reply.get("reasoning") or "",
        [ToolCall(**call) for call in listed or []],
        reply.get("finish_reason"),
        null_content=reply.get("text") is None,
        listed_tool_calls=listed is not None,
    )


def _outcome(record: SampleRecord) -> Outcome:
    replies = record.responses or ([record.response] if record.response else [])
    responses = [_response(reply) for reply in replies]
    messages = [*record.messages, *([responses[-1].message()] if responses else [])]
    return Outcome(responses=responses, messages=messages, extra=dict(record.extra))


def _source(entry: dict[str, Any]) -> str | None:
    source = str(entry.get("source", ""))
    return None if source.startswith(("hub:", "bfcl-eval ")) or source == "hub" else source


def rescore(run_dir: Path, output: Path | None = None) -> Path:
    """The re-scored run's folder (under `output`, default beside the run)."""
    report, records = read_run(run_dir)
    meta = report.get("meta", {})
    benchmarks = benchmarks_of(meta, records)
    samples = {
        name: {s.id: s for s in benchmark.load(_source(meta.get("datasets", {}).get(name, {})))}
        for name, benchmark in benchmarks.items()
    }
    rescored = []
    for record in records:
        sample = samples[record.dataset].get(record.sample_id)
        if record.error is not None or sample is None:
            rescored.append(record)  # a failed call has nothing to score; kept as it was
            continue
        verdict = benchmarks[record.dataset].verdict(sample, _outcome(record))
        rescored.append(
            replace(
                record,
                verdict=verdict_name(verdict.passed, None, verdict.tags),
                passed=verdict.passed,
                reason=verdict.reason,
                metrics=verdict.metrics,
                tags=verdict.tags,
                extracted=plain(verdict.extracted),
            )
        )
    folder = run_dir_path(output or run_dir.parent, f"{model_of(meta)}-rescored")
    write_run(folder, rescored, benchmarks, {**meta, "rescored_from": str(run_dir)})
    return folder


def model_of(meta: dict[str, Any]) -> str:
    return (meta.get("model") or {}).get("model") or "model"


def benchmarks_of(meta: dict[str, Any], records: list[SampleRecord]) -> dict[str, Benchmark]:
    """The benchmarks of the records' datasets, with the options and repeats the run had."""
    options, repeats = meta.get("options") or {}, int(meta.get("repeats") or 1)
    names = sorted({record.dataset for record in records})
    return {name: REGISTRY.get(name)(options, repeats) for name in names}


def write_run(
    folder: Path, records: list[SampleRecord], benchmarks: dict[str, Benchmark], meta: dict
) -> list[Row]:
    """A run folder made at once from finished records (a re-scored or a merged run):
    samples.jsonl in the table's order, report.json and .csv, viewer.html. Its rows."""
    rows = build_rows(model_of(meta), records, benchmarks)
    file = SamplesFile(folder / "samples.jsonl")
    file.touch()
    for data in table_order([row.to_dict() for row in rows], [r.to_dict() for r in records]):
        file.append(data)
    file.close()
    write_reports(folder, rows, meta)
    write_viewer([folder], folder / "viewer.html")
    return rows


def main(argv: list[str] | None = None) -> int:
    """`pytest-llmeval rescore RUN_DIR [--output DIR]`: prints the new run folder."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="pytest-llmeval rescore", description=__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--output", type=Path, default=None, help="where the new run folder goes")
    args = parser.parse_args(argv)
    try:
        folder = rescore(args.run_dir, args.output)
    except Exception as error:  # a broken folder or data: one line, never a traceback
        print(f"pytest-llmeval rescore: {error}", file=sys.stderr)
        return 2
    print(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
