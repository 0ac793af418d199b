"""Model size caps (issue 17, audit 8): convolutions count too. Parameters, multiply-adds per
sample and the layer outputs of one batch are checked from the shapes before anything is
allocated, with a message naming the layer and the limit (docs/limits.md)."""

import pytest

from regstudio.engine.model import (
    MAX_MACS_PER_SAMPLE,
    MAX_PARAMS,
    ModelSpecError,
    Sequential,
    describe_layers,
)
from regstudio.experiments.build import build
from regstudio.experiments.config import ConfigError

SHAPES = (32, 32, 3)


def conv(filters, kernel=3, **kw):
    return {"type": "conv2d", "filters": filters, "kernel": kernel, **kw}


@pytest.mark.parametrize(("layers", "shape", "message"), [
    # the audit's 32 GiB MemoryError: a 1024-filter map flattened into 8192 units
    ([conv(1024), {"type": "dense", "units": 8192}, {"type": "dense"}], SHAPES,
     r"model.layers\[1\] \(dense\): the model would hold 8,589,971,456 parameters up to this layer"),
    # the layer outputs of one evaluation chunk (256 samples) beyond 1 GiB
    ([conv(1024), {"type": "dense"}], (64, 64, 3),
     r"model.layers\[0\] \(conv2d\): the layer outputs of a batch of 256 samples would take 4,096 MB"),
    ([conv(16, padding="valid"), {"type": "maxpool2d"}, {"type": "dense", "units": 8192}, {"type": "dense"}],
     (64, 64, 3), rf"model.layers\[2\] \(dense\): the model would hold [\d,]+ parameters up to this layer, "
                  rf"more than the limit of {MAX_PARAMS:,}"),
    # the audit's epoch that never ended: two 1024-filter 11x11 convolutions
    ([conv(1024, 11, stride=2), conv(1024, 11), {"type": "dense"}], (16, 16, 3),
     r"model.layers\[1\] \(conv2d\): the model would hold [\d,]+ parameters"),
    ([conv(256, 11, stride=2), conv(256, 11), {"type": "dense"}], SHAPES,
     rf"model.layers\[1\] \(conv2d\): one sample would take [\d,]+ multiply-adds up to this layer, more than "
     rf"the limit of {MAX_MACS_PER_SAMPLE:,}"),
])
def test_models_beyond_the_caps_are_refused_naming_the_layer(layers, shape, message):
    with pytest.raises(ModelSpecError, match=message):
        Sequential.from_config(layers, shape, 2)
    infos = describe_layers(layers, shape, 2)  # the Model panel shows the same reason as you type
    assert any(info.error and "limit" in info.error for info in infos)


def test_a_large_training_batch_counts_against_the_batch_limit():
    layers = [{"type": "dense", "units": 8192}, {"type": "dense", "units": 8192}, {"type": "dense"}]
    Sequential.from_config(layers, (64,), 10, batch_size=32)  # the documented maximum MLP builds
    with pytest.raises(ModelSpecError, match=r"model.layers\[0\] \(dense\): the layer outputs of a batch of "
                                             r"65,536 samples would take 2,048 MB up to this layer, more than "
                                             r"the limit of 1,024 MB .* or a smaller training.batch_size"):
        Sequential.from_config(layers, (64,), 10, batch_size=65536)


def test_build_refuses_an_oversized_convolution_with_a_config_error():
    config = {"data": {"source": "builtin", "name": "shapes", "n_samples": 40},
              "model": {"layers": [conv(1024), {"type": "dense", "units": 8192}, {"type": "dense"}]}}
    with pytest.raises(ConfigError, match=r"model.layers\[1\] \(dense\): .*docs/limits.md"):
        build(config)
