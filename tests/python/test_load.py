"""attnlab.load: the DataFrames and arrays equal the files they come from."""

import csv
import math
import tomllib

import numpy as np
import pytest

import attnlab
from conftest import SMALL, read_jsonl


def same(a, b):
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(b, list):
        return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    return a == b


def test_metrics_equal_metrics_jsonl(small_run):
    records = read_jsonl(small_run.folder / "metrics.jsonl")
    frame = small_run.metrics
    # The log points, and t = 0.
    assert len(frame) == len(records) == len(SMALL["activations"]) * (SMALL["eval"]["log_points"] + 1)
    assert set(frame.columns) == {key for record in records for key in record}
    for row, record in zip(frame.to_dict("records"), records):
        for key, expected in record.items():
            assert same(row[key], expected), (key, row[key], expected)
    assert list(frame.activation.unique()) == SMALL["activations"]


def test_summary_config_checkpoints(small_run):
    with open(small_run.folder / "summary.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(small_run.summary.activation) == [row["activation"] for row in rows]
    assert np.allclose(small_run.summary.final_test_mse, [float(row["final_test_mse"]) for row in rows], rtol=0, atol=0)
    assert small_run.config == tomllib.loads((small_run.folder / "config.toml").read_text())
    assert small_run.config["model"]["heads"] == 2
    assert small_run.config["train"]["time"] == 40
    assert sorted(small_run.checkpoints) == sorted(SMALL["activations"])
    assert all(path.is_file() for path in small_run.checkpoints.values())


def test_overlaps_have_one_matrix_per_log_point(small_run):
    records = read_jsonl(small_run.folder / "metrics.jsonl")
    features = len(small_run.config["data"]["mean"])
    for activation in SMALL["activations"]:
        overlaps = small_run.overlaps[activation]
        assert overlaps.shape == (SMALL["eval"]["log_points"] + 1, 2, features)
        mine = [r["key_overlaps"] for r in records if r["activation"] == activation]
        assert np.array_equal(overlaps, np.asarray(mine))


def test_final_test_mse_matches_summary(small_run):
    last = small_run.metrics.groupby("activation", sort=False).test_mse.last()
    for row in small_run.summary.itertuples():
        assert last[row.activation] == pytest.approx(row.final_test_mse, rel=1e-9)


def test_load_refuses_a_folder_without_results(tmp_path):
    with pytest.raises(attnlab.ResultsFolderError, match="holds no attnlab results"):
        attnlab.load(tmp_path)
    with pytest.raises(attnlab.ResultsFolderError, match="does not exist"):
        attnlab.load(tmp_path / "missing")
