"""How llama-server is compiled: ggml's kernels at -O3, the rest of llama.cpp at -O1, the
common library and the server as unity builds.

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
        "add_subdirectory(ggml)\nadd_library(server-context server.cpp)\n"
        "add_library(llama-common common.cpp arg.cpp)\n"
    )
    (source / "ggml" / "CMakeLists.txt").write_text(
        "project(ggml C CXX)\nadd_library(kernels ops.cpp quants.c)\n"
    )
    for name in ("server.cpp", "common.cpp", "arg.cpp", "ggml/ops.cpp", "ggml/quants.c"):
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
    built = {name.rsplit("/", 1)[-1].split(".")[0]: level for name, level in levels.items()}
    assert built == {"unity_0_cxx": "-O1", "ops": "-O3", "quants": "-O3"}
    units = {name.split("CMakeFiles/")[1].split(".dir")[0] for name in levels if "Unity" in name}
    assert units == {"server-context", "llama-common"}
