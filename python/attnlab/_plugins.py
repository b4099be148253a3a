"""Plugins in this process, through the C++ host library: the same loading,
validation and wrappers the CLI uses. A plugin that crashes here takes
Python with it; check_plugin runs each check in a child process."""

import os

from . import _attnlab, _locate, _toml

# The one process-wide registry (as in the CLI), made on first use.
_registry = None


def registry():
    global _registry
    if _registry is None:
        directory = _locate.builtin_plugin_directory()
        _registry = _attnlab.Registry(
            str(directory) if directory.is_dir() else None, os.environ.get("ATTNLAB_PLUGIN_PATH", "")
        )
    return _registry


def _load(paths):
    for path in paths or ():
        registry().add(os.fspath(path))


def plugins(paths=()):
    """Every plugin found (built-ins, $ATTNLAB_PLUGIN_PATH, `paths`): a list
    of dicts with id, kind, name, version, description, capabilities, file."""
    _load(paths)
    return registry().records()


def rejected_plugins():
    """Messages for plugin files that were found but not accepted."""
    return registry().rejections()


def activation(id_or_path, params=None):
    """An instance of an activation plugin (an id, or a path to a .so file),
    with params as a dict or parameter text. Methods forward(scores,
    mask=None) and backward(scores, grad_out, mask=None) -> (grad_scores,
    grad_parameters) on float64 arrays of shape (batch, heads, length)."""
    return _attnlab.Activation(registry(), os.fspath(id_or_path), _toml.params_text(params))


def data_model(id_or_path, params=None):
    """An instance of a data-model plugin; sample(n, seed) -> (tokens of
    shape (n, L, D), labels of shape (n,))."""
    return _attnlab.DataModel(registry(), os.fspath(id_or_path), _toml.params_text(params))


def check_plugin(id_or_path, params=None, seed=20260303, timeout=60.0):
    """`attnlab check-plugin`'s checks: a list of dicts (plugin, name,
    passed, detail), one per check."""
    return _attnlab.check_plugin(registry(), os.fspath(id_or_path), _toml.params_text(params), seed, timeout)
