"""Collection time of every built-in benchmark at full size. Prints numbers.

BFCL v3 uses its real data (bfcl-eval); AIME 2025, SimpleQA and Chinese SimpleQA use files of
the real row counts (30 / 4,326 / 3,000) in each hub schema, written here, since the hub is not
reachable. `--collect-only` does not start or probe any server.

    python bench/collect.py
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from common import PYTHON, measure, table

CHINESE = [
    "中华文化",
    "人文与社会科学",
    "工程、技术与应用科学",
    "生活、艺术与文化",
    "社会",
    "自然与自然科学",
]


def write_data(folder: Path) -> list[str]:
    """Full-size data files; returns the --llm-data options that point at them."""
    aime = folder / "aime25"
    aime.mkdir()
    for part in ("AIME2025-I", "AIME2025-II"):
        rows = [
            {"question": f"{part} problem {i}: 1+{i}?", "answer": str(1 + i)} for i in range(15)
        ]
        (aime / f"{part}.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    simple = folder / "simple_qa.jsonl"
    meta = repr({"topic": "Science", "answer_type": "Number", "urls": []})
    simple.write_text(
        "\n".join(
            json.dumps({"metadata": meta, "problem": f"Question {i}?", "answer": str(i)})
            for i in range(4326)
        )
    )
    chinese = folder / "chinese_simpleqa.jsonl"
    rows = [
        {"id": f"z{i}", "primary_category": CHINESE[i % 6], "secondary_category": "x",
         "question": f"问题{i}？", "answer": str(i)}
        for i in range(3000)
    ]  # fmt: skip
    chinese.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    return [
        f"--llm-data=aime25={aime}",
        f"--llm-data=simple_qa={simple}",
        f"--llm-data=chinese_simpleqa={chinese}",
    ]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="llmeval-collect-"))
    data = write_data(folder)
    base = [PYTHON, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    model = ["--llm-model=m", "--llm-base-url=http://127.0.0.1:9/v1", "--llm-judge-model=j"]
    rows = []
    for label, args in (
        ("all four benchmarks", ["benchmarks", *model, *data]),
        ("bfcl_v3", ["benchmarks/test_bfcl_v3.py", *model]),
        ("simple_qa", ["benchmarks/test_simple_qa.py", *model, *data]),
        ("chinese_simpleqa", ["benchmarks/test_chinese_simpleqa.py", *model, *data]),
        ("aime25", ["benchmarks/test_aime25.py", *model, *data]),
        ("no --llm-model (skipped)", ["benchmarks"]),
        ("bare pytest start-up", ["bench/suite/test_plain.py", "-k", "nothing"]),
    ):
        best = min((measure([*base, *args]) for _ in range(3)), key=lambda m: m.wall_s)
        found = re.search(r"(\d+)(?:/\d+)? tests? (?:collected|deselected)", best.stdout)
        items = found.group(1) if found else "?"
        rows.append([label, items, f"{best.wall_s:.2f}", f"{best.peak_rss_mb:.0f}"])
    print(table(["collect", "items", "wall s (best of 3)", "peak RSS MB"], rows))


if __name__ == "__main__":
    main()
