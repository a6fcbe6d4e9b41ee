"""Set-up says how far along a long step is (the compile and the download print progress)."""

from __future__ import annotations

import pytest

from pytest_llmeval.local.setup import SetupError, run_logged

MAKE = 'for i in 1 5 12 19 33 50 51 100; do echo "[ $i%] Building CXX object x$i.o"; done'
NINJA = 'for i in 1 20 21 42 104 208; do echo "[$i/208] Building CXX object x$i.o"; done'


@pytest.mark.parametrize(
    ("script", "expected", "lines"),
    [(MAKE, ["0", "10", "30", "50", "100"], 8), (NINJA, ["0", "10", "20", "50", "100"], 6)],
    ids=["make", "ninja"],
)
def test_a_long_build_reports_its_percentage_every_tenth(tmp_path, capsys, script, expected, lines):
    log_path = tmp_path / "build.log"
    with log_path.open("w") as log:
        run_logged(["sh", "-c", script], log, log_path, "cmake build")
    shown = [
        line.split(":")[1].split("%")[0].strip() for line in capsys.readouterr().out.splitlines()
    ]
    assert shown == expected
    logged = [line for line in log_path.read_text().splitlines() if line.startswith("[")]
    assert len(logged) == lines  # all of the output is in the log


def test_a_failing_step_is_one_line_naming_its_last_output(tmp_path):
    log_path = tmp_path / "build.log"
    with log_path.open("w") as log, pytest.raises(SetupError) as raised:
        run_logged(["sh", "-c", "echo 'error: no compiler'; exit 3"], log, log_path, "cmake build")
    assert str(raised.value) == f"cmake build failed (exit 3): error: no compiler [log: {log_path}]"
