"""A scripted server that answers every BFCL v3 sample with its ground truth (for bfcl_oracle.py).

python -m bench.oracle_server --mode fc|prompt   (prints its base URL, then serves)
"""

from __future__ import annotations

import argparse
import threading

from pytest_llmeval.benchmarks.bfcl_v3.benchmark import BfclV3
from tests.bfcl.oracle import oracle_book, oracle_handler
from tests.scripted_server import ScriptedServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["fc", "prompt"], default="fc")
    args = parser.parse_args()
    book = oracle_book(BfclV3({"llm_bfcl_mode": args.mode}).load(None), args.mode)
    server = ScriptedServer(oracle_handler(book)).start()
    print(server.base_url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
