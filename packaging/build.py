"""Build the one-folder bundle from a clean clone, in one command.

    python packaging/build.py

writes dist/regstudio/ and dist/regstudio-<version>-<os>-<arch>.tar.gz (.zip on Windows).

By default the build runs in its own virtual environment, build/venv, created on
first use with the app, its runtime dependencies and PyInstaller from PyPI, so
nothing from a developer's environment (torch, dask, pytest...) leaks into the
bundle. Options:

    --python PATH     build with this interpreter instead (it must have the app
                      importable and PyInstaller installed), e.g. a CI venv
    --here            build with the interpreter running this script
    --no-archive      skip the .tar.gz (.zip on Windows)
    --skip-checks     skip the post-build checks (missing shared libraries, resources)

Exit status 0 when the bundle and the archive were written and the checks passed.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "regstudio.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
VENV = ROOT / "build" / "venv"
BUNDLE = DIST / "regstudio"
PYINSTALLER_REQ = "pyinstaller>=6.10,<7"


def version() -> str:
    text = (ROOT / "regstudio" / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r'__version__\s*=\s*["\']([^"\']+)["\']', text)
    return m.group(1) if m else "0"


def platform_tag() -> str:
    names = {"linux": "linux", "darwin": "macos", "win32": "windows"}
    system = names.get(sys.platform, sys.platform)
    machine = platform.machine().lower().replace("amd64", "x86_64").replace("aarch64", "arm64")
    return f"{system}-{machine}"


def run(cmd: list[str], **kw) -> None:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_build_venv() -> Path:
    """build/venv with the app (non-editable) and PyInstaller; reused when up to date."""
    py = venv_python(VENV)
    stamp = VENV / ".regstudio-build-stamp"
    want = (ROOT / "pyproject.toml").read_text(encoding="utf-8") + PYINSTALLER_REQ
    if py.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == want:
        # the app itself may have changed: reinstall it only (fast, no dependency resolution)
        run([py, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", ROOT])
        return py
    if not py.exists():
        run([sys.executable, "-m", "venv", VENV])
    run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([py, "-m", "pip", "install", "--quiet", ROOT, PYINSTALLER_REQ])
    stamp.write_text(want, encoding="utf-8")
    return py


def pyinstaller(py: Path) -> None:
    if BUNDLE.exists():
        shutil.rmtree(BUNDLE)
    env = dict(os.environ, PYTHONNOUSERSITE="1")
    run([py, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", DIST, "--workpath", WORK, SPEC], cwd=ROOT, env=env)


def executable() -> Path:
    if sys.platform == "darwin":
        return DIST / "Regularization Studio.app" / "Contents" / "MacOS" / "regstudio"
    return BUNDLE / ("regstudio.exe" if sys.platform == "win32" else "regstudio")


def internal_dir() -> Path:
    return BUNDLE / "_internal"


def check_bundle() -> list[str]:
    """Problems a user would hit: missing executable, resources or shared libraries."""
    problems = []
    if not executable().exists():
        problems.append(f"{executable()}: missing")
    res = internal_dir() / "resources"
    for sub in ("datasets", "photos", "icons"):
        if not (res / sub).is_dir():
            problems.append(f"{res / sub}: missing (the spec must bundle resources/)")
    if not any(internal_dir().glob("pyqtgraph/colors/maps/*")):
        problems.append("pyqtgraph colour maps missing (pyqtgraph/colors/maps)")
    if sys.platform.startswith("linux") and shutil.which("ldd"):
        problems += missing_shared_libraries()
    return problems


def missing_shared_libraries() -> list[str]:
    """ldd every bundled ELF file with the bundle's own folders on the library path."""
    internal = internal_dir()
    qt_lib = internal / "PySide6" / "Qt" / "lib"
    env = dict(os.environ, LD_LIBRARY_PATH=os.pathsep.join(
        str(p) for p in (internal, qt_lib, internal / "numpy.libs", internal / "pillow.libs")))
    problems = []
    for path in sorted(internal.rglob("*")):
        if not path.is_file() or path.is_symlink() or ".so" not in path.name:
            continue
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            if "not found" in line:
                lib = line.split("=>")[0].strip()
                if is_system_library(lib):
                    continue
                problems.append(f"{path.relative_to(BUNDLE)} needs {lib}: not in the bundle")
    return problems


# Libraries the target desktop provides (the Qt wheels expect them from the system too).
SYSTEM_LIBS = re.compile(
    r"^lib(GL|EGL|OpenGL|GLX|X11|X11-xcb|xcb|xkbcommon|wayland|fontconfig|freetype|glib|gobject|"
    r"gio|gthread|gtk|gdk|pango|cairo|atk|harfbuzz|dbus|drm|gbm|Xext|Xrender|Xi|Xfixes|"
    r"Xcursor|Xrandr|SM|ICE|png|z|mtdev|input|udev|ts|vulkan|cups|gssapi|krb5|atspi)"
)


def is_system_library(lib: str) -> bool:
    return bool(SYSTEM_LIBS.match(lib))


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def archive() -> Path:
    base = DIST / f"regstudio-{version()}-{platform_tag()}"
    top = DIST / "Regularization Studio.app" if sys.platform == "darwin" else BUNDLE
    if sys.platform == "win32":
        out = base.with_suffix(".zip")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for p in sorted(top.rglob("*")):
                zf.write(p, Path("regstudio") / p.relative_to(top))
        return out
    out = Path(str(base) + ".tar.gz")
    with tarfile.open(out, "w:gz", compresslevel=9) as tf:
        tf.add(top, arcname=top.name)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the Regularization Studio bundle.")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--python", type=Path, help="build with this interpreter")
    group.add_argument("--here", action="store_true", help="build with this interpreter")
    ap.add_argument("--no-archive", action="store_true")
    ap.add_argument("--skip-checks", action="store_true")
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    if not (ROOT / "packaging" / "icons" / "regstudio.ico").exists():
        run([sys.executable, ROOT / "packaging" / "make_icons.py"])
    py = Path(sys.executable) if args.here else args.python or ensure_build_venv()
    pyinstaller(py)
    print(f"built {BUNDLE} in {time.monotonic() - t0:.0f} s")
    if not args.skip_checks:
        problems = check_bundle()
        for p in problems:
            print(f"check: {p}", file=sys.stderr)
        if problems:
            return 1
        print("checks passed: executable, resources, colour maps, shared libraries")
    print(f"unpacked size: {folder_size(BUNDLE) / 1e6:.1f} MB")
    if not args.no_archive:
        out = archive()
        print(f"archive: {out} ({out.stat().st_size / 1e6:.1f} MB)")
    print(f"done in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
