"""compare from Python: overrides, the CLI's results, Ctrl-C and resume."""

import os
import signal
import subprocess
import sys
import time

import attnlab
from conftest import SMALL


def test_overrides_reach_the_config(tmp_path):
    result = attnlab.compare(SMALL, out=tmp_path / "r", train={"time": 10}, overrides={"data.D": 40},
                             figures=False, quiet=True)
    assert result.config["train"]["time"] == 10
    assert result.config["data"]["D"] == 40
    assert result.summary is not None and list(result.summary.status) == ["ok", "ok"]


def test_python_run_equals_the_cli_run(small_run, executable, tmp_path):
    config = tmp_path / "small.toml"
    config.write_text(attnlab._toml.dumps(SMALL))
    subprocess.run([executable, "compare", config, "--out", tmp_path / "cli", "--no-figures"], check=True,
                   capture_output=True)
    assert (tmp_path / "cli" / "metrics.jsonl").read_bytes() == (small_run.folder / "metrics.jsonl").read_bytes()


# Started in a child Python, interrupted there with SIGINT once training has
# written its first log points.
INTERRUPTED = """
import sys, attnlab
attnlab.compare({config!r}, out={out!r}, figures=False)
"""


def test_ctrl_c_stops_the_run_resumably(tmp_path, executable):
    out = tmp_path / "long"
    config = dict(SMALL, train={"time": 8000, "threads": 1}, eval=dict(SMALL["eval"], log_points=60))
    # A session of its own, so that SIGINT can go to its whole process group,
    # as a terminal's Ctrl-C does.
    process = subprocess.Popen([sys.executable, "-c", INTERRUPTED.format(config=config, out=str(out))],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    # Training has started once the first log points are written; the run
    # takes a few seconds more.
    metrics = out / "metrics.jsonl"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not metrics.exists() or metrics.read_text().count("\n") < 20):
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "KeyboardInterrupt" in stderr, stderr
    assert "--resume" in stderr  # the CLI's own word on how to continue
    assert not (out / "summary.csv").exists()
    assert (out / "checkpoint.bin").exists()

    result = attnlab.compare(out=out, resume=True, quiet=True)
    assert list(result.summary.status) == ["ok", "ok"]
    # The same metrics as a run never interrupted.
    file = tmp_path / "long.toml"
    file.write_text(attnlab._toml.dumps(config))
    subprocess.run([executable, "compare", file, "--out", tmp_path / "whole", "--no-figures"], check=True,
                   capture_output=True)
    assert metrics.read_bytes() == (tmp_path / "whole" / "metrics.jsonl").read_bytes()
