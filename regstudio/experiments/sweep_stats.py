"""Numbers of a sweep point from its fits: means, spread, the best point and the 1-SE choice.

``std`` is the sample standard deviation over a point's fits (``ddof=1``) and ``se`` the
standard error of their mean, ``std / sqrt(n)``; both are None for a single fit. The
one-standard-error rule (glmnet's ``lambda.1se``, Hastie et al., ESL 7.10) takes the
strongest regularization whose mean validation loss is within one SE of the best mean.
"""

from __future__ import annotations

import math
import re

# what each fit reports; the point holds their means, and *_std, *_se for the spread ones
FIT_NUMBERS = ("best_epoch", "best_val_loss", "train_loss_at_best", "penalty_at_best",
               "val_acc_at_best", "val_r2_at_best", "seconds")
SPREAD = ("best_val_loss", "train_loss_at_best", "val_acc_at_best", "val_r2_at_best")
_STRENGTH = re.compile(r"^(regularization\.(l1|l2)|training\.weight_decay|model\.layers\[\d+\]\.(l1|l2|rate))$")


def mean_std_se(values: list[float]) -> tuple[float | None, float | None, float | None]:
    """Mean, sample std (ddof=1) and standard error of the finite ``values``."""
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return None, None, None
    mean = math.fsum(xs) / len(xs)
    if len(xs) == 1:
        return mean, None, None
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
    return mean, std, std / math.sqrt(len(xs))


def summarize_fits(fits: list[dict]) -> dict:
    """A point's numbers from its fits (rows with :data:`FIT_NUMBERS`): ``n``, the means, and
    ``<key>_std`` / ``<key>_se`` for the :data:`SPREAD` keys. One fit keeps its own numbers."""
    out: dict = {"n": len(fits)}
    for key in FIT_NUMBERS:
        if not any(key in f for f in fits):
            continue
        values = [f.get(key) for f in fits]
        mean, std, se = mean_std_se(values)
        out[key] = values[0] if len(fits) == 1 else mean
        if key in SPREAD:
            out[f"{key}_std"], out[f"{key}_se"] = std, se
    return out


def best_index(points: list[dict]) -> int | None:
    """The point of the lowest mean validation loss (the first of equals); None if none has one."""
    scored = [(p["best_val_loss"], i) for i, p in enumerate(points) if _finite(p.get("best_val_loss"))]
    return min(scored)[1] if scored else None


def is_strength(param: str) -> bool:
    """Whether larger values of ``param`` regularize more (L1/L2 strengths, weight decay,
    dropout rates): the 1-SE rule applies to those."""
    return bool(_STRENGTH.match(param))


def one_se_index(points: list[dict], params: list[str]) -> int | None:
    """The 1-SE choice: among the points whose mean validation loss is at most the best mean
    plus the best point's SE, the most regularized one. For one parameter, its largest value;
    for a grid of two strengths, the largest sum of the values' ranks (ties: the lower mean).
    None when a parameter is not a strength or the best point has no SE (one fit per point)."""
    best = best_index(points)
    if best is None or not params or not all(is_strength(p) for p in params):
        return None
    se = points[best].get("best_val_loss_se")
    if not _finite(se):
        return None
    limit = points[best]["best_val_loss"] + se
    keys = ["value", "value2"][:len(params)]
    ranks = {key: {v: r for r, v in enumerate(sorted({p[key] for p in points}))} for key in keys}
    within = [i for i, p in enumerate(points) if _finite(p.get("best_val_loss"))
              and p["best_val_loss"] <= limit]
    return max(within, key=lambda i: (sum(ranks[k][points[i][k]] for k in keys),
                                      -points[i]["best_val_loss"]))


def band(points: list[dict], key: str = "best_val_loss") -> tuple[list, list, list, list]:
    """``(x, mean, lo, hi)`` for drawing ``key`` against the value as mean +/- one SE (a
    validation or learning curve); a point without an SE has ``lo == hi == mean``."""
    xs, mean, lo, hi = [], [], [], []
    for p in points:
        m = p.get(key)
        if not _finite(m):
            continue
        se = p.get(f"{key}_se")
        se = se if _finite(se) else 0.0
        xs.append(p["value"])
        mean.append(m)
        lo.append(m - se)
        hi.append(m + se)
    return xs, mean, lo, hi


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def learning_curve(points: list[dict]) -> dict:
    """A training-set-size sweep (``data.train_size``) drawn as a learning curve: the training
    data loss and the validation loss at the best epoch, each as :func:`band` ``(x, mean, lo, hi)``."""
    return {"train": band(points, "train_loss_at_best"), "val": band(points, "best_val_loss")}
