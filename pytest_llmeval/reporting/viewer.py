"""The results viewer: one self-contained HTML page for one or several finished runs.

`write_viewer(run_dirs, output)` reads each run folder (`report.json`, `samples.jsonl`) and
writes one HTML file that works from file://, offline, with nothing fetched at view time.

What the page embeds:
- an index, plain JSON in a `<script type="application/json">` (every `<` escaped): the runs'
  rows and metadata, the gate per threshold, and per run one column per field the sample list
  shows or filters on (dataset, subset, category, id, repeat, verdict, rule, reason, latency,
  tokens), categorical values as numbers into one table of names;
- the records themselves, one JSON line each, deduplicated (long strings and large repeated
  values, such as the same function docs offered to 800 samples or the same conversation in two
  runs, are stored once and referenced), then deflated and base64-encoded; the page inflates
  them with the browser's DecompressionStream and parses a record only when it is shown.

Records of older runs load too: `verdict` and the failing turn of a multi-turn sample are
derived when a record does not carry them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..gc_pause import without_gc
from .rows import table_order

VERDICTS = ("passed", "failed", "error", "refused")
MIN_SHARED_VALUE = 160  # a repeat of a value this long as JSON refers to its first copy
REASON_CHARS = 200
_ESCAPE, _REF, _SEP = "\x01", "\x02", "\x03"
_TURN = re.compile(r"\bturn (\d+):")
_RAN_TURNS = re.compile(r"model ran (\d+) of (\d+) turns")
_PLACEHOLDER = re.compile(r"\{\{(TITLE|CSS|JS|INDEX|DETAILS)\}\}")


class ViewerInputError(Exception):
    """A run folder that cannot be shown; the message is one line for the user."""


@dataclass
class RunData:
    folder: Path
    rows: list[dict[str, Any]]
    meta: dict[str, Any]
    records: list[dict[str, Any]]


# -- reading run folders ----------------------------------------------------------------------


def read_run(folder: Path) -> RunData:
    """One finished run folder; ViewerInputError (one line) when it is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ViewerInputError(f"{folder}: no such run folder")
    report_path = folder / "report.json"
    if not report_path.is_file():
        raise ViewerInputError(f"{folder}: no report.json (not a finished pytest-llmeval run)")
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ViewerInputError(f"{report_path}: unreadable ({_why(error)})") from None
    if not isinstance(report, dict) or not isinstance(report.get("rows"), list):
        raise ViewerInputError(f"{report_path}: not a pytest-llmeval report (no rows)")
    meta = report.get("meta") if isinstance(report.get("meta"), dict) else {}
    return RunData(folder, report["rows"], meta, _read_samples(folder / "samples.jsonl"))


def _read_samples(path: Path) -> list[dict[str, Any]]:
    """samples.jsonl; a run stopped by a usage error has none (no samples, not an error)."""
    if not path.exists():
        return []
    records = []
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ViewerInputError(
                        f"{path}: line {number} is not JSON ({error.msg})"
                    ) from None
                if not isinstance(record, dict) or "dataset" not in record:
                    raise ViewerInputError(f"{path}: line {number} is not a sample record")
                records.append(record)
    except (OSError, UnicodeDecodeError) as error:
        raise ViewerInputError(f"{path}: unreadable ({_why(error)})") from None
    return records


def _why(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno}"
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return type(error).__name__


# -- what the sample list shows, derived where older records lack it -----------------------


def verdict_of(record: dict[str, Any]) -> str:
    verdict = record.get("verdict")
    if verdict in VERDICTS:
        return verdict
    if record.get("error"):
        return "error"
    if "refused" in (record.get("tags") or []):
        return "refused"
    return "passed" if record.get("passed") else "failed"


def failed_turn_of(record: dict[str, Any]) -> int | None:
    """The multi-turn turn that failed: `extra.failed_turn`, else read from the reason."""
    extra = record.get("extra") or {}
    if record.get("passed"):
        return None
    if isinstance(extra, dict) and isinstance(extra.get("failed_turn"), int):
        return extra["failed_turn"]
    if not isinstance(extra, dict) or "steps" not in extra:
        return None
    reason = record.get("reason") or ""
    if match := _TURN.search(reason):
        return int(match.group(1))
    if match := _RAN_TURNS.search(reason):  # force-terminated: the last turn it reached
        return max(int(match.group(1)) - 1, 0)
    return None


def rules_of(record: dict[str, Any], verdict: str) -> list[str]:
    """What the failure-reason filter offers: the checker's rule names (the record's tags)."""
    tags = [str(tag) for tag in record.get("tags") or []]
    if verdict == "error":
        return [f"error:{record.get('error_kind') or 'unknown'}", *tags]
    if verdict == "passed" or tags:
        return tags
    return ["(no rule)"]


def short_reason(record: dict[str, Any], verdict: str) -> str:
    text = record.get("error") if verdict == "error" else record.get("reason")
    text = str(text or "").strip()
    first = text.splitlines()[0] if text else ""
    if verdict == "error" and first and not first.startswith("error"):
        first = f"error: {first}"
    return first if len(first) <= REASON_CHARS else first[: REASON_CHARS - 1] + "…"


# -- the gate per threshold ---------------------------------------------------------------


def gate_of(rows: list[dict[str, Any]], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Each threshold of the run with the figure it named, the measured value and the verdict."""
    from .gate import parse_threshold  # the plugin's own reading of DATASET[:M][:S]=MIN

    metrics: dict[str, list[str]] = {}
    subsets: dict[str, list[str]] = {}
    for row in rows:
        dataset = str(row.get("dataset"))
        if row.get("metric") not in metrics.setdefault(dataset, []):
            metrics[dataset].append(row.get("metric"))
        if row.get("subset") not in subsets.setdefault(dataset, []):
            subsets[dataset].append(row.get("subset"))

    def figures(dataset: str) -> tuple[list[str], list[str]]:
        if dataset not in metrics:
            raise KeyError(f"no rows for {dataset}")
        return metrics[dataset], [s for s in subsets[dataset] if s != "OVERALL"]

    measured = {(r.get("dataset"), r.get("metric"), r.get("subset")): r.get("score") for r in rows}
    gate = []
    for text in meta.get("thresholds") or []:
        try:
            threshold = parse_threshold(str(text), figures)
        except Exception:  # a threshold this report cannot resolve: shown, not judged
            gate.append({"text": text, "passed": None})
            continue
        value = measured.get((threshold.dataset, threshold.metric, threshold.subset))
        gate.append(
            {
                "text": text,
                "dataset": threshold.dataset,
                "metric": threshold.metric,
                "subset": threshold.subset,
                "minimum": threshold.minimum,
                "measured": value,
                "passed": value is not None and value >= threshold.minimum,
            }
        )
    return gate


# -- packing -----------------------------------------------------------------------------


class _Names:
    """One table of the categorical strings of the index (datasets, subsets, rules, ...)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: Any) -> int:
        text = "" if value is None else str(value)
        if text not in self._index:
            self._index[text] = len(self.items)
            self.items.append(text)
        return self._index[text]


class _Packer:
    """The records as lines of JSON where a large value seen before is a reference to where it
    was first written.

    Two levels are looked at: a record's values (depth 0) and their items or fields (depth 1),
    where the repeats are (the same function docs, tool results, conversations and targets in
    many samples or in two runs). A repeat of a value at least MIN_SHARED_VALUE long as JSON
    becomes "\x02" + the first occurrence's line number in base 36 + "\x03" + its key (+ "\x03"
    + its index or field, at depth 1). Values are serialized by the C encoder, a large one twice
    (whole, then item by item), so packing costs one to two serializations of the records.
    A real string at those two levels that starts with "\x01" or "\x02" gets one "\x01" in front.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._first: dict[tuple[int, bytes], str] = {}
        self._keys: dict[Any, str] = {}

    def add(self, record: dict[str, Any]) -> int:
        """Append the record's line; its line number."""
        line = _base36(len(self.lines))
        keys = self._keys
        parts = []
        for name, value in record.items():
            text = keys.get(name)
            if text is None:
                text = keys[name] = _dumps(str(name)) + ":"
            parts.append(text + self._top(value, (line, str(name))))
        self.lines.append("{" + ",".join(parts) + "}")
        return len(self.lines) - 1

    def _top(self, value: Any, where: tuple[str, ...]) -> str:
        if isinstance(value, (dict, list)):
            whole = _dumps(value)
            if len(whole) < MIN_SHARED_VALUE and "\\u000" not in whole:
                return whole  # nothing in it to share or to escape
            ref = self._seen(0, whole, where)  # the same encoder: `whole` is its parts joined
            if ref is not None:
                return ref
            if isinstance(value, dict):
                return (
                    "{"
                    + ",".join(
                        f"{_dumps(str(name))}:{self._item(item, _dumps(item), (*where, str(name)))}"
                        for name, item in value.items()
                    )
                    + "}"
                )
            return (
                "["
                + ",".join(
                    self._item(item, _dumps(item), (*where, str(i))) for i, item in enumerate(value)
                )
                + "]"
            )
        return self._item(value, _dumps(value), where, depth=0)

    def _item(self, value: Any, text: str, where: tuple[str, ...], depth: int = 1) -> str:
        if isinstance(value, str) and value[:1] in (_ESCAPE, _REF):
            return _dumps(_ESCAPE + value)
        ref = self._seen(depth, text, where)
        return text if ref is None else ref

    def _seen(self, depth: int, text: str, where: tuple[str, ...]) -> str | None:
        """The reference to an earlier copy of `text`; None (and `where` noted) if first."""
        if len(text) < MIN_SHARED_VALUE:
            return None
        key = (depth, _digest(text))
        ref = self._first.get(key)
        if ref is None and not any(_SEP in part for part in where):
            self._first[key] = _dumps(_REF + _SEP.join(where))
        return ref


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_dumps = _ENCODE


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _columns(records: list[dict[str, Any]], names: _Names, combos: _Names) -> dict[str, list]:
    columns: dict[str, list[Any]] = {
        key: []
        for key in (
            "ds", "sub", "cat", "id", "rep", "ver", "why", "rules", "lat", "tok", "calls",
            "turn", "cl", "cached",
        )
    }  # fmt: skip
    for record in records:
        verdict = verdict_of(record)
        usage = record.get("usage") or {}
        turn = failed_turn_of(record)
        columns["ds"].append(names(record.get("dataset")))
        columns["sub"].append(names(record.get("subset")))
        columns["cat"].append(names(record.get("category")))
        columns["id"].append(str(record.get("sample_id")))
        columns["rep"].append(int(record.get("repeat") or 0))
        columns["ver"].append(VERDICTS.index(verdict))
        columns["why"].append(names(short_reason(record, verdict)))
        rules = [names(rule) for rule in rules_of(record, verdict)]
        columns["rules"].append(combos(",".join(map(str, rules))))
        columns["lat"].append(round(float(record.get("latency_s") or 0) * 1000))
        columns["tok"].append(
            int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
        )
        columns["calls"].append(int(usage.get("calls") or 0))
        columns["turn"].append(-1 if turn is None else turn)
        cluster = record.get("cluster")
        columns["cl"].append(-1 if cluster in (None, "") else names(cluster))
        columns["cached"].append(1 if record.get("cached") else 0)
    return columns


def build_payload(runs: list[RunData]) -> tuple[str, str]:
    """(index JSON, base64 of the deflated record lines) for the page."""
    ordered = [table_order(run.rows, run.records) for run in runs]
    packer = _Packer()
    names, combos = _Names(), _Names()
    index_runs = []
    for position, (run, records) in enumerate(zip(runs, ordered)):
        model = (
            (run.meta.get("model") or {}).get("model")
            if isinstance(run.meta.get("model"), dict)
            else run.meta.get("model")
        )
        model = model or next((row.get("model") for row in run.rows), None) or "model"
        index_runs.append(
            {
                "label": f"#{position + 1} {model}",
                "model": model,
                "folder": str(run.folder.resolve()),
                "name": run.folder.resolve().name,
                "rows": [{**row, "score_text": _score_text(row.get("score"))} for row in run.rows],
                "meta": run.meta,
                "gate": gate_of(run.rows, run.meta),
                "n": len(records),
                "cols": {
                    **_columns(records, names, combos),
                    "line": [packer.add(record) for record in records],
                },
            }
        )
    body = "\n".join(packer.lines)
    index = {
        "format": 1,
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "verdicts": VERDICTS,
        "names": names.items,
        "combos": [[int(i) for i in combo.split(",")] if combo else [] for combo in combos.items],
        "runs": index_runs,
    }
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)  # 9: twice the time, 1% smaller
    packed = deflater.compress(body.encode("utf-8")) + deflater.flush()
    return _script_json(index), base64.b64encode(packed).decode("ascii")


def _score_text(score: Any) -> str:
    """The score as the terminal table prints it."""
    from .table import format_score

    return format_score(score) if isinstance(score, (int, float)) else "-"


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: no `<` at all (so no `</script>`, no
    `<!--`); U+2028/9 escaped for older parsers."""
    return (
        _dumps(value)
        .replace("<", "\\u003c")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# -- the page ----------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("viewer_assets", name).read_text("utf-8")


def render_html(runs: list[RunData]) -> str:
    index, details = build_payload(runs)
    script = _asset("viewer.js")
    style = _asset("viewer.css")
    if "</script" in script.lower() or "</style" in style.lower():
        raise RuntimeError("viewer assets must not close their own element")
    models = list(dict.fromkeys(r["model"] for r in json.loads(index)["runs"]))
    from html import escape

    parts = {
        "TITLE": escape(f"pytest-llmeval viewer: {', '.join(models) or 'no runs'}"),
        "CSS": style,
        "JS": script,
        "INDEX": index,
        "DETAILS": details,
    }
    return _PLACEHOLDER.sub(lambda match: parts[match.group(1)], _asset("viewer.html"))


def write_viewer(run_dirs: list[Path], output: Path) -> Path:
    """Write the viewer of these finished runs to `output` (one self-contained HTML file).

    Raises ViewerInputError with a one-line message for a folder that is not a finished run.
    Returns the path written.
    """
    if not run_dirs:
        raise ViewerInputError("no run folder given")
    with without_gc():
        runs = [read_run(Path(folder)) for folder in run_dirs]
        page = render_html(runs)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".viewer-", suffix=".html")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page)
        os.chmod(temporary, 0o644)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return output
