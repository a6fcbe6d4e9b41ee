"""Fuzz the whole harness: thousands of samples answered at random by bench/fuzz_server.py,
through the real plugin (BFCL v3 in FC and prompt mode, AIME on generated problems). Prints,
per run: items, samples reported, INTERNALERRORs, whether it finished in time, exit status.

    python bench/fuzz.py [--seed 0] [--limit 40] [--aime 2000] [--timeout 900]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from common import PYTHON, ROOT, scripted_server, table


def aime_folder(count: int, folder: Path) -> Path:
    for subset in ("AIME2025-I", "AIME2025-II"):
        lines = [
            json.dumps({"question": f"What is {i} plus {i}?", "answer": str(2 * i)})
            for i in range(count // 2)
        ]
        (folder / f"{subset}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def run(label: str, url: str, args: list[str], timeout: float) -> list[object]:
    output = Path(tempfile.mkdtemp(prefix="fuzz-"))
    command = [
        PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--llm-model=fuzz",
        f"--llm-base-url={url}", f"--llm-output={output}", "--llm-no-cache", "--llm-retries=1",
        "--llm-max-consecutive-errors=0", "--llm-timeout=30", *args,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        text, status, finished = done.stdout + done.stderr, done.returncode, True
    except subprocess.TimeoutExpired as expired:
        text, status, finished = str(expired.stdout or ""), None, False
    (run_dir,) = output.iterdir() if output.exists() and any(output.iterdir()) else (None,)
    reported = 0
    if run_dir is not None and (run_dir / "samples.jsonl").exists():
        reported = sum(1 for _ in (run_dir / "samples.jsonl").open(encoding="utf-8"))
    items = next((w for w in text.split() if w.isdigit()), "?")
    summary = [line for line in text.splitlines() if " passed" in line or " failed" in line]
    said = summary[-1].strip("= ") if summary else "?"
    hung = "yes" if finished else "NO (hang)"
    return [label, said, reported, text.count("INTERNALERROR"), hung, status, items]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=40, help="BFCL samples per subset")
    parser.add_argument("--aime", type=int, default=2000, help="generated AIME samples")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    rows = []
    with scripted_server("--seed", str(args.seed), module="bench.fuzz_server") as url:
        for mode in ("fc", "prompt"):
            rows.append(
                run(f"bfcl_v3 {mode}", url, ["benchmarks/test_bfcl_v3.py",
                    f"--llm-bfcl-mode={mode}", f"--llm-limit={args.limit}"], args.timeout)
            )  # fmt: skip
        folder = aime_folder(args.aime, Path(tempfile.mkdtemp(prefix="fuzz-aime-")))
        stream = ["benchmarks/test_aime25.py", f"--llm-data=aime25={folder}", "--llm-stream"]
        rows.append(run("aime25 stream", url, stream, args.timeout))
    print(table(["run", "pytest says", "samples reported", "INTERNALERROR", "finished",
                 "exit", "first number"], rows))  # fmt: skip


if __name__ == "__main__":
    main()
