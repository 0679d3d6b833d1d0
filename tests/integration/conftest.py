"""At the end of a session, the time each molecule run spent in each action.

Each run of test_molecule.py writes its log, last line `RUN: action N s, ...`, to
.cache/molecule-RUN.log; under pytest-xdist the runs happen in the workers, so
the summary reads the logs this session wrote.
"""

import pathlib
import time

CACHE = pathlib.Path(__file__).resolve().parents[2] / ".cache"
STARTED = time.time()


def pytest_terminal_summary(terminalreporter):
    logs = sorted(log for log in CACHE.glob("molecule-*.log") if log.stat().st_mtime >= STARTED)
    if not logs:
        return
    terminalreporter.section("molecule actions, wall time")
    for log in logs:
        lines = log.read_text(errors="replace").rstrip("\n").splitlines()
        terminalreporter.write_line(lines[-1] if lines else "%s: empty" % log.name)
