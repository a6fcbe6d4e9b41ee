"""`pytest-llmeval merge SHARD_DIR ... [--output DIR]`: the run folders of shards as one run.

Each shard (`--llm-shard I/N`) wrote its own folder; together they hold every record of the
unsharded run, so the merged folder is built from them the way a re-scored run is (rescore.py):
its table, report files, samples.jsonl (in the table's order) and viewer equal those of the
run done in one go. Shards that do not belong together are refused with one line: different
settings, different data, a different N, an index twice or one missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import Row, SampleRecord
from .reporting.controller import partial_lines, partial_run
from .reporting.files import run_dir_path
from .reporting.gate import error_counts, parse_threshold, shortfalls
from .reporting.rows import build_rows, usage_summary
from .rescore import benchmarks_of, model_of, read_run, write_run


class MergeError(Exception):
    """Shard folders that cannot be merged; the message is one line."""


@dataclass(frozen=True)
class ShardRun:
    folder: Path
    meta: dict[str, Any]
    records: list[SampleRecord]
    index: int
    count: int

    @property
    def text(self) -> str:
        return f"{self.folder} (shard {self.index}/{self.count})"


def read_shard(folder: Path) -> ShardRun:
    report, records = read_run(folder)
    meta = report.get("meta") or {}
    shard = meta.get("shard")
    if not isinstance(shard, dict):
        raise MergeError(f"{folder}: not a shard's run (it was not run with --llm-shard I/N)")
    return ShardRun(folder, meta, records, int(shard["index"]), int(shard["count"]))


def settings(meta: dict[str, Any]) -> dict[str, Any]:
    """What must be the same in every shard for their records to make one run (the base URL
    need not: each shard may ask its own replica)."""
    model, judge = meta.get("model") or {}, meta.get("judge") or {}
    return {
        "model": model.get("model"),
        "generation settings": model.get("generation"),
        "judge": judge.get("model"),
        "judge settings": judge.get("generation"),
        "benchmark options": meta.get("options"),
        "repeats": meta.get("repeats"),
        "limit": meta.get("limit"),
        "plugin version": meta.get("plugin_version"),
    }


def check(shards: list[ShardRun]) -> None:
    """MergeError with one line unless the shards are the N slices of one run, once each."""
    first = shards[0]
    for other in shards[1:]:
        if other.count != first.count:
            raise MergeError(f"shards of different N: {first.text}, {other.text}")
        mine, theirs = settings(first.meta), settings(other.meta)
        for name, value in mine.items():
            if theirs[name] != value:
                raise MergeError(
                    f"{other.text} differs from {first.text} in {name}: {theirs[name]!r} "
                    f"vs {value!r}"
                )
        hashes, their_hashes = _hashes(first.meta), _hashes(other.meta)
        for name in sorted(set(hashes) | set(their_hashes)):
            if hashes.get(name) != their_hashes.get(name):
                raise MergeError(
                    f"{other.text} differs from {first.text} in its {name} data (content hash "
                    f"{their_hashes.get(name)} vs {hashes.get(name)})"
                )
    seen: dict[int, ShardRun] = {}
    for shard in shards:
        if shard.index in seen:
            raise MergeError(f"shard {shard.index}/{shard.count} twice: {seen[shard.index].folder}"
                             f" and {shard.folder}")  # fmt: skip
        seen[shard.index] = shard
    missing = [f"{i}/{first.count}" for i in range(first.count) if i not in seen]
    if missing:
        raise MergeError(f"shards missing: {', '.join(missing)} (run them, then merge all)")


def _hashes(meta: dict[str, Any]) -> dict[str, Any]:
    return {name: source.get("content_hash") for name, source in meta["datasets"].items()}


def merged_meta(shards: list[ShardRun], records: list[SampleRecord]) -> dict[str, Any]:
    """The first shard's metadata with what spans the shards recomputed: the items selected
    (so a complete set is no partial run), usage, times, notices and the exit status."""
    first = shards[0].meta
    datasets = {}
    for name, source in first["datasets"].items():
        merged = {key: value for key, value in source.items() if key != "selected"}
        merged["load_s"] = max(s.meta["datasets"][name].get("load_s", 0) for s in shards)
        selected: dict[str, int] = {}
        for shard in shards:
            for subset, count in shard.meta["datasets"][name].get("selected", {}).items():
                selected[subset] = selected.get(subset, 0) + count
        datasets[name] = {**merged, **({"selected": selected} if selected else {})}
    started = min(s.meta["started"] for s in shards)
    finished = max(s.meta["finished"] for s in shards)
    wall = dt.datetime.fromisoformat(finished) - dt.datetime.fromisoformat(started)
    return {
        **first,
        "datasets": datasets,
        "usage": usage_summary(records),
        "shard": None,
        "started": started,
        "finished": finished,
        "wall_s": round(wall.total_seconds(), 3),
        "command": ["pytest-llmeval", "merge", *(str(s.folder) for s in shards)],
        "partial": partial_run(datasets, records),
        "usage_errors": _union(s.meta.get("usage_errors") or [] for s in shards),
        "notices": _union(s.meta.get("notices") or [] for s in shards),
        "merged_from": [
            {"folder": str(s.folder), "shard": s.meta["shard"], "command": s.meta.get("command")}
            for s in shards
        ],
    }


def _union(lists: Any) -> list[str]:
    return list(dict.fromkeys(line for lines in lists for line in lines))


def gate(meta: dict[str, Any], records: list[SampleRecord], benchmarks: dict) -> list[str] | None:
    """The shards' thresholds applied to the merged rows, as the unsharded run applies them
    (each shard's own verdict was on its slice only); None when there were none."""
    texts = meta.get("thresholds") or []
    if not texts:
        return None
    rows = build_rows(model_of(meta), records, benchmarks)

    def figures(name: str) -> tuple[list[str], list[str]]:
        if name not in benchmarks:
            raise KeyError(f"no {name} records in the shards")
        return benchmarks[name].figures()

    thresholds = [parse_threshold(text, figures) for text in texts]
    return shortfalls(thresholds, rows, error_counts(records), meta.get("max_error_rate") or 0.0)


def merge(
    folders: list[Path], output: Path | None = None
) -> tuple[Path, list[Row], list[str], list[str] | None]:
    """(the merged run's folder, its rows, its partial-run lines, its gate's shortfalls or None
    without thresholds); the folder goes under `output`, by default beside the first shard's."""
    shards = sorted((read_shard(folder) for folder in folders), key=lambda s: s.index)
    check(shards)
    records = [record for shard in shards for record in shard.records]
    meta = merged_meta(shards, records)
    benchmarks = benchmarks_of(meta, records)
    shortfall = gate(meta, records, benchmarks)
    meta["gate_shortfalls"] = shortfall
    worst = max(int(s.meta.get("exit_status") or 0) for s in shards)
    meta["exit_status"] = worst if shortfall is None else int(bool(shortfall))
    folder = run_dir_path(output or shards[0].folder.parent, f"{model_of(meta)}-merged")
    rows = write_run(folder, records, benchmarks, meta)
    return folder, rows, partial_lines(meta["partial"]), shortfall


def main(argv: list[str] | None = None) -> int:
    """Prints the merged run's table and folder."""
    import argparse
    import sys

    from .reporting.table import format_table

    parser = argparse.ArgumentParser(prog="pytest-llmeval merge", description=__doc__)
    parser.add_argument("shard_dirs", nargs="+", type=Path, metavar="SHARD_DIR")
    parser.add_argument("--output", type=Path, default=None, help="where the merged folder goes")
    args = parser.parse_args(argv)
    try:
        folder, rows, partial, shortfall = merge(args.shard_dirs, args.output)
    except Exception as error:  # shards that do not fit, a broken folder: one line
        print(f"pytest-llmeval merge: {error}", file=sys.stderr)
        return 2
    print(format_table(rows))
    for line in partial:
        print(line)
    if shortfall:
        print("gate FAILED:")
        print("\n".join(f"  {line}" for line in shortfall))
    elif shortfall == []:
        print("gate passed (on the merged rows)")
    print(f"reports in {folder}")
    return 1 if shortfall else 0


if __name__ == "__main__":
    raise SystemExit(main())
