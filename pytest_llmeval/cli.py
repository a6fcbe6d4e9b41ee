"""The `pytest-llmeval` command: work on finished run folders outside pytest.

    pytest-llmeval view RUN_DIR [RUN_DIR ...] [--output FILE] [--no-open]
    pytest-llmeval compare RUN_A RUN_B [--max-drop SPEC ...]
    pytest-llmeval rescore RUN_DIR [--output DIR]
    pytest-llmeval merge SHARD_DIR [SHARD_DIR ...] [--output DIR]

Bad input (a missing folder, no report.json, an unreadable samples.jsonl) is one line on stderr
and exit status 2. Each subcommand is one function taking the parsed arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import webbrowser
from collections.abc import Sequence
from pathlib import Path

USAGE_ERROR = 2


def _default_output(run_dirs: list[Path]) -> Path:
    """One run: viewer.html in its folder. Several: a file in the temp folder named after them."""
    if len(run_dirs) == 1:
        return run_dirs[0] / "viewer.html"
    digest = hashlib.sha256("\0".join(str(p.resolve()) for p in run_dirs).encode()).hexdigest()
    return Path(tempfile.gettempdir()) / f"pytest-llmeval-viewer-{digest[:10]}.html"


def _can_open_browser() -> bool:
    """A graphical browser only: on Linux without a display, webbrowser would fall back to a
    text browser in this terminal."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def view(args: argparse.Namespace) -> int:
    from .reporting.viewer import ViewerInputError, write_viewer

    run_dirs = [Path(p) for p in args.run_dirs]
    output = Path(args.output) if args.output else _default_output(run_dirs)
    try:
        written = write_viewer(run_dirs, output)
    except ViewerInputError as error:
        print(f"pytest-llmeval view: {error}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as error:
        print(f"pytest-llmeval view: cannot write {output}: {error.strerror}", file=sys.stderr)
        return USAGE_ERROR
    print(written)
    if not args.no_open and _can_open_browser():
        webbrowser.open(written.resolve().as_uri())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-llmeval", description="Work on finished pytest-llmeval run folders."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    viewer = commands.add_parser(
        "view",
        help="write one self-contained HTML viewer for one or several runs",
        description="Write one self-contained HTML viewer (works offline, from file://) for "
        "one or several finished runs, print its path and open it in the browser.",
    )
    viewer.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="a run folder")
    viewer.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="where to write (default: RUN_DIR/viewer.html for one run, a file in the temp "
        "folder for several)",
    )
    viewer.add_argument("--no-open", action="store_true", help="do not open a browser")
    viewer.set_defaults(handler=view)
    commands.add_parser("compare", help="compare two finished runs, paired by sample")
    commands.add_parser("rescore", help="re-score a finished run from its records")
    commands.add_parser("merge", help="combine the run folders of --llm-shard runs into one")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "compare":
        from .reporting.compare_cli import compare_main

        return compare_main(argv[1:])
    if argv and argv[0] == "rescore":
        from .rescore import main as rescore_main

        return rescore_main(argv[1:])
    if argv and argv[0] == "merge":
        from .merge import main as merge_main

        return merge_main(argv[1:])
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
