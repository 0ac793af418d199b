"""Command line: ``regstudio [gui|open|train|sweep] ...`` and ``--self-test``.

Qt is imported only for the GUI commands, so ``train`` and ``sweep`` run on
machines without a display. Bad input prints one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention


class UserError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="regstudio",
        description="Regularization Studio: watch a network overfit, then cure it.",
    )
    parser.add_argument("--version", action="version", version=f"regstudio {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="run a headless smoke test and exit (0 when all is well)")
    sub = parser.add_subparsers(dest="command")
    p_gui = sub.add_parser("gui", help="open the main window (the default), with a project if given")
    p_gui.add_argument("file", type=Path, nargs="?",
                       help="a .regstudio project or .json config to open (what the desktop entry passes)")
    p_open = sub.add_parser("open", help="open a saved experiment or project in the window")
    p_open.add_argument("file", type=Path)
    p_train = sub.add_parser("train", help="train headless from a config JSON")
    p_train.add_argument("config", type=Path)
    p_train.add_argument("--out", type=Path, required=True, help="folder for history.csv, summary.json, model.npz")
    p_train.add_argument("--epochs", type=int, help="override training.epochs")
    p_train.add_argument("--seed", type=int, help="override training.seed and data.seed")
    p_train.add_argument("--threads", type=int, help="BLAS threads (default: all cores)")
    p_train.add_argument("--force", action="store_true", help="replace existing result files in --out")
    p_train.add_argument("--quiet", action="store_true", help="no progress lines")
    p_sweep = sub.add_parser("sweep", help="train at each value of one parameter (or a grid of two)")
    p_sweep.add_argument("config", type=Path)
    p_sweep.add_argument("--param", required=True, action="append",
                         help="dotted key, e.g. regularization.l2; a second --param/--values pair makes a grid")
    p_sweep.add_argument("--values", required=True, action="append",
                         help="comma-separated values, e.g. 1e-5,1e-4,1e-3")
    fits = p_sweep.add_mutually_exclusive_group()
    fits.add_argument("--repeats", type=int, help="train each point R times, training seeds seed..seed+R-1")
    fits.add_argument("--folds", type=int, help="K-fold cross-validation over training + validation data")
    p_sweep.add_argument("--workers", type=int, help="processes (default: cores)")
    p_sweep.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    p_sweep.add_argument("--out", type=Path, required=True)
    p_sweep.add_argument("--force", action="store_true", help="replace existing sweep result files")
    p_export = sub.add_parser("export", help="write the experiment as a PyTorch or Keras script")
    p_export.add_argument("config", type=Path)
    p_export.add_argument("--framework", choices=("pytorch", "keras"), required=True)
    p_export.add_argument("--out", type=Path, required=True, help="the script to write, e.g. model_torch.py")
    p_export.add_argument("--force", action="store_true", help="replace an existing file")
    return parser


def read_config(path: Path) -> dict:
    """Parse a config or project file (a project is checked in full); errors name the file and line."""
    from .experiments.config import ConfigError, read_json_file
    from .experiments.project import ProjectError, load_project

    if path.is_file():
        with open(path, "rb") as fh:
            is_archive = fh.read(2) == b"PK"
        if is_archive:  # a project archive (.regstudio)
            try:
                return load_project(path).experiment
            except ProjectError as exc:
                raise UserError(str(exc)) from None
    try:
        cfg = read_json_file(path)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    if isinstance(cfg, dict) and "experiment" in cfg and "data" not in cfg:
        cfg = cfg["experiment"]  # a saved GUI project wraps the config
    return cfg


MAX_THREADS = 1024


def _threads(count: int | None) -> int | None:
    """``--threads``, checked before anything is trained (a huge number would reach ctypes)."""
    from .options import shown

    if count is not None and count < 1:
        raise UserError(f"--threads: must be at least 1, got {shown(count)}")
    if count is not None and count > MAX_THREADS:
        raise UserError(f"--threads: must be at most {MAX_THREADS}, got {shown(count)}")
    return count


def _train(args) -> int:
    from .data import load_dataset
    from .engine import EpochEnd, Finished, TrainingControl, set_threads
    from .experiments.config import ConfigError, validate_config
    from .experiments.export import prepare_run_folder, write_run
    from .experiments.training import train

    cfg = read_config(args.config)
    if isinstance(cfg, dict):  # a section of the wrong type is left for validate_config to name
        training = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed)) if v is not None}
        if training and isinstance(cfg.setdefault("training", {}), dict):
            cfg["training"].update(training)
        if args.seed is not None and isinstance(cfg.get("data"), dict):
            cfg["data"]["seed"] = args.seed
    threads = _threads(args.threads)
    try:
        cfg = validate_config(cfg)
    except ConfigError as exc:
        raise UserError(f"{args.config}: {exc}") from None
    prepare_run_folder(args.out, args.force)  # before training: a bad location fails at once
    set_threads(threads)
    total = cfg["training"]["epochs"]

    def report(event):
        if args.quiet:
            return
        if isinstance(event, EpochEnd):
            m = event.metrics
            score = (f"acc {m['train_acc']:.3f}/{m['val_acc']:.3f}" if "val_acc" in m
                     else f"R² {m['train_r2']:.3f}/{m['val_r2']:.3f}")
            print(f"epoch {event.epoch}/{total}  loss {m['train_loss']:.4f}  "
                  f"val_loss {m['val_loss']:.4f}  {score}  ({m['seconds']:.2f} s)", flush=True)
        elif isinstance(event, Finished):
            print(f"finished: {event.reason}; best epoch {event.best_epoch}"
                  + (f" ({event.message})" if event.message else ""), flush=True)

    base_dir = args.config.resolve().parent
    dataset = load_dataset(cfg["data"], base_dir)
    for note in dataset.report:  # skipped files, dropped rows, a capped train_size
        print(f"data: {note}", flush=True)
    control = TrainingControl()
    with _stop_on_ctrl_c(control):
        result = train(cfg, base_dir=base_dir, on_event=report, control=control, dataset=dataset)
    write_run(args.out, result, force=args.force)
    if not args.quiet:
        print(f"wrote {args.out / 'history.csv'}, summary.json, model.npz")
    return EXIT_INTERRUPTED if control.stopped else 0


@contextmanager
def _stop_on_ctrl_c(control):
    """The first Ctrl-C ends the run (or a sweep's running fits) after the current batch (its
    results are still written, marked "cancelled"); a second one quits at once. ``control``
    has ``stop()`` and ``stopped``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(signum, frame):
        if control.stopped:
            raise KeyboardInterrupt
        control.stop()
        print("regstudio: stopping after this batch and writing the results "
              "(Ctrl-C again quits without writing)", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _sweep(args) -> int:
    from .experiments.sweep import run_sweep_cli

    return run_sweep_cli(args, read_config, _stop_on_ctrl_c)


def _export(args) -> int:
    from .experiments.codegen import write_script
    from .experiments.export import make_out_folder

    cfg = read_config(args.config)
    if args.out.is_dir():
        raise UserError(f"--out {args.out}: is a folder; give the script's file name, e.g. "
                        f"{args.out / ('model_' + args.framework + '.py')}")
    if args.out.exists() and not args.force:
        raise UserError(f"{args.out} exists; choose another --out or pass --force to replace it")
    make_out_folder(args.out.parent)
    write_script(args.out, cfg, args.framework, overwrite=args.force, base_dir=args.config.resolve().parent)
    print(f"wrote {args.out}")
    return 0


def _self_test() -> int:
    from .selftest import run_self_test

    return run_self_test()


def _gui(path: Path | None) -> int:
    from .ui.app import run_gui

    return run_gui(str(path) if path else None)


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()
    args = _parser().parse_args(argv)
    from .data import DataError
    from .experiments.config import ConfigError
    from .experiments.export import OutputError

    try:
        if args.self_test:
            return _self_test()
        if args.command == "train":
            return _train(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "export":
            return _export(args)
        if args.command in ("open", "gui") and args.file is not None:
            if not args.file.exists():
                raise UserError(f"{args.file}: no such file; check the path")
            return _gui(args.file)
        return _gui(None)
    except (UserError, ConfigError, DataError, OutputError, FileExistsError) as exc:
        print(f"regstudio: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # e.g. a full disk or a folder without write permission
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"regstudio: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("regstudio: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
