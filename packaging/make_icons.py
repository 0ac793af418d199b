"""Regenerate the per-platform icons from resources/icons/regstudio.svg.

    python packaging/make_icons.py            # writes packaging/icons/
    python packaging/make_icons.py --check    # exit 1 if a file is missing or has the wrong size

Writes packaging/icons/regstudio-<N>.png for the Linux hicolor sizes, plus
regstudio.ico (Windows, 16..256) and regstudio.icns (macOS, 16..1024 via Pillow).
The SVG is rendered with PySide6's QSvgRenderer (PySide6-Essentials ships QtSvg),
so no extra dependency is needed; Pillow writes the ICO and ICNS containers.

At 24 px and below the faint background grid is left out and the curves are
drawn thicker, so the icon stays legible in panels and menus.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "regstudio.svg"
OUT = ROOT / "packaging" / "icons"

PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
SMALL = 24  # at or below: the simplified variant


def small_variant(svg: str) -> str:
    """No grid, thicker strokes: what a 16-24 px icon can show."""
    svg = re.sub(r'<g id="grid".*?</g>', "", svg, flags=re.S)
    svg = svg.replace('stroke-width="12"', 'stroke-width="18"')
    svg = svg.replace('stroke-width="16"', 'stroke-width="22"')
    return svg


def render(svg: str, size: int):
    """Render SVG text to a size x size Pillow RGBA image."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: not a valid SVG for QSvgRenderer")
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return Image.open(io.BytesIO(bytes(buf.data()))).convert("RGBA")


def image_for(size: int, svg: str):
    return render(small_variant(svg) if size <= SMALL else svg, size)


def expected_files() -> dict[str, tuple[int, ...]]:
    files = {f"regstudio-{n}.png": (n,) for n in PNG_SIZES}
    files["regstudio.ico"] = ICO_SIZES
    files["regstudio.icns"] = ICNS_SIZES
    return files


def build(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    svg = SVG.read_text(encoding="utf-8")
    images = {n: image_for(n, svg) for n in sorted(set(PNG_SIZES + ICO_SIZES + ICNS_SIZES))}
    written = []
    for n in PNG_SIZES:
        path = out / f"regstudio-{n}.png"
        images[n].save(path, optimize=True)
        written.append(path)
    ico = out / "regstudio.ico"
    # Pillow's ICO writer takes the largest image and the wanted sizes; hand it
    # the pre-rendered smaller ones so each size is a real rendering, not a resample.
    images[256].save(ico, sizes=[(n, n) for n in ICO_SIZES],
                     append_images=[images[n] for n in ICO_SIZES if n != 256])
    written.append(ico)
    icns = out / "regstudio.icns"
    images[1024].save(icns, append_images=[images[n] for n in ICNS_SIZES if n != 1024])
    written.append(icns)
    return written


def check(out: Path = OUT) -> list[str]:
    """Problems with the generated icons (empty when all is well)."""
    from PIL import Image

    problems = []
    for name, sizes in expected_files().items():
        path = out / name
        if not path.is_file():
            problems.append(f"{path}: missing (run python packaging/make_icons.py)")
            continue
        with Image.open(path) as im:
            if name.endswith(".png"):
                if im.size != (sizes[0], sizes[0]):
                    problems.append(f"{path}: {im.size}, expected {sizes[0]}x{sizes[0]}")
            elif name.endswith(".ico"):
                have = {s[0] for s in im.info.get("sizes", set())}
                if not set(sizes) <= have:
                    problems.append(f"{path}: sizes {sorted(have)}, expected {list(sizes)}")
            else:
                have = {s[0] * (s[2] if len(s) > 2 else 1) for s in im.info.get("sizes", [])}
                # Pillow writes ic07..ic14: 128..1024 px plus 16@2x and 32@2x.
                if not {32, 64, 128, 256, 512, 1024} <= have:
                    problems.append(f"{path}: pixel sizes {sorted(have)}, expected 32..1024")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only verify the generated files")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if args.check:
        problems = check(args.out)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    for path in build(args.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
