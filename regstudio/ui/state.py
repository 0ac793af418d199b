"""ExperimentState: the one experiment config the panels edit, with undo/redo.

The panels never keep their own copy of a value: they read from the state, write back with
:meth:`ExperimentState.set`, and refresh themselves when :attr:`changed` names their section
(blocking their own signals while they do, so an update never loops back as an edit).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack


def section_of(path: str) -> str:
    """``"model.layers[1].rate"`` -> ``"model"``."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _config_module():
    from regstudio.experiments import config as cfgmod  # noqa: PLC0415 (core, imported late)

    return cfgmod


def get_path(cfg: dict, path: str, default: Any = None) -> Any:
    cfgmod = _config_module()
    try:
        return cfgmod.get_path(cfg, path)
    except (KeyError, IndexError, TypeError, cfgmod.ConfigError):
        return default


def set_path(cfg: dict, path: str, value: Any) -> dict:
    return _config_module().set_path(cfg, path, value)


class _SetCommand(QUndoCommand):
    """Replace the whole config (old -> new); consecutive edits of one key merge."""

    _IDS: dict[str, int] = {}

    def __init__(self, state: ExperimentState, old: dict, new: dict, path: str, text: str):
        super().__init__(text)
        self._state, self._old, self._new, self.path = state, old, new, path
        self._id = self._IDS.setdefault(path, len(self._IDS) + 1)

    def id(self) -> int:  # noqa: A003 (Qt API)
        return self._id

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, _SetCommand) or other.path != self.path or not self.path:
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._state._apply(self._new, self.path)

    def undo(self) -> None:
        self._state._apply(self._old, self.path)


class _ActionCommand(QUndoCommand):
    """An undoable edit of something beside the config (e.g. a run removed from the session)."""

    def __init__(self, text: str, redo, undo):
        super().__init__(text)
        self._redo, self._undo = redo, undo

    def redo(self) -> None:
        self._redo()

    def undo(self) -> None:
        self._undo()


class ExperimentState(QObject):
    """Holds the current experiment config (a plain JSON-compatible dict).

    Signals
    -------
    changed(str)
        Section that changed: ``"data"``, ``"model"``, ``"regularization"``, ``"early_stopping"``,
        ``"augmentation"``, ``"training"``, ``"name"`` or ``"all"`` (a new config was loaded).
    edited(str, object)
        ``(path, new value)`` for single-value edits (the main window forwards live ones).
    path_changed(str)
        The project file path (``""`` when unsaved).
    """

    changed = Signal(str)
    edited = Signal(str, object)
    path_changed = Signal(str)
    dataset_changed = Signal()

    def __init__(self, config: dict | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._config: dict = copy.deepcopy(config) if config is not None else self._default()
        self._path = ""
        self.dataset = None          # the Dataset loaded for config["data"], or None
        self.dataset_error = ""      # why it could not be loaded ("" when fine)
        self._dataset_key = None  # what self.dataset was loaded from
        self._tried_key = None  # the last load finished (a failed one too)
        self.table_info = None  # columns of a table source (regstudio.data.TableInfo)
        self.samples = 0  # samples of self.dataset before the split
        self._loader = None
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _on_clean_changed(self, _clean: bool) -> None:
        self.path_changed.emit(self._path)

    @staticmethod
    def _default() -> dict:
        return _config_module().default_config()

    # -- reading -------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        """The live dict: read only. Use :meth:`frozen` for a copy to hand to a thread."""
        return self._config

    def frozen(self) -> dict:
        return copy.deepcopy(self._config)

    def get(self, path: str, default: Any = None) -> Any:
        return get_path(self._config, path, default)

    @property
    def path(self) -> str:
        return self._path

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    # -- writing -------------------------------------------------------------------------
    def set(self, path: str, value: Any, text: str | None = None) -> None:
        """Set one value (undoable). No-op when the value is unchanged."""
        if self.get(path, _MISSING) == value:
            return
        new = set_path(self._config, path, value)
        self.undo_stack.push(_SetCommand(self, self._config, new, path, text or f"Set {path}"))

    def set_section(self, section: str, value: Any, text: str | None = None) -> None:
        """Replace a whole section (e.g. the layer list) as one undoable step."""
        if self._config.get(section) == value:
            return
        new = copy.deepcopy(self._config)
        new[section] = copy.deepcopy(value)
        self.undo_stack.push(_SetCommand(self, self._config, new, "", text or f"Edit {section}"))

    def set_config(self, config: dict, text: str) -> None:
        """Replace the whole config as one undoable step (the file name stays)."""
        if config == self._config:
            return
        self.undo_stack.push(_SetCommand(self, self._config, copy.deepcopy(config), "", text))

    def push_action(self, text: str, redo, undo) -> None:
        """Do ``redo()`` now as one undoable step named ``text`` (Edit > Undo calls ``undo()``)."""
        self.undo_stack.push(_ActionCommand(text, redo, undo))

    def replace(self, config: dict, path: str = "") -> None:
        """Load a whole new config (New / Open): clears the undo history."""
        self._config = copy.deepcopy(config)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._path = path
        self.path_changed.emit(path)
        self.changed.emit("all")

    def mark_unsaved_changes(self) -> None:
        """Keep the file name but flag the experiment as changed."""
        self.undo_stack.resetClean()

    def mark_unsaved(self) -> None:
        """Forget the file name and flag the experiment as unsaved (a recovered autosave)."""
        self._path = ""
        self.undo_stack.resetClean()
        self.path_changed.emit("")

    def mark_saved(self, path: str) -> None:
        self._path = path
        self.undo_stack.setClean()
        self.path_changed.emit(path)

    # -- the data set of the current config (ui/data_loader.py loads it off the GUI thread) -
    def base_dir(self) -> str | None:
        import os

        return os.path.dirname(self._path) if self._path else None

    @property
    def loader(self):
        """The background loader of ``config["data"]`` (made on first use)."""
        if self._loader is None:
            from .data_loader import DataLoader

            self._loader = DataLoader(self, self)
        return self._loader

    def reload_dataset(self, force: bool = False) -> None:
        """Load ``config["data"]`` now, in this thread (a no-op when that load was done)."""
        from .data_loader import data_key, load_for_window

        data_cfg = copy.deepcopy(self._config.get("data", {}))
        key = data_key(data_cfg, self.base_dir())
        if self._loader is not None and self._loader.loading:
            self._loader.cancel()
        if force or self.needs_load(key):
            self.apply_loaded(load_for_window(data_cfg, key[1]))

    def needs_load(self, key: tuple) -> bool:
        """Whether ``key`` (see ``data_loader.data_key``) was not the last load finished."""
        return key != self._tried_key

    def apply_loaded(self, loaded) -> None:
        """A finished load: its dataset replaces the current one; a failure keeps the current
        data and sets ``dataset_error``; a cancelled one changes nothing."""
        if loaded.cancelled:
            return
        self._tried_key = loaded.key
        self.table_info = loaded.table
        self.dataset_error = loaded.error
        if loaded.dataset is not None:
            self.dataset, self._dataset_key, self.samples = (loaded.dataset, loaded.key,
                                                             loaded.samples)
        self.dataset_changed.emit()

    def dataset_for(self, data_cfg: dict):
        """The loaded dataset if it was loaded from exactly ``data_cfg``, else None."""
        if self.dataset is None or self._dataset_key is None:
            return None
        same = json.dumps(data_cfg, sort_keys=True, default=str) == self._dataset_key[0]
        return self.dataset if same else None

    def to_json(self) -> str:
        return json.dumps(self._config, indent=2)

    def _apply(self, config: dict, path: str) -> None:
        old = self._config
        self._config = config
        if path:
            self.changed.emit(section_of(path))
            self.edited.emit(path, get_path(config, path))
            return
        for section in sorted(set(old) | set(config)):
            a, b = old.get(section), config.get(section)
            if a == b:
                continue
            self.changed.emit(section)
            for p in _changed_paths(section, a, b):
                self.edited.emit(p, copy.deepcopy(get_path(config, p)) if p != section
                                 else copy.deepcopy(b))


def _changed_paths(section: str, a: Any, b: Any) -> list[str]:
    """Finest paths worth reporting: per key of a dict section; per dropout rate when only
    rates of an otherwise identical layer stack changed; else the section itself."""
    if section == "model" and isinstance(a, dict) and isinstance(b, dict):
        la, lb = a.get("layers", []), b.get("layers", [])
        strip = [{k: v for k, v in x.items() if k != "rate"} for x in la]
        if len(la) == len(lb) and strip == [{k: v for k, v in x.items() if k != "rate"}
                                            for x in lb] and a.keys() == b.keys():
            return [f"model.layers[{i}].rate" for i, (x, y) in enumerate(zip(la, lb, strict=True))
                    if x.get("rate") != y.get("rate")]
        return [section]
    if section in ("regularization", "training", "early_stopping") and isinstance(a, dict) \
            and isinstance(b, dict):
        return [f"{section}.{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return [section]


class _Missing:
    pass


_MISSING = _Missing()
