"""The files of a run folder: report.json, report.csv and samples.jsonl."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from ..records import Row
from .table import COLUMNS, ROW_KEYS

UNCERTAINTY_COLUMNS = ("SE", "CI low", "CI high", "CI method", "Clusters", "df")
UNCERTAINTY_KEYS = ("se", "ci_low", "ci_high", "ci_method", "n_clusters", "df")
ROUNDED = {"score", "se", "ci_low", "ci_high", "df"}


def write_reports(
    folder: Path,
    rows: Sequence[Row],
    meta: dict[str, Any],
    comparison: dict[str, Any] | None = None,
) -> None:
    """report.json (rows + run metadata, and the comparison with a baseline when there is
    one) and report.csv (the same rows: the table's columns, then each score's SE, 95%
    interval, its method, the clusters and degrees of freedom)."""
    folder.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"rows": [row.to_dict() for row in rows], "meta": meta}
    if comparison is not None:
        report["comparison"] = comparison
    (folder / "report.json").write_text(json_text(report, indent=2), encoding="utf-8")
    keys = (*ROW_KEYS, *UNCERTAINTY_KEYS)
    with (folder / "report.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow((*COLUMNS, *UNCERTAINTY_COLUMNS))
        for row in rows:
            values = row.to_dict()
            for key in ROUNDED:
                if values[key] is not None:
                    values[key] = round(values[key], 6)
            writer.writerow(["" if values[k] is None else values[k] for k in keys])


def run_dir_path(output: Path, model: str | None) -> Path:
    """Where this run's files go, <output>/<UTC time>-<model>; created on first write."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    safe_model = "".join(c if c.isalnum() or c in "-._" else "_" for c in (model or "model"))
    folder = output / f"{stamp}-{safe_model}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = output / f"{stamp}-{safe_model}-{suffix}"
    return folder


def check_output(output: Path) -> None:
    """The output folder can take run folders: ValueError with one line when it cannot."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(f"--llm-output {output}: cannot write there ({reason})") from None


def json_text(data: Any, indent: int | None = None) -> str:
    """JSON that any text survives: a lone surrogate, which UTF-8 cannot encode, is written
    as its \\u escape instead."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, indent=indent)
    return text


PARTS = ".parts"
"""The run folder's subfolder where local xdist workers write their records (one file each),
which the controller appends to samples.jsonl at the end: only a summary travels per item."""


class SamplesFile:
    """samples.jsonl, appended to as each record arrives, so an interrupted run keeps them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def _writer(self) -> IO[str]:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        return self._handle

    def append(self, record: dict[str, Any]) -> None:
        handle = self._writer()
        handle.write(json_text(record) + "\n")
        handle.flush()

    def absorb(self, folder: Path) -> None:
        """Append the part files in `folder` (xdist workers write their records there), remove
        them, and close the file."""
        if folder.is_dir():
            for part in sorted(folder.glob("samples.*.jsonl")):
                text = part.read_text(encoding="utf-8")
                if text:
                    self._writer().write(text if text.endswith("\n") else text + "\n")
                part.unlink()
            if not any(folder.iterdir()):
                folder.rmdir()
        self.close()

    def touch(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
