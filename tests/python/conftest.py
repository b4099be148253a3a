"""Shared fixtures: one small comparison, run once per session."""

import json
from pathlib import Path

import pytest

import attnlab

# A comparison of softmax and softmax-1 with two heads on one thread that
# takes well under a second (tests/sweeps/small_base.sh's settings).
SMALL = {
    "activations": ["softmax", "softmax1"],
    "model": {"heads": 2},
    "train": {"time": 40, "threads": 1},
    "eval": {"test_size": 256, "log_points": 6, "bayes_samples": 2000},
}


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "small"
    return attnlab.compare(SMALL, out=out, figures=False, quiet=True)


@pytest.fixture(scope="session")
def executable():
    from attnlab import _locate

    return _locate.executable()


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
