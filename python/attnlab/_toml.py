"""Python values as TOML (configs, overrides) and as plugin parameter text
(sdk/params.hpp: `key = value` lines)."""

import math
import numbers


def value(v):
    """One TOML value: bool, int, float, str, or a list of them."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return repr(f)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)) or hasattr(v, "tolist"):
        items = v.tolist() if hasattr(v, "tolist") else v
        return "[" + ", ".join(value(x) for x in items) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as a TOML value")


def _key(k):
    k = str(k)
    if k and all(c.isalnum() or c in "_-" for c in k):
        return k
    return value(k)


def dumps(config):
    """A nested dict (sections as dicts) as TOML text."""
    lines = []

    def table(d, path):
        scalars = [(k, v) for k, v in d.items() if not isinstance(v, dict)]
        tables = [(k, v) for k, v in d.items() if isinstance(v, dict)]
        if path and (scalars or not tables):
            lines.append("[" + ".".join(_key(p) for p in path) + "]")
        for k, v in scalars:
            lines.append(f"{_key(k)} = {value(v)}")
        for k, v in tables:
            table(v, path + [k])

    table(config, [])
    return "\n".join(lines) + "\n"


def overrides(sections=None, pairs=None):
    """`section.key=value` assignments (the CLI's --set) from keyword
    sections ({'train': {'time': 200}}, nested dicts allowed) and from
    dotted pairs ({'data.D': 256})."""
    assignments = []

    def walk(prefix, v):
        if isinstance(v, dict):
            for k, sub in v.items():
                walk(f"{prefix}.{k}", sub)
        else:
            assignments.append(f"{prefix}={value(v)}")

    for name, v in (sections or {}).items():
        walk(name, v)
    for name, v in (pairs or {}).items():
        walk(name, v)
    return assignments


def params_text(params):
    """Plugin parameters: text as is, or a dict as `key = value` lines."""
    if params is None:
        return ""
    if isinstance(params, str):
        return params
    return "".join(f"{k} = {value(v)}\n" for k, v in params.items())
