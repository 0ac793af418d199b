import numpy as np
import pytest

from regstudio.data import DataError, Option, load_dataset, source_options
from regstudio.data.dataset import Raw, make_dataset


def _raw_table(n=100, classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(5.0, 3.0, (n, 3))
    X[:, 2] = 7.0  # constant column
    return Raw("t", "classification", np.arange(n) % classes, [f"c{k}" for k in range(classes)],
               X=X, feature_names=["a", "b", "c"])


def test_standardisation_uses_train_statistics_only():
    raw = _raw_table()
    ds = make_dataset(raw, val_fraction=0.3, seed=0)
    np.testing.assert_allclose(ds.train.X[:, :2].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.train.X[:, :2].std(axis=0), 1, atol=1e-5)
    assert not np.allclose(ds.val.X[:, :2].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_array_equal(ds.train.X[:, 2], 0)  # constant column: centred, not divided
    assert np.isfinite(ds.val.X).all()
    # transform_X maps raw features exactly like the split
    out = ds.transform_X(raw.X[:1])
    assert out.dtype == np.float32 and out.shape == (1, 3)


def test_transform_x_matches_split_rows():
    raw = _raw_table()
    ds = make_dataset(raw, seed=2)
    full = ds.transform_X(raw.X)
    # every training row appears in the transformed full table
    hits = (np.abs(full[:, None, :] - ds.train.X[None]).max(axis=2) < 1e-6).any(axis=0)
    assert hits.all()


def test_splits_are_disjoint_stratified_and_seeded():
    raw = _raw_table(n=200, classes=4)
    a = make_dataset(raw, val_fraction=0.25, test_fraction=0.25, seed=1)
    b = make_dataset(raw, val_fraction=0.25, test_fraction=0.25, seed=1)
    c = make_dataset(raw, val_fraction=0.25, test_fraction=0.25, seed=2)
    np.testing.assert_array_equal(a.train.X, b.train.X)
    assert not np.array_equal(a.train.X, c.train.X)
    assert (len(a.train), len(a.val), len(a.test)) == (104, 48, 48)
    for split in (a.train, a.val, a.test):
        counts = np.bincount(split.y, minlength=4)
        assert counts.max() - counts.min() <= 1
    rows = {tuple(r) for s in (a.train, a.val, a.test) for r in s.X.round(5)}
    assert len(rows) == 200


def test_train_size_caps_training_split_only():
    raw = _raw_table(n=200, classes=4)
    full = make_dataset(raw, seed=0)
    capped = make_dataset(raw, seed=0, train_size=40)
    assert len(capped.train) == 40 and len(capped.val) == len(full.val)
    np.testing.assert_array_equal(np.bincount(capped.train.y), [10] * 4)
    more = make_dataset(raw, seed=0, train_size=10_000)
    assert len(more.train) == len(full.train) and "train_size" in more.report[0]


def test_class_with_one_sample_is_an_error_naming_it():
    raw = Raw("t", "classification", np.array([0, 0, 0, 0, 1]), ["big", "tiny"],
              X=np.arange(10.0).reshape(5, 2))
    with pytest.raises(DataError, match="class 'tiny' has only 1 sample"):
        make_dataset(raw)


def test_class_with_fewer_samples_than_splits_asks_for_samples_not_smaller_fractions():
    raw = Raw("t", "classification", np.array([0, 0, 0, 0, 1]), ["big", "tiny"],
              X=np.arange(10.0).reshape(5, 2))
    with pytest.raises(DataError, match=r"'tiny' has only 1 sample.*it needs at least 2: add samples "
                                        r"or remove the class$"):
        make_dataset(raw)


@pytest.mark.parametrize("size", [1e300, -3e299])
def test_values_near_the_float64_limit_standardise_instead_of_vanishing(size):
    """Squaring 1e300 overflows: computed naively the std is inf and every value becomes 0."""
    raw = _raw_table()
    raw.X[:, 0] *= size
    ds = make_dataset(raw)
    assert np.isfinite(ds.x_std).all()
    column = ds.train.X[:, 0]
    assert abs(column.mean()) < 1e-5 and column.std() == pytest.approx(1.0, rel=1e-5)
    assert ds.train.X[:, 2].tolist() == [0.0] * len(ds.train)  # the constant column stays 0


def test_unstandardised_values_beyond_float32_are_an_error_naming_the_column():
    raw = _raw_table()
    raw.X[3, 1] = 1e39
    with pytest.raises(DataError, match=r"b has values beyond \+-3\.4e38.*data\.standardize on"):
        make_dataset(raw, standardize=False)


def test_an_empty_data_set_is_an_error():
    from regstudio.data.dataset import encode_target

    with pytest.raises(DataError, match=r"d\.npz: holds no samples"):
        encode_target(np.zeros(0), None, "d.npz")


def test_regression_target_standardised_and_inverted():
    rng = np.random.default_rng(0)
    y = rng.normal(100.0, 20.0, 60)
    raw = Raw("r", "regression", y, [], X=rng.normal(size=(60, 2)), feature_names=["a", "b"])
    ds = make_dataset(raw, seed=0)
    assert ds.train.y.dtype == np.float32 and ds.train.y.shape == (len(ds.train), 1)
    assert abs(ds.train.y.mean()) < 1e-5
    back = ds.inverse_y(ds.train.y)
    assert set(np.round(back[:, 0], 3)) <= set(np.round(y, 3))
    plain = make_dataset(raw, seed=0, standardize=False)
    np.testing.assert_allclose(plain.inverse_y(plain.val.y), plain.val.y, rtol=1e-6)
    assert ds.n_outputs == 1 and ds.n_classes == 0


def test_images_standardised_per_channel_and_images_to_x_consistent():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (80, 6, 6, 3), dtype=np.uint8)
    images[..., 2] //= 4
    raw = Raw("i", "classification", np.arange(80) % 2, ["a", "b"], images=images)
    ds = make_dataset(raw, seed=0)
    assert ds.train.X.shape == (len(ds.train), 6, 6, 3) and ds.train.X.dtype == np.float32
    np.testing.assert_allclose(ds.train.X.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(ds.train.X.std(axis=(0, 1, 2)), 1, atol=1e-4)
    np.testing.assert_allclose(ds.images_to_X(ds.val.images), ds.val.X, atol=1e-6)
    as_float = ds.images_to_X(ds.val.images / 255.0)
    np.testing.assert_allclose(as_float, ds.val.X, atol=1e-5)
    out = np.empty_like(ds.val.X)
    assert ds.images_to_X(ds.val.images, out=out) is out
    plain = make_dataset(raw, seed=0, standardize=False)
    np.testing.assert_allclose(plain.train.X, plain.train.images / 255.0, atol=1e-6)


def test_summary_counts():
    ds = make_dataset(_raw_table(n=100, classes=2), seed=0)
    s = ds.summary()
    assert s["samples"] == {"train": 70, "val": 30, "test": 0}
    assert s["features"] == 3 and s["classes"] == ["c0", "c1"]
    assert s["class_counts"]["val"] == {"c0": 15, "c1": 15}


def test_config_validation_names_key_range_and_value():
    with pytest.raises(DataError, match=r"data\.val_fraction must be a number from 0\.01 to 0\.9 "
                                        r"\(got 1\.5\)"):
        load_dataset({"name": "moons", "val_fraction": 1.5})
    with pytest.raises(DataError, match=r"data\.colour is not a known key"):
        load_dataset({"name": "moons", "colour": "red"})
    with pytest.raises(DataError, match=r"data\.name must be one of .*mnist"):
        load_dataset({"name": "mnist"})
    with pytest.raises(DataError, match=r"data\.standardize must be true or false"):
        load_dataset({"name": "moons", "standardize": "yes"})
    with pytest.raises(DataError, match=r"data\.source must be one of"):
        load_dataset({"source": "sql"})
    with pytest.raises(DataError, match=r"data\.name must be one of .*\(got \['moons'\]\)"):
        load_dataset({"name": ["moons"]})
    with pytest.raises(DataError, match=r"data\.source must be one of .*\(got \{\}\)"):
        load_dataset({"source": {}})
    with pytest.raises(DataError, match=r"data\.path is required"):
        load_dataset({"source": "csv"})
    with pytest.raises(DataError, match=r"val_fraction \+ data\.test_fraction"):
        load_dataset({"name": "moons", "val_fraction": 0.5, "test_fraction": 0.5})


def test_source_options_drive_gui_and_defaults():
    table = source_options("csv")
    assert {"source", "path", "target", "task", "drop_missing", "val_fraction", "seed"} <= set(
        table)
    assert all(isinstance(o, Option) and o.help for o in table.values())
    assert source_options("builtin", "digits")["val_fraction"].default == 0.3
    assert source_options("images")["color"].choices == ("rgb", "grayscale")


def test_data_layer_imports_no_qt_and_no_other_layers():
    import subprocess
    import sys

    code = ("import sys, regstudio.data; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'torch') or m.startswith(('regstudio.engine', "
            "'regstudio.experiments', 'regstudio.ui'))]; print(bad); sys.exit(bool(bad))")
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
