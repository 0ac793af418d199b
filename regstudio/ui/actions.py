"""Action registry: one table of every command the window offers.

Each entry: id -> text, shortcuts, themed icon name, tooltip / status tip. The main window
builds QActions from it (menus, toolbar, shortcuts) and connects them by id; enabled rules
live in ``MainWindow._update_actions`` so that each action's state has one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class ActionSpec:
    text: str
    shortcuts: tuple = ()
    icon: str = ""
    tip: str = ""
    checkable: bool = False


SK = QKeySequence.StandardKey

ACTIONS: dict[str, ActionSpec] = {
    "new": ActionSpec("&New experiment", (SK.New,), "document-new",
                      "Start again from the default experiment"),
    "open": ActionSpec("&Open…", (SK.Open,), "document-open",
                       "Open an experiment file (.regstudio / .json)"),
    "save": ActionSpec("&Save", (SK.Save,), "document-save", "Save the experiment config"),
    "save_as": ActionSpec("Save &As…", (SK.SaveAs, "Ctrl+Shift+S"), "document-save-as",
                          "Save the experiment config under a new name"),
    "export_plot": ActionSpec("Export &plot as PNG/SVG…", ("Ctrl+E",), "image-x-generic",
                              "Save the plot shown in the Plots area as PNG or SVG"),
    "export_history": ActionSpec("Export &history CSV…", ("Ctrl+Shift+E",), "text-csv",
                                 "Save the metrics of the last run, one row per epoch"),
    "export_model": ActionSpec("Export &model (.npz)…", ("Ctrl+Shift+M",), "document-save-as",
                               "Save the last run's final weights and config as .npz (loads without pickle)"),
    "export_pytorch": ActionSpec("Export as &PyTorch script…", (), "text-x-python",
                                 "Write a runnable PyTorch script of this experiment (regularizers converted)"),
    "export_keras": ActionSpec("Export as &Keras script…", (), "text-x-python",
                               "Write a Keras script of this experiment (regularizers, dropout, early stopping)"),
    "export_runs": ActionSpec("Export runs &table CSV…", (), "text-csv",
                              "Save the Runs table (one row per run, its settings and results) as CSV"),
    "export_report": ActionSpec("Export &report (HTML)…", ("Ctrl+Shift+H",), "text-html",
                                "A one-page HTML report of the ticked runs (all when none is ticked): "
                                "plots, table and configs, readable offline in any browser"),
    "quit": ActionSpec("&Quit", (SK.Quit, "Ctrl+Q"), "application-exit", "Close the window"),
    "undo": ActionSpec("&Undo", (SK.Undo,), "edit-undo", "Undo the last edit of the experiment"),
    "redo": ActionSpec("&Redo", (SK.Redo, "Ctrl+Y"), "edit-redo", "Redo"),
    "start": ActionSpec("&Start", ("Ctrl+R", "F5"), "media-playback-start",
                        "Start training the network from fresh weights (Ctrl+R, F5)"),
    "pause": ActionSpec("&Pause", ("Ctrl+P", "F6"), "media-playback-pause",
                        "Pause between batches; press again to resume (Ctrl+P, F6)",
                        checkable=True),
    "stop": ActionSpec("S&top", ("Ctrl+.", "Shift+F5"), "media-playback-stop",
                       "Stop training; the curves and weights stay (Ctrl+., Shift+F5)"),
    "step": ActionSpec("Step one &epoch", ("Ctrl+T", "F10"), "media-skip-forward",
                       "Run one epoch, then pause (starts a run if none is going) (Ctrl+T, F10)"),
    "reset": ActionSpec("&Reset weights", ("Ctrl+Shift+R",), "view-refresh",
                        "Stop and clear the curves: the next Start begins from fresh weights"),
    "log_y": ActionSpec("&Log scale for loss", ("Ctrl+L",), "", "Show the loss on a log axis",
                        checkable=True),
    "batch_loss": ActionSpec("Training loss per &batch", ("Ctrl+B",), "",
                             "Also draw the training loss of every batch (faint), not only per epoch",
                             checkable=True),
    "guide": ActionSpec("&Guide to the five techniques", (SK.HelpContents, "F1"),
                        "help-contents", "L1, L2, dropout, early stopping, augmentation in brief"),
    "about": ActionSpec("&About Regularization Studio", (), "help-about",
                        "Version and licences of the bundled data"),
}


def create_actions(parent: QWidget) -> dict[str, QAction]:
    """QActions for every registry entry, parented to ``parent`` (shortcuts window-wide)."""
    out = {}
    for key, spec in ACTIONS.items():
        action = QAction(spec.text, parent)
        action.setObjectName(f"action_{key}")
        if spec.icon:
            action.setIcon(QIcon.fromTheme(spec.icon))
        seqs = []
        for s in spec.shortcuts:
            seqs.extend(QKeySequence.keyBindings(s) if isinstance(s, SK) else [QKeySequence(s)])
        uniq = []
        for s in seqs:
            if not s.isEmpty() and s not in uniq:
                uniq.append(s)
        action.setShortcuts(uniq)
        tip = spec.tip
        if uniq and "(" not in tip:
            tip = f"{tip} ({uniq[0].toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(spec.tip)
        action.setCheckable(spec.checkable)
        out[key] = action
    return out
