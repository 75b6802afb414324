"""Scratch folders: removed after the job, and those of killed jobs removed by the next one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safetynet.scratch import _host, scratch_dir, sweep

HOST = _host()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_scratch_dir_is_private_and_removed(tmp_path: Path) -> None:
    with scratch_dir("import", tmp_path) as path:
        assert path.parent == tmp_path
        assert path.name.startswith(f"safetynet-import-{os.getpid()}-{HOST}-")
        (path / "stage.parquet").write_bytes(b"x" * 10)
    assert not path.exists()


def test_folders_of_gone_processes_are_swept(tmp_path: Path) -> None:
    dead_pid = _dead_pid()
    dead = tmp_path / f"safetynet-import-{dead_pid}-{HOST}-abc"
    (dead / "spill").mkdir(parents=True)
    (dead / "stage.parquet").write_bytes(b"1")
    mine = tmp_path / f"safetynet-snapshot-{os.getpid()}-{HOST}-xyz"  # a live process: kept
    mine.mkdir()
    other = tmp_path / "safetynet-notes"  # not a scratch name: kept
    other.mkdir()
    stray = tmp_path / f"safetynet-import-{dead_pid}-{HOST}-file"  # a file, not a folder: kept
    stray.write_text("x")
    elsewhere = tmp_path / f"safetynet-import-{dead_pid}-0000abcd-x"  # another host's: kept
    elsewhere.mkdir()
    with scratch_dir("import", tmp_path):
        assert not dead.exists()
    assert mine.exists() and other.exists() and stray.exists() and elsewhere.exists()
    assert sweep(tmp_path) == []


def test_a_killed_import_leaves_nothing_for_long(tmp_path: Path) -> None:
    """A real process is killed while it holds a scratch folder; the next job removes it."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from safetynet.scratch import scratch_dir\n"
        f"with scratch_dir('import', Path({str(tmp_path)!r})) as p:\n"
        "    print(p, flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    left = Path(proc.stdout.readline().strip())
    assert left.is_dir()
    proc.kill()
    proc.wait()
    assert left.is_dir()  # killed: it could not clean up
    assert sweep(tmp_path) == [left]
    assert not left.exists()


def test_kind_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError), scratch_dir("a-b", tmp_path):
        pass
