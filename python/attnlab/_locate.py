"""Where the attnlab executable and its built-in plugins are: the build
tree's bin/attnlab (this package lies in build/python/attnlab) or an
installed prefix's (the package in <prefix>/lib/python3.../attnlab), or
$ATTNLAB_EXECUTABLE."""

import os
from pathlib import Path

from . import _attnlab
from .errors import Error


def executable():
    override = os.environ.get("ATTNLAB_EXECUTABLE")
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise Error(f"ATTNLAB_EXECUTABLE '{override}' is not an executable file")
        return path.resolve()
    here = Path(__file__).resolve().parent
    for folder in list(here.parents)[:5]:
        candidate = folder / "bin" / "attnlab"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise Error(
        f"cannot find the attnlab executable near {here} (bin/attnlab of the build tree or prefix); "
        "set ATTNLAB_EXECUTABLE"
    )


def builtin_plugin_directory():
    """As the CLI finds it: relative to the executable."""
    return (executable().parent / _attnlab.BUILTIN_PLUGIN_RELDIR).resolve()
