"""A plugin that crashes takes down a child process, never Python: in a
run (the CLI's supervisor reports it) and in check_plugin (each check runs
in a child of its own)."""

import os
from pathlib import Path

import pytest

import attnlab
from conftest import SMALL

FIXTURES = os.environ.get("ATTNLAB_TEST_FIXTURE_DIR")
pytestmark = pytest.mark.skipif(not FIXTURES, reason="needs ATTNLAB_TEST_FIXTURE_DIR (set by ctest)")


def faulty():
    return Path(FIXTURES) / "faulty" / "faulty-activation.so"


def test_a_segfaulting_activation_stops_its_model_only(tmp_path):
    config = dict(SMALL, activations=["faulty-activation", "softmax"],
                  activation_params={"faulty-activation": {"fault": "segfault", "call": "forward", "after": 50}})
    result = attnlab.compare(config, out=tmp_path / "run", plugins=[faulty()], figures=False, quiet=True)
    status = dict(zip(result.summary.activation, result.summary.status))
    assert status["softmax"] == "ok"
    assert status["faulty-activation"] != "ok"
    assert "crashed" in (tmp_path / "run" / "plugin_failures.txt").read_text()


def test_check_plugin_reports_a_crash_as_failed_checks():
    records = attnlab.check_plugin(faulty(), params={"fault": "segfault", "call": "forward", "after": 3})
    failed = [record for record in records if not record["passed"]]
    assert failed and any("crashed" in record["detail"] for record in failed)
