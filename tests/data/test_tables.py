"""Tables as they come (issue 16): text columns, missing values, dates, Excel, background loads."""

import gzip
import io
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from regstudio.data import (
    DataError,
    LoadCancelled,
    dataset_from_raw,
    inspect_table,
    load_dataset,
    load_raw,
    loaders,
    table,
)

FIXTURES = Path(__file__).parent / "fixtures"
PENGUINS = FIXTURES / "penguins.csv"
WEATHER = FIXTURES / "seattle-weather.csv"


def _penguins(**cfg):
    return load_dataset({"source": "table", "path": str(PENGUINS), "target": "species", **cfg})


def _rows(ds):
    return np.concatenate([ds.train.X, ds.val.X])


# --- the one reader ---------------------------------------------------------------------------

def test_inspect_table_penguins_kinds_missing_levels():
    info = inspect_table(PENGUINS)
    kinds = {c["name"]: (c["kind"], c["missing"], c["levels"]) for c in info.columns}
    assert kinds["island"] == ("category", 0, 3) and kinds["sex"] == ("category", 11, 2)
    assert kinds["bill_length_mm"] == ("numeric", 2, 0)
    assert info.n_rows == 344 and info.delimiter == "," and info.encoding == "utf-8"


def test_wine_semicolon_latin1_real_names(tmp_path):
    names = ["acidité fixe", "sucre résiduel", "degré alcoolique", "qualité"]
    rows = [f"{7 + i % 5},{i % 3};{1 + i % 4},5;{10 + i % 3},{i % 10};{'bon' if i % 2 else 'médiocre'}"
            for i in range(40)]
    path = tmp_path / "vin.csv"
    path.write_bytes((";".join(names) + "\n" + "\n".join(rows) + "\n").encode("latin-1"))
    info = inspect_table(path)
    assert [c["name"] for c in info.columns] == names
    assert info.delimiter == ";" and info.encoding == "latin-1"
    assert [c["kind"] for c in info.columns] == ["numeric", "numeric", "numeric", "category"]
    ds = load_dataset({"source": "table", "path": str(path), "standardize": False})
    assert ds.classes == ["bon", "médiocre"] and ds.feature_names == names[:3]
    assert sorted(set(_rows(ds)[:, 1].tolist())) == [1.5, 2.5, 3.5, 4.5]  # decimal commas


def test_tsv_and_txt_by_extension(tmp_path):
    text = "a\tb\tlabel\n" + "".join(f"{i}\t{i % 4}\t{'xy'[i % 2]}\n" for i in range(20))
    for name in ("t.tsv", "t.txt"):
        (tmp_path / name).write_text(text)
        ds = load_dataset({"source": "table", "path": name}, base_dir=tmp_path)
        assert ds.feature_names == ["a", "b"] and ds.classes == ["x", "y"]


# --- encoding, imputation, dates ----------------------------------------------------------------

def test_penguins_one_hot_and_imputation_use_the_training_split_only():
    ds = _penguins(standardize=False)
    assert ds.feature_names == [
        "island=Biscoe", "island=Dream", "island=Torgersen", "bill_length_mm", "bill_depth_mm",
        "flipper_length_mm", "body_mass_g", "sex=female", "sex=male", "year"]
    raw = load_raw({"source": "table", "path": str(PENGUINS), "target": "species"})
    frame = pd.read_csv(PENGUINS)
    idx = (np.arange(0, 344, 2), np.arange(1, 344, 2), np.array([], int))
    split = dataset_from_raw(raw, {"source": "table", "path": "x", "standardize": False},
                             indices=idx)
    train = frame.iloc[idx[0]]
    want = pd.get_dummies(frame.drop(columns="species"), dtype=float).fillna(
        train.mean(numeric_only=True)).iloc[idx[0]]
    got = pd.DataFrame(split.train.X.astype(np.float64), columns=split.feature_names)
    mode = train["sex"].mode()[0]
    sex = frame["sex"].fillna(mode).iloc[idx[0]]
    for col in ("bill_length_mm", "body_mass_g", "year", "island=Dream"):
        np.testing.assert_allclose(got[col], want[col.replace("=", "_")], rtol=1e-6)
    np.testing.assert_array_equal(got["sex=male"], (sex == "male").astype(float))
    fill = split.data_report["imputed"]["bill_length_mm"]
    assert fill["count"] == 2 and fill["value"] == pytest.approx(train["bill_length_mm"].mean())
    assert split.data_report["one_hot"] == {"island": ["Biscoe", "Dream", "Torgersen"],
                                           "sex": ["female", "male"]}
    assert any("one-hot encoded 'island' (3 categories)" in n for n in split.report)
    roles = {c["name"]: c["role"] for c in split.data_report["columns"]}
    assert roles["species"] == "target" and roles["sex"] == "feature"


def test_category_seen_only_outside_training_maps_to_zeros(tmp_path):
    rows = [f"{i},{'abc'[i % 3] if i < 30 else 'z'},{'pq'[i % 2]}" for i in range(40)]
    (tmp_path / "t.csv").write_text("n,colour,label\n" + "\n".join(rows))
    cfg = {"source": "table", "path": "t.csv", "standardize": False}
    raw = load_raw(cfg, base_dir=tmp_path)
    ds = dataset_from_raw(raw, cfg, indices=(np.arange(30), np.arange(30, 40), np.array([], int)))
    assert ds.feature_names == ["n", "colour=a", "colour=b", "colour=c"]
    assert (ds.val.X[:, 1:] == 0).all() and (ds.train.X[:, 1:].sum(axis=1) == 1).all()


def test_id_like_and_many_level_columns_are_left_out_and_reported(tmp_path):
    rows = [f"id{i},name {i % 60},{i % 7},{'pq'[i % 2]}" for i in range(120)]
    (tmp_path / "t.csv").write_text("id,name,n,label\n" + "\n".join(rows))
    ds = load_dataset({"source": "table", "path": "t.csv"}, base_dir=tmp_path)
    assert ds.feature_names == ["n"]
    assert ds.report[0].startswith("left out 'id' (120 distinct text values: an id or a name")
    assert "'name' (60 distinct" in ds.report[0]
    quiet = load_dataset({"source": "table", "path": "t.csv", "ignore": ["id", "name"]},
                         base_dir=tmp_path)
    assert quiet.report == [] and quiet.feature_names == ["n"]


def test_missing_drop_error_and_the_older_drop_missing():
    dropped = _penguins(missing="drop")
    assert dropped.report[0] == "dropped 11 row(s) with missing values"
    assert len(dropped.train) + len(dropped.val) == 333
    old = _penguins(drop_missing=True)
    np.testing.assert_array_equal(old.train.X, dropped.train.X)
    with pytest.raises(DataError, match=r"penguins\.csv: 11 row\(s\) have missing values "
                                        r"\(first: row 5, column 'bill_length_mm'\)"):
        _penguins(missing="error")
    with pytest.raises(DataError, match=r"data\.missing must be one of impute, drop, error"):
        _penguins(missing="fill")
    with pytest.raises(DataError, match=r"data\.drop_missing: true asks to drop rows but "
                                        r"data\.missing is 'error'"):
        _penguins(missing="error", drop_missing=True)


def test_ignore_leaves_columns_out_and_names_unknown_ones():
    ds = _penguins(ignore=["island", "year"])
    assert "year" not in ds.feature_names and not any(n.startswith("island") for n in ds.feature_names)
    with pytest.raises(DataError, match=r"data\.ignore names 'isle', which is not a column"):
        _penguins(ignore=["isle"])
    with pytest.raises(DataError, match=r"data\.ignore must be a list of column names"):
        _penguins(ignore="island")


def test_weather_dates_become_year_month_day_weekday():
    ds = load_dataset({"source": "csv", "path": str(WEATHER), "target": "weather",
                       "standardize": False})
    assert ds.feature_names[:4] == ["date.year", "date.month", "date.day", "date.weekday"]
    frame = pd.read_csv(WEATHER, parse_dates=["date"])
    X = np.concatenate([ds.train.X, ds.val.X])
    rows = {tuple(r) for r in X[:, :4].astype(int).tolist()}
    d = frame["date"].dt
    assert rows == set(zip(d.year, d.month, d.day, d.day_of_week, strict=True))
    assert ds.data_report["dates"] == {"date": ["year", "month", "day", "weekday"]}
    assert "dates as numbers: 'date' -> year, month, day, weekday" in ds.report


def test_times_add_hour_and_minute(tmp_path):
    rows = [f"2024-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d},{i % 5},{'pq'[i % 2]}"
            for i in range(40)]
    (tmp_path / "t.csv").write_text("when,n,label\n" + "\n".join(rows))
    ds = load_dataset({"source": "table", "path": "t.csv"}, base_dir=tmp_path)
    assert ds.feature_names[:6] == ["when.year", "when.month", "when.day", "when.weekday",
                                    "when.hour", "when.minute"]


def test_xlsx_copy_gives_the_same_numbers_as_the_csv(tmp_path):
    path = tmp_path / "penguins.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        pd.DataFrame({"a": [1]}).to_excel(book, sheet_name="notes", index=False)
        pd.read_csv(PENGUINS).to_excel(book, sheet_name="data", index=False)
    xl = _penguins(path=str(path), sheet="data")
    csv = _penguins()
    assert xl.feature_names == csv.feature_names
    np.testing.assert_array_equal(xl.train.X, csv.train.X)
    np.testing.assert_array_equal(xl.val.y, csv.val.y)
    assert inspect_table(path, {"sheet": "data"}).sheet == "data"
    with pytest.raises(DataError, match=r"penguins\.xlsx: no sheet named 'x' \(has: notes, data\)"):
        _penguins(path=str(path), sheet="x")
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataError, match=r"bad\.xlsx: not a readable Excel workbook"):
        _penguins(path=str(tmp_path / "bad.xlsx"))


# --- background loading ---------------------------------------------------------------------------

def test_progress_and_cancel(tmp_path, monkeypatch):
    monkeypatch.setattr(table, "CHUNK_ROWS", 100)
    (tmp_path / "t.csv").write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(1000)))
    seen = []
    load_raw({"source": "table", "path": "t.csv"}, tmp_path, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (100, 1000) and seen[-1] == (1000, 1000)
    stop = threading.Event()
    stop.set()
    with pytest.raises(LoadCancelled):
        load_raw({"source": "table", "path": "t.csv"}, tmp_path, cancel=stop)
    calls = iter(range(100))
    with pytest.raises(LoadCancelled):  # a callable, true from its third call on
        load_raw({"source": "table", "path": "t.csv"}, tmp_path, cancel=lambda: next(calls) > 2)


def test_parse_cache_reuses_the_table_until_the_file_changes(tmp_path, monkeypatch):
    from regstudio.data import cache

    cache.clear()
    (tmp_path / "t.csv").write_text("a,b,c\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    reads = []
    real = table.read_table
    monkeypatch.setattr("regstudio.data.sources.read_table",
                        lambda *a, **k: reads.append(1) or real(*a, **k))
    cfg = {"source": "table", "path": "t.csv"}
    load_raw(cfg, tmp_path, cache=True)
    raw = load_raw({**cfg, "target": "b", "seed": 3, "val_fraction": 0.5}, tmp_path, cache=True)
    assert len(reads) == 1 and raw.feature_names == ["a", "c"]
    (tmp_path / "t.csv").write_text("a,b,c\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(31)))
    assert len(load_raw(cfg, tmp_path, cache=True).y) == 31 and len(reads) == 2
    cache.clear()


# --- hostile files (issue 17) -------------------------------------------------------------------

def test_special_files_are_refused_before_reading(tmp_path):
    for source in ({"source": "table", "path": "/dev/zero"}, {"source": "npz", "path": "/dev/zero"},
                   {"source": "idx", "images": "/dev/zero", "labels": "/dev/zero"}):
        with pytest.raises(DataError, match=r"/dev/zero: not a regular file"):
            load_dataset(source)


def test_npz_arrays_declaring_more_than_they_hold_or_the_limit(tmp_path, monkeypatch):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                              "shape": (10**9, 10**3)})
    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as z:
        z.writestr("X.npy", buf.getvalue() + b"\0" * 64)
        z.writestr("y.npy", buf.getvalue())
    with pytest.raises(DataError, match=r"lie\.npz: array 'X' declares shape \(1000000000, 1000\)"):
        load_dataset({"source": "npz", "path": str(tmp_path / "lie.npz")})
    np.savez_compressed(tmp_path / "big.npz", X=np.zeros((1000, 100)), y=np.zeros(1000))
    monkeypatch.setattr(loaders, "MAX_ARRAY_BYTES", 100_000)
    with pytest.raises(DataError, match=r"big\.npz: array 'X' inflates to 0\.0 GiB, more than"):
        load_dataset({"source": "npz", "path": str(tmp_path / "big.npz")})


def test_idx_gzip_bomb_is_refused_from_its_header(tmp_path, monkeypatch):
    header = b"\0\0\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (60000, 280, 280))
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(header + bytes(1 << 20)))
    with pytest.raises(DataError, match=r"bomb\.gz: the header declares 60000x280x280 values "
                                        r"\(4\.4 GiB\), more than the 4 GiB allowed"):
        loaders.read_idx(tmp_path / "bomb.gz", "images")
    small = b"\0\0\x08\x01" + (4).to_bytes(4, "big")
    (tmp_path / "more.gz").write_bytes(gzip.compress(small + bytes(10_000_000)))
    with pytest.raises(DataError, match=r"promises 4 values \(4 bytes\) but the file holds more "
                                        r"than 4 bytes"):
        loaders.read_idx(tmp_path / "more.gz", "labels")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(small + b"\1\2\3\4")[:-12])
    with pytest.raises(DataError, match=r"cut\.gz: damaged gzip file"):
        loaders.read_idx(tmp_path / "cut.gz", "labels")


@pytest.mark.parametrize("X,match", [
    (np.float64(3.0), r"X and y must be arrays with one row per sample \(got shapes \(\) and"),
    (np.zeros((5, 0)), r"X has no columns \(shape \(5, 0\)\)"),
])
def test_npz_0d_and_0_column_x(tmp_path, X, match):
    np.savez(tmp_path / "a.npz", X=X, y=np.arange(5))
    with pytest.raises(DataError, match=match):
        load_dataset({"source": "npz", "path": str(tmp_path / "a.npz")})


FUZZ = settings(max_examples=80, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(X=hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_]),
                    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
                    ),
       y=hnp.arrays(st.sampled_from([np.float64, np.int64]),
                    hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=6)),
       task=st.sampled_from([None, "classification", "regression"]))
def test_npz_fuzz_only_data_error_escapes(tmp_path, X, y, task):
    np.savez(tmp_path / "f.npz", X=X, y=y)
    try:
        ds = load_dataset({"source": "npz", "path": "f.npz", "task": task}, base_dir=tmp_path)
    except DataError:
        return
    assert np.isfinite(ds.train.X).all()


CELL = st.one_of(st.text(alphabet="0123456789.-/:eE,;\t\"' abcNA?\n\r", max_size=8),
                 st.dates().map(str), st.sampled_from(["red", "blue", "2020/01/02", ""]))


@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=4), min_size=0, max_size=14),
       sep=st.sampled_from([",", ";", "\t"]), missing=st.sampled_from(["impute", "drop", "error"]),
       ext=st.sampled_from(["csv", "tsv", "txt"]))
def test_table_fuzz_only_data_error_escapes(tmp_path, rows, sep, missing, ext):
    (tmp_path / f"r.{ext}").write_text("\n".join(sep.join(r) for r in rows), encoding="utf-8")
    try:
        ds = load_dataset({"source": "table", "path": f"r.{ext}", "missing": missing},
                          base_dir=tmp_path)
    except DataError:
        return
    assert np.isfinite(ds.train.X).all()
