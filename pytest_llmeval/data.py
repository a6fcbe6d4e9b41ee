"""Loading benchmark rows: hub datasets through `datasets`, or local files in the hub's schema.

A local source is one JSONL/JSON/parquet/CSV file, or a folder holding one such file per
subset named after the subset (``AIME2025-I.jsonl``; names match case-insensitively); for a
benchmark of one subset, a folder holding one such file, whatever its name. Rows stay
plain dicts; a benchmark maps field names with `pick`, so other copies of a dataset load too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

TABLE_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv")


class DataError(Exception):
    """Data that cannot be read; the message is one line a user can act on."""


def read_table(path: Path) -> list[dict[str, Any]]:
    """Rows of one file; JSON may be a list of rows or one object per line."""
    suffix = path.suffix.lower()
    if not path.is_file():  # a FIFO or a device would hang or never end
        raise DataError(f"cannot read {path}: not a regular file")
    try:
        if suffix == ".jsonl":
            return _read_json_lines(path)
        if suffix == ".json":
            text = path.read_text(encoding="utf-8")
            stripped = text.lstrip()
            if stripped.startswith("["):
                return _rows(json.loads(text), path)
            return _read_json_lines(path)
        if suffix in (".parquet", ".csv"):
            import pandas as pd

            frame = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path, dtype=str)
            return frame.to_dict(orient="records")
    except RecursionError:
        raise DataError(f"cannot read {path}: nested too deeply") from None
    except (OSError, ValueError, UnicodeDecodeError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"cannot read {path}: {first_line}") from None
    raise DataError(f"cannot read {path}: expected one of {', '.join(TABLE_SUFFIXES)}")


def _read_json_lines(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"cannot read {path}:{number}: {error.msg}") from None
            except RecursionError:
                raise DataError(f"cannot read {path}:{number}: nested too deeply") from None
            if not isinstance(row, dict):
                raise DataError(
                    f"cannot read {path}:{number}: expected an object, got {type(row).__name__}"
                )
            rows.append(row)
    return rows


def _rows(data: Any, path: Path) -> list[dict[str, Any]]:
    """A JSON array of objects, or one clear line naming the first row that is not."""
    for number, row in enumerate(data, 1):
        if not isinstance(row, dict):
            raise DataError(
                f"cannot read {path}: row {number} is a {type(row).__name__}, not an object"
            )
    return data


def read_local(path: Path, subsets: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Rows by subset: a folder gives one file per subset, a file gives its rows under ''."""
    if not path.exists():
        raise DataError(f"no such file or folder: {path}")
    if path.is_file():
        return {"": read_table(path)}
    if not path.is_dir():
        raise DataError(f"cannot read {path}: not a regular file or folder")
    files = {
        f.stem.lower(): f for f in sorted(path.iterdir()) if f.suffix.lower() in TABLE_SUFFIXES
    }
    found = {
        subset: read_table(files[subset.lower()]) for subset in subsets if subset.lower() in files
    }
    if not found and len(subsets) == 1 and len(files) == 1:  # one subset, one file: that one
        return {"": read_table(next(iter(files.values())))}
    if not found:
        expected = ", ".join(f"{s}.jsonl" for s in subsets)
        raise DataError(f"{path} holds no subset file (expected one of: {expected})")
    return found


def read_hub(path: str, config: str | None, split: str) -> list[dict[str, Any]]:
    """Rows of a hub dataset (cached by `datasets` after the first download)."""
    try:
        import datasets

        return list(datasets.load_dataset(path, config, split=split))
    except Exception as error:
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise DataError(
            f"cannot load hub dataset {path}{'/' + config if config else ''}: {reason}"
        ) from None


def pick(row: dict[str, Any], candidates: Iterable[str], what: str) -> Any:
    """The first field present among `candidates`: one mapping serves several copies."""
    for name in candidates:
        if name in row and row[name] is not None:
            return row[name]
    raise DataError(
        f"row has no {what} field (looked for {', '.join(candidates)}; has {', '.join(row)})"
    )


def content_hash(rows: Iterable[Any]) -> str:
    """A short fingerprint of the data actually used, for the report."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(
            json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode(
                "utf-8", "surrogatepass"
            )
        )
    return digest.hexdigest()[:16]
