"""Two BFCL v3 runs through the real plugin against a lossy oracle, the second with a regression
injected on one subset and gated against the first; prints what the second run prints after
its summary table (the comparison, the gates and their smallest detectable drops).

    python bench/compare_demo.py [--limit 100] [--wrong 0.2] [--noise 0.05] \
        [--drop live_multiple=0.2] [--gate bfcl_v3:live_multiple=0.05 ...]

The oracle answers each sample with its ground truth except a fixed share (``--wrong``, the
same samples in both runs: the model's weaknesses), then flips ``--noise`` of the decisions
per run (sampling noise, both ways); the second run also gets ``--drop`` extra wrong answers
on one subset. Decisions hash the sample's X-LLMEval-Sample tag, so a run is reproducible.
``--serve SEED`` is the server side (``python -m bench.compare_demo --serve ...``).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, measure, scripted_server

DEFAULT_GATES = (
    "bfcl_v3:live_multiple=0.05",
    "bfcl_v3:live_parallel=0.05",
    "bfcl_v3:simple=0.05",
    "bfcl_v3:LeaderboardAccuracy:OVERALL=0.02",
)


def share(*parts: object) -> float:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def serve(seed: str, wrong: float, noise: float, drop: str | None) -> None:
    from pytest_llmeval.benchmarks.base import SAMPLE_HEADER
    from pytest_llmeval.benchmarks.bfcl_v3.benchmark import BfclV3
    from tests.bfcl.oracle import oracle_book, oracle_handler, sample_tag
    from tests.scripted_server import Reply, ScriptedServer

    samples = BfclV3({"llm_bfcl_mode": "fc"}).load(None)
    subsets = {sample_tag(sample): sample.subset for sample in samples}
    oracle = oracle_handler(oracle_book(samples, "fc"))
    dropped, _, rate = (drop or "=0").partition("=")

    def handle(request: dict) -> Reply:
        tag = request["__headers__"].get(SAMPLE_HEADER.lower(), "")
        bad = share("weak", tag) < wrong
        if share("noise", seed, tag) < noise:
            bad = not bad
        if subsets.get(tag) == dropped and share("drop", tag) < float(rate):
            bad = True
        return Reply(text="I am not sure how to do that.") if bad else oracle(request)

    server = ScriptedServer(handle).start()
    print(server.base_url, flush=True)
    threading.Event().wait()


def run(args: argparse.Namespace, seed: str, drop: str | None, *extra: str) -> Path:
    output = Path(tempfile.mkdtemp(prefix="llmeval-compare-"))
    server = ["--serve", seed, "--wrong", str(args.wrong), "--noise", str(args.noise)]
    server += ["--drop", drop or "none=0"]
    with scripted_server(*server, module="bench.compare_demo") as url:
        command = [PYTHON, "-m", "pytest", "benchmarks/test_bfcl_v3.py", "-q", "-p"]
        command += ["no:cacheprovider", "--llm-model=oracle", "--llm-sample-header"]
        command += [f"--llm-base-url={url}", "--llm-no-cache", f"--llm-limit={args.limit}"]
        command += [f"--llm-output={output}", "--llm-concurrency=64", *extra]
        result = measure(command, env={"COLUMNS": "200"})
    (run_dir,) = output.iterdir()
    lines = result.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "against the baseline" in line), None)
    if start is None:  # the baseline: its own table
        start = next(i for i, line in enumerate(lines) if "pytest-llmeval: oracle" in line)
        end = next(i for i, line in enumerate(lines) if line.startswith("wall time"))
        print("\n".join(lines[start : end + 1]))
    else:
        end = next(i for i, line in enumerate(lines[start:], start) if "html report" in line)
        print("\n".join(lines[start:end]))
    print(f"exit status {result.returncode}, wall {result.wall_s:.1f}s\n")
    return run_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", metavar="SEED", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=100, help="samples per subset")
    parser.add_argument("--wrong", type=float, default=0.2, help="share answered wrong")
    parser.add_argument("--noise", type=float, default=0.05, help="share flipped per run")
    parser.add_argument("--drop", default="live_multiple=0.2", help="SUBSET=SHARE, 2nd run")
    parser.add_argument("--gate", action="append", help="--llm-max-drop specs of the 2nd run")
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.wrong, args.noise, args.drop)
        return
    baseline = run(args, "main", None)
    gates = [f"--llm-max-drop={gate}" for gate in args.gate or DEFAULT_GATES]
    run(args, "pull-request", args.drop, f"--llm-baseline={baseline}", *gates)


if __name__ == "__main__":
    main()
