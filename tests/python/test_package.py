"""The package itself: the built module is the one tested, TOML writing."""

import tomllib
from pathlib import Path

import attnlab
from attnlab import _toml


def test_the_module_comes_from_the_build_tree():
    assert Path(attnlab.__file__).parent.joinpath("errors.py").is_file()
    assert attnlab.__version__


def test_toml_round_trip():
    config = {"seed": 3, "activations": ["a", "b"], "data": {"D": 5, "std": [1.0, 0.5], "name": 'x"y'},
              "train": {"optimizer_params": {"eta": 1e-5}, "time": 2.5}}
    assert tomllib.loads(_toml.dumps(config)) == config


def test_overrides_are_cli_assignments():
    assert _toml.overrides({"train": {"time": 200}, "seed": 2}, {"data.D": 256}) == [
        "train.time=200", "seed=2", "data.D=256"]
    assert _toml.overrides({"train": {"optimizer": "adam"}}) == ['train.optimizer="adam"']
