"""The results viewer measured in a real headless Chromium: size, load, interactions, memory.

    python bench/viewer.py [--runs RUN_DIR ...] [--work DIR] [--shots DIR] [--skip-50k]

Without --runs it makes two real BFCL v3 FC runs of 4,441 samples (about 30% wrong, different
seeds) through the plugin against `bench/lossy_oracle_server.py`, and a synthetic 4,441 and
50,000-sample run (`bench/synthetic_run.py`). For each page it prints: the file size; the time
from navigation until the overview table, and until the first page of samples, is drawn and
the page answers (a script evaluated after the drawing, so the main thread is free); the time
of each filter, search, sort and sample opening (from the event to the next painted frame);
the JS heap (CDP Performance.getMetrics) and the renderer's resident memory.
Chromium is /usr/bin/chromium (or $CHROMIUM), driven with Playwright over CDP.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import PYTHON, scripted_server  # noqa: E402
from synthetic_run import write_run  # noqa: E402

from pytest_llmeval.reporting.viewer import write_viewer  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

MEASURE = """async ([action, arg]) => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  await frame();
  const t0 = performance.now();
  const set = (name, value) => {
    const node = document.querySelector(`[data-filter="${name}"]`);
    node.value = value;
    node.dispatchEvent(new Event(name === 'q' ? 'input' : 'change'));
  };
  if (action === 'filter') set(arg[0], arg[1]);
  else if (action === 'sort') document.querySelector(`.lhead [data-sort="${arg}"]`).click();
  else if (action === 'open') {
    const rows = document.querySelectorAll('.vrow');
    rows[Math.min(arg, rows.length - 1)].click();
  }
  else if (action === 'scroll') {
    const list = document.querySelector('.vlist');
    list.scrollTop = list.scrollHeight * arg;
    await new Promise((r) => requestAnimationFrame(r));
  }
  await frame();
  return {ms: performance.now() - t0, count: window.llmeval.count(),
          detail: document.documentElement.getAttribute('data-detail')};
}"""
COMPARE_ON = """() => { const c = document.querySelector('[data-filter="cmp"]');
    if (c.value === '') { c.value = '1'; c.dispatchEvent(new Event('change')); } }"""
COMPARE_OFF = """() => { const c = document.querySelector('[data-filter="cmp"]');
    c.value = ''; c.dispatchEvent(new Event('change')); }"""


def real_runs(work: Path) -> list[Path]:
    """Two real FC runs of the full BFCL v3 through the plugin, spoiled with seeds 1 and 2."""
    runs = []
    for seed in (1, 2):
        output = work / f"real-s{seed}"
        if output.is_dir() and any(output.glob("*/report.json")):
            runs.append(next(output.glob("*/report.json")).parent)
            continue
        shutil.rmtree(output, ignore_errors=True)
        with scripted_server("--seed", str(seed), module="bench.lossy_oracle_server") as url:
            command = [PYTHON, "-m", "pytest", "benchmarks/test_bfcl_v3.py", "-q", "--tb=no"]
            command += ["-p", "no:cacheprovider", f"--llm-model=lossy-oracle-s{seed}"]
            command += ["--llm-sample-header", f"--llm-base-url={url}", "--llm-bfcl-mode=fc"]
            command += ["--llm-no-cache", f"--llm-output={output}", "--llm-concurrency=64"]
            command += ["--llm-retries=0", "--llm-ignore-errors", "--llm-temperature=0.7"]
            command += ["--llm-threshold", "bfcl_v3=0.6", "--llm-threshold", "bfcl_v3:simple=0.8"]
            started = time.perf_counter()
            subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=False)
            print(f"real run seed {seed}: {time.perf_counter() - started:.0f}s", flush=True)
        runs.append(next(output.glob("*/report.json")).parent)
    return runs


class Browser:
    """A Chromium of our own (fresh profile, CDP on a free port), Playwright attached to it."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self.profile = tempfile.mkdtemp(prefix="viewer-bench-profile-")
        executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if match := re.search(r"DevTools listening on (ws://\S+)", line):
                break
        else:
            raise RuntimeError("chromium did not start")
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.connect_over_cdp(match.group(1))
        self.context = self.browser.contexts[0]

    def renderer_rss_mb(self) -> float:
        """The largest resident set among this browser's renderer processes."""
        best = 0
        for pid in _descendants(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                if "--type=renderer" not in cmdline:
                    continue
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            rss = re.search(r"VmRSS:\s+(\d+)", status)
            best = max(best, int(rss.group(1)) if rss else 0)
        return best / 1024

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        current = frontier.pop()
        children = [pid for pid, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def load_ms(browser: Browser, url: str, selector: str) -> tuple[float, object]:
    """Navigation start to `selector` drawn and the main thread answering, in ms."""
    page = browser.context.new_page()
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(url, wait_until="commit")
    page.wait_for_selector(selector, timeout=60000)
    drawn = page.evaluate("performance.now()")
    return drawn, page


def memory(browser: Browser, page: object) -> dict[str, float]:
    session = page.context.new_cdp_session(page)  # type: ignore[attr-defined]
    session.send("HeapProfiler.collectGarbage")
    session.send("Performance.enable")
    metrics = {m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]}
    return {
        "js_heap_mb": metrics["JSHeapUsedSize"] / 2**20,
        "js_heap_total_mb": metrics["JSHeapTotalSize"] / 2**20,
        "dom_nodes": metrics.get("Nodes", 0),
        "renderer_rss_mb": browser.renderer_rss_mb(),
    }


def bench_page(
    browser: Browser, html: Path, label: str, compare: bool, shots: Path | None, repeat: int
) -> dict:
    url = html.resolve().as_uri()
    result: dict = {"page": label, "size_mb": html.stat().st_size / 2**20}
    loads: dict[str, list[float]] = {"overview": [], "samples": [], "records": [], "search": []}
    for attempt in range(repeat):
        overview_ms, page = load_ms(browser, url, "table.grid")
        loads["overview"].append(overview_ms)
        if shots and attempt == 0:
            page.screenshot(path=str(shots / f"{label}-overview.png"), full_page=True)
        page.close()
        samples_ms, page = load_ms(browser, url + "#view=samples", ".vrow")
        loads["samples"].append(samples_ms)
        page.wait_for_selector("html[data-records]", timeout=60000)
        loads["records"].append(page.evaluate("window.llmeval.times().records"))
        page.wait_for_selector("html[data-search]", timeout=120000)
        loads["search"].append(page.evaluate("performance.now()"))
        if attempt < repeat - 1:
            page.close()
    for key, values in loads.items():
        result[f"{key}_ms"] = statistics.median(values)
        result[f"{key}_max_ms"] = max(values)
    steps = [
        ("verdict=failed", "filter", ["ver", "failed"]),
        ("subset=multi_turn_miss_func", "filter", ["sub", "multi_turn_miss_func"]),
        ("open a sample", "open", 0),
        ("open the next sample", "open", 1),
        ("subset=any", "filter", ["sub", ""]),
        ("reason=value_error:string", "filter", ["rule", "value_error:string"]),
        ("reason=any", "filter", ["rule", ""]),
        ("search 'temperature'", "filter", ["q", "temperature"]),
        ("search 'zzzz-no-match'", "filter", ["q", "zzzz-no-match"]),
        ("search cleared", "filter", ["q", ""]),
        ("sort by latency", "sort", "lat"),
        ("sort by latency desc", "sort", "lat"),
        ("scroll to the middle", "scroll", 0.5),
        ("open a sample (sorted)", "open", 3),
        ("subset=multi_turn_long_context", "filter", ["sub", "multi_turn_long_context"]),
        ("open a long-context sample", "open", 0),
        ("verdict=any", "filter", ["ver", ""]),
        ("subset=any (again)", "filter", ["sub", ""]),
        ("sort: back to table order", "sort", "lat"),
    ]
    if compare:
        steps += [
            ("flips: A passed -> B not", "filter", ["flip", "ab"]),
            ("open a flip side by side", "open", 0),
            ("flips: A not -> B passed", "filter", ["flip", "ba"]),
            ("flips: all", "filter", ["flip", ""]),
        ]
    measured: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for attempt in range(repeat):
        for name, action, arg in steps:
            if action == "filter" and arg[0] == "flip":
                page.evaluate(COMPARE_ON)
            out = page.evaluate(MEASURE, [action, arg])
            measured.setdefault(name, []).append(out["ms"])
            counts[name] = out["count"]
            if shots and attempt == 0 and name in ("open a sample", "open a flip side by side"):
                page.screenshot(path=str(shots / f"{label}-{name.replace(' ', '-')}.png"))
        if compare:  # back to one run for the next round
            page.evaluate(COMPARE_OFF)
    result["steps"] = [
        (name, statistics.median(values), max(values), counts[name])
        for name, values in measured.items()
    ]
    result.update(memory(browser, page))
    page.close()
    return result


def report(result: dict) -> None:
    print(f"\n== {result['page']}: {result['size_mb']:.2f} MB (median / max of the rounds)")
    for key, label in (
        ("overview", "overview table drawn and answering"),
        ("samples", "first page of samples drawn, answers"),
        ("records", "records unpacked (worker)"),
        ("search", "search text built (idle time)"),
    ):
        print(f"  {label:<38} {result[key + '_ms']:7.0f} / {result[key + '_max_ms']:5.0f} ms")
    for name, median, worst, count in result["steps"]:
        print(f"  {name:<38} {median:7.1f} / {worst:5.0f} ms  ({count} shown)")
    print(f"  slowest median interaction             {max(s[1] for s in result['steps']):7.1f} ms")
    print(
        f"  JS heap {result['js_heap_mb']:.0f} MB used / {result['js_heap_total_mb']:.0f} MB, "
        f"renderer RSS {result['renderer_rss_mb']:.0f} MB, {result['dom_nodes']:.0f} DOM nodes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="*", type=Path, help="real run folders (default: make 2)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "viewer-bench")
    parser.add_argument("--shots", type=Path, help="save screenshots here")
    parser.add_argument("--skip-50k", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per page (median shown)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    runs = args.runs or real_runs(args.work)
    pages = []
    started = time.perf_counter()
    pages.append(("real-4441", write_viewer(runs[:1], args.work / "real.html"), False))
    print(f"write_viewer, one real run: {time.perf_counter() - started:.1f}s")
    if len(runs) > 1:
        started = time.perf_counter()
        pages.append(("real-2-runs", write_viewer(runs[:2], args.work / "real2.html"), True))
        print(f"write_viewer, two real runs: {time.perf_counter() - started:.1f}s")
    synthetic = [4441] + ([] if args.skip_50k else [50000])
    for n in synthetic:
        folder = args.work / f"synthetic-{n}"
        if not (folder / "report.json").is_file():
            write_run(folder, n)
        started = time.perf_counter()
        pages.append((f"synthetic-{n}", write_viewer([folder], args.work / f"syn{n}.html"), False))
        print(f"write_viewer, synthetic {n}: {time.perf_counter() - started:.1f}s")
    browser = Browser()
    results = []
    print(f"load average before the browser: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    try:
        for label, html, compare in pages:
            result = bench_page(browser, html, label, compare, args.shots, args.repeat)
            report(result)
            results.append(result)
    finally:
        browser.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
