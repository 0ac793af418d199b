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

The scripts' code lives in ``codegen_runtime/`` as real modules (ruff-checked, imported and
run by the tests): the data loader, the model, penalties, loss, optimizer, early stopping,
augmentation, evaluation and both ``main()`` functions. This module only fills them in with
the experiment's settings (``codegen_runtime.block``), writes out the layers, and the header
that says what was converted.
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


def _fill(plan: _Plan) -> dict:
    """What both frameworks' blocks are filled in with: the settings and the flags that choose
    their branches (see ``codegen_runtime``)."""
    cfg = plan.cfg
    es, tr, aug = cfg["early_stopping"], cfg["training"], cfg["augmentation"]
    aug_ops = aug["ops"] if aug["enabled"] and plan.images else []
    metric = "acc" if plan.task == "classification" else "r2"
    flags = {"REGRESSION": plan.task != "classification", "CROSS_ENTROPY": plan.loss == "cross_entropy",
             "SIGMOID_BCE": plan.loss == "sigmoid_bce", "USE_SGD": tr["optimizer"] == "sgd",
             "USE_ADAM": tr["optimizer"] == "adam", "AUGMENT": bool(aug_ops), "EARLY_STOPPING": es["enabled"]}
    settings = {"CONFIG": _config_literal(cfg), "INPUT_SHAPE": repr(plan.input_shape),
                "EPOCHS": str(tr["epochs"]), "BATCH_SIZE": str(tr["batch_size"]), "LR": _num(tr["lr"]),
                "SEED": str(tr["seed"]),
                "FLIPS": repr([(op["op"], op["p"]) for op in aug_ops if op["op"] in _FLIPS]),
                "OTHER_OPS": repr([op for op in aug_ops if op["op"] not in _FLIPS])}
    values = {"METRIC": repr(metric), "VAL_SCORE": json.dumps(f"val_{metric}"),
              "MOMENTUM": _num(tr["momentum"]), "WEIGHT_DECAY": _num(tr["weight_decay"]),
              "ES_MONITOR": repr(es["monitor"]), "ES_MIN_DELTA": _num(es["min_delta"]),
              "ES_PATIENCE": str(es["patience"]), "ES_MODE": repr(_es_mode(es)), "ES_BASELINE": repr(es["baseline"]),
              "ES_RESTORE": repr(es["restore_best_weights"]), "ES_START": str(es["start_from_epoch"])}
    notes = {"SHAPE_NOTE": "per sample: " + ("(height, width, channels)" if plan.images else "(features,)")}
    return {"flags": flags, "settings": settings, "values": values, "notes": notes}


def pytorch_script(config: dict, dataset=None, base_dir: str | Path | None = None) -> str:
    """The source of a standalone PyTorch script that trains ``config``'s experiment.

    ``dataset`` (a loaded :class:`regstudio.data.Dataset`) saves loading the data again to
    learn its shape; ``base_dir`` resolves relative data paths (a project's folder).
    Raises ConfigError for a config that cannot be exported.
    """
    plan = _plan(config, dataset, base_dir)
    _check_monitor(plan)
    reg, tr = plan.cfg["regularization"], plan.cfg["training"]
    model_lines, penalties, init, helpers = _torch_model(plan)
    has_l1 = any(l1 for _, l1, _ in penalties)
    has_l2 = any(l2 for _, _, l2 in penalties)
    proximal = has_l1 and reg["l1_method"] == "proximal"
    fill = _fill(plan)
    fill["flags"] |= {"HAS_L1": has_l1, "HAS_L2": has_l2, "PROXIMAL_L1": proximal, "PENALIZED": has_l1 or has_l2,
                      "DECAY_BIASES": reg["apply_to_bias"], "HE_LAYERS": bool(init["he"]),
                      "GLOROT_LAYERS": bool(init["glorot"])}
    fill["settings"] |= {"PENALTIES": repr([(i, l1, l2) for i, l1, l2 in penalties]),
                         "PENALIZE_BIAS": repr(reg["apply_to_bias"])}
    fill["values"] |= {"NESTEROV": repr(bool(tr["nesterov"] and tr["momentum"] > 0)),
                       "HE_LAYERS": repr(tuple(init["he"])), "GLOROT_LAYERS": repr(tuple(init["glorot"])),
                       "WEIGHTED_LAYERS": repr(tuple(i for i, _, _ in penalties)),
                       "Y_DTYPE": "torch.long" if plan.task == "classification" else "torch.float32"}
    fill["notes"] |= {"FLIPS_NOTE": "(op, probability): done on the tensor"}

    def part(name: str, **kwargs) -> list[str]:
        return block("torch_blocks", name, **fill, **kwargs)

    src = _header(plan, "PyTorch", _torch_conventions(plan), "torch and numpy.")
    src += part("imports", gap=1) + block("data", "settings", **fill)
    for name in ("ToNCHW", "KeepProbabilityDropout"):
        if name in helpers:
            src += part(name) + [""]  # three blank lines after these, as always
    src += part("build_model", lines={"*model_layers(),": model_lines})
    if has_l1 or has_l2:
        src += part("penalties") + part("penalized") + part("penalty")
        if proximal:
            src += part("soft_threshold")
    src += part("data_loss") + part("score") + part("make_optimizer")
    if plan.cfg["early_stopping"]["enabled"]:
        src += part("EarlyStopping")
    src += block("data", "load_data")
    if fill["flags"]["AUGMENT"]:
        src += block("data", "augmentation", **fill) + part("Augment")
    src += part("evaluate") + part("main", gap=1)
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
    reg, es, tr = plan.cfg["regularization"], plan.cfg["early_stopping"], plan.cfg["training"]
    fill = _fill(plan)
    fill["flags"] |= {"EXCLUDE_BIASES": tr["optimizer"] == "adamw" and not reg["apply_to_bias"]}
    fill["values"] |= {"NESTEROV": repr(bool(tr["nesterov"])),
                       "ES_MONITOR": repr({"val_loss": "val_data_loss", "train_loss": "loss"}.get(
                           es["monitor"], es["monitor"]))}
    fill["notes"] |= {"FLIPS_NOTE": "(op, probability), done in NumPy on the batch",
                      "ES_NOTE": {"val_loss": "the app's val_loss: data loss only, without the penalty",
                                  "train_loss": "the training loss with the penalty, as the app's train_loss"}
                      .get(es["monitor"], "")}

    def part(name: str, **kwargs) -> list[str]:
        return block("keras_blocks", name, **fill, **kwargs)

    src = _header(plan, "Keras", _keras_conventions(plan),
                  "keras 3 with a backend (TensorFlow, JAX or PyTorch) and numpy.")
    src += part("imports", gap=1) + block("data", "settings", **fill)
    if any(s.get("activation") == "leaky_relu" for s in plan.layers):
        src += part("leaky_relu")
    src += part("build_model", lines={"*model_layers(),": _keras_model(plan)})
    src += part("compile_model") + block("data", "load_data") + part("targets")
    if fill["flags"]["AUGMENT"]:
        src += block("data", "augmentation", **fill, gap=1) + part("Batches")
    src += part("main", gap=1)
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
