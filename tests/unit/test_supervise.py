"""scripts/supervise: restarts a command that fails, passes a clean exit through, and stops on SIGTERM."""

import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.unit

SUPERVISE = str(Path(__file__).resolve().parents[2] / "scripts" / "supervise")


def test_a_failing_command_is_started_again_until_it_succeeds(tmp_path):
    runs = tmp_path / "runs"
    # Fails twice, then exits cleanly: three runs, and the supervisor ends with the clean exit.
    script = f'echo x >> {runs}; [ "$(wc -l < {runs})" -ge 3 ]'
    done = subprocess.run([SUPERVISE, "bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert runs.read_text().count("x") == 3
    assert done.stderr.count("exited with code 1; starting it again") == 2


def test_sigterm_stops_the_command_and_the_supervisor(tmp_path):
    pid_file = tmp_path / "pid"
    proc = subprocess.Popen([SUPERVISE, "bash", "-c", f"echo $$ > {pid_file}; exec sleep 60"])
    try:
        child = int(wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), timeout=10))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) != 0
        assert not Path(f"/proc/{child}").exists()
    finally:
        proc.kill()
