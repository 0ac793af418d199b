"""PyTorch reference tests (skipped where torch is not installed)."""

import numpy as np
import pytest

from regstudio.engine import SGD, Adam, AdamW, Conv2D
from regstudio.engine.blas import SMALLEST

from .test_layers import _built

torch = pytest.importorskip("torch", reason="PyTorch reference tests need torch")


@pytest.mark.torch
@pytest.mark.parametrize("stride,padding", [(1, "same"), (2, "valid"), (1, "valid")])
def test_conv_forward_and_gradients_match_pytorch(stride, padding, rng):
    layer = _built(Conv2D(5, 3, stride, padding, activation="relu"), (9, 9, 3), rng)
    layer.needs_input_grad = True
    x = rng.standard_normal((2, 9, 9, 3))
    out = layer.forward(x, True)
    dy = rng.standard_normal(out.shape)
    dx = layer.backward(dy.copy())
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    tw = torch.tensor(layer.params["W"].transpose(3, 2, 0, 1), requires_grad=True)
    tb = torch.tensor(layer.params["b"], requires_grad=True)
    pad = 1 if padding == "same" else 0
    tout = torch.relu(torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=pad))
    tout.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(out, tout.detach().numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(layer.grads["W"], tw.grad.numpy().transpose(2, 3, 1, 0), atol=1e-10)
    np.testing.assert_allclose(layer.grads["b"], tb.grad.numpy(), atol=1e-10)


@pytest.mark.torch
def test_softmax_cross_entropy_matches_pytorch(rng):
    from regstudio.engine import SoftmaxCrossEntropy

    z = rng.standard_normal((8, 5)) * 30  # large logits: the log-sum-exp path matters
    y = rng.integers(0, 5, 8)
    value, grad = SoftmaxCrossEntropy().value_and_grad(z, y)
    tz = torch.tensor(z, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tz, torch.tensor(y))
    tl.backward()
    assert value == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose(grad, tz.grad.numpy(), atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["plain", "sgd", "nesterov", "adam", "adamw"])
@pytest.mark.parametrize("size", [20, 2 * SMALLEST], ids=["numpy", "blas"])
def test_optimizer_steps_match_pytorch(name, size, rng):
    w0 = rng.standard_normal(size)
    grads = [rng.standard_normal(size) for _ in range(5)]
    ours = {"plain": SGD(0.1), "sgd": SGD(0.1, momentum=0.9), "nesterov": SGD(0.1, momentum=0.9, nesterov=True),
            "adam": Adam(0.01), "adamw": AdamW(0.01, weight_decay=0.1)}[name]
    tw = torch.tensor(w0.copy(), requires_grad=True)
    theirs = {"plain": lambda p: torch.optim.SGD(p, lr=0.1),
              "sgd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
              "nesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
              "adam": lambda p: torch.optim.Adam(p, lr=0.01),
              "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)}[name]([tw])
    w = w0.copy()
    for g in grads:
        ours.step(w, g.copy())
        tw.grad = torch.tensor(g)
        theirs.step()
    np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.torch
def test_mlp_training_step_matches_pytorch_with_l2(rng):
    """One SGD step on an MLP with an L2 penalty equals PyTorch with loss + alpha * sum(w**2)."""
    from regstudio.engine import PenaltyPlan, Sequential, get_loss

    model = Sequential.from_config([{"type": "dense", "units": 6, "activation": "relu"}, {"type": "dense"}],
                                   (4,), 3, dtype=np.float64)
    plan = PenaltyPlan.for_model(model, 0.0, 0.01)
    X, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    w = model.get_weights()
    tW = [torch.tensor(w[k], requires_grad=True) for k in ("dense_0.W", "dense_0.b", "dense_1.W", "dense_1.b")]
    out = torch.relu(torch.tensor(X) @ tW[0] + tW[1]) @ tW[2] + tW[3]
    loss = torch.nn.functional.cross_entropy(out, torch.tensor(y)) + 0.01 * (
        (tW[0] ** 2).sum() + (tW[2] ** 2).sum())
    loss.backward()
    _, dout = get_loss("softmax_cross_entropy").value_and_grad(model.forward(X, True), y)
    model.backward(dout)
    plan.add_grad(model.params, model.grads)
    got = {name: model.grads[part] for name, part in model.slices.items()}
    for t, name in zip(tW, ("dense_0.W", "dense_0.b", "dense_1.W", "dense_1.b"), strict=True):
        np.testing.assert_allclose(got[name], t.grad.numpy().ravel(), atol=1e-12)
