"""Comparisons, theory runs and sweeps, run by the attnlab executable in a
child process: a plugin that crashes or hangs there cannot take the Python
process (a notebook kernel) with it, and the results are exactly the CLI's.
Ctrl-C (KeyboardInterrupt) stops the child with SIGTERM, which saves a
checkpoint first: the same call with resume=True continues the run."""

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import _attnlab, _locate, _toml
from .errors import Error, error_for_run
from .results import load


@contextmanager
def _config_file(config):
    """The config as a path for the CLI: None, a TOML file, or a dict
    written to a temporary file for the run's duration."""
    if config is None or isinstance(config, (str, os.PathLike)):
        yield None if config is None else os.fspath(config)
        return
    if not isinstance(config, dict):
        raise TypeError(f"config must be None, a dict or a TOML path, not {type(config).__name__}")
    with tempfile.NamedTemporaryFile("w", suffix=".toml", prefix="attnlab-config-") as file:
        file.write(_toml.dumps(config))
        file.flush()
        yield file.name


def _check_config(config, assignments):
    """Reads the config in this process first, so that a malformed one is a
    ConfigError naming the key (no plugin is loaded for that)."""
    if isinstance(config, dict):
        _attnlab.resolve_config(_toml.dumps(config), "<config>", assignments)
    else:
        _attnlab.resolve_config(None, None if config is None else os.fspath(config), assignments)


def _run(command, args, quiet, plugins=()):
    options = [arg for path in plugins for arg in ("--plugin", os.fspath(path))]
    status, stdout, error = _attnlab.run_command(str(_locate.executable()), options + command + args, not quiet)
    if status != 0:
        raise error_for_run(status, error, " ".join(command))
    return stdout


def _folder(stdout, out):
    """The results folder: the one the CLI reports ("results: PATH"), else `out`."""
    found = re.findall(r"^results: (.+)$", stdout, re.MULTILINE)
    if found:
        return found[-1]
    if out is None:
        raise Error("attnlab did not report its results folder")
    return os.fspath(out)


def _settings(overrides, sections):
    return _toml.overrides(sections, overrides)


def compare(config=None, out=None, seeds=None, theory=False, resume=False, force=False, overrides=None,
            plugins=(), figures=True, quiet=False, **sections):
    """Runs `attnlab compare` and returns its results (attnlab.load).

    config     None (the built-in default), a dict of sections, or a TOML path
    out        results folder (default: a fresh results/compare-<date-time>)
    seeds      run that many seeds, each in seed-<s>/
    theory     also the D -> infinity limit (theory.jsonl)
    resume     continue the run saved in `out` (after Ctrl-C or a kill)
    force      replace an existing results folder attnlab made
    overrides  {'data.D': 256, ...}: dotted keys, like --set
    plugins    plugin files to load as well (--plugin)
    figures    False: no gnuplot figures (--no-figures)
    quiet      True: do not echo the run's output
    sections   train={'time': 200}, model={'heads': 2}, seed=3, ...
    """
    assignments = _settings(overrides, sections)
    if resume:
        if out is None:
            raise Error("resume=True needs the results folder: out=...")
        if config is not None or assignments:
            raise Error("resume=True continues with the config saved in the folder; pass no config or overrides")
    else:
        _check_config(config, assignments)
    with _config_file(None if resume else config) as path:
        args = [] if path is None else [path]
        for assignment in assignments:
            args += ["--set", assignment]
        if out is not None:
            args += ["--out", os.fspath(out)]
        if seeds is not None:
            args += ["--seeds", str(int(seeds))]
        args += ["--theory"] if theory else []
        args += ["--resume"] if resume else []
        args += ["--force"] if force else []
        args += [] if figures else ["--no-figures"]
        stdout = _run(["compare"], args, quiet, plugins)
    return load(_folder(stdout, out))


def theory(config=None, out=None, force=False, optimum=False, plateau=False, overrides=None, plugins=(),
           quiet=False, **sections):
    """Runs `attnlab theory` (the D -> infinity limit of every activation of
    the config, or with optimum/plateau those analyses) and returns load(folder)."""
    assignments = _settings(overrides, sections)
    _check_config(config, assignments)
    with _config_file(config) as path:
        args = [] if path is None else [path]
        for assignment in assignments:
            args += ["--set", assignment]
        if out is not None:
            args += ["--out", os.fspath(out)]
        args += ["--force"] if force else []
        args += ["--optimum"] if optimum else []
        args += ["--plateau"] if plateau else []
        stdout = _run(["theory"], args, quiet, plugins)
    return load(_folder(stdout, out))


def sweep(spec, out, workers=None, retry_failed=False, plugins=(), quiet=False):
    """Runs `attnlab sweep` (every cell not done yet, then collect) and
    returns load(out): metrics and final as DataFrames. `spec` is a TOML
    path, or a dict written to <out>.spec.toml (the sweep folder records its
    spec's path, so it must stay)."""
    if isinstance(spec, dict):
        path = Path(os.fspath(out)).with_name(Path(os.fspath(out)).name + ".spec.toml")
        text = _toml.dumps(spec)
        # Never over a file of the user's: the same spec again is fine.
        if path.exists() and path.read_text(encoding="utf-8") != text:
            raise Error(f"'{path}' exists and holds another spec; move it away or pass the spec as a file")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        spec = path
    args = [os.fspath(spec), "--out", os.fspath(out)]
    if workers is not None:
        args += ["--workers", str(int(workers))]
    args += ["--retry-failed"] if retry_failed else []
    _run(["sweep"], args, quiet, plugins)
    return load(out)


def sweep_collect(out, quiet=False):
    """Runs `attnlab sweep collect` on a sweep folder and returns load(out)."""
    _run(["sweep", "collect"], [os.fspath(out)], quiet)
    return load(out)
