"""llama-server's optimisation levels: ggml's kernels at -O3, the rest of llama.cpp at -O1.

A two-project CMake tree shaped like llama.cpp's (a top-level project adding a `ggml` project
as a subdirectory) is configured with the set-up's own CMAKE_FLAGS; the generated compile
commands say which level each target gets.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from pytest_llmeval.local.setup import CMAKE_FLAGS

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake")


def test_ggml_is_built_at_O3_and_the_rest_at_O1(tmp_path):
    source = tmp_path / "src"
    (source / "ggml").mkdir(parents=True)
    (source / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.14)\nproject(llama.cpp C CXX)\n"
        "add_subdirectory(ggml)\nadd_library(server server.cpp)\n"
    )
    (source / "ggml" / "CMakeLists.txt").write_text(
        "project(ggml C CXX)\nadd_library(kernels ops.cpp quants.c)\n"
    )
    for name in ("server.cpp", "ggml/ops.cpp", "ggml/quants.c"):
        (source / name).write_text("int f(void) { return 0; }\n")
    build = tmp_path / "build"
    subprocess.run(
        ["cmake", "-S", str(source), "-B", str(build), *CMAKE_FLAGS,
         "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"],
        check=True, capture_output=True,
    )  # fmt: skip
    commands = json.loads((build / "compile_commands.json").read_text())
    levels = {}
    for entry in commands:
        flags = [word for word in entry["command"].split() if word.startswith("-O")]
        levels[entry["file"].removeprefix(str(source) + "/")] = flags[-1]  # the last one wins
    assert levels == {"server.cpp": "-O1", "ggml/ops.cpp": "-O3", "ggml/quants.c": "-O3"}
