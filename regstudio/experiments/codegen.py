"""Export a tuned experiment as a short, runnable PyTorch script or Keras script.

:func:`pytorch_script` and :func:`keras_script` turn a config into the source of a
standalone program that trains the same network on the same data with the same
regularization, converted to that library's conventions (see ``docs/export.md``).
:func:`write_script` writes one to a file, atomically, never over an existing file
unless asked.

The scripts embed the config as a JSON literal (read with ``json.loads``, never
``eval``) and load the data through ``regstudio.data.load_dataset(CONFIG["data"])``
when regstudio is importable, so they train on exactly the same split and
standardization; ``--data FILE.npz`` plugs in the user's own arrays instead.
Layer sizes are written out as numbers, so the data (or the dataset passed in) is
needed once, here, to know the input shape and the number of outputs.

Only what depends on the experiment is written here; the fully static blocks (the data
loader, early stopping, evaluation, augmentation, helper layers) are real modules in
``codegen_runtime/``, read as text and copied in.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..engine.conv import conv_geometry
from ..engine.model import ModelSpecError, normalized_layers
from .build import choose_loss, load_data
from .codegen_runtime import block
from .config import ConfigError, validate_config
from .export import atomic_write

FRAMEWORKS = ("pytorch", "keras")
_RELU_LIKE = ("relu", "leaky_relu")
_FLIPS = ("hflip", "vflip")


@dataclass
class _Plan:
    """What both generators need: the validated config and the facts only the data knows."""

    cfg: dict
    task: str  # classification | regression
    loss: str  # cross_entropy | sigmoid_bce | mse
    n_outputs: int
    input_shape: tuple
    layers: list  # normalized layer dicts, output size settled
    images: bool


def _plan(config: dict, dataset=None, base_dir=None) -> _Plan:
    cfg = validate_config(config)
    cfg["data"] = _absolute_paths(cfg["data"], base_dir)
    if dataset is None:
        dataset = load_data(cfg, base_dir)
    loss_obj, n_outputs = choose_loss(dataset.task, len(dataset.classes), cfg["training"]["loss"])
    loss = {"softmax_cross_entropy": "cross_entropy", "sigmoid_binary_cross_entropy": "sigmoid_bce",
            "mse": "mse"}[loss_obj.name]
    try:
        layers = normalized_layers(cfg["model"]["layers"], n_outputs)
    except ModelSpecError as exc:
        raise ConfigError(str(exc)) from None
    if cfg["augmentation"]["enabled"] and dataset.image_shape is None:
        raise ConfigError("augmentation.enabled: these data are a table, and augmentation works on "
                          "images only; set it to false")
    input_shape = tuple(int(s) for s in dataset.input_shape)
    return _Plan(cfg, dataset.task, loss, n_outputs, input_shape, layers,
                 dataset.image_shape is not None)


def _absolute_paths(data: dict, base_dir) -> dict:
    """Relative file paths resolved against ``base_dir`` (the project's folder), so the script
    finds the data wherever it runs."""
    if data.get("source") == "builtin" or base_dir is None:
        return data
    from ..data import source_options

    out = dict(data)
    for key, option in source_options(data["source"]).items():
        value = out.get(key)
        if option.kind == "path" and isinstance(value, str) and not Path(value).expanduser().is_absolute():
            out[key] = str((Path(base_dir) / Path(value).expanduser()).resolve())
    return out


def _strengths(plan: _Plan, spec: dict) -> tuple[float, float]:
    reg = plan.cfg["regularization"]
    l1 = reg["l1"] if spec.get("l1") is None else spec["l1"]
    l2 = reg["l2"] if spec.get("l2") is None else spec["l2"]
    return float(l1), float(l2)


def _num(value: float) -> str:
    """A float as short Python source that reads back to the same value."""
    return repr(float(value))


def _config_literal(cfg: dict) -> str:
    """The config as a raw string literal for ``json.loads``: ASCII only and no quote
    character at all (``'`` is written ``\\u0027``), so it cannot end the literal early."""
    def dump(value):
        return json.dumps(value, ensure_ascii=True)

    rows = []
    for key, value in cfg.items():
        if key == "model":
            layers = ",\n    ".join(dump(spec) for spec in value["layers"])
            rows.append(f'  "model": {{"layers": [\n    {layers}]}}')
        elif isinstance(value, dict) and len(dump(value)) > 90:
            inner = ",\n    ".join(f"{dump(k)}: {dump(v)}" for k, v in value.items())
            rows.append(f"  {dump(key)}: {{\n    {inner}}}")
        else:
            rows.append(f"  {dump(key)}: {dump(value)}")
    text = "{\n" + ",\n".join(rows) + "\n}"
    return "json.loads(r'''" + text.replace("'", "\\u0027") + "''')"


def _comment(text: str) -> str:
    """Text safe inside a one-line comment."""
    return "".join(ch if ch.isprintable() else " " for ch in str(text))


def _describe(plan: _Plan) -> list[str]:
    """One line per setting, for the header comment."""
    cfg = plan.cfg
    reg, es, tr, aug = cfg["regularization"], cfg["early_stopping"], cfg["training"], cfg["augmentation"]
    data = cfg["data"]
    where = data.get("name") if data["source"] == "builtin" else data.get("path") or data.get("images")
    shape = "x".join(map(str, plan.input_shape))
    lines = [f"data: {data['source']} {_comment(where)}, input {shape}, {plan.task}, "
             f"{plan.n_outputs} output(s), loss {plan.loss}"]
    parts = []
    for spec in plan.layers:
        kind = spec["type"]
        if kind == "dense":
            parts.append(f"dense {spec['units']} {spec['activation']}")
        elif kind == "conv2d":
            parts.append(f"conv {spec['filters']}x{spec['kernel']}/{spec['stride']} {spec['padding']} "
                         f"{spec['activation']}")
        elif kind == "maxpool2d":
            parts.append(f"maxpool {spec['size']}")
        elif kind == "dropout":
            parts.append(f"dropout {spec['rate']:g}")
        else:
            parts.append(kind)
    lines.append("model: " + " -> ".join(parts))
    lines.append(f"penalties: L1 {reg['l1']:g} ({reg['l1_method']}), L2 {reg['l2']:g}"
                 + (", biases too" if reg["apply_to_bias"] else ", weights only")
                 + (", per-layer overrides" if any(s.get("l1") is not None or s.get("l2") is not None
                                                   for s in plan.layers) else "")
                 + f"; dropout scaling {reg['dropout_scaling']}")
    opt = tr["optimizer"]
    detail = {"sgd": f"momentum {tr['momentum']:g}" + (" nesterov" if tr["nesterov"] else ""),
              "adam": "", "adamw": f"weight_decay {tr['weight_decay']:g}"}[opt]
    lines.append(f"training: {opt} lr {tr['lr']:g} {detail}".rstrip()
                 + f", batch {tr['batch_size']}, {tr['epochs']} epochs, seed {tr['seed']}")
    if es["enabled"]:
        lines.append(f"early stopping: {es['monitor']} patience {es['patience']} min_delta "
                     f"{es['min_delta']:g} mode {es['mode']} baseline {es['baseline']} "
                     f"restore_best_weights {es['restore_best_weights']} start_from_epoch "
                     f"{es['start_from_epoch']}")
    else:
        lines.append("early stopping: off")
    if aug["enabled"] and aug["ops"]:
        lines.append("augmentation: " + ", ".join(
            op["op"] + "(" + ", ".join(f"{k}={v}" for k, v in op.items() if k != "op") + ")"
            for op in aug["ops"]))
    return lines


def _es_mode(es: dict) -> str:
    if es["mode"] != "auto":
        return es["mode"]
    return "max" if es["monitor"].removeprefix("val_") in ("acc", "r2") else "min"


def _check_monitor(plan: _Plan) -> None:
    es = plan.cfg["early_stopping"]
    if not es["enabled"]:
        return
    metric = "acc" if plan.task == "classification" else "r2"
    if es["monitor"] in ("val_acc", "val_r2") and es["monitor"] != f"val_{metric}":
        raise ConfigError(f"early_stopping.monitor: these data report val_{metric}, not {es['monitor']}")


def _header(plan: _Plan, library: str, conventions: list[str], run: str) -> list[str]:
    name = _comment(plan.cfg["name"])
    out = ["#!/usr/bin/env python3",
           f"# {name}: a Regularization Studio {__version__} experiment, exported as a {library} script.",
           "#",
           f"# Reproduces in {library}:"]
    out += [f"#   {line}" for line in _describe(plan)]
    out += ["# The numbers match Regularization Studio's in distribution, not digit for digit: the",
            "# random streams (initial weights, shuffling, dropout, augmentation) are different.",
            "#",
            "# Conventions converted:"]
    out += [f"#     {line.lstrip()}" if line.startswith(" ") else f"#   - {line}" for line in conventions]
    out += ["#",
            "# Data: with regstudio installed, the script loads exactly the split and the",
            "# standardization the app used: regstudio.data.load_dataset(CONFIG[\"data\"]).",
            "# To plug in your own arrays, pass --data FILE.npz holding X_train, y_train, X_val,",
            "# y_val (and optionally X_test, y_test): float32 inputs already scaled, shaped",
            f"# (N, {', '.join(map(str, plan.input_shape))}); y: "
            + ("integer class indices 0..k-1." if plan.task == "classification"
               else "float targets, shape (N, 1)."),
            "# Or edit load_data() below.",
            "#",
            "# Run: python this_script.py [--epochs N] [--data FILE.npz]  (or EPOCHS=N in the environment)",
            f"# Needs: {run}",
            ""]
    return out


# --------------------------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------------------------

_TORCH_ACT = {"relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU(0.01)", "tanh": "nn.Tanh()",
              "sigmoid": "nn.Sigmoid()"}


def _torch_model(plan: _Plan) -> tuple[list[str], list[tuple[int, float, float]], dict, set]:
    """nn.Sequential lines, the (module index, l1, l2) of each layer with weights, the
    init of each such module, and the helper classes needed."""
    keep_prob = plan.cfg["regularization"]["dropout_scaling"] == "keep_probability"
    lines: list[str] = []
    penalties: list[tuple[int, float, float]] = []
    init: dict[str, list[int]] = {"he": [], "glorot": []}
    helpers: set[str] = set()
    shape = plan.input_shape
    layout = "nhwc" if len(shape) == 3 else "flat"
    index = 0

    def add(code: str, note: str = "") -> int:
        nonlocal index
        lines.append(f"        {code},{'  # ' + note if note else ''}")
        index += 1
        return index - 1

    last = len(plan.layers) - 1
    for i, spec in enumerate(plan.layers):
        kind = spec["type"]
        where = f"layers[{i}]"
        if kind in ("conv2d", "maxpool2d"):
            if layout == "flat":
                raise ConfigError(f"model.{where}: {kind} needs image input, but its input is flat")
            if layout == "nhwc":
                add("ToNCHW()", "images arrive as NHWC (Regularization Studio); PyTorch wants NCHW")
                helpers.add("ToNCHW")
                c, h, w = shape[2], shape[0], shape[1]
                shape, layout = (c, h, w), "nchw"
        if kind == "dense":
            if layout != "flat":
                add("nn.Flatten()", "inserted: Regularization Studio's dense flattens image input itself")
                layout = "flat"
            fan_in = math.prod(shape)
            note = f"{where}: dense {spec['units']} {spec['activation']}"
            if i == last:
                note += {"cross_entropy": " (output: logits; the softmax is in the loss)",
                         "sigmoid_bce": " (output: one logit; the sigmoid is in the loss)",
                         "mse": " (output)"}[plan.loss]
            at = add(f"nn.Linear({fan_in}, {spec['units']})", note)
            shape = (spec["units"],)
        elif kind == "conv2d":
            c, h, w = shape
            k, s = spec["kernel"], spec["stride"]
            oh, top, bottom = conv_geometry(h, k, s, spec["padding"])
            ow, left, right = conv_geometry(w, k, s, spec["padding"])
            if oh < 1 or ow < 1:
                raise ConfigError(f"model.{where}: a {k}x{k} kernel does not fit a {h}x{w} input")
            note = f"{where}: conv2d {spec['filters']} {k}x{k} stride {s} '{spec['padding']}' {spec['activation']}"
            if top == bottom and left == right:
                pad = top if top == left else f"({top}, {left})"
                at = add(f"nn.Conv2d({c}, {spec['filters']}, kernel_size={k}, stride={s}, padding={pad})",
                         note)
            else:
                add(f"nn.ZeroPad2d(({left}, {right}, {top}, {bottom}))",
                    "TensorFlow's 'same': the odd pixel of padding goes right/bottom")
                at = add(f"nn.Conv2d({c}, {spec['filters']}, kernel_size={k}, stride={s})", note)
            shape = (spec["filters"], oh, ow)
        elif kind == "maxpool2d":
            c, h, w = shape
            size = spec["size"]
            add(f"nn.MaxPool2d({size})", f"{where}: max-pool {size}x{size}")
            shape = (c, h // size, w // size)
            continue
        elif kind == "flatten":
            add("nn.Flatten()", f"{where}" + (" (flattens H, W, C in NHWC order)" if layout == "nhwc"
                                             else " (flattens C, H, W)" if layout == "nchw" else ""))
            shape, layout = (math.prod(shape),), "flat"
            continue
        else:  # dropout
            if keep_prob:
                helpers.add("KeepProbabilityDropout")
                add(f"KeepProbabilityDropout({spec['rate']!r})", f"{where}: dropout, original paper's scaling")
            else:
                add(f"nn.Dropout({spec['rate']!r})", f"{where}: inverted dropout")
            continue
        l1, l2 = _strengths(plan, spec)
        penalties.append((at, l1, l2))
        init["he" if spec["activation"] in _RELU_LIKE else "glorot"].append(at)
        if spec["activation"] != "linear":
            add(_TORCH_ACT[spec["activation"]])
    return lines, penalties, init, helpers


def _torch_conventions(plan: _Plan) -> list[str]:
    reg, tr = plan.cfg["regularization"], plan.cfg["training"]
    strengths = [_strengths(plan, spec) for spec in plan.layers if spec["type"] in ("dense", "conv2d")]
    out = []
    if any(l2 for _, l2 in strengths):
        out += ["L2 is alpha * sum(w**2) added to the loss (Keras' convention, as in the app), written",
                "  out in penalty(); NOT torch's weight_decay, which is 2 * alpha for SGD and acts",
                "  differently with Adam. Biases are " + ("penalized too (apply_to_bias)." if reg["apply_to_bias"]
                                                           else "not penalized.")]
    if not any(l1 for l1, _ in strengths):
        pass
    elif reg["l1_method"] == "proximal":
        out += ["L1 is alpha * sum|w|, applied proximally as in the app: after each optimizer step",
                "  w = sign(w) * max(|w| - lr * alpha, 0), so weights reach exactly zero."]
    else:
        out += ["L1 is alpha * sum|w| added to the loss (autograd gives the subgradient alpha*sign(w))."]
    if not any(spec["type"] == "dropout" for spec in plan.layers):
        pass
    elif reg["dropout_scaling"] == "keep_probability":
        out += ["Dropout uses the paper's keep-probability scaling (KeepProbabilityDropout below)."]
    else:
        out += ["Dropout is inverted dropout, as nn.Dropout."]
    if tr["optimizer"] == "sgd":
        out += ["SGD momentum is PyTorch's form (v = m*v + g; w -= lr*v), the same as the app's."]
    elif tr["optimizer"] == "adamw":
        out += ["AdamW's decoupled weight decay (w -= lr*decay*w) goes to the "
                + ("weights and biases." if reg["apply_to_bias"] else "weights only (not the biases).")]
    else:
        out += ["Adam: betas 0.9, 0.999 and eps 1e-8, as the app's."]
    if plan.images:
        out += ["Images are NHWC in the app; the model permutes them to NCHW before the first conv.",
                "  'same' padding follows TensorFlow's rule (the odd pixel right/bottom), stride 2 too.",
                "  A dense layer after a conv flattens (C, H, W), the app (H, W, C): same network,",
                "  different weight order."]
    out += ["Initial weights as the app's: He normal before ReLU-type activations, Glorot uniform",
            "  otherwise, biases zero.",
            "Early stopping follows Keras' EarlyStopping rules (class EarlyStopping below).",
            "val_loss is the data loss on the validation split, without the penalty."]
    return out


def _settings(cfg: dict, plan) -> list[str]:
    """The constants both scripts start with: the config and the training settings."""
    tr = cfg["training"]
    return ["CONFIG = " + _config_literal(cfg), "",
            f"INPUT_SHAPE = {plan.input_shape!r}  # per sample: "
            + ("(height, width, channels)" if plan.images else "(features,)"),
            f"EPOCHS = {tr['epochs']}",
            f"BATCH_SIZE = {tr['batch_size']}",
            f"LR = {_num(tr['lr'])}",
            f"SEED = {tr['seed']}", "", ""]


def pytorch_script(config: dict, dataset=None, base_dir: str | Path | None = None) -> str:
    """The source of a standalone PyTorch script that trains ``config``'s experiment.

    ``dataset`` (a loaded :class:`regstudio.data.Dataset`) saves loading the data again to
    learn its shape; ``base_dir`` resolves relative data paths (a project's folder).
    Raises ConfigError for a config that cannot be exported.
    """
    plan = _plan(config, dataset, base_dir)
    _check_monitor(plan)
    cfg = plan.cfg
    reg, es, tr, aug = cfg["regularization"], cfg["early_stopping"], cfg["training"], cfg["augmentation"]
    model_lines, penalties, init, helpers = _torch_model(plan)
    has_l1 = any(l1 for _, l1, _ in penalties)
    has_l2 = any(l2 for _, _, l2 in penalties)
    proximal = has_l1 and reg["l1_method"] == "proximal"
    aug_ops = aug["ops"] if aug["enabled"] and plan.images else []
    flips = [(op["op"], op["p"]) for op in aug_ops if op["op"] in _FLIPS]
    others = [op for op in aug_ops if op["op"] not in _FLIPS]

    src = _header(plan, "PyTorch", _torch_conventions(plan),
                  "torch and numpy.")
    src += ["import argparse", "import json", "import os", "", "import numpy as np", "import torch",
            "import torch.nn.functional as F", "from torch import nn", ""] + _settings(cfg, plan)
    for name in ("ToNCHW", "KeepProbabilityDropout"):
        if name in helpers:
            src += block("torch_blocks", name) + [""]  # three blank lines after these, as always

    # -- model
    src += ["def build_model():",
            '    """The network, layer for layer as configured in Regularization Studio."""',
            "    model = nn.Sequential("]
    src += model_lines
    src += ["    )"]
    if init["he"]:
        src += [f"    for i in {tuple(init['he'])!r}:  # before ReLU-type activations: He normal",
                '        nn.init.kaiming_normal_(model[i].weight, nonlinearity="relu")']
    if init["glorot"]:
        src += [f"    for i in {tuple(init['glorot'])!r}:  # before other activations: Glorot uniform",
                "        nn.init.xavier_uniform_(model[i].weight)"]
    every = tuple(i for i, _, _ in penalties)
    src += [f"    for i in {every!r}:", "        nn.init.zeros_(model[i].bias)", "    return model", "", ""]

    # -- penalties
    if has_l1 or has_l2:
        src += ["# (index in the model, L1 alpha, L2 alpha) of each layer with weights; the global",
                "# strengths, or the layer's own where it overrides them.",
                f"PENALTIES = {[(i, l1, l2) for i, l1, l2 in penalties]!r}",
                f"PENALIZE_BIAS = {reg['apply_to_bias']!r}", "", "",
                *block("torch_blocks", "penalized"),
                "def penalty(model):",
                '    """(the penalty alpha*sum|w| + alpha*sum(w**2), the part whose gradient backprop takes)."""',
                "    total = grad_part = 0.0",
                "    for w, l1, l2 in penalized(model):"]
        if has_l2:
            src += ["        if l2:",
                    "            term = l2 * w.pow(2).sum()",
                    "            total, grad_part = total + term.detach(), grad_part + term"]
        if has_l1:
            if proximal:
                src += ["        if l1:  # proximal: no gradient, see soft_threshold()",
                        "            total = total + l1 * w.detach().abs().sum()"]
            else:
                src += ["        if l1:  # subgradient: autograd gives l1 * sign(w)",
                        "            term = l1 * w.abs().sum()",
                        "            total, grad_part = total + term.detach(), grad_part + term"]
        src += ["    return total, grad_part", "", ""]
        if proximal:
            src += block("torch_blocks", "soft_threshold")

    # -- loss and metric
    src += ["def data_loss(outputs, y):"]
    src += {"cross_entropy": ['    return F.cross_entropy(outputs, y)  # softmax cross-entropy, batch mean'],
            "sigmoid_bce": ['    return F.binary_cross_entropy_with_logits(outputs[:, 0], y.float())'],
            "mse": ['    return F.mse_loss(outputs, y)  # mean over all elements, like Keras\' mse']}[plan.loss]
    src += ["", ""]
    if plan.task == "classification":
        pred = "(outputs[:, 0] > 0).long()" if plan.loss == "sigmoid_bce" else "outputs.argmax(1)"
        src += ["def score(outputs, y):",
                '    """Accuracy."""',
                f"    return ({pred} == y).float().mean().item()", "", ""]
        metric = "acc"
    else:
        src += block("torch_blocks", "score_r2")
        metric = "r2"

    # -- optimizer
    src += ["def make_optimizer(model):"]
    if tr["optimizer"] == "sgd":
        nesterov = bool(tr["nesterov"] and tr["momentum"] > 0)
        src += [f"    return torch.optim.SGD(model.parameters(), lr=LR, momentum={_num(tr['momentum'])}, "
                f"nesterov={nesterov!r})"]
    elif tr["optimizer"] == "adam":
        src += ["    return torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-8)"]
    elif reg["apply_to_bias"]:
        src += [f"    return torch.optim.AdamW(model.parameters(), lr=LR, weight_decay={_num(tr['weight_decay'])})"]
    else:
        src += ["    # decoupled weight decay on the weights only; biases are not decayed",
                '    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]',
                '    biases = [p for name, p in model.named_parameters() if not name.endswith("weight")]',
                f"    return torch.optim.AdamW([{{\"params\": weights, \"weight_decay\": {_num(tr['weight_decay'])}}},",
                '                              {"params": biases, "weight_decay": 0.0}], lr=LR)']
    src += ["", ""]

    # -- early stopping
    if es["enabled"]:
        src += block("torch_blocks", "EarlyStopping")

    # -- data
    src += block("data", "load_data")
    if aug_ops:
        src += [f"FLIPS = {flips!r}  # (op, probability): done on the tensor",
                "# Other ops run through regstudio's own augmentation (the app's exact ops) on the uint8",
                "# images before standardization; without regstudio they are skipped.",
                f"OTHER_OPS = {others!r}", "", "",
                *block("torch_blocks", "Augment")]

    src += block("torch_blocks", "evaluate")

    # -- main
    ydtype = "torch.long" if plan.task == "classification" else "torch.float32"
    src += ["def main():",
            '    parser = argparse.ArgumentParser(description="Train the exported experiment.")',
            '    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", EPOCHS)))',
            '    parser.add_argument("--data", help="a .npz with X_train, y_train, X_val, y_val to use instead")',
            "    args = parser.parse_args()",
            "    torch.manual_seed(SEED)",
            "    data = load_data(args.data)",
            "    X, y = (torch.as_tensor(np.asarray(a), dtype=t) for a, t in",
            f'            zip(data["train"], (torch.float32, {ydtype})))',
            "    X_val, y_val = (torch.as_tensor(np.asarray(a), dtype=t) for a, t in",
            f'                    zip(data["val"], (torch.float32, {ydtype})))',
            "    if tuple(X.shape[1:]) != INPUT_SHAPE:",
            '        raise SystemExit(f"the data have samples of shape {tuple(X.shape[1:])}, the model expects "',
            '                         f"{INPUT_SHAPE}")',
            "    model = build_model()",
            "    optimizer = make_optimizer(model)"]
    if aug_ops:
        src += ["    augment = Augment(data)"]
    if es["enabled"]:
        src += [f"    stopper = EarlyStopping({es['monitor']!r}, min_delta={_num(es['min_delta'])}, "
                f"patience={es['patience']}, mode={_es_mode(es)!r},",
                f"                            baseline={es['baseline']!r}, "
                f"restore_best_weights={es['restore_best_weights']!r}, "
                f"start_from_epoch={es['start_from_epoch']})"]
    src += ["    shuffle = torch.Generator().manual_seed(SEED)",
            "    for epoch in range(1, args.epochs + 1):",
            "        model.train()",
            "        total, seen = 0.0, 0",
            "        for idx in torch.randperm(len(X), generator=shuffle).split(BATCH_SIZE):",
            "            xb = " + ("augment(X[idx], idx)" if aug_ops else "X[idx]"),
            "            loss = data_loss(model(xb), y[idx])"]
    if has_l1 or has_l2:
        src += ["            pen, pen_grad = penalty(model)",
                "            optimizer.zero_grad()",
                "            (loss + pen_grad).backward()",
                "            optimizer.step()"]
        if proximal:
            src += ["            soft_threshold(model, LR)"]
        src += ["            total += (loss.item() + float(pen)) * len(idx)"]
    else:
        src += ["            optimizer.zero_grad()",
                "            loss.backward()",
                "            optimizer.step()",
                "            total += loss.item() * len(idx)"]
    src += ["            seen += len(idx)",
            "        val_loss, val_score = evaluate(model, X_val, y_val)",
            f'        logs = {{"train_loss": total / seen, "val_loss": val_loss, "val_{metric}": val_score}}',
            '        print(f"epoch {epoch:4d}  " + "  ".join(f"{k} {v:.4f}" for k, v in logs.items()), flush=True)',
            "        if not np.isfinite(logs[\"train_loss\"]):",
            '            print("diverged: the loss is not finite; lower the learning rate or the penalty")',
            "            break"]
    if es["enabled"]:
        src += ["        if stopper.should_stop(epoch, logs, model):",
                '            print(f"early stopping at epoch {epoch} (best epoch {stopper.best_epoch})")',
                "            break",
                "    stopper.finish(model)"]
    src += ["    val_loss, val_score = evaluate(model, X_val, y_val)",
            f'    print(f"final val_loss {{val_loss:.4f}}  val_{metric} {{val_score:.4f}}")',
            '    if len(data["test"][0]):',
            "        X_test, y_test = (torch.as_tensor(np.asarray(a), dtype=t) for a, t in",
            f'                          zip(data["test"], (torch.float32, {ydtype})))',
            "        test_loss, test_score = evaluate(model, X_test, y_test)",
            f'        print(f"test  test_loss {{test_loss:.4f}}  test_{metric} {{test_score:.4f}}")',
            "    return model", "", "",
            'if __name__ == "__main__":',
            "    main()", ""]
    return "\n".join(src)


# --------------------------------------------------------------------------------------------
# Keras
# --------------------------------------------------------------------------------------------

_KERAS_ACT = {"relu": "relu", "leaky_relu": None, "tanh": "tanh", "sigmoid": "sigmoid", "linear": None}


def _keras_model(plan: _Plan) -> list[str]:
    reg = plan.cfg["regularization"]
    lines = [f"        keras.Input(shape={plan.input_shape!r}),"]
    image = plan.images
    last = len(plan.layers) - 1
    for i, spec in enumerate(plan.layers):
        kind = spec["type"]
        where = f"layers[{i}]"
        if kind == "dropout":
            note = f"{where}" + (" (keep_probability scaling is not available in Keras: inverted)"
                                 if reg["dropout_scaling"] == "keep_probability" else "")
            lines.append(f"        layers.Dropout({spec['rate']!r}),  # {note}")
            continue
        if kind == "maxpool2d":
            lines.append(f"        layers.MaxPooling2D({spec['size']}),  # {where}")
            continue
        if kind == "flatten":
            lines.append(f"        layers.Flatten(),  # {where}")
            image = False
            continue
        args = []
        if kind == "dense":
            if image:
                lines.append("        layers.Flatten(),  # inserted: Regularization Studio's dense "
                             "flattens image input itself")
                image = False
            args.append(str(spec["units"]))
        else:
            args += [str(spec["filters"]), str(spec["kernel"]), f"strides={spec['stride']}",
                     f"padding={spec['padding']!r}"]
        act = spec["activation"]
        if _KERAS_ACT[act]:
            args.append(f"activation={_KERAS_ACT[act]!r}")
        elif act == "leaky_relu":
            args.append("activation=leaky_relu")
        args.append(f"kernel_initializer={'he_normal' if act in _RELU_LIKE else 'glorot_uniform'!r}")
        l1, l2 = _strengths(plan, spec)
        if l1 or l2:
            args.append(f"kernel_regularizer=regularizers.L1L2(l1={_num(l1)}, l2={_num(l2)})")
            if reg["apply_to_bias"]:
                args.append(f"bias_regularizer=regularizers.L1L2(l1={_num(l1)}, l2={_num(l2)})")
        cls = "Dense" if kind == "dense" else "Conv2D"
        note = where + (" output: logits, the loss applies the softmax/sigmoid"
                        if i == last and plan.loss != "mse" else " output" if i == last else "")
        lines.append(f"        # {note}")
        lines += _wrap(f"        layers.{cls}(", args, "),")
    return lines


def _wrap(opening: str, args: list[str], closing: str, width: int = 99) -> list[str]:
    """``opening`` + the comma-separated args + ``closing``, wrapped under the opening bracket."""
    lines, current = [], opening
    indent = " " * len(opening)
    for k, arg in enumerate(args):
        piece = arg + (", " if k < len(args) - 1 else closing)
        if len(current) + len(piece.rstrip()) > width and current.strip() and current != opening:
            lines.append(current.rstrip())
            current = indent
        current += piece
    lines.append(current.rstrip())
    return lines


def _keras_conventions(plan: _Plan) -> list[str]:
    reg, tr = plan.cfg["regularization"], plan.cfg["training"]
    out = ["L1 and L2 map 1:1 to regularizers.L1L2(l1=alpha1, l2=alpha2): Keras uses the same",
           "  convention (alpha*sum|w| + alpha*sum(w**2), added to the loss)."]
    if any(_strengths(plan, spec)[0] for spec in plan.layers if spec["type"] in ("dense", "conv2d")):
        if reg["l1_method"] == "proximal":
            out += ["The app applied L1 proximally (soft-threshold: weights reach exactly zero);",
                    "  Keras can only take the subgradient, so weights hover near zero instead."]
    if reg["dropout_scaling"] == "keep_probability" and any(s["type"] == "dropout" for s in plan.layers):
        out += ["Dropout: Keras only has inverted dropout; the app's keep_probability scaling gives",
                "  the same expected activation but is not available."]
    if tr["optimizer"] == "sgd":
        out += ["SGD: Keras writes momentum as v = m*v - lr*g; w += v, PyTorch and the app as",
                "  v = m*v + g; w -= lr*v. They agree while lr stays fixed (they differ after an lr change)."]
    elif tr["optimizer"] == "adam":
        out += ["Adam: epsilon 1e-8 as the app's; Keras adds it to sqrt(v) before the bias",
                "  correction, PyTorch and the app after: a tiny difference."]
    else:
        out += ["AdamW: Keras' weight_decay is decoupled like the app's (w -= lr*decay*w)"
                + ("; biases are excluded, as in the app." if not reg["apply_to_bias"] else ".")]
    out += ["Initial weights: he_normal before ReLU-type activations (Keras' is truncated, the app's",
            "  is not), glorot_uniform otherwise.",
            "Early stopping maps 1:1 to keras.callbacks.EarlyStopping (the app copies its rules).",
            "Keras' val_loss includes the penalty; the app's does not. The data loss on the",
            "  validation split is logged as val_data_loss and monitored instead of val_loss."]
    if plan.cfg["augmentation"]["enabled"] and plan.images:
        out += ["Augmentation runs in the input pipeline (Batches below): flips in NumPy, the other",
                "  ops through regstudio's own functions on the uint8 images (skipped without regstudio)."]
    return out


def keras_script(config: dict, dataset=None, base_dir: str | Path | None = None) -> str:
    """The source of a standalone Keras 3 (or tf.keras) script that trains ``config``'s experiment.

    Same arguments as :func:`pytorch_script`.
    """
    plan = _plan(config, dataset, base_dir)
    _check_monitor(plan)
    cfg = plan.cfg
    reg, es, tr, aug = cfg["regularization"], cfg["early_stopping"], cfg["training"], cfg["augmentation"]
    aug_ops = aug["ops"] if aug["enabled"] and plan.images else []
    flips = [(op["op"], op["p"]) for op in aug_ops if op["op"] in _FLIPS]
    others = [op for op in aug_ops if op["op"] not in _FLIPS]
    metric = "acc" if plan.task == "classification" else "r2"
    leaky = any(s.get("activation") == "leaky_relu" for s in plan.layers)

    src = _header(plan, "Keras", _keras_conventions(plan),
                  "keras 3 with a backend (TensorFlow, JAX or PyTorch) and numpy.")
    src += ["import argparse", "import json", "import os", "", "import keras", "import numpy as np",
            "from keras import layers, regularizers", ""] + _settings(cfg, plan)
    if leaky:
        src += block("keras_blocks", "leaky_relu")
    src += ["def build_model():",
            '    """The network, layer for layer as configured in Regularization Studio."""',
            "    return keras.Sequential(["]
    src += _keras_model(plan)
    src += ["    ])", "", ""]

    # compile
    loss, data_metric, score_metric = {
        "cross_entropy": ("keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
                          'keras.metrics.SparseCategoricalCrossentropy(from_logits=True, name="data_loss")',
                          'keras.metrics.SparseCategoricalAccuracy(name="acc")'),
        "sigmoid_bce": ("keras.losses.BinaryCrossentropy(from_logits=True)",
                        'keras.metrics.BinaryCrossentropy(from_logits=True, name="data_loss")',
                        'keras.metrics.BinaryAccuracy(threshold=0.0, name="acc")  # logit > 0'),
        "mse": ("keras.losses.MeanSquaredError()",
                'keras.metrics.MeanSquaredError(name="data_loss")',
                'keras.metrics.R2Score(name="r2")'),
    }[plan.loss]
    if tr["optimizer"] == "sgd":
        opt = (f"keras.optimizers.SGD(learning_rate=LR, momentum={_num(tr['momentum'])}, "
               f"nesterov={bool(tr['nesterov'])!r})")
    elif tr["optimizer"] == "adam":
        opt = "keras.optimizers.Adam(learning_rate=LR, beta_1=0.9, beta_2=0.999, epsilon=1e-8)"
    else:
        opt = (f"keras.optimizers.AdamW(learning_rate=LR, weight_decay={_num(tr['weight_decay'])}, "
               "beta_1=0.9, beta_2=0.999, epsilon=1e-8)")
    src += ["def compile_model(model):",
            f"    optimizer = {opt}"]
    if tr["optimizer"] == "adamw" and not reg["apply_to_bias"]:
        src += ['    optimizer.exclude_from_weight_decay(var_names=["bias"])  # decay the weights only']
    src += ["    model.compile(optimizer=optimizer,",
            f"                  loss={loss},",
            f"                  metrics=[{score_metric.split('  #')[0]},",
            f"                           {data_metric}])",
            "    return model", "", ""]

    # data
    src += block("data", "load_data")
    if plan.loss == "sigmoid_bce":
        src += ["def targets(y):", '    return np.asarray(y, "float32").reshape(-1, 1)  # one logit per sample',
                "", ""]
    else:
        src += ["def targets(y):", "    return np.asarray(y)", "", ""]
    if aug_ops:
        src += [f"FLIPS = {flips!r}  # (op, probability), done in NumPy on the batch",
                "# Other ops run through regstudio's own augmentation (the app's exact ops) on the uint8",
                "# images before standardization; without regstudio they are skipped.",
                f"OTHER_OPS = {others!r}", "",
                *block("keras_blocks", "Batches")]

    # main
    src += ["def main():",
            '    parser = argparse.ArgumentParser(description="Train the exported experiment.")',
            '    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", EPOCHS)))',
            '    parser.add_argument("--data", help="a .npz with X_train, y_train, X_val, y_val to use instead")',
            "    args = parser.parse_args()",
            "    keras.utils.set_random_seed(SEED)",
            "    data = load_data(args.data)",
            '    X, y = data["train"]',
            '    X_val, y_val = data["val"]',
            "    model = compile_model(build_model())",
            "    callbacks = []"]
    if es["enabled"]:
        monitor = {"val_loss": "val_data_loss", "train_loss": "loss"}.get(es["monitor"], es["monitor"])
        note = {"val_loss": "  # the app's val_loss: data loss only, without the penalty",
                "train_loss": "  # the training loss with the penalty, as the app's train_loss"}.get(es["monitor"], "")
        src += ["    callbacks.append(keras.callbacks.EarlyStopping(",
                f"        monitor={monitor!r},{note}",
                f"        min_delta={_num(es['min_delta'])}, patience={es['patience']}, mode={_es_mode(es)!r}, "
                f"baseline={es['baseline']!r},",
                f"        restore_best_weights={es['restore_best_weights']!r}, "
                f"start_from_epoch={es['start_from_epoch']}))"]
    if aug_ops:
        src += ["    model.fit(Batches(data), epochs=args.epochs, validation_data=(X_val, targets(y_val)),",
                "              callbacks=callbacks, verbose=2)"]
    else:
        src += ["    model.fit(X, targets(y), batch_size=BATCH_SIZE, epochs=args.epochs, shuffle=True,",
                "              validation_data=(X_val, targets(y_val)), callbacks=callbacks, verbose=2)"]
    src += ["    final = model.evaluate(X_val, targets(y_val), verbose=0, return_dict=True)",
            f'    print(f"final val_loss {{final[\'data_loss\']:.4f}}  val_{metric} {{final[\'{metric}\']:.4f}}")',
            '    X_test, y_test = data["test"]',
            "    if len(X_test):",
            "        test = model.evaluate(X_test, targets(y_test), verbose=0, return_dict=True)",
            f'        print(f"test  test_loss {{test[\'data_loss\']:.4f}}  test_{metric} {{test[\'{metric}\']:.4f}}")',
            "    return model", "", "",
            'if __name__ == "__main__":',
            "    main()", ""]
    return "\n".join(src)


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

def script(config: dict, framework: str, dataset=None, base_dir: str | Path | None = None) -> str:
    """The script for ``framework`` (``"pytorch"`` or ``"keras"``)."""
    if framework == "pytorch":
        return pytorch_script(config, dataset, base_dir)
    if framework == "keras":
        return keras_script(config, dataset, base_dir)
    raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)} (got {framework!r})")


def write_script(path: str | Path, config: dict, framework: str, *, overwrite: bool = False,
                 dataset=None, base_dir: str | Path | None = None) -> Path:
    """Write the ``framework`` script for ``config`` to ``path`` atomically; returns the path.

    Refuses (FileExistsError) to replace an existing file unless ``overwrite``. The script
    is generated before anything is written, so a config that cannot be exported leaves
    no file behind.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; choose another name or allow overwriting")
    text = script(config, framework, dataset, base_dir)
    if path.exists() and not overwrite:  # appeared while generating
        raise FileExistsError(f"{path} already exists; choose another name or allow overwriting")
    atomic_write(path, text)
    return path
