"""attnlab's exceptions, raised alike by in-process calls (mapped from the
C++ exception types) and by runs in a child process (mapped from the
executable's last error line). Each carries the one-line message attnlab
gives."""

import re


class Error(Exception):
    """Anything attnlab refuses or fails at."""


class ConfigError(Error):
    """A malformed config: bad TOML, an unknown key, a wrong type or value."""


class PluginError(Error):
    """An unknown plugin, a file that is not a valid plugin, or a plugin that failed."""


class ResultsFolderError(Error):
    """A results folder that exists, holds no run to resume, or is in use."""


# The messages of the CLI's errors, by what went wrong (the C++ types do not
# cross the process boundary: the messages do).
_RESULTS_FOLDER = re.compile(
    r"results folder '|^cannot resume|^refusing to replace|holds a run of \d+ seeds|"
    r"continues the run saved in|is in use by|^--resume continues|sweep folder|is an attnlab results folder"
)
_CONFIG = re.compile(
    r"config key '|unknown config key|^config file '|^cannot read config file|^--set '|"
    r"\.toml:\d+:\d+|^<config>:\d+:\d+|spec '|sweep spec"
)
_PLUGIN = re.compile(r"plugin")


def error_for_run(status, message, command):
    """The exception for a child run that exited with `status` after logging
    `message` (its last error line, may be empty)."""
    if not message:
        how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
        return Error(f"attnlab {command} {how}")
    if _RESULTS_FOLDER.search(message):
        return ResultsFolderError(message)
    if re.search(r"unknown [a-z-]+ plugin '|unknown plugin '", message):
        return PluginError(message)
    if _CONFIG.search(message):
        return ConfigError(message)
    if _PLUGIN.search(message):
        return PluginError(message)
    return Error(message)
