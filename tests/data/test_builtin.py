import numpy as np
import pytest

from regstudio.data import BUILTINS, DataError, load_dataset, source_options


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_loads_with_defaults(name):
    spec = BUILTINS[name]
    options = {"n_samples": 120} if "n_samples" in spec.options and name != "curve" else {}
    ds = load_dataset({"source": "builtin", "name": name, **options})
    assert ds.task == spec.task
    assert spec.description.endswith(".")
    assert ds.train.X.dtype == np.float32 and np.isfinite(ds.train.X).all()
    n = len(ds.train) + len(ds.val) + len(ds.test)
    if "n_samples" in spec.options:
        assert n == (options or {"n_samples": spec.options["n_samples"].default})["n_samples"]
    if ds.task == "classification":
        assert ds.train.y.dtype == np.int64
        assert set(np.unique(ds.train.y)) == set(range(ds.n_classes))
    else:
        assert ds.train.y.shape == (len(ds.train), 1) and ds.classes == []


def test_builtins_are_deterministic_per_seed():
    a = load_dataset({"name": "spiral", "seed": 3})
    b = load_dataset({"name": "spiral", "seed": 3})
    c = load_dataset({"name": "spiral", "seed": 4})
    np.testing.assert_array_equal(a.train.X, b.train.X)
    assert not np.array_equal(a.train.X, c.train.X)


def test_noise_option_changes_moons_spread():
    def spread(noise):
        ds = load_dataset({"name": "moons", "noise": noise, "standardize": False,
                           "n_samples": 400})
        return ds.train.X.std()

    assert spread(0.0) < spread(0.5)


def test_blobs_n_classes():
    ds = load_dataset({"name": "blobs", "n_classes": 5})
    assert ds.n_classes == 5 and ds.n_outputs == 5


def test_curve_is_a_noisy_sine():
    ds = load_dataset({"name": "curve", "noise": 0.0, "n_samples": 50, "standardize": False})
    x, y = ds.train.X[:, 0], ds.train.y[:, 0]
    np.testing.assert_allclose(y, np.sin(2 * np.pi * x), atol=1e-5)
    assert ds.n_outputs == 1 and ds.input_shape == (1,)


def test_digits_images_and_train_size():
    ds = load_dataset({"name": "digits", "train_size": 300})
    assert ds.image_shape == (8, 8, 1) and ds.input_shape == (8, 8, 1)
    assert len(ds.train) == 300 and ds.n_classes == 10
    assert len(ds.train) + len(ds.val) < 1797  # the rest is unused, val keeps its 30 %
    assert ds.train.images.dtype == np.uint8 and ds.train.images.max() == 255
    counts = np.bincount(ds.train.y, minlength=10)
    assert counts.min() >= 28 and counts.max() <= 32  # stratified


def test_breast_cancer_keeps_class_names():
    ds = load_dataset({"name": "breast_cancer"})
    assert ds.classes == ["benign", "malignant"]
    assert len(ds.feature_names) == 30 and ds.feature_names[0] == "mean radius"
    assert len(ds.train) + len(ds.val) == 569


def test_shapes_images_look_like_their_class():
    ds = load_dataset({"name": "shapes", "n_samples": 200, "seed": 1})
    imgs = ds.train.images
    assert imgs.shape[1:] == (32, 32, 3) and imgs.dtype == np.uint8
    assert ds.classes == ["circle", "square", "triangle", "star"]
    # the shape differs from the background: every image has real contrast
    assert (imgs.reshape(len(imgs), -1).std(axis=1) > 20).all()
    # equal numbers per class
    assert np.ptp(np.bincount(np.concatenate([ds.train.y, ds.val.y]))) == 0


def test_builtin_option_ranges_are_enforced():
    with pytest.raises(DataError, match=r"data\.n_samples must be an integer from 10 to 10000 "
                                        r"\(got 5\)"):
        load_dataset({"name": "moons", "n_samples": 5})
    with pytest.raises(DataError, match=r"data\.factor"):
        load_dataset({"name": "moons", "factor": 0.5})  # circles only
    assert "factor" in source_options("builtin", "circles")
    assert "factor" not in source_options("builtin", "moons")
