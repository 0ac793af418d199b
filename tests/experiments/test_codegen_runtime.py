"""The static parts of the exported scripts, imported and run as the modules they are."""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np
import pytest

from regstudio.data import load_dataset
from regstudio.experiments.codegen_runtime import block


def test_block_returns_the_lines_and_names_a_missing_block():
    lines = block("data", "load_data")
    assert lines[0] == "def load_data(npz_path=None):" and lines[-3].strip() and lines[-2:] == ["", ""]
    with pytest.raises(KeyError, match=r"codegen_runtime/data.py has no block 'nope'"):
        block("data", "nope")


def test_load_data_reads_a_users_npz_and_fills_in_an_empty_test_split(tmp_path):
    data = importlib.import_module("regstudio.experiments.codegen_runtime.data")
    rng = np.random.default_rng(0)
    arrays = {"X_train": rng.random((5, 2), np.float32), "y_train": np.arange(5),
              "X_val": rng.random((3, 2), np.float32), "y_val": np.arange(3)}
    np.savez(tmp_path / "mine.npz", **arrays)
    out = data.load_data(str(tmp_path / "mine.npz"))
    np.testing.assert_array_equal(out["train"][0], arrays["X_train"])
    np.testing.assert_array_equal(out["val"][1], arrays["y_val"])
    assert out["test"][0].shape == (0, 2) and out["test"][1].shape == (0,)
    assert out["images"] is None and out["to_X"] is None


def test_load_data_uses_regstudios_split(monkeypatch):
    data = importlib.import_module("regstudio.experiments.codegen_runtime.data")
    cfg = {"source": "builtin", "name": "moons", "n_samples": 80, "seed": 3}
    monkeypatch.setitem(data.CONFIG, "data", cfg)
    ds = load_dataset(cfg)
    out = data.load_data()
    np.testing.assert_array_equal(out["train"][0], ds.train.X)
    np.testing.assert_array_equal(out["val"][1], ds.val.y)


@pytest.fixture
def tb():
    pytest.importorskip("torch")
    return importlib.import_module("regstudio.experiments.codegen_runtime.torch_blocks")


def test_torch_helper_layers(tb):
    import torch

    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    assert torch.equal(tb.ToNCHW()(x), x.permute(0, 3, 1, 2))
    drop = tb.KeepProbabilityDropout(0.25)
    ones = torch.ones(200, 500)
    kept = drop(ones)
    assert set(kept.unique().tolist()) <= {0.0, 1.0}  # no rescaling while training
    assert abs(kept.mean().item() - 0.75) < 0.01
    drop.eval()
    assert torch.equal(drop(ones), ones * 0.75)


def test_penalized_and_soft_threshold_follow_the_formula(tb, monkeypatch):
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.5, -0.05, 0.02], [-0.3, 0.0, 1.0]]))
        model[0].bias.copy_(torch.tensor([0.04, -0.5]))
    monkeypatch.setattr(tb, "PENALTIES", [(0, 0.1, 0.0)])
    monkeypatch.setattr(tb, "PENALIZE_BIAS", True)
    assert [t.shape for t, _, _ in tb.penalized(model)] == [(2, 3), (2,)]
    w, b = model[0].weight.detach().numpy().copy(), model[0].bias.detach().numpy().copy()
    tb.soft_threshold(model, 0.5)  # threshold lr * alpha = 0.05
    for new, old in ((model[0].weight, w), (model[0].bias, b)):
        np.testing.assert_allclose(new.detach().numpy(), np.sign(old) * np.maximum(np.abs(old) - 0.05, 0))
    monkeypatch.setattr(tb, "PENALIZE_BIAS", False)
    assert len(list(tb.penalized(model))) == 1


def test_evaluate_gives_the_data_loss_and_r2(tb):
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Dropout(0.9))
    X = torch.randn(3000, 2, generator=torch.Generator().manual_seed(0))
    y = X[:, :1] * 2 + 0.5
    loss, r2 = tb.evaluate(model, X, y)
    with torch.no_grad():
        out = model[0](X).numpy()  # eval mode: dropout off, batches of 1024 joined
    yn = y.numpy()
    assert loss == pytest.approx(np.mean((out - yn) ** 2), rel=1e-5)
    assert r2 == pytest.approx(1 - np.sum((yn - out) ** 2) / np.sum((yn - yn.mean()) ** 2), rel=1e-5)
    assert all(np.isnan(v) for v in tb.evaluate(model, X[:0], y[:0]))


@pytest.mark.parametrize(("values", "patience", "mode", "kwargs", "stop_at", "best"), [
    ([1.0, 0.9, 0.95, 0.96, 0.97], 3, "min", {}, 5, 2),
    ([1.0, 0.995, 0.99, 0.985], 2, "min", {"min_delta": 0.01}, 3, 1),
    ([0.5, 0.6, 0.55, 0.58], 2, "max", {}, 4, 2),
    ([1.0, 0.9, 0.95, 0.96], 2, "min", {"baseline": 0.5}, 3, 2),  # 4 without the baseline
    ([1.0, 0.9, 0.95, 0.96], 2, "min", {}, 4, 2),
    ([5.0, 4.0, 9.0, 9.0, 9.0], 2, "min", {"start_from_epoch": 2}, 5, 3),
])
def test_early_stopping_follows_keras_rules(tb, values, patience, mode, kwargs, stop_at, best):
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(1, 1))
    options = {"min_delta": 0.0, "baseline": None, "start_from_epoch": 0, **kwargs}
    stopper = tb.EarlyStopping("val_loss", patience=patience, mode=mode, restore_best_weights=True, **options)
    weights = {}
    for epoch, value in enumerate(values, 1):
        with torch.no_grad():
            model[0].weight.fill_(epoch)
        weights[epoch] = epoch
        if stopper.should_stop(epoch, {"val_loss": value}, model):
            break
    assert (epoch, stopper.best_epoch) == (stop_at, best)
    stopper.finish(model)
    assert model[0].weight.item() == weights[best]


def test_augment_flips_and_notes_ops_it_cannot_run(tb, monkeypatch, capsys):
    import torch

    monkeypatch.setattr(tb, "FLIPS", [("hflip", 1.0), ("vflip", 0.0)])
    augment = tb.Augment({"images": None, "to_X": None})
    assert "note: augmentation rotate skipped" in capsys.readouterr().out
    x = torch.rand(4, 3, 5, 2)
    out = augment(x, torch.arange(4))
    assert torch.equal(out, x.flip(2)) and not torch.equal(out, x)


def test_augment_runs_regstudios_pipeline_on_the_uint8_images(tb, monkeypatch):
    import torch

    from regstudio.data import augment as ops

    data = importlib.import_module("regstudio.experiments.codegen_runtime.data")
    monkeypatch.setattr(tb, "FLIPS", [])
    monkeypatch.setattr(data, "OTHER_OPS", [{"op": "invert", "p": 1.0}])  # both scripts' set-up
    images = np.random.default_rng(0).integers(0, 256, (6, 4, 4, 3), dtype=np.uint8)
    augment = tb.Augment({"images": images, "to_X": lambda im: im.astype(np.float32) / 255})
    out = augment(torch.zeros(2, 4, 4, 3), torch.tensor([1, 4]))
    np.testing.assert_allclose(out.numpy(), ops.invert(images[[1, 4]]).astype(np.float32) / 255)


def test_keras_batches_cover_the_data_once_per_epoch_and_flip(monkeypatch, capsys):
    class Sequence:
        def __init__(self):
            pass

    fake = types.ModuleType("keras")
    fake.utils = types.SimpleNamespace(PyDataset=None, Sequence=Sequence)
    fake.activations = types.SimpleNamespace(leaky_relu=lambda x, slope: np.where(x > 0, x, slope * x))
    fake.layers = fake.regularizers = types.SimpleNamespace()
    monkeypatch.setitem(sys.modules, "keras", fake)
    monkeypatch.delitem(sys.modules, "regstudio.experiments.codegen_runtime.keras_blocks", raising=False)
    kb = importlib.import_module("regstudio.experiments.codegen_runtime.keras_blocks")
    monkeypatch.setattr(kb, "FLIPS", [("vflip", 1.0)])
    monkeypatch.setattr(kb, "BATCH_SIZE", 4)
    X = np.arange(10 * 2 * 3 * 1, dtype=np.float32).reshape(10, 2, 3, 1)
    batches = kb.Batches({"train": (X, np.arange(10)), "images": None, "to_X": None})
    assert "skipped" in capsys.readouterr().out and len(batches) == 3
    seen = []
    for i in range(len(batches)):
        x, y = batches[i]
        np.testing.assert_array_equal(x, np.flip(X[y], 1))
        seen += list(y)
    assert sorted(seen) == list(range(10))
    np.testing.assert_allclose(kb.leaky_relu(np.array([-1.0, 2.0])), [-0.01, 2.0])
    monkeypatch.delitem(sys.modules, "regstudio.experiments.codegen_runtime.keras_blocks")


def test_torch_module_runs_as_the_script_of_its_own_small_experiment(tb, tmp_path, monkeypatch, capsys):
    """Imported as it is, torch_blocks is a regression script: main() trains on a user's .npz."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2)).astype(np.float32)
    y = (X @ np.array([[1.5], [-2.0]], np.float32) + 0.3).astype(np.float32)
    np.savez(tmp_path / "xy.npz", X_train=X[:90], y_train=y[:90], X_val=X[90:], y_val=y[90:])
    monkeypatch.setattr(sys, "argv", ["script", "--epochs", "40", "--data", str(tmp_path / "xy.npz")])
    monkeypatch.setattr(tb, "LR", 0.05)
    model = tb.main()
    out = capsys.readouterr().out
    assert "epoch    1  train_loss" in out and "val_r2" in out
    final = [line for line in out.splitlines() if line.startswith("final")][0]
    assert float(final.split()[-1]) > 0.9, out  # R² of a linear fit on linear data
    assert isinstance(model[0], __import__("torch").nn.Linear)


@pytest.mark.parametrize(("l1_flags", "grad_l1"), [
    ({"HAS_L1": True, "PROXIMAL_L1": False}, True),  # subgradient: in the backprop part
    ({"HAS_L1": True, "PROXIMAL_L1": True}, False),  # proximal: reported, soft_threshold applies it
])
def test_penalty_reports_l1_and_l2_and_backprops_what_the_flags_say(tb, monkeypatch, l1_flags, grad_l1):
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.5, -2.0]]))
    monkeypatch.setattr(tb, "PENALTIES", [(0, 0.1, 0.01)])
    for name, value in l1_flags.items():
        monkeypatch.setattr(tb, name, value)
    total, grad_part = tb.penalty(model)
    l1, l2 = 0.1 * 2.5, 0.01 * (0.25 + 4.0)
    assert float(total) == pytest.approx(l1 + l2)
    assert float(grad_part.detach()) == pytest.approx(l2 + (l1 if grad_l1 else 0.0))


@pytest.mark.parametrize(("flags", "decays"), [
    ({"USE_SGD": True}, None),
    ({"USE_SGD": False, "USE_ADAM": True}, None),
    ({"USE_SGD": False, "USE_ADAM": False, "DECAY_BIASES": True}, [0.01]),
    ({"USE_SGD": False, "USE_ADAM": False, "DECAY_BIASES": False}, [0.01, 0.0]),  # weights, biases
])
def test_make_optimizer_follows_its_flags(tb, monkeypatch, flags, decays):
    import torch

    for name, value in {"WEIGHT_DECAY": 0.01, **flags}.items():
        monkeypatch.setattr(tb, name, value)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    opt = tb.make_optimizer(model)
    kind = "SGD" if flags.get("USE_SGD") else "Adam" if flags.get("USE_ADAM") else "AdamW"
    assert type(opt).__name__ == kind
    if decays is not None:
        assert [g["weight_decay"] for g in opt.param_groups] == decays
        if len(decays) == 2:
            assert all(p.dim() == 1 for p in opt.param_groups[1]["params"])  # the biases


def test_parse_arguments_reads_epochs_from_the_environment(monkeypatch):
    data = importlib.import_module("regstudio.experiments.codegen_runtime.data")
    monkeypatch.setattr(sys, "argv", ["script"])
    monkeypatch.setenv("EPOCHS", "7")
    assert data.parse_arguments().epochs == 7
    monkeypatch.setattr(sys, "argv", ["script", "--epochs", "3", "--data", "d.npz"])
    args = data.parse_arguments()
    assert (args.epochs, args.data) == (3, "d.npz")
