"""pytest-html's report.html of a full BFCL v3 run in a real headless Chromium: size, load, memory.

    python bench/report_html.py [--code CHECKOUT ...] [--html PAGE ...] [--work DIR]

For each --code checkout (default: this one; give /work/main to see the page as main makes it)
it makes one real BFCL v3 FC run of 4,441 samples through that checkout's plugin against
`bench/lossy_oracle_server.py` (about 30% answered wrongly) and measures the run's report.html;
--html measures pages already written. Per page it prints the file size; the time from
navigation until every result row is drawn and the page answers (median of the rounds); the
time pytest-html takes to untick "Passed" and to expand one failed row (from the click to the
next painted frame); the JS heap, the DOM nodes and the renderer's resident memory after load.
Chromium is /usr/bin/chromium (or $CHROMIUM), driven with Playwright over CDP.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from common import PYTHON, scripted_server  # noqa: E402
from viewer import Browser, load_ms, memory  # noqa: E402

CLICK = """async (selector) => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  await frame();
  const t0 = performance.now();
  document.querySelector(selector).click();
  await frame();
  return {ms: performance.now() - t0,
          rows: document.querySelectorAll('#results-table tbody.results-table-row').length};
}"""


def bfcl_run(code: Path, output: Path) -> Path:
    """One full BFCL v3 FC run made by the plugin of `code`; its run folder."""
    if not any(output.glob("*/report.html")):
        shutil.rmtree(output, ignore_errors=True)
        env = {**os.environ, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
        with scripted_server("--seed", "1", module="bench.lossy_oracle_server") as url:
            command = [PYTHON, "-m", "pytest", "benchmarks/test_bfcl_v3.py", "-q", "--tb=no"]
            command += ["-p", "no:cacheprovider", "--llm-model=lossy-oracle-s1"]
            command += ["--llm-sample-header", f"--llm-base-url={url}", "--llm-bfcl-mode=fc"]
            command += ["--llm-no-cache", f"--llm-output={output}", "--llm-concurrency=64"]
            command += ["--llm-retries=0", "--llm-ignore-errors", "--llm-temperature=0.7"]
            started = time.perf_counter()
            subprocess.run(command, cwd=code, env=env, stdout=subprocess.DEVNULL, check=False)
            print(f"run with {code}: {time.perf_counter() - started:.0f}s", flush=True)
    return next(output.glob("*/report.html")).parent


def bench_page(browser: Browser, html: Path, repeat: int) -> dict:
    url = html.resolve().as_uri()
    loads, unticks, expands = [], [], []
    result: dict = {"page": str(html), "size_mb": html.stat().st_size / 2**20}
    for attempt in range(repeat):
        ms, page = load_ms(browser, url, "#results-table tbody.results-table-row")
        loads.append(ms)
        if attempt == repeat - 1:
            result.update(memory(browser, page))
            result["rows"] = page.locator("#results-table tbody.results-table-row").count()
        out = page.evaluate(CLICK, 'input[data-test-result="passed"]')
        unticks.append(out["ms"])
        result["rows_unticked"] = out["rows"]
        expands.append(
            page.evaluate(CLICK, "tbody.results-table-row .collapsible td.col-result")["ms"]
        )
        page.close()
    result.update(
        load_ms=statistics.median(loads), load_max_ms=max(loads),
        untick_ms=statistics.median(unticks), expand_ms=statistics.median(expands),
    )  # fmt: skip
    return result


def report(result: dict) -> None:
    r = result
    print(f"\n== {r['page']}: {r['size_mb']:.2f} MB, {r['rows']} rows")
    print(f"  all rows drawn and answering {r['load_ms']:7.0f} / {r['load_max_ms']:.0f} ms")
    print(f"  untick Passed                {r['untick_ms']:7.0f} ms ({r['rows_unticked']} left)")
    print(f"  expand the first row         {r['expand_ms']:7.0f} ms")
    print(
        f"  JS heap {r['js_heap_mb']:.0f} MB, renderer RSS {r['renderer_rss_mb']:.0f} MB, ", end=""
    )
    print(f"{r['dom_nodes']:.0f} DOM nodes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", nargs="*", type=Path, default=[], help="checkouts to run")
    parser.add_argument("--html", nargs="*", type=Path, default=[], help="pages to measure")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "report-bench")
    parser.add_argument("--repeat", type=int, default=3, help="loads per page (median shown)")
    args = parser.parse_args()
    pages = list(args.html)
    for i, code in enumerate(args.code or ([] if args.html else [ROOT])):
        pages.append(bfcl_run(code.resolve(), args.work / f"run{i}-{code.name}") / "report.html")
    print(f"load average before the browser: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    browser = Browser()
    try:
        for html in pages:
            report(bench_page(browser, html, args.repeat))
    finally:
        browser.close()


if __name__ == "__main__":
    main()
