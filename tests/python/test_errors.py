"""Errors: attnlab.Error subclasses with the host's one-line messages, from
in-process calls and from runs in a child process alike."""

import pytest

import attnlab
from conftest import SMALL


def test_unknown_plugin_is_a_plugin_error_naming_it():
    with pytest.raises(attnlab.PluginError, match="no-such-activation") as raised:
        attnlab.activation("no-such-activation")
    assert "softmax" in str(raised.value)  # the message lists what there is
    assert "\n" not in str(raised.value)


def test_a_file_that_is_not_a_plugin_is_a_plugin_error(tmp_path):
    fake = tmp_path / "fake.so"
    fake.write_text("not a library")
    with pytest.raises(attnlab.PluginError, match="fake.so"):
        attnlab.activation(fake)


def test_bad_parameters_are_a_plugin_error():
    with pytest.raises(attnlab.PluginError):
        attnlab.data_model("single-location", {"no_such_key": 1})


def test_malformed_config_file_is_a_config_error(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[train\ntime = 1\n")
    with pytest.raises(attnlab.ConfigError, match="bad.toml"):
        attnlab.compare(config, out=tmp_path / "out", quiet=True)
    assert not (tmp_path / "out").exists()


def test_unknown_config_key_is_a_config_error_naming_it(tmp_path):
    with pytest.raises(attnlab.ConfigError, match="train.tme"):
        attnlab.compare(SMALL, out=tmp_path / "out", train={"tme": 5}, quiet=True)
    with pytest.raises(attnlab.ConfigError, match="train.time"):
        attnlab.bayes_risk(overrides={"train.time": "long"})


def test_existing_results_folder_is_a_results_folder_error(small_run):
    with pytest.raises(attnlab.ResultsFolderError, match="already exists"):
        attnlab.compare(SMALL, out=small_run.folder, quiet=True)


def test_unknown_activation_in_a_run_is_a_plugin_error(tmp_path):
    with pytest.raises(attnlab.PluginError, match="no-such-activation"):
        attnlab.compare(SMALL, out=tmp_path / "out", activations=["no-such-activation"], quiet=True)


def test_every_error_is_an_attnlab_error():
    for kind in (attnlab.ConfigError, attnlab.PluginError, attnlab.ResultsFolderError):
        assert issubclass(kind, attnlab.Error)
