"""Run playbooks/deploy.yml for a benchmark: its wall time and output, the controller pinned to CPU 0."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TASKSET = ["taskset", "-c", "0"] if shutil.which("taskset") else []


def deploy(inventory_file, *extra, who="benchmark"):
    """Run the deploy playbook with the inventory; return (seconds, output). A failed run stops the benchmark."""
    command = TASKSET + [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory_file),
                         *extra, str(ROOT / "playbooks" / "deploy.yml")]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            check=False)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-6000:])
        raise SystemExit("%s: the deploy failed (rc %d)" % (who, result.returncode))
    return seconds, result.stdout
