import gzip
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from regstudio.data import DataError, load_dataset, loaders

TABLE = "a,b,label\n" + "".join(f"{i},{i * 2 % 7},{'cat' if i % 2 else 'dog'}\n"
                                for i in range(20))


def _csv(tmp_path, text, name="t.csv", encoding="utf-8", **cfg):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return load_dataset({"source": "csv", "path": name, **cfg}, base_dir=tmp_path)


# --- CSV -------------------------------------------------------------------------------------

def test_csv_with_header_text_target(tmp_path):
    ds = _csv(tmp_path, TABLE, target="label")
    assert ds.task == "classification" and ds.classes == ["cat", "dog"]
    assert ds.feature_names == ["a", "b"] and len(ds.train) + len(ds.val) == 20


@pytest.mark.parametrize("text,encoding", [
    ("x;y;ziel\n1,5;2;A\n2,5;3;B\n3,5;1;A\n4,5;0;B\n5,5;2;A\n6,5;1;B\n", "utf-8"),  # ; + 1,5
    ("x\ty\tziel\n1.5\t2\tA\n2.5\t3\tB\n3.5\t1\tA\n4.5\t0\tB\n5.5\t2\tA\n6.5\t1\tB\n", "utf-8"),
    ("\ufeffx,y,ziel\n1.5,2,A\n2.5,3,B\n3.5,1,A\n4.5,0,B\n5.5,2,A\n6.5,1,B\n", "utf-8"),
    ("x,y,ziel\n1.5,2,Ä\n2.5,3,B\n3.5,1,Ä\n4.5,0,B\n5.5,2,Ä\n6.5,1,B\n", "latin-1"),
])
def test_csv_dialects_and_encodings(tmp_path, text, encoding):
    ds = _csv(tmp_path, text, encoding=encoding, target="ziel", standardize=False)
    assert ds.feature_names == ["x", "y"] and ds.n_classes == 2
    assert sorted(np.concatenate([ds.train.X[:, 0], ds.val.X[:, 0]]).tolist()) == [
        1.5, 2.5, 3.5, 4.5, 5.5, 6.5]


def test_csv_without_header_uses_last_column_and_infers_task(tmp_path):
    rows = "".join(f"{i},{i % 3}\n" for i in range(30))
    ds = _csv(tmp_path, rows)
    assert ds.feature_names == ["column_1"] and ds.classes == ["0", "1", "2"]
    reg = _csv(tmp_path, "".join(f"{i},{i * 0.37:.2f}\n" for i in range(30)), name="r.csv")
    assert reg.task == "regression" and reg.train.y.shape[1] == 1
    forced = _csv(tmp_path, rows, name="f.csv", task="regression")
    assert forced.task == "regression"


def test_breast_cancer_through_the_csv_source(tmp_path):
    from regstudio.resources import resource_path

    ds = load_dataset({"source": "csv", "path": str(resource_path(
        "datasets", "breast_cancer_wisconsin.csv")), "target": "Diagnosis"})
    assert ds.classes == ["benign", "malignant"] and len(ds.feature_names) == 30


@pytest.mark.parametrize("text,match", [
    (b"", r"t\.csv: the file is empty"),
    ("a,b,label\n", r"header but no data rows"),
    ("a,b,label\n1,2,x\n3,4\n", r"t\.csv, row 3: 2 fields but the header has 3"),
    ("a,b,label\n1,2,x\n3,red,y\n", r"row 3, column 'b': 'red' is not a number"),
    ("a,b,label\n1,2,x\n3,4,x\n5,6,x\n", r"only one class \(x\)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"binary file"),
    # an unclosed quote swallows the rest of the file: the error names the line it opened on
    ("a,b,label\n1,2,x\n3,\"4,y\n5,6,x\n7,8,y\n", r"t\.csv, line 3: a quote opened on this line "
                                                  r"is not closed"),
])
def test_csv_errors_say_what_and_where(tmp_path, text, match):
    with pytest.raises(DataError, match=match):
        _csv(tmp_path, text)


def test_csv_missing_values_with_missing_error(tmp_path):
    # impute is the default now (issue 16): the old error is what data.missing: error gives
    with pytest.raises(DataError, match=r"2 row\(s\) have missing values \(first: row 2, "
                                        r"column 'b'\).*data\.drop_missing"):
        _csv(tmp_path, "a,b,label\n1,,x\n3,4,y\n5,NA,y\n", missing="error")


def test_csv_target_not_found_lists_columns_and_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"target column 'kind' not found: .* a, b, label"):
        _csv(tmp_path, TABLE, target="kind")
    with pytest.raises(DataError, match=r"nope\.csv: file not found"):
        load_dataset({"source": "csv", "path": "nope.csv"}, base_dir=tmp_path)


def test_csv_drop_missing_reports(tmp_path):
    text = TABLE + "5,,cat\n,,dog\n"
    ds = _csv(tmp_path, text, drop_missing=True)
    assert ds.report == ["dropped 2 row(s) with missing values"]
    assert len(ds.train) + len(ds.val) == 20


# --- image folders ----------------------------------------------------------------------------

def _folder(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "pics"
    for cls, ext in (("cats", "png"), ("dogs", "jpg"), ("owls", "bmp")):
        (root / cls).mkdir(parents=True)
        for i in range(4):
            arr = rng.integers(0, 256, (20 + i, 30, 3), dtype=np.uint8)
            Image.fromarray(arr).save(root / cls / f"{i}.{ext}")
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(root / "owls" / "g.gif")
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(root / "owls" / "t.tiff")
    return root


def test_image_folder_loads_resizes_and_skips_bad_files(tmp_path):
    root = _folder(tmp_path)
    (root / "cats" / "empty.png").write_bytes(b"")
    (root / "cats" / "junk.png").write_bytes(b"not an image at all")
    good = (root / "cats" / "0.png").read_bytes()
    (root / "cats" / "cut.png").write_bytes(good[: len(good) // 2])
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "dogs" / "liar.png", "JPEG")
    (root / "notes.txt").write_text("ignored")
    (root / "empty_class").mkdir()
    ds = load_dataset({"source": "images", "path": "pics", "size": 16}, base_dir=tmp_path)
    assert ds.classes == ["cats", "dogs", "owls"] and ds.image_shape == (16, 16, 3)
    assert len(ds.train) + len(ds.val) == 14
    text = " ".join(ds.report)
    assert "skipped 4 unreadable file(s)" in text
    for bit in ("empty.png (empty file)", "junk.png (unreadable)", "cut.png (truncated)",
                "liar.png (not a PNG file but JPEG)", "empty_class"):
        assert bit in text
    grey = load_dataset({"source": "images", "path": str(root), "color": "grayscale",
                         "size": 8})
    assert grey.image_shape == (8, 8, 1)


def test_image_folder_decompression_bombs_are_skipped(tmp_path, monkeypatch):
    root = _folder(tmp_path)
    Image.fromarray(np.zeros((300, 300), np.uint8)).save(root / "cats" / "bomb.png")
    monkeypatch.setattr(loaders, "MAX_PIXELS", 50_000)
    ds = load_dataset({"source": "images", "path": str(root)})
    assert "bomb.png (too large (300x300 pixels))" in ds.report[0]
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)  # Pillow's own guard raises
    ds = load_dataset({"source": "images", "path": str(root)})
    assert "bomb.png (too large (decompression-bomb guard))" in ds.report[0]


def test_image_folder_errors(tmp_path):
    (tmp_path / "flat").mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "flat" / "a.png")
    with pytest.raises(DataError, match="no sub-folders"):
        load_dataset({"source": "images", "path": str(tmp_path / "flat")})
    (tmp_path / "one" / "only").mkdir(parents=True)
    with pytest.raises(DataError, match="no readable images"):
        load_dataset({"source": "images", "path": str(tmp_path / "one")})
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "one" / "only" / "a.png")
    with pytest.raises(DataError, match="only one class"):
        load_dataset({"source": "images", "path": str(tmp_path / "one")})
    with pytest.raises(DataError, match=r"data\.size must be an integer from 4 to 256"):
        load_dataset({"source": "images", "path": "x", "size": 1000})


# --- npz and IDX -----------------------------------------------------------------------------

def test_npz_tables_and_images(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "t.npz", X=rng.normal(size=(40, 3)), y=np.arange(40) % 2)
    ds = load_dataset({"source": "npz", "path": "t.npz"}, base_dir=tmp_path)
    assert ds.input_shape == (3,) and ds.n_classes == 2
    np.savez(tmp_path / "i.npz", images=rng.random((40, 6, 6)), labels=np.arange(40) % 4)
    ds = load_dataset({"source": "npz", "path": "i.npz", "x_key": "images",
                       "y_key": "labels"}, base_dir=tmp_path)
    assert ds.image_shape == (6, 6, 1) and ds.train.images.dtype == np.uint8


def test_csv_target_matching_several_columns_when_case_is_ignored_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"target 'label' matches the columns 'Label', 'LABEL'"):
        _csv(tmp_path, "a,Label,LABEL\n1,x,y\n2,y,x\n3,x,y\n4,y,x\n", target="label")


def test_sixteen_bit_and_float_images_keep_their_contrast(tmp_path):
    """Pillow's own conversion clips at 255: a 16-bit photo would turn white, a 0..1 float
    image black. Each is scaled from its range instead."""
    ramp = np.linspace(0, 1, 64).reshape(8, 8)
    (tmp_path / "a").mkdir()
    Image.fromarray((ramp * 65535).astype(np.uint16)).save(tmp_path / "a" / "deep.png")
    Image.fromarray(ramp.astype(np.float32), "F").save(tmp_path / "a" / "float.tif")
    for name in ("deep.png", "float.tif"):
        pixels, why = loaders._read_image(tmp_path / "a" / name, 8, "grayscale")
        assert why == ""
        assert pixels.min() <= 5 and pixels.max() >= 250, name
        assert abs(int(pixels[4, 4]) - round(ramp[4, 4] * 255)) <= 3, name


def test_camera_jpegs_saved_as_mpo_are_read(tmp_path):
    photo = Image.fromarray(np.full((8, 8, 3), 200, np.uint8))
    photo.save(tmp_path / "cam.jpg", format="MPO", save_all=True, append_images=[photo])
    assert Image.open(tmp_path / "cam.jpg").format == "MPO"
    pixels, why = loaders._read_image(tmp_path / "cam.jpg", 8, "rgb")
    assert why == "" and abs(int(pixels.mean()) - 200) <= 3


@pytest.mark.parametrize("write,match", [
    (lambda fh: np.save(fh, np.zeros(3)), r"a single \.npy array, not an \.npz archive"),
    (lambda fh: fh.write(b"X,y\n1,2\n"), r"not an \.npz file \(an \.npz is a zip archive"),
    (lambda fh: fh.write(b"\x80\x04\x95" + bytes(20)), r"a Python pickle, which is not loaded"),
    (lambda fh: np.savez(fh, X=np.zeros((0, 3)), y=np.zeros(0)), r"holds no samples"),
])
def test_npz_files_that_are_not_usable_archives(tmp_path, write, match):
    path = tmp_path / "d.npz"
    with path.open("wb") as fh:  # a file object: np.save and np.savez add no suffix to it
        write(fh)
    with pytest.raises(DataError, match=match):
        loaders.read_npz(path)


def test_npz_errors(tmp_path):
    np.savez(tmp_path / "o.npz", X=np.array([{"a": 1}] * 4, dtype=object), y=np.arange(4))
    with pytest.raises(DataError, match="Python objects"):
        load_dataset({"source": "npz", "path": "o.npz"}, base_dir=tmp_path)
    np.savez(tmp_path / "k.npz", data=np.zeros((4, 2)))
    with pytest.raises(DataError, match=r"no array named 'X' \(has: data\)"):
        load_dataset({"source": "npz", "path": "k.npz"}, base_dir=tmp_path)
    np.savez(tmp_path / "n.npz", X=np.zeros((4, 2)), y=np.arange(5))
    with pytest.raises(DataError, match=r"y must have shape \(4,\)"):
        load_dataset({"source": "npz", "path": "n.npz"}, base_dir=tmp_path)


def _idx(path, array, compress=False):
    codes = {np.dtype(np.uint8): 8, np.dtype(">i4"): 0x0C}
    head = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape)
    data = head + array.tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_pair_raw_and_gzip(tmp_path, compress):
    rng = np.random.default_rng(0)
    _idx(tmp_path / "img", rng.integers(0, 256, (50, 7, 7), dtype=np.uint8), compress)
    _idx(tmp_path / "lab", (np.arange(50) % 10).astype(np.uint8), compress)
    ds = load_dataset({"source": "idx", "images": "img", "labels": "lab"}, base_dir=tmp_path)
    assert ds.image_shape == (7, 7, 1) and ds.n_classes == 10


def test_idx_errors(tmp_path):
    _idx(tmp_path / "img", np.zeros((5, 4, 4), np.uint8))
    _idx(tmp_path / "lab", np.zeros(6, np.uint8))
    cfg = {"source": "idx", "images": "img", "labels": "lab"}
    with pytest.raises(DataError, match="has 5 images but .* has 6 labels"):
        load_dataset(cfg, base_dir=tmp_path)
    (tmp_path / "lab").write_bytes(b"PK\x03\x04 definitely not idx")
    with pytest.raises(DataError, match="bad magic number"):
        load_dataset(cfg, base_dir=tmp_path)
    (tmp_path / "lab").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 5) + b"\x00\x01")
    with pytest.raises(DataError, match=r"promises 5 values \(5 bytes\) but the file holds 2"):
        load_dataset(cfg, base_dir=tmp_path)


# --- nothing but DataError comes out, whatever the bytes --------------------------------------

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_only_raise_data_error(tmp_path, data):
    (tmp_path / "f.bin").write_bytes(data)
    (tmp_path / "pics" / "a").mkdir(parents=True, exist_ok=True)
    (tmp_path / "pics" / "a" / "x.png").write_bytes(data)
    for cfg in ({"source": "csv", "path": "f.bin"}, {"source": "npz", "path": "f.bin"},
                {"source": "idx", "images": "f.bin", "labels": "f.bin"},
                {"source": "images", "path": "pics"}):
        try:
            load_dataset(cfg, base_dir=tmp_path)
        except DataError:
            pass


CELL = st.one_of(st.text(alphabet="0123456789.-eE,;\t\"' abcNA?\n\r", max_size=6),
                 st.floats(allow_nan=True).map(str), st.integers(-5, 5).map(str))


@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=4), min_size=0, max_size=12),
       sep=st.sampled_from([",", ";", "\t"]), target=st.sampled_from([None, "c", "column_2"]),
       drop=st.booleans())
def test_random_csv_text_only_raises_data_error(tmp_path, rows, sep, target, drop):
    text = "\n".join(sep.join(r) for r in rows)
    (tmp_path / "r.csv").write_text(text, encoding="utf-8")
    cfg = {"source": "csv", "path": "r.csv", "drop_missing": drop}
    if target:
        cfg["target"] = target
    try:
        ds = load_dataset(cfg, base_dir=tmp_path)
    except DataError:
        return
    assert np.isfinite(ds.train.X).all()
