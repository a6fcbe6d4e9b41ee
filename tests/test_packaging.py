"""The wheel carries every data file the plugin reads, and building it warns about nothing
(setuptools' 40-line "absent from the `packages` configuration" banner was what a newcomer met)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]
DATA_FILES = {
    "pytest_llmeval/local/build_flags.cmake",
    "pytest_llmeval/local/templates/qwen2.5-coder-tools.jinja",
    "pytest_llmeval/reporting/viewer_assets/viewer.css",
    "pytest_llmeval/reporting/viewer_assets/viewer.html",
    "pytest_llmeval/reporting/viewer_assets/viewer.js",
}


def test_the_wheel_builds_without_warnings_and_carries_the_data_files(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    warnings = re.findall(r"\w+Warning: .*", built.stdout + built.stderr)  # setuptools' own
    assert warnings == []
    (wheel,) = tmp_path.glob("pytest_llmeval-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert DATA_FILES - names == set()
