"""sweep, sweep_collect and theory from Python: the CLI's folders, loaded."""

import pandas as pd
import pytest

import attnlab
from conftest import SMALL


def test_sweep_and_collect(tmp_path):
    spec = {"base": dict(SMALL, train={"time": 10, "threads": 1}), "sweep": {"seeds": 2, "data.D": [40, 60]}}
    result = attnlab.sweep(spec, tmp_path / "sweep", workers=2, quiet=True)
    assert (tmp_path / "sweep.spec.toml").is_file()
    assert len(result.final) == 2 * 2 * len(SMALL["activations"])  # cells x activations
    assert set(result.final["data.D"]) == {40, 60}
    assert result.final.equals(pd.read_csv(tmp_path / "sweep" / "final.csv"))
    assert result.metrics.equals(pd.read_csv(tmp_path / "sweep" / "metrics.csv"))
    again = attnlab.sweep_collect(tmp_path / "sweep", quiet=True)
    assert again.final.equals(result.final)


def test_sweep_folder_of_another_spec_is_refused(tmp_path, small_run):
    spec = {"base": SMALL, "sweep": {"seeds": 1}}
    with pytest.raises(attnlab.ResultsFolderError):
        attnlab.sweep(spec, small_run.folder, quiet=True)


def test_theory(tmp_path):
    result = attnlab.theory(out=tmp_path / "theory", train={"time": 5},
                            theory={"samples": 256, "risk_samples": 1024, "draws": 1}, quiet=True)
    assert set(result.metrics.activation) == {"softmax", "softmax1", "bayes-softmax"}
    assert result.summary is not None


def test_a_dict_spec_never_overwrites_a_users_file(tmp_path):
    users = tmp_path / "grid.spec.toml"
    users.write_text("# the user's own notes\n", encoding="utf-8")
    with pytest.raises(attnlab.Error, match="grid.spec.toml"):
        attnlab.sweep({"base": SMALL, "sweep": {"seeds": 1}}, tmp_path / "grid", quiet=True)
    assert users.read_text(encoding="utf-8") == "# the user's own notes\n"
    assert not (tmp_path / "grid").exists()
