"""The Data panel on real tables: column table, roles, task wording, sizes, background loading."""

import time
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parents[1] / "data" / "fixtures"
PENGUINS = FIXTURES / "penguins.csv"
WINE = ["acidité fixe", "sucre résiduel", "degré alcoolique", "qualité"]


def _wine(tmp_path) -> Path:
    rows = [f"{7 + i % 5},{i % 3};{1 + i % 4},5;{10 + i % 3},{i % 10};{'bon' if i % 2 else 'médiocre'}"
            for i in range(40)]
    path = tmp_path / "vin.csv"
    path.write_bytes((";".join(WINE) + "\n" + "\n".join(rows) + "\n").encode("latin-1"))
    return path


def _load(qtbot, window, data: dict) -> None:
    """Set the data section and wait for the background load to finish."""
    window.state.set_section("data", data)
    qtbot.waitUntil(lambda: not window.state.loader.loading
                    and not window.state.needs_load(_key(window)), timeout=20000)


def _key(window):
    from regstudio.ui.data_loader import data_key

    return data_key(window.state.config["data"], window.state.base_dir())


def _plain(text: str) -> str:
    return text.replace("\u200b", "")


def test_wine_semicolon_latin1_shows_its_real_column_names(qtbot, window, tmp_path):
    _load(qtbot, window, {"source": "csv", "path": str(_wine(tmp_path))})
    panel = window.data_panel
    assert [panel.target.itemText(i) for i in range(panel.target.count())] == WINE
    assert panel.target.currentText() == "qualité" and panel.target.isVisibleTo(panel)
    assert panel.columns.names == WINE and panel.columns.isVisibleTo(panel)
    assert [panel.columns.item(r, 1).text() for r in range(4)] == ["number"] * 3 + ["category"]
    assert [panel.columns.role(n) for n in WINE] == ["feature"] * 3 + ["target"]
    assert window.state.dataset.classes == ["bon", "médiocre"] and not panel.error.isVisible()
    assert panel.task.currentText() == "auto (classification)"
    assert "task" not in window.state.config["data"]  # touching nothing forces no task


def test_roles_edit_exactly_target_and_ignore_and_undo(qtbot, window):
    _load(qtbot, window, {"source": "csv", "path": str(PENGUINS), "seed": 3})
    panel, state = window.data_panel, window.state
    before = dict(state.config["data"])
    assert [panel.columns.item(r, 1).text() for r in range(len(panel.columns.names))][:3] == \
        ["category", "category", "number"]
    assert panel.columns.item(panel.columns.names.index("sex"), 2).text() == "11"
    panel.columns.set_role("species", "target")
    assert state.config["data"] == {**before, "target": "species"}
    panel.columns.set_role("year", "ignore")
    panel.columns.set_role("island", "ignore")
    assert state.config["data"] == {**before, "target": "species", "ignore": ["island", "year"]}
    assert not panel.columns.cellWidget(0, 3).isEnabled()  # the target row: choose another
    panel.columns.set_role("island", "feature")
    assert state.config["data"]["ignore"] == ["year"]
    qtbot.waitUntil(lambda: not state.needs_load(_key(window)) and not state.loader.loading,
                    timeout=20000)
    ds = state.dataset
    assert ds.classes == ["Adelie", "Chinstrap", "Gentoo"] and "year" not in ds.feature_names
    assert panel.task.currentText() == "auto (classification)"
    state.undo_stack.undo()
    assert state.config["data"]["ignore"] == ["island", "year"]
    panel.target.setCurrentIndex(panel.target.findData("body_mass_g"))  # the Target list too
    assert state.config["data"]["target"] == "body_mass_g"
    assert panel.columns.role("species") == "feature" and panel.columns.role("body_mass_g") == "target"
    qtbot.waitUntil(lambda: not state.needs_load(_key(window)) and not state.loader.loading,
                    timeout=20000)
    assert state.dataset.task == "regression" and panel.task.currentText() == "auto (regression)"


def test_training_samples_all_and_split_sizes_add_up(qtbot, window):
    _load(qtbot, window, {"source": "csv", "path": str(PENGUINS), "target": "species"})
    panel = window.data_panel
    assert panel.train_size.text() == "all" and "train_size" not in window.state.config["data"]
    ds = window.state.dataset
    n = (len(ds.train.X), len(ds.val.X), len(ds.test.X))
    assert window.state.samples == 344 == sum(n)  # missing cells imputed: every row kept
    text = panel.summary.text()
    assert f"{n[0]} training + {n[1]} validation + {n[2]} test = 344 samples" in text
    panel.train_size.setValue(50)
    assert window.state.config["data"]["train_size"] == 50
    qtbot.waitUntil(lambda: len(window.state.dataset.train.X) == 50, timeout=20000)
    ds = window.state.dataset
    unused = 344 - 50 - len(ds.val.X) - len(ds.test.X)
    assert f"50 training + {len(ds.val.X)} validation + 0 test + {unused} unused (training cap) " \
           "= 344 samples" in panel.summary.text()
    panel.train_size.setValue(0)
    assert "train_size" not in window.state.config["data"]


def test_failed_load_shows_the_whole_message_wrapped_and_keeps_the_data(qtbot, window, tmp_path):
    _load(qtbot, window, {"source": "csv", "path": str(PENGUINS), "target": "species"})
    old = window.state.dataset
    deep = tmp_path.joinpath(*[f"a_rather_long_folder_name_{i}" for i in range(6)])
    deep.mkdir(parents=True)
    bad = deep / "broken.csv"
    bad.write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n")
    window.data_panel.use_path(str(bad))
    qtbot.waitUntil(lambda: window.data_panel.error.isVisible(), timeout=20000)
    from regstudio.data import load_dataset
    from regstudio.data.errors import DataError

    with pytest.raises(DataError) as exc:
        load_dataset({"source": "csv", "path": str(bad)})
    error = window.data_panel.error
    assert _plain(error.text()) == f"Cannot load the data: {exc.value}"
    assert "row 3: 2 fields but the header has 3" in _plain(error.text())
    window.docks["data"].raise_()
    qtbot.wait(100)
    view = window.docks["data"].widget().viewport()  # the scroll area: nothing wider than it
    assert 150 < error.width() and error.mapTo(view, error.rect().topRight()).x() < view.width()
    assert window.data_panel.width() <= view.width()  # no horizontal scrolling
    assert error.heightForWidth(error.width()) <= error.height() + 1  # every line shown
    assert window.state.dataset is old  # the previous data stay
    assert "Still in use: the data loaded before" in window.data_panel.summary.text()
    assert not window.actions["start"].isEnabled()


def test_changing_split_seed_target_reuses_the_parsed_file(qtbot, window, monkeypatch):
    from regstudio.data import cache, table

    cache.clear()
    reads = []
    real = table.read_table
    monkeypatch.setattr(table, "read_table", lambda *a, **k: reads.append(1) or real(*a, **k))
    _load(qtbot, window, {"source": "csv", "path": str(PENGUINS), "target": "species"})
    assert len(reads) == 1
    for path, value in (("data.seed", 4), ("data.val_fraction", 0.4), ("data.target", "island")):
        window.state.set(path, value)
        qtbot.waitUntil(lambda: not window.state.needs_load(_key(window))
                        and not window.state.loader.loading, timeout=20000)
    assert len(reads) == 1 and window.state.dataset.classes == ["Biscoe", "Dream", "Torgersen"]
    cache.clear()


@pytest.fixture
def big_csv(tmp_path):
    """A 400,000-row table with numbers and a text column (about 14 MB)."""
    return _big(tmp_path / "big.csv", 400_000, 4)


def _big(path: Path, n: int, numbers: int) -> Path:
    rng = np.random.default_rng(0)
    cols = rng.normal(size=(n, numbers)).round(4)
    kinds = np.array(["alpha", "beta", "gamma"])[rng.integers(0, 3, n)]
    head = ",".join("abcdefgh"[:numbers]) + ",kind\n"
    np.savetxt(path, np.column_stack([cols.astype(str), kinds]), fmt="%s", delimiter=",",
               header=head.strip(), comments="")
    return path


def test_big_csv_loads_in_background_responsive_start_disabled_cancel(qtbot, window, big_csv,
                                                                      monkeypatch):
    from PySide6.QtCore import QTimer

    from regstudio.data import cache, table

    monkeypatch.setattr(table, "CHUNK_ROWS", 20_000)
    cache.clear()
    old = window.state.dataset
    assert old is not None and window.actions["start"].isEnabled()
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    counts = []
    window.state.loader.progress.connect(lambda done, total: counts.append((done, total)))
    window.state.set_section("data", {"source": "csv", "path": str(big_csv)})
    qtbot.waitUntil(lambda: window.state.loader.loading, timeout=3000)
    panel = window.data_panel
    assert panel.cancel.isVisibleTo(panel) and panel.progress.isVisibleTo(panel)
    assert not window.actions["start"].isEnabled()
    assert not window.runner.start()  # refused while loading
    assert "still loading" in window.banner.text()
    qtbot.waitUntil(lambda: bool(counts), timeout=20000)
    assert counts[0][1] == 400_000 and "rows or files read of 400,000" in panel.load_status.text()
    assert len(ticks) >= 3  # the event loop ran while the file was read
    thread = window.state.loader._current[0]
    panel.cancel.click()
    assert not window.state.loader.loading  # given back at once, without waiting for the thread
    assert "cancelled" in panel.load_status.text() and not panel.cancel.isVisibleTo(panel)
    assert window.state.dataset is old and not window.state.dataset_error
    qtbot.waitUntil(thread.isFinished, timeout=20000)  # the load stopped at its next check
    assert window.state.dataset is old  # and delivered nothing
    # load to the end this time: Start comes back once the data are ready
    before = len(ticks)
    window.state.loader.load(force=True)
    qtbot.waitUntil(lambda: not window.state.loader.loading, timeout=60000)
    timer.stop()
    assert window.state.dataset is not old and window.state.samples == 400_000
    assert window.actions["start"].isEnabled(), window.runner.start_reason()
    assert len(ticks) - before >= 3  # the window kept processing events while it loaded
    cache.clear()


def test_a_million_rows_cancelled_while_encoding_deliver_nothing(qtbot, window, tmp_path):
    """Cancel after the parse (the encoding and splitting phase): the load stops there and
    nothing reaches the window; events kept flowing meanwhile. How soon: bench_load.py."""
    from PySide6.QtCore import QTimer

    from regstudio.data import cache

    path = _big(tmp_path / "million.csv", 1_000_000, 2)
    cache.clear()
    old = window.state.dataset
    phases, counts, ticks = [], [], []
    loader = window.state.loader
    loader.phase.connect(phases.append)
    loader.progress.connect(lambda done, total: counts.append((phases[-1:], done, total)))
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    window.state.set_section("data", {"source": "table", "path": str(path)})
    qtbot.waitUntil(lambda: phases[-1:] == ["encoding"], timeout=120000)
    thread = loader._current[0]
    panel = window.data_panel
    assert panel.load_status.text().startswith("Preparing the data")
    window.data_panel.cancel.click()
    assert not loader.loading and window.state.dataset is old
    qtbot.waitUntil(thread.isFinished, timeout=60000)
    timer.stop()
    encoding = [(d, t) for p, d, t in counts if p == ["encoding"]]
    assert not encoding or encoding[-1][0] < encoding[-1][1]  # stopped before the end
    assert window.state.dataset is old and not window.state.dataset_error
    assert len(ticks) >= 3
    cache.clear()


def test_penguins_train_from_the_window_as_on_the_command_line(qtbot, window):
    """Column table: species as the target; Start; the accuracy the CLI's training gives."""
    from regstudio.experiments.training import train

    _load(qtbot, window, {"source": "csv", "path": str(PENGUINS)})
    panel, state = window.data_panel, window.state
    assert panel.columns.role("year") == "target"  # the last column, until one is chosen
    panel.columns.set_role("species", "target")
    qtbot.waitUntil(lambda: not state.needs_load(_key(window)) and not state.loader.loading,
                    timeout=20000)
    assert state.dataset.classes == ["Adelie", "Chinstrap", "Gentoo"]
    state.set("training.epochs", 40)
    state.set("early_stopping.enabled", False)
    assert window.runner.start(), window.banner.text()
    qtbot.waitUntil(lambda: len(window.runner.session) == 1 and not window.runner.is_running,
                    timeout=120000)
    record = window.runner.session.last
    ours = record.summary["final"]["val_acc"]
    cli = train(state.config).summary["final"]["val_acc"]
    assert ours > 0.9 and abs(ours - cli) <= 0.03, (ours, cli)


def test_a_column_with_a_stray_word_can_be_ignored_from_the_column_table(qtbot, window, tmp_path):
    rows = [f"r{i},{'heavy' if i == 50 else 3000 + 5 * i},{i % 7},,{'ab'[i % 2]}"
            for i in range(120)]
    path = tmp_path / "t.csv"
    path.write_text("name,mass,n,notes,label\n" + "\n".join(rows) + "\n")
    _load(qtbot, window, {"source": "table", "path": str(path)})
    panel = window.data_panel
    assert "row 52, column 'mass': 'heavy' is not a number" in _plain(panel.error.text())
    assert panel.columns.isVisibleTo(panel)  # the columns are shown although the load failed
    kinds = [panel.columns.item(r, 1).text() for r in range(5)]
    assert kinds == ["text, one per row", "number · 1 not a number", "number", "empty",
                     "category"]
    assert "'heavy'" in panel.columns.item(1, 1).toolTip()
    assert [panel.columns.role(n) for n in panel.columns.names] == \
        ["left out", "feature", "feature", "left out", "target"]
    panel.columns.set_role("mass", "ignore")
    assert window.state.config["data"]["ignore"] == ["mass"]
    qtbot.waitUntil(lambda: not window.state.needs_load(_key(window))
                    and not window.state.loader.loading, timeout=20000)
    assert not panel.error.isVisible() and window.state.dataset.feature_names == ["n"]
    assert "left out &#x27;name&#x27; (120 distinct text values" in panel.summary.text()
    panel.columns.set_role("notes", "ignore")  # a left-out column: ignoring it silences it
    assert window.state.config["data"]["ignore"] == ["mass", "notes"]
    assert panel.columns.role("notes") == "ignore"


def test_a_load_dropped_after_its_thread_ended_is_let_go(qtbot, window):
    """Cancelled once its thread had already finished (its result still queued): the loader
    still joins it and lets its data go, rather than holding them until the window closes."""
    loader = window.state.loader
    assert loader.load(force=True)
    thread = loader._current[0]
    assert thread.wait(30000)  # ended; its finished signal not yet delivered
    loader.cancel()
    qtbot.waitUntil(lambda: not loader._dropped, timeout=5000)
    assert not loader.loading
