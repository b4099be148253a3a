"""Results folders as data: a comparison's (or a theory run's) metrics as a
pandas DataFrame and its overlaps as NumPy arrays, a sweep's collected CSVs.
Pure Python: it reads the files attnlab writes, nothing else."""

import json
import re
import tomllib
from pathlib import Path

from .errors import ResultsFolderError

# NumPy and pandas are imported on first use: `import attnlab` stays quick
# for scripts that only run or check plugins.


def _read_jsonl(path):
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _frame(records):
    import pandas as pd

    # Columns in the order of the first record, then any that appear later.
    columns = list(dict.fromkeys(key for record in records for key in record))
    return pd.DataFrame.from_records(records, columns=columns)


def _csv(path):
    import pandas as pd

    return pd.read_csv(path) if path.is_file() else None


class Results:
    """One comparison's (or theory run's) results folder.

    metrics      DataFrame, one row per activation x log point (metrics.jsonl;
                 with several seeds, every seed's rows and a `seed` column)
    summary      DataFrame of summary.csv (None until the run has finished)
    config       dict, the resolved config.toml
    checkpoints  {activation: Path} of checkpoints/<id>.ckpt
    overlaps     {activation: array of shape (log points, H, F)}, the key
                 overlaps m[h, f] at each log point (one seed's folder only)
    theory       DataFrame of theory.jsonl (compare --theory), or None
    seeds        {seed: Results} of a multi-seed folder, else {}
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        config = self.folder / "config.toml"
        self.config = tomllib.loads(config.read_text(encoding="utf-8")) if config.is_file() else {}
        self.summary = _csv(self.folder / "summary.csv")
        self.seeds = {}
        for sub in sorted(self.folder.glob("seed-*"), key=lambda p: int(p.name[5:]) if p.name[5:].isdigit() else -1):
            if re.fullmatch(r"seed-\d+", sub.name) and (sub / "metrics.jsonl").is_file():
                self.seeds[int(sub.name[5:])] = Results(sub)
        if (self.folder / "metrics.jsonl").is_file():
            self.records = _read_jsonl(self.folder / "metrics.jsonl")
            self.metrics = _frame(self.records)
        elif self.seeds:
            self.records = [dict(record, seed=seed) for seed, run in self.seeds.items() for record in run.records]
            self.metrics = _frame(self.records)
        else:
            self.records = []
            self.metrics = _frame([])
        theory = self.folder / "theory.jsonl"
        self.theory = _frame(_read_jsonl(theory)) if theory.is_file() else None
        self.checkpoints = {p.stem: p for p in sorted((self.folder / "checkpoints").glob("*.ckpt"))}
        self.overlaps = {}
        if not self.seeds:
            import numpy as np

            by_activation = {}
            for record in self.records:
                if "key_overlaps" in record:
                    by_activation.setdefault(record["activation"], []).append(record["key_overlaps"])
            self.overlaps = {a: np.asarray(m, dtype=float) for a, m in by_activation.items()}

    def __repr__(self):
        return f"attnlab.Results('{self.folder}', {len(self.metrics)} metric rows)"


class SweepResults:
    """A sweep folder: metrics (metrics.csv) and final (final.csv) as
    DataFrames once collected (None before), cells (cells.csv), spec (dict)."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.metrics = _csv(self.folder / "metrics.csv")
        self.final = _csv(self.folder / "final.csv")
        self.cells = _csv(self.folder / "cells.csv")
        spec = self.folder / "spec.toml"
        self.spec = tomllib.loads(spec.read_text(encoding="utf-8")) if spec.is_file() else {}

    def __repr__(self):
        rows = 0 if self.final is None else len(self.final)
        return f"attnlab.SweepResults('{self.folder}', {rows} final rows)"


def load(folder):
    """The results in `folder`: Results for a comparison or theory run,
    SweepResults for a sweep. ResultsFolderError when it holds neither."""
    path = Path(folder)
    if not path.is_dir():
        raise ResultsFolderError(f"results folder '{folder}' does not exist")
    if (path / "cells.csv").is_file() or (path / "cells").is_dir():
        return SweepResults(path)
    if (path / "metrics.jsonl").is_file() or (path / "config.toml").is_file():
        return Results(path)
    raise ResultsFolderError(f"'{folder}' holds no attnlab results (no metrics.jsonl, no cells.csv)")
