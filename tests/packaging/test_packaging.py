"""Packaging checks that need no bundle build: desktop entry, icons, spec, install scripts."""

from __future__ import annotations

import ast
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ICONS = PACKAGING / "icons"
DESKTOP = PACKAGING / "regstudio.desktop"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)

needs_sh = pytest.mark.skipif(sys.platform == "win32" or not shutil.which("sh"),
                              reason="POSIX shell scripts")


def desktop_entry(path: Path) -> dict[str, str]:
    entry, group = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            group = line.strip()
        elif "=" in line and group == "[Desktop Entry]":
            key, value = line.split("=", 1)
            entry[key.strip()] = value.strip()
    return entry


# --- desktop entry -------------------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("desktop-file-validate"),
                    reason="desktop-file-validate not installed (Debian: desktop-file-utils)")
def test_desktop_file_validates():
    proc = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_the_project_type_is_registered_and_opened_with_the_file():
    import xml.etree.ElementTree as ET

    entry = desktop_entry(DESKTOP)
    assert entry["Exec"] == "regstudio gui %f"  # a file manager passes the project, the menu nothing
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    types = ET.parse(PACKAGING / "regstudio-mime.xml").getroot().findall("m:mime-type", ns)
    assert [t.get("type") for t in types] == [entry["MimeType"].rstrip(";")]
    assert types[0].find("m:glob", ns).get("pattern") == "*.regstudio"
    spec = (PACKAGING / "regstudio.spec").read_text(encoding="utf-8")
    assert '"regstudio-mime.xml"), "desktop")' in spec and '"public.filename-extension": ["regstudio"]' in spec


def test_desktop_file_names_the_app_and_icon():
    entry = desktop_entry(DESKTOP)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Regularization Studio"
    assert entry["Icon"] == "regstudio"
    assert entry["Exec"].split()[0] == "regstudio"
    assert entry["Terminal"] == "false"


# --- icons ---------------------------------------------------------------------------------

def test_svg_icon_is_valid_xml_with_a_square_view_box():
    import xml.etree.ElementTree as ET

    root = ET.parse(ROOT / "resources" / "icons" / "regstudio.svg").getroot()
    assert root.tag.endswith("svg")
    _, _, w, h = (float(v) for v in root.get("viewBox").split())
    assert w == h


@pytest.mark.parametrize("size", PNG_SIZES)
def test_png_icons_have_their_size(size):
    from PIL import Image

    path = ICONS / f"regstudio-{size}.png"
    assert path.is_file(), "run python packaging/make_icons.py"
    with Image.open(path) as im:
        assert im.size == (size, size)
        assert im.mode == "RGBA"
        # transparent corners (rounded square), opaque middle
        assert im.getpixel((0, 0))[3] == 0
        assert im.getpixel((size // 2, size // 2))[3] == 255


def test_ico_and_icns_hold_the_platform_sizes():
    from PIL import Image

    with Image.open(ICONS / "regstudio.ico") as ico:
        sizes = {s[0] for s in ico.info["sizes"]}
    assert {16, 24, 32, 48, 256} <= sizes
    with Image.open(ICONS / "regstudio.icns") as icns:
        pixels = {s[0] * (s[2] if len(s) > 2 else 1) for s in icns.info["sizes"]}
    assert {32, 64, 128, 256, 512, 1024} <= pixels


def test_make_icons_check_passes():
    pytest.importorskip("PySide6.QtSvg")
    proc = subprocess.run([sys.executable, str(PACKAGING / "make_icons.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_small_icon_variant_drops_the_grid():
    sys.path.insert(0, str(PACKAGING))
    try:
        import make_icons
    finally:
        sys.path.remove(str(PACKAGING))
    svg = (ROOT / "resources" / "icons" / "regstudio.svg").read_text(encoding="utf-8")
    small = make_icons.small_variant(svg)
    assert 'id="grid"' in svg and 'id="grid"' not in small


# --- spec ----------------------------------------------------------------------------------

SPEC = PACKAGING / "regstudio.spec"


def test_spec_parses_and_bundles_resources():
    text = SPEC.read_text(encoding="utf-8")
    tree = ast.parse(text)
    calls = {n.func.id: n for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= set(calls)
    datas = next(k.value for k in calls["Analysis"].keywords if k.arg == "datas")
    src = ast.unparse(datas)  # the repo's resources/ folder lands at "resources" in the bundle
    assert "(str(ROOT / 'resources'), 'resources')" in src


def test_spec_is_one_folder_windowed_named_regstudio():
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    exe = next(n for n in ast.walk(tree) if isinstance(n, ast.Call)
               and isinstance(n.func, ast.Name) and n.func.id == "EXE"
               and any(k.arg == "name" and ast.literal_eval(k.value) == "regstudio"
                       for k in n.keywords))
    kw = {k.arg: k.value for k in exe.keywords}
    assert ast.literal_eval(kw["exclude_binaries"]) is True  # one folder: COLLECT gathers
    assert ast.literal_eval(kw["console"]) is False          # windowed
    assert ast.literal_eval(kw["strip"]) is False            # never strip numpy's OpenBLAS


def test_spec_excludes_heavy_unused_packages_and_keeps_platform_plugins():
    text = SPEC.read_text(encoding="utf-8")
    for name in ("tkinter", "torch", "dask", "distributed", "pytest"):
        assert f'"{name}"' in text
    for plugin in ("libqxcb.so", "libqwayland.so", "libqoffscreen.so"):
        assert plugin in text


def test_spec_filter_keeps_what_the_app_needs():
    """Run the spec's keep() on typical PyInstaller TOC entries."""
    text = SPEC.read_text(encoding="utf-8")
    head = text.split("# --- analysis")[0]
    ns: dict = {"SPECPATH": str(PACKAGING), "__name__": "spec"}
    exec(compile(head, str(SPEC), "exec"), ns)
    keep = ns["keep"]
    kept = [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6Svg.so.6",
        "PySide6/Qt/lib/libQt6OpenGL.so.6",
        "PySide6/Qt/lib/libQt6WaylandClient.so.6",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "numpy.libs/libscipy_openblas64_-32a4b2a6.so",
        "resources/datasets/digits.csv.gz",
        "pyqtgraph/colors/maps/viridis.csv",
    ]
    dropped = [
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/lib/libQt6Network.so.6",
        "PySide6/Qt/lib/libQt6Quick.so.6",
        "libQt6Network.so.6",
    ]
    assert [d for d in kept if not keep((d, "src", "BINARY"))] == []
    assert [d for d in dropped if keep((d, "src", "BINARY"))] == []


def test_entry_point_runs_the_cli():
    text = (PACKAGING / "regstudio_main.py").read_text(encoding="utf-8")
    assert "freeze_support()" in text and "from regstudio.cli import main" in text


# --- install / uninstall -------------------------------------------------------------------

@pytest.fixture
def fake_bundle(tmp_path):
    bundle = tmp_path / "dist" / "regstudio"
    (bundle / "_internal" / "resources" / "icons").mkdir(parents=True)
    exe = bundle / "regstudio"
    exe.write_text("#!/bin/sh\necho fake regstudio\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    shutil.copy(ROOT / "resources" / "icons" / "regstudio.svg",
                bundle / "_internal" / "resources" / "icons")
    return bundle


def run_script(name: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    return subprocess.run(["sh", str(PACKAGING / name), *args], env=env,
                          capture_output=True, text=True, timeout=60)


def ours(home: Path) -> list[str]:
    """Files the install put in HOME (caches written by desktop tools are not ours)."""
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if (p.is_file() or p.is_symlink()) and p.name != "mimeinfo.cache"
                  and p.name != "icon-theme.cache")


@needs_sh
def test_install_puts_bundle_icons_and_entry_in_home(tmp_path, fake_bundle):
    home = tmp_path / "home with space"
    home.mkdir()
    proc = run_script("install-linux.sh", home, str(fake_bundle))
    assert proc.returncode == 0, proc.stderr
    opt = home / ".local" / "opt" / "regstudio"
    assert os.access(opt / "regstudio", os.X_OK)
    share = home / ".local" / "share"
    for size in PNG_SIZES:
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "regstudio.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "regstudio.svg").is_file()
    desktop = share / "applications" / "regstudio.desktop"
    entry = desktop_entry(desktop)
    assert entry["Exec"] == f'"{opt / "regstudio"}" gui %f'
    assert entry["MimeType"] == "application/x-regstudio-project;"
    mime = share / "mime" / "packages" / "regstudio.xml"
    assert mime.read_bytes() == (PACKAGING / "regstudio-mime.xml").read_bytes()
    if shutil.which("update-mime-database"):  # the database now knows .regstudio
        globs = (share / "mime" / "globs2").read_text(encoding="utf-8")
        assert "application/x-regstudio-project:*.regstudio" in globs
    assert entry["TryExec"] == str(opt / "regstudio")
    if shutil.which("desktop-file-validate"):
        v = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert v.returncode == 0, v.stdout
    link = home / ".local" / "bin" / "regstudio"
    assert link.is_symlink() and Path(os.readlink(link)) == opt / "regstudio"
    out = subprocess.run([str(link)], capture_output=True, text=True)
    assert out.stdout.strip() == "fake regstudio"


@needs_sh
def test_reinstall_replaces_and_uninstall_removes_everything(tmp_path, fake_bundle):
    home = tmp_path / "home"
    home.mkdir()
    assert run_script("install-linux.sh", home, str(fake_bundle)).returncode == 0
    (fake_bundle / "NEW").write_text("v2")
    assert run_script("install-linux.sh", home, str(fake_bundle)).returncode == 0
    assert (home / ".local" / "opt" / "regstudio" / "NEW").is_file()
    settings = home / ".config" / "RegularizationStudio" / "regstudio.conf"
    settings.parent.mkdir(parents=True)
    settings.write_text("[General]\n")
    installed = home / ".local" / "opt" / "regstudio" / "uninstall-linux.sh"
    assert installed.is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    proc = subprocess.run(["sh", str(installed)], env=dict(env, HOME=str(home)),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert ours(home) == [".config/RegularizationStudio/regstudio.conf"]
    proc = run_script("uninstall-linux.sh", home, "--purge")
    assert proc.returncode == 0, proc.stderr
    assert ours(home) == []


@needs_sh
def test_install_keeps_someone_elses_regstudio_command(tmp_path, fake_bundle):
    home = tmp_path / "home"
    bin_dir = home / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "regstudio").write_text("#!/bin/sh\n# pip's script\n")
    proc = run_script("install-linux.sh", home, str(fake_bundle))
    assert proc.returncode == 0
    assert "not ours" in proc.stderr
    assert "pip's script" in (bin_dir / "regstudio").read_text()
    run_script("uninstall-linux.sh", home)
    assert (bin_dir / "regstudio").is_file()


@needs_sh
def test_install_without_a_bundle_is_a_clear_error(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    proc = run_script("install-linux.sh", home, str(tmp_path / "nowhere"))
    assert proc.returncode == 2
    assert "regstudio not found" in proc.stderr
    assert not (home / ".local").exists()


@needs_sh
def test_uninstall_when_not_installed_is_harmless(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    proc = run_script("uninstall-linux.sh", home)
    assert proc.returncode == 0
    assert "nothing removed" in proc.stdout


@needs_sh
@pytest.mark.parametrize("sizes_only, status", [(False, 1), (True, 0)])
def test_measure_gates_sizes_and_reports_a_slow_start_only_when_asked(tmp_path, sizes_only, status):
    """A bundle that starts in 1.1 s misses the 1 s target: a failure, or with --sizes-only
    (what CI uses: a shared machine moves times) a printed miss; its sizes still gate."""
    bundle = tmp_path / "regstudio"
    bundle.mkdir()
    exe = bundle / "regstudio"
    exe.write_text('#!/bin/sh\n[ "$1" = --version ] && exit 0\nsleep 1.1\n'
                   'echo "window shown after 900 ms" >&2\n')
    exe.chmod(0o755)
    cmd = [sys.executable, str(PACKAGING / "measure.py"), "--bundle", str(bundle), "--runs", "1"]
    out = subprocess.run(cmd + (["--sizes-only"] if sizes_only else []), capture_output=True, text=True)
    assert out.returncode == status, out.stdout + out.stderr
    assert "targets MISSED: warm_start_s" in out.stdout
    assert ("reported, not failed" in out.stdout) == sizes_only
