"""Table columns -> model features, fitted on the training split only.

Numbers pass through, text categories become one input per category (``pandas.get_dummies``
and scikit-learn's ``OneHotEncoder`` by default; a category seen only outside the training
split maps to all zeros), dates become year, month, day and weekday (and hour, minute when the
column has times). Missing values are filled with the training split's mean (numbers, each
date part) or most frequent value (text). :meth:`Encoder.recipe` is the JSON a model header
carries so that ``model.npz`` applies to raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .table import Column, date_parts, is_missing


@dataclass
class Step:
    column: str
    kind: str  # numeric, category or date
    fill: object  # the value a missing cell gets (a number, a category, or one per date part)
    categories: list | None = None
    parts: list[str] | None = None

    @property
    def names(self) -> list[str]:
        if self.kind == "category":
            return [f"{self.column}={c}" for c in self.categories]
        if self.kind == "date":
            return [f"{self.column}.{p}" for p in self.parts]
        return [self.column]


@dataclass
class Encoder:
    steps: list[Step]

    @property
    def feature_names(self) -> list[str]:
        return [n for s in self.steps for n in s.names]

    def transform(self, columns: list[Column]) -> np.ndarray:
        """The feature matrix (float64) of every row of ``columns`` (the fitted ones, in order)."""
        import pandas as pd

        n = len(columns[0].values) if columns else 0
        X = np.empty((n, len(self.feature_names)))
        j = 0
        for step, col in zip(self.steps, columns, strict=True):
            if step.kind == "numeric":
                X[:, j] = col.values
                X[np.isnan(X[:, j]), j] = step.fill
                j += 1
            elif step.kind == "date":
                parts = date_parts(col.values)
                for p, fill in zip(step.parts, step.fill, strict=True):
                    X[:, j] = parts[p] if p in parts else 0.0
                    X[np.isnan(X[:, j]), j] = fill
                    j += 1
            else:
                k = len(step.categories)
                values = np.where(is_missing(col.values), step.fill, col.values)
                codes = pd.Index(step.categories).get_indexer(values)  # -1: unseen
                block = X[:, j:j + k]
                block[:] = 0.0
                seen = codes >= 0
                block[np.flatnonzero(seen), codes[seen]] = 1.0
                j += k
        return X

    def recipe(self) -> dict:
        """JSON for a model header: per column, in input order, how a raw cell becomes inputs."""
        return {"columns": [{"name": s.column, "kind": s.kind, "fill": _json(s.fill),
                             **({"categories": s.categories} if s.categories is not None else {}),
                             **({"parts": s.parts} if s.parts is not None else {})}
                            for s in self.steps],
                "unseen_category": "all zeros",
                "date_parts": "year, month, day, weekday (Monday 0), hour, minute"}


def fit_encoder(columns: list[Column], rows: np.ndarray) -> Encoder:
    """Categories, fill values and date parts from ``rows`` (the training split) only."""
    steps = []
    for col in columns:
        train = col.values[rows]
        if col.kind == "numeric":
            steps.append(Step(col.name, "numeric", _mean(train)))
        elif col.kind == "date":
            parts = date_parts(col.values)  # hour and minute when any row has a time
            steps.append(Step(col.name, "date", [_mean(parts[p][rows]) for p in parts],
                              parts=list(parts)))
        else:
            present = train[~is_missing(train)]
            cats, counts = np.unique(present.astype(str), return_counts=True)
            fill = str(cats[np.argmax(counts)]) if len(cats) else None
            steps.append(Step(col.name, "category", fill, categories=cats.tolist()))
    return Encoder(steps)


def _mean(values: np.ndarray) -> float:
    present = values[~np.isnan(values)]
    return float(present.mean()) if len(present) else 0.0


def _json(value):
    return [float(v) for v in value] if isinstance(value, list) else value
