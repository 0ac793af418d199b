"""model.npz on raw data, as a user would apply it: the recipe printed in docs/export.md, run
exactly as printed (plain NumPy and Pillow, the header alone), must give the app's inputs and
predictions: built-in digits from their own 0..16 values, an image folder (PNG and JPEG), a
table with text, dates, thousands separators, decimal commas and missing cells, regression,
and keep-probability dropout."""

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from regstudio.data import dataset_from_raw, load_raw
from regstudio.experiments.export import write_run
from regstudio.experiments.training import train

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def recipe():
    """The code block of docs/export.md that starts with '# model.npz recipe', run as a module."""
    text = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    start = text.index("```python\n# model.npz recipe\n") + len("```python\n")
    code = text[start:text.index("```", start)]
    namespace = {"__name__": "recipe"}
    exec(compile(code, "docs/export.md", "exec"), namespace)  # our own docs, not user data
    return namespace


def _halves(n):
    """Explicit split: training rows, validation rows (so raw rows can be matched)."""
    idx = np.arange(n)
    return idx[idx % 3 != 0], idx[idx % 3 == 0], idx[:0]


def _train(tmp_path, data, layers, indices, dropout="inverted", epochs=30):
    config = {"data": data, "model": {"layers": layers},
              "regularization": {"dropout_scaling": dropout},
              "early_stopping": {"enabled": False},
              "training": {"optimizer": "adam", "lr": 0.01, "epochs": epochs, "batch_size": 32}}
    raw = load_raw(data, tmp_path)
    ds = dataset_from_raw(raw, data, indices=indices)
    result = train(config, base_dir=tmp_path, dataset=ds)
    write_run(tmp_path / "out", result)
    return ds, result


def _app(ds, result):
    out = result.model.predict(ds.val.X)
    if ds.task == "regression":
        return ds.inverse_y(out[:, 0])
    return [ds.classes[k] for k in np.argmax(out, axis=1)]


def _check(recipe, tmp_path, ds, result, inputs, rtol=1e-5):
    weights, meta = recipe["load_model_file"](tmp_path / "out" / "model.npz")
    x = inputs(meta)
    np.testing.assert_allclose(x, ds.val.X.reshape(len(x), -1).reshape(x.shape), rtol=rtol,
                               atol=1e-5)
    ours, theirs = recipe["predict"](x, weights, meta), _app(ds, result)
    if ds.task == "regression":
        np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    else:
        assert np.mean(np.array(ours) == np.array(theirs)) >= 0.99
    return meta


def test_digits_from_their_own_values_with_keep_probability_dropout(recipe, tmp_path):
    data = {"source": "builtin", "name": "digits"}
    table = np.loadtxt(gzip.open(ROOT / "resources" / "datasets" / "digits.csv.gz", "rt"),
                       delimiter=",")
    tr, va, te = _halves(len(table))
    layers = [{"type": "dense", "units": 32, "activation": "relu"},
              {"type": "dropout", "rate": 0.4}, {"type": "dense"}]
    ds, result = _train(tmp_path, data, layers, (tr, va, te), dropout="keep_probability")
    meta = _check(recipe, tmp_path, ds, result,
                  lambda meta: recipe["image_inputs"](table[va, :64].reshape(-1, 8, 8, 1), meta))
    assert meta["dropout_test_scale"] == {"dropout_0": pytest.approx(0.6, abs=1e-4)}
    assert meta["standardization"]["raw_scale"] == pytest.approx(255 / 16)
    assert meta["classes"] == [str(d) for d in range(10)]
    # without raw_scale (the README's old recipe) the digits' own values were read as 0..16/255
    weights, _ = recipe["load_model_file"](tmp_path / "out" / "model.npz")
    naive = {**meta, "standardization": {**meta["standardization"], "raw_scale": 1.0}}
    wrong = recipe["predict"](recipe["image_inputs"](table[va, :64].reshape(-1, 8, 8, 1), naive),
                              weights, meta)
    assert np.mean(np.array(wrong) == np.array(_app(ds, result))) < 0.5


def test_an_image_folder_of_png_and_jpeg_files(recipe, tmp_path):
    rng = np.random.default_rng(0)
    files = []
    for k, cls in enumerate(("dark", "light")):
        (tmp_path / "pics" / cls).mkdir(parents=True)
        for i in range(18):
            base = rng.integers(0, 120, (30, 40, 3)) + 100 * k
            path = tmp_path / "pics" / cls / f"{i:02d}.{'jpg' if i % 2 else 'png'}"
            Image.fromarray(base.astype(np.uint8)).save(path)
            files.append(path)
    data = {"source": "images", "path": "pics", "size": 12}
    tr, va, te = _halves(len(files))
    layers = [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense"}]
    ds, result = _train(tmp_path, data, layers, (tr, va, te), epochs=10)
    _check(recipe, tmp_path, ds, result, lambda meta: recipe["image_inputs"](
        np.stack([recipe["read_image"](files[i], meta) for i in va]), meta))


def _table(tmp_path):
    rng = np.random.default_rng(3)
    lines = ["id;colour;weight;price;when;comment;kind"]
    for i in range(150):
        colour = ["red", "green", "blue"][i % 3] if i % 17 else "NA"
        if i % 3 == 0 and i % 9 == 0:
            colour = "violet"  # a category only validation rows have
        weight = f"{rng.normal(5, 2):.2f}".replace(".", ",") if i % 13 else ""
        price = f"{1000 + 37 * i:,}".replace(",", ".") + ",5"  # 1.037,5
        when = f"{1 + i % 28:02d}.{1 + i % 12:02d}.20{10 + i % 12}" if i % 11 else "?"
        kind = "big" if (i % 3 == 1) ^ (i % 5 == 0) else "small"
        lines.append(f"r{i};{colour};{weight};{price};{when};;{kind}")
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    return rows


def test_a_table_with_text_dates_thousands_and_missing_cells(recipe, tmp_path):
    rows = _table(tmp_path)
    data = {"source": "table", "path": "t.csv", "target": "kind"}
    tr, va, te = _halves(len(rows))
    layers = [{"type": "dense", "units": 16, "activation": "tanh"}, {"type": "dense"}]
    ds, result = _train(tmp_path, data, layers, (tr, va, te))
    meta = _check(recipe, tmp_path, ds, result,
                  lambda meta: recipe["table_inputs"]([rows[i] for i in va], meta))
    enc = meta["standardization"]["encoding"]
    assert meta["target"] == "kind" and meta["classes"] == ["big", "small"]
    assert [c["name"] for c in enc["columns"]] == ["colour", "weight", "price", "when"]
    assert "violet" not in enc["columns"][0]["categories"]
    assert enc["columns"][2]["thousands"] == "." and enc["decimal_comma"] is True
    assert enc["columns"][3]["order"] == "day-month-year"


def test_a_regression_target_in_its_own_units(recipe, tmp_path):
    rows = _table(tmp_path)
    data = {"source": "table", "path": "t.csv", "target": "price", "ignore": ["kind"]}
    tr, va, te = _halves(len(rows))
    layers = [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense"}]
    ds, result = _train(tmp_path, data, layers, (tr, va, te), epochs=5)
    meta = _check(recipe, tmp_path, ds, result,
                  lambda meta: recipe["table_inputs"]([rows[i] for i in va], meta))
    assert meta["task"] == "regression" and meta["target"] == "price"


def test_summary_json_carries_the_structured_data_report(tmp_path):
    import json

    _table(tmp_path)
    data = {"source": "table", "path": "t.csv", "target": "kind"}
    _train(tmp_path, data, [{"type": "dense"}], _halves(150), epochs=1)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    details = summary["data_details"]
    assert details["delimiter"] == ";" and details["encoding"] == "utf-8"
    roles = {c["name"]: (c["kind"], c["role"]) for c in details["columns"]}
    assert roles == {"id": ("text-id", "left out"), "colour": ("category", "feature"),
                     "weight": ("numeric", "feature"), "price": ("numeric", "feature"),
                     "when": ("date", "feature"), "comment": ("empty", "left out"),
                     "kind": ("category", "target")}
    assert details["one_hot"]["colour"] == ["blue", "green"]  # red: only validation rows
    assert details["fill"]["colour"] in ("blue", "green")
    assert details["imputed"]["weight"]["count"] == 12  # every 13th row of 150
    assert summary["data_report"] == details["notes"]  # the texts, as printed
    assert any(line.startswith("left out 'id'") for line in summary["data_report"])
