"""Comparing runs: one table row per run, the table as CSV, and a one-page HTML report.

Qt-free: the window passes the runs (config, history, summary) and, for the report,
PNG images of its plots; everything here is plain data and text.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path

from ..engine.control import dropout_index

COLUMNS = (
    ("name", "run"), ("regularizer", "regularizer"), ("dropout", "dropout"),
    ("augmentation", "augmentation"), ("early_stopping", "early stopping"),
    ("best_val_loss", "best val loss"), ("best_epoch", "best epoch"),
    ("gap", "final gap (val − train data loss)"), ("sparsity", "sparsity, first layer"),
    ("seconds", "time (s)"), ("stop_reason", "ended"), ("changes", "changed while training"),
)


def _penalties(config: dict) -> list[tuple[int, str]]:
    """(order, name) of the weight penalties; order places them among :func:`regularizers`."""
    reg, training = config.get("regularization", {}), config.get("training", {})
    parts = [(0, f"{name} {reg[key]:g}") for name, key in (("L1", "l1"), ("L2", "l2"))
             if (reg.get(key) or 0) > 0]
    for i, spec in enumerate(config.get("model", {}).get("layers", [])):
        parts += [(1, f"{key.upper()} {spec[key]:g} on layer {i + 1}") for key in ("l1", "l2")
                  if (spec.get(key) or 0) > 0]
    if training.get("optimizer") == "adamw" and (training.get("weight_decay") or 0) > 0:
        parts.append((3, f"weight decay {training['weight_decay']:g}"))
    return parts


def regularizers(config: dict) -> list[str]:
    """Every regularizer active in ``config``, named for people, e.g. ``["L2 0.0001",
    "dropout 0.2"]``: penalties, dropout, AdamW weight decay, augmentation, early stopping.
    The one home of these names (run labels, the Runs table, the variance meter)."""
    layers = config.get("model", {}).get("layers", [])
    rates = sorted({spec.get("rate", 0.0) for spec in layers
                    if spec.get("type") == "dropout" and spec.get("rate", 0.0) > 0})
    parts = _penalties(config)
    if rates:
        parts.append((2, "dropout " + "/".join(f"{r:g}" for r in rates)))
    aug = config.get("augmentation", {})
    if aug.get("enabled") and aug.get("ops"):
        parts.append((4, "augmentation"))
    if config.get("early_stopping", {}).get("enabled"):
        parts.append((5, "early stopping"))
    return [name for _order, name in sorted(parts, key=lambda p: p[0])]


def describe_regularizer(config: dict) -> str:
    """The weight penalties only, e.g. ``"L1 0.01 + L2 0.001"``, ``"weight decay 0.01"``, ``"none"``."""
    return " + ".join(name for _order, name in _penalties(config)) or "none"


def describe_run(config: dict, others: Iterable[dict] = (), label: str = "") -> str:
    """A run's label after its number: what tells it apart from the ``others`` of its session
    (data, model, optimizer, where they differ), then the lesson's ``label`` if given, else its
    regularizers (or ``"no regularization"``): ``"shapes, CNN 2 conv, L2 0.001"``."""
    others = list(others)
    parts = [aspect(config) for aspect in (_data_aspect, _model_aspect, _optimizer_aspect)
             if any(aspect(other) != aspect(config) for other in others)]
    parts.append(label or ", ".join(regularizers(config)) or "no regularization")
    return ", ".join(parts)


def _data_aspect(config: dict) -> str:
    data = config.get("data", {})
    if data.get("source", "builtin") == "builtin":
        return str(data.get("name", "data"))
    return Path(str(data.get("path", data.get("source", "data")))).name


def _model_aspect(config: dict) -> str:
    layers = config.get("model", {}).get("layers", [])
    convs = [layer for layer in layers if layer.get("type") == "conv2d"]
    dense = [str(layer.get("units", "?")) for layer in layers[:-1] if layer.get("type") == "dense"]
    kind = f"CNN {len(convs)} conv" if convs else "MLP"
    return f"{kind} {'-'.join(dense)}".strip() if dense else kind


def _optimizer_aspect(config: dict) -> str:
    training = config.get("training", {})
    return f"{training.get('optimizer', 'sgd')} lr {float(training.get('lr', 0)):g}"


def describe_changes(changes: list[dict], config: dict | None = None) -> str:
    """Settings changed while the run trained, one entry per setting, first value to last:
    ``"L2 0.0001 → 0.001 (epoch 3)"``; ``""`` when nothing changed. ``changes`` are the
    run's live changes in order (``epoch``, ``key``, ``old``, ``new``)."""
    layers = (config or {}).get("model", {}).get("layers", [])
    first: dict[str, dict] = {}
    last: dict[str, dict] = {}
    for change in changes:
        first.setdefault(change["key"], change)
        last[change["key"]] = change
    parts = []
    for key, start in first.items():
        end = last[key]
        epochs = (f"epoch {start['epoch']}" if start["epoch"] == end["epoch"]
                  else f"epochs {start['epoch']}–{end['epoch']}")
        name = _setting_name(key, layers)
        if isinstance(start["old"], int | float) and isinstance(end["new"], int | float):
            parts.append(f"{name} {start['old']:g} → {end['new']:g} ({epochs})")
        else:
            parts.append(f"{name} edited ({epochs})")
    return "; ".join(parts)


def _setting_name(key: str, layers: list[dict]) -> str:
    names = {"regularization.l1": "L1", "regularization.l2": "L2", "training.lr": "learning rate",
             "augmentation": "augmentation"}
    if key in names:
        return names[key]
    index = dropout_index(key)
    if index is None:
        return key
    dropouts = [i for i, spec in enumerate(layers) if spec.get("type") == "dropout"]
    return f"dropout {dropouts.index(index) + 1}" if len(dropouts) > 1 and index in dropouts else "dropout"


def run_row(name: str, config: dict, history: list[dict], summary: dict, changes: list[dict] = ()) -> dict:
    """The comparison numbers of one run; ``changes`` are its live changes."""
    layers = config.get("model", {}).get("layers", [])
    rates = [spec.get("rate", 0.0) for spec in layers if spec.get("type") == "dropout"]
    aug = config.get("augmentation", {})
    es = config.get("early_stopping", {})
    final = summary.get("final") or {}
    gap = None
    if final.get("val_loss") is not None and final.get("train_data_loss") is not None:
        gap = final["val_loss"] - final["train_data_loss"]
    norms = summary.get("layers") or [{}]
    return {
        "name": name,
        "regularizer": describe_regularizer(config),
        "dropout": max(rates) if rates else 0.0,
        "augmentation": f"on ({len(aug.get('ops', []))} ops)" if aug.get("enabled") else "off",
        "early_stopping": f"patience {es.get('patience')}" if es.get("enabled") else "off",
        "best_val_loss": summary.get("best_val_loss"),
        "best_epoch": summary.get("best_epoch"),
        "gap": gap,
        "sparsity": norms[0].get("sparsity"),
        "seconds": summary.get("seconds"),
        "stop_reason": summary.get("stop_reason", ""),
        "changes": describe_changes(list(changes), config),
    }


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def runs_csv(rows: list[dict]) -> str:
    """The runs table as CSV, one row per run, full precision."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([key for key, _title in COLUMNS])
    for row in rows:
        writer.writerow(["" if row.get(key) is None else row[key] for key, _title in COLUMNS])
    return out.getvalue()


def html_report(title: str, runs: list[dict], images: dict[str, bytes]) -> str:
    """A self-contained page (plots embedded as PNG data, no external files or scripts).

    ``runs`` are dicts with ``row`` (from :func:`run_row`) and ``config``; ``images`` maps a
    caption to PNG bytes."""
    esc = html.escape
    head = "".join(f"<th>{esc(t)}</th>" for _key, t in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{esc(_cell(r['row'].get(key)))}</td>" for key, _t in COLUMNS)
                   + "</tr>" for r in runs)
    figures = "".join(
        f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"><figcaption>{esc(caption)}</figcaption></figure>'
        for caption, png in images.items())
    configs = "".join(f"<details><summary>{esc(r['row']['name'])}</summary><pre>"
                      f"{esc(json.dumps(r['config'], indent=2))}</pre></details>" for r in runs)
    best = min((r["row"] for r in runs if r["row"].get("best_val_loss") is not None),
               key=lambda row: row["best_val_loss"], default=None)
    verdict = (f"<p>Lowest validation loss: <b>{esc(best['name'])}</b> ({best['best_val_loss']:.4g} at "
               f"epoch {best['best_epoch']}, regularizer: {esc(best['regularizer'])}).</p>" if best else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.9em; }} th, td {{ border: 1px solid #ccc; padding: 4px 8px; }}
th {{ background: #f0f4f8; }} td {{ text-align: right; }} td:first-child, td:nth-child(2) {{ text-align: left; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; border: 1px solid #ddd; }}
pre {{ background: #f7f7f7; padding: 0.5em; font-size: 0.85em; }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>Regularization Studio comparison of {len(runs)} run(s). The validation loss is the data loss
on the validation split; the gap is the final validation loss minus the final training data loss
(a wide gap is overfitting); sparsity is the share of first-layer weights with |w| &lt; 1e-3.</p>
{verdict}
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
{figures}
<h2>Configurations</h2>
{configs}
</body></html>
"""
