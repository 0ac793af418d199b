"""Tables as analysts have them: text among numbers, day-first dates, Windows-1252, empty and id
columns, thousands separators, spaces as delimiters, quotes everywhere, memory limits."""

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from regstudio.data import (
    DataError,
    LoadCancelled,
    dataset_from_raw,
    inspect_table,
    load_dataset,
    load_raw,
    sniff,
)

ROOT = Path(__file__).parents[2]
MESSY = ROOT / "docs" / "examples" / "messy-penguins.csv"


def _write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _kinds(path, **cfg):
    return {c["name"]: c for c in inspect_table(path, cfg).columns}


def _titanic(tmp_path):
    """Ticket: three numbers in four; body_mass_g: numbers with one stray word."""
    rows = [f"{i + 1},{100000 + 7 * i if i % 4 else f'PC {17000 + i}'},"
            f"{'heavy' if i == 50 else 3000 + 5 * i},{'ab'[i % 2]}" for i in range(200)]
    return _write(tmp_path, "PassengerId,Ticket,body_mass_g,label\n" + "\n".join(rows) + "\n")


def test_a_stray_word_stops_the_load_only_when_the_column_is_used(tmp_path):
    path = _titanic(tmp_path)
    cols = _kinds(path)  # the column table shows every column, the bad one included
    assert cols["body_mass_g"]["kind"] == "numeric"
    assert cols["body_mass_g"]["stray"] == {"count": 1, "first": "heavy"}
    assert cols["Ticket"]["kind"] == "text-id"  # mostly numbers, but a text column
    with pytest.raises(DataError) as err:
        load_dataset({"source": "table", "path": str(path)})
    message = str(err.value)
    assert f"{path}, row 52, column 'body_mass_g': 'heavy' is not a number" in message
    assert "data.ignore" in message and "encode categories as numbers" not in message
    ds = load_dataset({"source": "table", "path": str(path), "ignore": ["body_mass_g"]})
    assert ds.feature_names == ["PassengerId"] and ds.classes == ["a", "b"]
    assert any(line.startswith("left out 'Ticket' (200 distinct text values") for line in ds.report)
    assert any("'PassengerId' looks like a row id" in line for line in ds.report)
    with pytest.raises(DataError, match=r"row 52, column 'body_mass_g': 'heavy' is not a number"):
        load_dataset({"source": "table", "path": str(path), "target": "body_mass_g"})


def test_words_among_numbers_from_a_later_chunk_on(tmp_path, monkeypatch):
    from regstudio.data import table

    monkeypatch.setattr(table, "PROBE_ROWS", 20)
    monkeypatch.setattr(table, "CHUNK_ROWS", 50)
    rows = [f"{i},{i if i < 100 else f'code {i % 70}'},{'ab'[i % 2]}" for i in range(300)]
    path = _write(tmp_path, "n,code,label\n" + "\n".join(rows) + "\n")
    cols = _kinds(path)
    assert cols["code"]["kind"] == "text-id" and cols["code"]["levels"] == 170
    rows[150] = "150,oops,a"
    path = _write(tmp_path, "n,code,label\n" + "\n".join(
        f"{i},{'oops' if i == 150 else i},{'ab'[i % 2]}" for i in range(300)) + "\n")
    assert _kinds(path)["code"]["stray"] == {"count": 1, "first": "oops"}


def test_day_first_dates_and_a_few_unreadable_cells(tmp_path):
    days = [f"{1 + i % 28:02d}.{1 + i % 12:02d}.2023" for i in range(60)]
    days[5] = "tomorrow"
    slash = [f"{1 + (i * 5) % 28}/{1 + i % 12}/2021" for i in range(60)]  # days above 12
    rows = [f"{a},{b},{i % 5},{'pq'[i % 2]}" for i, (a, b) in enumerate(zip(days, slash, strict=True))]
    path = _write(tmp_path, "when,other,n,label\n" + "\n".join(rows) + "\n")
    cols = _kinds(path)
    assert cols["when"]["kind"] == "date" and cols["when"]["missing"] == 1
    assert cols["other"]["kind"] == "date" and cols["other"]["missing"] == 0
    ds = load_dataset({"source": "table", "path": str(path), "standardize": False,
                       "val_fraction": 0.5})
    assert "'when': 1 cell(s) that are not dates treated as missing (first: row 7, " \
           "'tomorrow')" in ds.report
    assert "'when': dates read as day/month/year" in ds.report
    X = np.concatenate([ds.train.X, ds.val.X])
    names = ds.feature_names
    got = {tuple(r) for r in X[:, [names.index("other.day"), names.index("other.month")]]
           .astype(int).tolist()}
    assert got == {(1 + (i * 5) % 28, 1 + i % 12) for i in range(60)}
    assert set(X[:, names.index("when.month")].tolist()) >= {12.0}  # 13th day of a month read
    assert ds.encoding["columns"][0]["order"] == "day-month-year"


def test_iso_dates_are_never_read_day_first(tmp_path):
    rows = [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},{i},{'pq'[i % 2]}" for i in range(40)]
    ds = load_dataset({"source": "table", "path": str(_write(tmp_path, "d,n,label\n" + "\n".join(
        rows))), "standardize": False, "val_fraction": 0.5})
    X = np.concatenate([ds.train.X, ds.val.X])
    assert sorted(set(X[:, 1].astype(int).tolist())) == list(range(1, 13))  # months


def test_windows_1252_euro_sign_and_curly_quotes(tmp_path):
    rows = [f"{['Café €', '“quoted”', 'plain'][i % 3]},{i},{'ab'[i % 2]}" for i in range(30)]
    path = _write(tmp_path, "name,n,label\n" + "\n".join(rows) + "\n", encoding="cp1252")
    info = inspect_table(path)
    assert info.encoding == "cp1252"
    ds = load_dataset({"source": "table", "path": str(path)})
    assert ds.feature_names[:3] == ["name=Café €", "name=plain", "name=“quoted”"]


def test_an_empty_column_is_left_out_and_reported(tmp_path):
    rows = [f"{i},,{'ab'[i % 2]}" for i in range(20)]
    path = _write(tmp_path, "n,notes,label\n" + "\n".join(rows) + "\n")
    assert _kinds(path)["notes"]["kind"] == "empty"
    ds = load_dataset({"source": "table", "path": str(path)})
    assert ds.feature_names == ["n"]
    assert ds.report[0].startswith("left out 'notes' (every cell is empty)")
    roles = {c["name"]: c["role"] for c in ds.data_report["columns"]}
    assert roles == {"n": "feature", "notes": "left out", "label": "target"}


def test_thousands_separators_are_numbers(tmp_path):
    rows = [f'"{1000 + 1234 * i:,}",{i % 3},{"ab"[i % 2]}' for i in range(30)]
    path = _write(tmp_path, "price,n,label\n" + "\n".join(rows) + "\n")
    ds = load_dataset({"source": "table", "path": str(path), "standardize": False})
    X = np.concatenate([ds.train.X, ds.val.X])
    assert sorted(X[:, 0].tolist()) == [1000.0 + 1234 * i for i in range(30)]
    semi = [f"{1000 + 1234 * i:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
            + f";{i % 3};{'ab'[i % 2]}" for i in range(30)]  # 1.234,00 with ; and decimal commas
    path = _write(tmp_path, "price;n;label\n" + "\n".join(semi) + "\n", name="s.csv")
    ds = load_dataset({"source": "table", "path": str(path), "standardize": False})
    X = np.concatenate([ds.train.X, ds.val.X])
    assert sorted(X[:, 0].tolist()) == [1000.0 + 1234 * i for i in range(30)]


def test_whitespace_delimited_txt(tmp_path):
    rows = [f"  {i}\t {i % 3}   {'xy'[i % 2]}" for i in range(20)]
    path = _write(tmp_path, "a  b   label\n" + "\n".join(rows) + "\n", name="t.txt")
    ds = load_dataset({"source": "table", "path": str(path)})
    assert ds.feature_names == ["a", "b"] and ds.classes == ["x", "y"]
    bad = _write(tmp_path, "a b label\n1 2 x\n3 4\n", name="bad.txt")
    with pytest.raises(DataError, match=r"bad\.txt, row 3: 2 fields but the header has 3"):
        load_dataset({"source": "table", "path": str(bad)})


def test_a_fully_quoted_file_is_read_by_pandas_alone(tmp_path, monkeypatch):
    rows = [f'"{i}","{i % 7}.5","{"a,b" if i % 2 else "c"}","{"xy"[i % 2]}"' for i in range(500)]
    quoted = _write(tmp_path, '"n","m","t","label"\n' + "\n".join(rows) + "\n")
    plain = _write(tmp_path, "n,m,t,label\n" + "\n".join(r.replace('"a,b"', "ab").replace('"', "")
                                                      for r in rows) + "\n", name="p.csv")
    monkeypatch.setattr(sniff, "layout_by_csv", lambda *a, **k: pytest.fail("csv module used"))
    a = load_dataset({"source": "table", "path": str(quoted)})
    b = load_dataset({"source": "table", "path": str(plain)})
    assert a.feature_names == ["n", "m", "t=a,b", "t=c"]
    np.testing.assert_array_equal(a.train.X, b.train.X)


def test_a_quoted_field_over_two_lines_goes_to_the_csv_module(tmp_path):
    path = _write(tmp_path, 'a,b,label\n1,"two\nlines",x\n3,4,y\n')
    with pytest.raises(DataError, match=r"t\.csv, line 2: a quote opened on this line is not "
                                        r"closed"):
        load_dataset({"source": "table", "path": str(path)})


def test_the_messy_example_of_the_docs(tmp_path):
    ds = load_dataset({"source": "table", "path": str(MESSY)})
    assert ds.classes == ["Adelie", "Chinstrap", "Gentoo"]
    assert ds.feature_names == ["island=Biscoe", "island=Dream", "island=Torgersen", "bill",
                                "body mass", "sex=female", "sex=male", "measured.year",
                                "measured.month", "measured.day", "measured.weekday"]
    docs = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    for line in ds.report:  # the report printed in docs/data.md is the real one
        assert line in docs, line


# --- files and memory -----------------------------------------------------------------------

LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3_000_000_000, 3_000_000_000))
from pathlib import Path
from regstudio.data.files import read_file
print(len(read_file(Path(sys.argv[1]), "path")))
"""


def test_a_small_file_reads_under_a_memory_limit(tmp_path):
    """read(MAX_FILE_BYTES + 1) reserved 4 GiB for any file: MemoryError under ulimit -v."""
    path = _write(tmp_path, "a,b\n" + "".join(f"{i},{i}\n" for i in range(8)))
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(LIMITED), str(path)],
                         capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == str(path.stat().st_size)


# --- cancel after the parse ---------------------------------------------------------------------

def test_cancel_stops_the_encoding_between_blocks(tmp_path, monkeypatch):
    from regstudio.data import encode

    monkeypatch.setattr(encode, "BLOCK", 100)
    path = _write(tmp_path, "a,b,c,d\n" + "".join(f"{i},{i % 3},{'xyz'[i % 3]},{i % 2}\n"
                                                 for i in range(5000)))
    cfg = {"source": "table", "path": str(path)}
    raw = load_raw(cfg)
    steps, stop = [], threading.Event()

    def progress(done, total):
        steps.append((done, total))
        if len(steps) == 5:  # three columns fitted, two blocks of rows written
            stop.set()

    with pytest.raises(LoadCancelled):
        dataset_from_raw(raw, cfg, progress=progress, cancel=stop)
    assert steps == [(k, 3 + 50) for k in range(1, 6)]  # stopped at the next block
    full = []
    dataset_from_raw(raw, cfg, progress=lambda d, t: full.append((d, t)))
    assert full == [(k, 53) for k in range(1, 54)]


def test_quoted_fields_after_a_space(tmp_path):
    rows = [f'{i}, "{"a,b" if i % 2 else "c"}", {"xy"[i % 3 == 0]}' for i in range(30)]
    path = _write(tmp_path, 'n, t, label\n' + "\n".join(rows) + "\n")
    ds = load_dataset({"source": "table", "path": str(path)})
    assert ds.feature_names == ["n", "t=a,b", "t=c"] and ds.classes == ["x", "y"]
