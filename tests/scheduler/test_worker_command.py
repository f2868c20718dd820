"""`meterbot worker`: the scheduler alone, stopped cleanly by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.scheduler.conftest import ALL_OFF


def test_the_worker_runs_until_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        **ALL_OFF,
        "METERBOT_SCHEDULE_DAILY_DIGEST": "0 8 * * *",
        "METERBOT_DATABASE_URL": f"sqlite:///{tmp_path}/worker.db",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stderr is not None
    deadline = time.monotonic() + 30
    seen = []
    while time.monotonic() < deadline:
        line = worker.stderr.readline()
        seen.append(line)
        if "worker running" in line:
            break
    else:
        worker.kill()
        raise AssertionError("".join(seen))
    worker.send_signal(signal.SIGTERM)
    rest = worker.communicate(timeout=15)[1]

    assert worker.returncode == 0, rest
    assert any("scheduler started: daily_digest" in line for line in seen)
    assert "worker stopped" in rest
