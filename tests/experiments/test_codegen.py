"""Exported PyTorch and Keras scripts: they run (PyTorch, where installed), and they map every
setting of the experiment: layers, penalties, dropout, early stopping, optimizer, augmentation."""

from __future__ import annotations

import math
import os
import re
import runpy
import subprocess
import sys
import types
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from regstudio.data import load_dataset
from regstudio.engine import EarlyStopping as EngineEarlyStopping
from regstudio.experiments.build import build
from regstudio.experiments.codegen import keras_script, pytorch_script, write_script
from regstudio.experiments.config import ConfigError, validate_config

ROOT = Path(__file__).resolve().parents[2]


def moons_config(**overrides):
    cfg = {
        "name": "moons export",
        "data": {"source": "builtin", "name": "moons", "n_samples": 200, "noise": 0.25, "seed": 0},
        "model": {"layers": [{"type": "dense", "units": 32, "activation": "relu"},
                             {"type": "dropout", "rate": 0.2}, {"type": "dense"}]},
        "regularization": {"l2": 1e-3},
        "early_stopping": {"enabled": True, "monitor": "val_loss", "patience": 3},
        "training": {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "batch_size": 32, "epochs": 10},
    }
    for key, value in overrides.items():
        cfg[key] = {**cfg.get(key, {}), **value} if isinstance(value, dict) else value
    return cfg


def digits_cnn_config(**overrides):
    cfg = {
        "name": "digits cnn export",
        "data": {"source": "builtin", "name": "digits", "train_size": 400, "seed": 0},
        "model": {"layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "activation": "relu"},
                             {"type": "maxpool2d", "size": 2}, {"type": "dense"}]},
        "training": {"optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 20},
    }
    cfg.update(overrides)
    return cfg


# Layer stacks for the shape and parameter checks: stride-2 'same' with odd and even kernels
# (TensorFlow pads the odd pixel right/bottom), 'valid', explicit flatten, a dense on images.
CONV_STACKS = {
    "conv_pool_dense": [{"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "maxpool2d", "size": 2},
                        {"type": "dense"}],
    "stride2_same": [{"type": "conv2d", "filters": 3, "kernel": 3, "stride": 2, "activation": "tanh"},
                     {"type": "conv2d", "filters": 5, "kernel": 2, "stride": 2},
                     {"type": "flatten"}, {"type": "dense", "units": 7, "activation": "sigmoid"},
                     {"type": "dense"}],
    "even_kernel_same": [{"type": "conv2d", "filters": 2, "kernel": 4, "activation": "leaky_relu"},
                         {"type": "conv2d", "filters": 3, "kernel": 3, "padding": "valid"},
                         {"type": "maxpool2d", "size": 3}, {"type": "dropout", "rate": 0.3},
                         {"type": "dense"}],
    "mlp_on_images": [{"type": "dense", "units": 16}, {"type": "dropout", "rate": 0.5}, {"type": "dense"}],
}


def load_namespace(source: str, tmp_path: Path, name: str = "exported.py") -> dict:
    """The script's globals, as importing it would give (main() not run)."""
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return runpy.run_path(str(path), run_name="exported_script")


def engine_model(cfg):
    return build(cfg).model


# -------------------------------------------------------------------------------------------
# PyTorch: the scripts run and train
# -------------------------------------------------------------------------------------------

def run_script(path: Path, *args, env_extra=None, cwd=None) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def epoch_rows(output: str) -> list[dict]:
    rows = []
    for line in output.splitlines():
        if line.startswith("epoch"):
            fields = line.split()
            rows.append({"epoch": int(fields[1]),
                         **{k: float(v) for k, v in zip(fields[2::2], fields[3::2], strict=True)}})
    return rows


def final_metrics(output: str) -> dict:
    line = next(line for line in output.splitlines() if line.startswith("final"))
    fields = line.split()[1:]
    return {k: float(v) for k, v in zip(fields[::2], fields[1::2], strict=True)}


def test_pytorch_script_trains_moons_mlp(tmp_path):
    pytest.importorskip("torch")
    path = write_script(tmp_path / "moons_torch.py", moons_config(), "pytorch")
    out = run_script(path, cwd=tmp_path)
    rows = epoch_rows(out)
    assert 1 <= len(rows) <= 10
    assert all(math.isfinite(r["train_loss"]) and math.isfinite(r["val_loss"]) for r in rows)
    final = final_metrics(out)
    assert math.isfinite(final["val_loss"])
    assert final["val_acc"] > 0.75  # two balanced classes: chance is 0.5
    # restore_best_weights: the final validation loss is the best epoch's
    assert final["val_loss"] == pytest.approx(min(r["val_loss"] for r in rows), abs=1e-4)


def test_pytorch_script_trains_digits_cnn_with_epochs_override(tmp_path):
    pytest.importorskip("torch")
    cfg = digits_cnn_config()
    path = write_script(tmp_path / "digits_torch.py", cfg, "pytorch")
    out = run_script(path, "--epochs", "2", cwd=tmp_path)
    rows = epoch_rows(out)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert all(math.isfinite(r["train_loss"]) for r in rows)
    final = final_metrics(out)
    assert math.isfinite(final["val_loss"])
    assert final["val_acc"] > 0.3  # ten classes: chance is 0.1
    # The EPOCHS environment variable does the same.
    out = run_script(path, env_extra={"EPOCHS": "1"}, cwd=tmp_path)
    assert [r["epoch"] for r in epoch_rows(out)] == [1]


VARIANTS = {
    "regression_adamw": dict(
        data={"source": "builtin", "name": "curve", "seed": 0},
        model={"layers": [{"type": "dense", "units": 16, "activation": "tanh"}, {"type": "dense"}]},
        regularization={"l1": 1e-3, "l1_method": "subgradient", "apply_to_bias": True},
        early_stopping={"enabled": True, "monitor": "val_r2", "patience": 2, "min_delta": 1e-3},
        training={"optimizer": "adamw", "lr": 0.01, "weight_decay": 1e-2}),
    "sigmoid_bce_nesterov_keep_prob": dict(
        regularization={"l1": 1e-3, "dropout_scaling": "keep_probability"},
        early_stopping={"enabled": True, "monitor": "train_loss", "baseline": 0.9,
                        "start_from_epoch": 1},
        training={"optimizer": "sgd", "nesterov": True, "loss": "sigmoid_bce"}),
    "augmented_cnn": "digits",
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_pytorch_script_variants_train(variant, tmp_path, monkeypatch, capsys):
    """Regression, one-logit BCE, AdamW, Nesterov, proximal/subgradient L1, keep-probability
    dropout, augmentation: each script runs (in this process, for speed) and learns."""
    pytest.importorskip("torch")
    if VARIANTS[variant] == "digits":
        cfg = digits_cnn_config(augmentation={"enabled": True, "ops": [
            {"op": "hflip", "p": 0.5}, {"op": "vflip", "p": 0.1}, {"op": "rotate", "degrees": 10},
            {"op": "brightness", "factor": 0.1}]},
            regularization={"l2": 1e-4, "l1": 1e-5})
        metric, floor = "val_acc", 0.2
    else:
        cfg = moons_config(**VARIANTS[variant])
        metric, floor = ("val_r2", 0.0) if variant.startswith("regression") else ("val_acc", 0.6)
    ns = load_namespace(pytorch_script(cfg), tmp_path)
    monkeypatch.setattr(sys, "argv", ["exported.py", "--epochs", "4"])
    ns["main"]()
    out = capsys.readouterr().out
    assert "note:" not in out  # regstudio is here: every augmentation op ran
    assert all(math.isfinite(r["train_loss"]) for r in epoch_rows(out))
    assert final_metrics(out)[metric] > floor


def test_pytorch_script_takes_users_arrays(tmp_path, monkeypatch, capsys):
    """--data FILE.npz trains on the given arrays, without regstudio's loader."""
    pytest.importorskip("torch")
    cfg = moons_config()
    ds = load_dataset(validate_config(cfg)["data"])
    np.savez(tmp_path / "mine.npz", X_train=ds.train.X, y_train=ds.train.y, X_val=ds.val.X,
             y_val=ds.val.y)
    ns = load_namespace(pytorch_script(cfg), tmp_path)
    monkeypatch.setattr(sys, "argv", ["exported.py", "--epochs", "3", "--data", str(tmp_path / "mine.npz")])
    with mock.patch("regstudio.data.load_dataset", side_effect=AssertionError("not used")):
        ns["main"]()
    assert final_metrics(capsys.readouterr().out)["val_acc"] > 0.6


# -------------------------------------------------------------------------------------------
# PyTorch: the same network and the same penalties as the engine
# -------------------------------------------------------------------------------------------

def both_models(cfg, tmp_path):
    torch = pytest.importorskip("torch")
    ns = load_namespace(pytorch_script(cfg), tmp_path)
    torch.manual_seed(0)
    return ns, ns["build_model"](), engine_model(cfg)


def copy_engine_weights(engine, net, layers):
    """Engine weights into the PyTorch model (NHWC kernels -> NCHW; a dense after a conv
    gets its rows reordered from the engine's (H, W, C) flattening to PyTorch's (C, H, W))."""
    import torch

    modules = [m for m in net if isinstance(m, torch.nn.Linear | torch.nn.Conv2d)]
    with_params = [layer for layer in engine.layers if "W" in layer.params]
    assert len(modules) == len(with_params)
    spatial, nchw = None, False  # the last image shape, and whether PyTorch holds it as NCHW
    by_layer = iter(zip(with_params, modules, strict=True))
    for spec, layer in zip(layers, engine.layers, strict=True):
        if spec["type"] in ("conv2d", "maxpool2d"):
            nchw = True
        if len(layer.output_shape) == 3:
            spatial = layer.output_shape
        if "W" not in layer.params:
            continue
        _, module = next(by_layer)
        W, b = layer.params["W"], layer.params["b"]
        if W.ndim == 4:
            w = W.transpose(3, 2, 0, 1)
        elif nchw and spatial is not None:
            h, wd, c = spatial
            w = W.reshape(h, wd, c, -1).transpose(2, 0, 1, 3).reshape(W.shape[0], -1).T
        else:
            w = W.T
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            module.bias.copy_(torch.from_numpy(b))
        spatial = layer.output_shape if len(layer.output_shape) == 3 else None
        nchw = nchw and spatial is not None


@pytest.mark.parametrize("stack", CONV_STACKS)
def test_pytorch_model_matches_engine_layer_for_layer(stack, tmp_path):
    """Same parameter count as the engine's model and, with the engine's weights copied in,
    the same outputs: padding, strides, pooling, flattening and dropout at test time agree."""
    torch = pytest.importorskip("torch")
    cfg = digits_cnn_config(model={"layers": CONV_STACKS[stack]},
                            regularization={"dropout_scaling": "keep_probability"})
    ns, net, engine = both_models(cfg, tmp_path)
    assert sum(p.numel() for p in net.parameters()) == engine.n_params()
    copy_engine_weights(engine, net, validate_config(cfg)["model"]["layers"])
    X = build(cfg).dataset.val.X[:50]
    net.eval()
    with torch.no_grad():
        ours = net(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(ours, engine.outputs(X), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["moons", "curve", "breast_cancer"])
def test_pytorch_parameter_count_matches_engine_for_tables(name, tmp_path):
    cfg = moons_config(data={"source": "builtin", "name": name, "seed": 0},
                       model={"layers": [{"type": "dense", "units": 24, "activation": "relu"},
                                         {"type": "dropout", "rate": 0.2},
                                         {"type": "dense", "units": 8, "activation": "tanh"},
                                         {"type": "dense"}]})
    if name != "moons":
        cfg["data"].pop("n_samples")
        cfg["data"].pop("noise")
    _, net, engine = both_models(cfg, tmp_path)
    assert sum(p.numel() for p in net.parameters()) == engine.n_params()


def test_pytorch_penalty_and_proximal_step_match_engine(tmp_path):
    """alpha*sum|w| + alpha*sum(w**2) over the weights with per-layer overrides, and the
    soft-threshold step, give the engine's numbers on the same weights."""
    torch = pytest.importorskip("torch")
    cfg = moons_config(model={"layers": [{"type": "dense", "units": 32, "activation": "relu", "l1": 3e-2},
                                         {"type": "dense", "units": 16, "l2": 0.0},
                                         {"type": "dense"}]},
                       regularization={"l1": 1e-2, "l2": 5e-2})
    ns, net, engine = both_models(cfg, tmp_path)
    copy_engine_weights(engine, net, validate_config(cfg)["model"]["layers"])
    trainer = build(cfg).trainer
    trainer.model.params[...] = engine.params
    total, grad_part = ns["penalty"](net)
    assert float(total) == pytest.approx(trainer.penalty.value(engine.params), rel=1e-5)
    # proximal: the L1 part carries no gradient, the L2 part does
    l2_only = sum(l2 * float((m.weight.detach() ** 2).sum()) for i, _, l2 in ns["PENALTIES"]
                  for m in [net[i]])
    assert float(grad_part.detach()) == pytest.approx(l2_only, rel=1e-5)
    ns["soft_threshold"](net, 20.0)
    trainer.penalty.proximal_step(engine.params, 20.0)
    copied = [m for m in net if isinstance(m, torch.nn.Linear)]
    for module, layer in zip(copied, [lay for lay in engine.layers if "W" in lay.params], strict=True):
        np.testing.assert_allclose(module.weight.detach().numpy(), layer.params["W"].T, atol=1e-6)
    assert (copied[0].weight == 0).float().mean() > 0.3  # exactly zero, as the app shows them


def test_pytorch_subgradient_l1_and_bias_penalty(tmp_path):
    pytest.importorskip("torch")
    cfg = moons_config(regularization={"l1": 1e-2, "l2": 0.0, "l1_method": "subgradient",
                                       "apply_to_bias": True})
    ns, net, engine = both_models(cfg, tmp_path)
    assert "soft_threshold" not in ns
    assert ns["PENALIZE_BIAS"] is True
    expected = sum(1e-2 * float(p.detach().abs().sum()) for p in net.parameters())
    total, grad_part = ns["penalty"](net)
    assert float(total) == pytest.approx(expected, rel=1e-5)
    assert float(grad_part.detach()) == pytest.approx(expected, rel=1e-5)


SEQUENCES = [
    ([1.0, 0.9, 0.95, 0.97, 0.99, 0.8], dict(patience=3)),
    ([1.0, 0.999, 0.998, 0.997, 0.5], dict(patience=2, min_delta=0.01)),
    ([1.0, 0.9, 0.8, 0.85, 0.7, 0.9, 0.9, 0.9], dict(patience=2, baseline=0.75)),
    ([0.5, 0.9, 1.0, 0.8, 0.6, 0.9, 0.95], dict(patience=2, start_from_epoch=2, mode="max")),
    ([1.0, 1.0, 1.0], dict(patience=0)),
]


@pytest.mark.parametrize("values, options", SEQUENCES)
def test_pytorch_early_stopping_follows_the_engines_rules(values, options, tmp_path):
    torch = pytest.importorskip("torch")
    cfg = moons_config(early_stopping={"enabled": True, **options})
    ns = load_namespace(pytorch_script(cfg), tmp_path)
    es = validate_config(cfg)["early_stopping"]
    mode = es["mode"] if es["mode"] != "auto" else "min"
    theirs = ns["EarlyStopping"]("val_loss", es["min_delta"], es["patience"], mode, es["baseline"],
                                 True, es["start_from_epoch"])
    ours = EngineEarlyStopping("val_loss", es["min_delta"], es["patience"], mode, es["baseline"],
                               True, es["start_from_epoch"])
    ours.trainer = types.SimpleNamespace(model=types.SimpleNamespace(params=np.zeros(1)),
                                         stop_training=False)
    ours.on_train_begin()
    net = torch.nn.Linear(1, 1)
    stops = []
    for epoch, value in enumerate(values, start=1):
        theirs_stop = theirs.should_stop(epoch, {"val_loss": value}, net)
        ours.on_epoch_end(epoch, {"val_loss": value})
        stops.append((theirs_stop, ours.trainer.stop_training))
        if theirs_stop or ours.trainer.stop_training:
            break
    assert all(a == b for a, b in stops), stops
    assert theirs.best_epoch == ours.best_epoch


# -------------------------------------------------------------------------------------------
# Keras: the source compiles and maps every setting (Keras is not installed here)
# -------------------------------------------------------------------------------------------

def test_keras_script_maps_each_setting():
    cfg = moons_config(regularization={"l1": 1e-4, "l2": 1e-3, "dropout_scaling": "keep_probability"},
                       early_stopping={"min_delta": 0.01, "start_from_epoch": 2, "baseline": 0.8})
    cfg["model"]["layers"][0]["l2"] = 5e-2
    src = keras_script(cfg)
    compile(src, "moons_keras.py", "exec")
    assert "CONFIG = json.loads(r'''" in src and "eval(" not in src
    # per-layer override on the first dense, the global strengths on the output
    assert "kernel_regularizer=regularizers.L1L2(l1=0.0001, l2=0.05)" in src
    assert "kernel_regularizer=regularizers.L1L2(l1=0.0001, l2=0.001)" in src
    assert "bias_regularizer" not in src
    assert "layers.Dropout(0.2)" in src
    assert "keep_probability scaling is not available in Keras" in src
    assert "subgradient" in src  # proximal L1 is not available in Keras: said in the header
    assert "layers.Dense(32, activation='relu', kernel_initializer='he_normal'" in src
    assert re.search(r"layers\.Dense\(2,", src)
    assert "keras.losses.SparseCategoricalCrossentropy(from_logits=True)" in src
    assert "keras.optimizers.SGD(learning_rate=LR, momentum=0.9, nesterov=False)" in src
    assert "LR = 0.1" in src and "BATCH_SIZE = 32" in src and "EPOCHS = 10" in src and "SEED = 0" in src
    early = src[src.index("keras.callbacks.EarlyStopping("):]
    for part in ("monitor='val_data_loss'", "min_delta=0.01", "patience=3", "mode='min'",
                 "baseline=0.8", "restore_best_weights=True", "start_from_epoch=2"):
        assert part in early, part
    assert "v = m*v - lr*g" in src  # the SGD momentum form is noted


def test_keras_script_conv_adamw_augmentation_and_regression():
    cfg = digits_cnn_config(
        model={"layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "stride": 2, "padding": "valid",
                           "activation": "leaky_relu"},
                          {"type": "maxpool2d", "size": 2}, {"type": "dense"}]},
        regularization={"l2": 1e-4, "apply_to_bias": False},
        augmentation={"enabled": True, "ops": [{"op": "hflip", "p": 0.5}, {"op": "hue", "shift": 0.1}]},
        training={"optimizer": "adamw", "lr": 0.003, "weight_decay": 0.02})
    src = keras_script(cfg)
    compile(src, "digits_keras.py", "exec")
    assert "keras.Input(shape=(8, 8, 1))" in src
    assert "layers.Conv2D(4, 3, strides=2, padding='valid', activation=leaky_relu" in src
    assert "layers.MaxPooling2D(2)" in src
    assert "layers.Flatten(),  # inserted" in src
    assert "keras.optimizers.AdamW(learning_rate=LR, weight_decay=0.02" in src
    assert 'exclude_from_weight_decay(var_names=["bias"])' in src
    assert "FLIPS = [('hflip', 0.5)]" in src and "'op': 'hue'" in src
    assert "model.fit(Batches(data)" in src
    reg = keras_script(moons_config(data={"source": "builtin", "name": "curve", "seed": 0},
                                    early_stopping={"monitor": "val_r2"}))
    compile(reg, "curve_keras.py", "exec")
    assert "keras.losses.MeanSquaredError()" in reg and 'R2Score(name="r2")' in reg
    assert "monitor='val_r2'" in reg and "mode='max'" in reg


def fake_keras():
    """A stand-in for the keras package that records the calls the script makes."""
    keras = mock.MagicMock(name="keras")
    keras.utils.PyDataset = object
    keras.Sequential.return_value.evaluate.return_value = {"data_loss": 0.5, "acc": 0.9, "r2": 0.5}
    return keras


def test_keras_script_runs_against_a_recording_keras(tmp_path, monkeypatch, capsys):
    """With a stand-in keras the script builds the layers asked for, compiles, and feeds
    fit() augmented batches of the right shape from regstudio's data."""
    keras = fake_keras()
    monkeypatch.setitem(sys.modules, "keras", keras)
    cfg = digits_cnn_config(augmentation={"enabled": True, "ops": [{"op": "hflip", "p": 0.5},
                                                                   {"op": "rotate", "degrees": 10}]},
                            early_stopping={"enabled": True, "patience": 4},
                            regularization={"l2": 1e-3})
    ns = load_namespace(keras_script(cfg), tmp_path)
    monkeypatch.setattr(sys, "argv", ["exported.py", "--epochs", "2"])
    ns["main"]()
    conv = keras.layers.Conv2D.call_args
    assert conv.args == (4, 3) and conv.kwargs["padding"] == "same" and conv.kwargs["strides"] == 1
    keras.regularizers.L1L2.assert_any_call(l1=0.0, l2=0.001)
    keras.callbacks.EarlyStopping.assert_called_once()
    assert keras.callbacks.EarlyStopping.call_args.kwargs["patience"] == 4
    fit = keras.Sequential.return_value.fit.call_args
    assert fit.kwargs["epochs"] == 2
    batches = fit.args[0]
    x, y = batches[0]
    assert x.shape == (32, 8, 8, 1) and x.dtype == np.float32 and y.shape == (32,)
    assert len(batches) == math.ceil(400 / 32)
    assert "final val_loss 0.5000  val_acc 0.9000" in capsys.readouterr().out


# -------------------------------------------------------------------------------------------
# Files and the embedded config
# -------------------------------------------------------------------------------------------

def test_write_script_refuses_to_overwrite(tmp_path):
    path = tmp_path / "train.py"
    write_script(path, moons_config(), "keras")
    first = path.read_text()
    with pytest.raises(FileExistsError):
        write_script(path, moons_config(training={"lr": 0.5}), "pytorch")
    assert path.read_text() == first
    write_script(path, moons_config(training={"lr": 0.5}), "pytorch", overwrite=True)
    assert "LR = 0.5" in path.read_text()
    with pytest.raises(ValueError, match="framework"):
        write_script(tmp_path / "other.py", moons_config(), "jax")
    assert not (tmp_path / "other.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]  # no temporary files left


def test_bad_config_is_a_config_error_and_writes_nothing(tmp_path):
    with pytest.raises(ConfigError, match="lr"):
        write_script(tmp_path / "x.py", moons_config(training={"lr": -1}), "pytorch")
    with pytest.raises(ConfigError, match="augmentation"):
        pytorch_script(moons_config(augmentation={"enabled": True, "ops": [{"op": "hflip"}]}))
    assert not (tmp_path / "x.py").exists()


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_embedded_config_survives_any_name(framework, tmp_path, monkeypatch):
    """Quotes, triple quotes, backslashes, newlines and non-ASCII in the name cannot break
    out of the JSON literal; the script reads back exactly the validated config."""
    if framework == "keras":
        monkeypatch.setitem(sys.modules, "keras", fake_keras())
    else:
        pytest.importorskip("torch")
    name = "it's '''tricky''' \"\"\" \\ \\' \n # é ✓ {x}"
    cfg = moons_config(name=name)
    make = pytorch_script if framework == "pytorch" else keras_script
    ns = load_namespace(make(cfg), tmp_path)
    assert ns["CONFIG"] == validate_config(cfg)
    assert ns["CONFIG"]["name"] == name


def test_relative_data_paths_resolve_against_the_project_folder(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    project = tmp_path / "project"
    project.mkdir()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    np.savez(project / "table.npz", X=X, y=(X[:, 0] + X[:, 1] > 0).astype(int))
    cfg = moons_config(data={"source": "npz", "path": "table.npz", "seed": 0})
    cfg["data"] = {"source": "npz", "path": "table.npz", "seed": 0}
    src = pytorch_script(cfg, base_dir=project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ns = load_namespace(src, elsewhere)
    assert Path(ns["CONFIG"]["data"]["path"]) == (project / "table.npz").resolve()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(sys, "argv", ["exported.py", "--epochs", "2"])
    ns["main"]()
    assert math.isfinite(final_metrics(capsys.readouterr().out)["val_loss"])


def test_a_loaded_dataset_is_used_instead_of_loading_again():
    cfg = moons_config()
    ds = load_dataset(validate_config(cfg)["data"])
    with mock.patch("regstudio.experiments.codegen.load_data", side_effect=AssertionError("loaded")):
        src = pytorch_script(cfg, dataset=ds)
    assert "nn.Linear(2, 32)" in src
