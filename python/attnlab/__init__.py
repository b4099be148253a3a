"""attnlab from Python.

Runs (compare, theory, sweep) go through the attnlab executable in a child
process, so a crashing plugin cannot kill the interpreter and results are
the CLI's, byte for byte; results folders load as pandas DataFrames and
NumPy arrays; plugins (activations, data models, their checks) run in this
process through the C++ host library.

    import attnlab
    r = attnlab.compare(train={"time": 200})
    r.metrics.groupby("activation").test_mse.last()
"""

from ._plugins import activation, check_plugin, data_model, plugins, rejected_plugins
from .errors import ConfigError, Error, PluginError, ResultsFolderError
from .results import Results, SweepResults, load
from .runs import compare, sweep, sweep_collect, theory
from . import _attnlab, _plugins, _toml

__version__ = _attnlab.VERSION


def bayes_risk(config=None, samples=None, overrides=None, plugins=(), **sections):
    """The Monte Carlo Bayes risk of a config's data model, as `attnlab
    bayes-risk` computes it: a dict with mean, standard_error, samples, seed."""
    _plugins._load(plugins)
    assignments = _toml.overrides(sections, overrides)
    if isinstance(config, dict):
        text, path = _toml.dumps(config), "<config>"
    else:
        text, path = None, None if config is None else str(config)
    return _attnlab.bayes_risk(_plugins.registry(), text, path, assignments, int(samples or 0))


__all__ = [
    "ConfigError", "Error", "PluginError", "Results", "ResultsFolderError", "SweepResults", "activation",
    "bayes_risk", "check_plugin", "compare", "data_model", "load", "plugins", "rejected_plugins", "sweep",
    "sweep_collect", "theory",
]
