"""Exit codes, one-line errors, `-v` before or after the verb, `--version`, `status`.

The traceback tests run the real `meterbot` process: what a person sees on stderr is
the logging set up by `main`, which pytest's own log capture would hide in-process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main


def _meterbot(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERBOT_", "SLACK_"))}
    env["METERBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    command = [sys.executable, "-m", "bot.cli", *argv]
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def unreadable(tmp_path: Path) -> Path:
    """A usage folder whose one object cannot be read at all."""
    folder = tmp_path / "usage"
    folder.mkdir()
    (folder / "2026-11-22.parquet").write_bytes(b"not a parquet file")
    return folder


def test_an_unreadable_object_is_exit_3_and_one_line_without_a_traceback(
    tmp_path: Path, unreadable: Path
) -> None:
    run = _meterbot(tmp_path, "ingest", "--source", str(unreadable))
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last == "meterbot: 1 objects failed (retried next pass) (meterbot problems)"
    assert "failed 2026-11-22.parquet: ComputeError" in run.stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_before_or_after_the_verb_shows_the_traceback(
    tmp_path: Path, unreadable: Path, where: str
) -> None:
    argv = ["ingest", "--source", str(unreadable)]
    argv = ["-v", *argv] if where == "before" else [*argv, "-v"]
    run = _meterbot(tmp_path, *argv)
    assert run.returncode == 3
    assert "Traceback (most recent call last)" in run.stderr
    assert " DEBUG " in run.stderr


def test_a_verb_that_cannot_run_is_exit_1_and_one_line(tmp_path: Path) -> None:
    run = _meterbot(tmp_path, "plans", "apply", "missing.yml")
    assert run.returncode == 1
    assert run.stderr == "meterbot: missing.yml: cannot read the file: No such file or directory\n"
    verbose = _meterbot(tmp_path, "plans", "apply", "missing.yml", "-v")
    assert "Traceback" in verbose.stderr and "PlanFileError" in verbose.stderr


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("meterbot 0.")


def test_status_prints_what_slash_meter_status_shows(
    tmp_path: Path,
    unreadable: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("METERBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["ingest", "--source", str(unreadable), "--quiet"]) == 3
    capsys.readouterr()
    assert main(["status"]) == 3
    out, err = capsys.readouterr()
    assert out.startswith("meterbot status: 2 thing(s) need a look.\n")
    assert "  Last ingestion: never\n" in out
    assert "  Failed records: 0\n" in out
    assert "  - 1 usage file(s) could not be read\n" in out
    assert err == "meterbot: 2 thing(s) need a look (meterbot problems)\n"
