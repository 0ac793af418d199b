#!/bin/sh
# Install Regularization Studio for the current user (no root needed).
#
#   ./install-linux.sh                 from an unpacked bundle (the folder holding `regstudio`)
#   packaging/install-linux.sh DIR     from a clone, DIR being e.g. dist/regstudio
#
# Puts the bundle in  ~/.local/opt/regstudio            (replacing an older copy)
#      the icons in   ~/.local/share/icons/hicolor/<size>/apps/regstudio.png (+ scalable svg)
#      the entry in   ~/.local/share/applications/regstudio.desktop
#      the file type  ~/.local/share/mime/packages/regstudio.xml (.regstudio projects)
#      a link         ~/.local/bin/regstudio -> the bundle (for the command line), unless
#                     something else already owns that name, or --no-link is given.
# XDG_DATA_HOME is honoured in place of ~/.local/share. Undo with uninstall-linux.sh.
set -eu

usage() {
    echo "usage: $0 [--no-link] [BUNDLE_DIR]" >&2
    exit 2
}

LINK=1
BUNDLE=""
for arg in "$@"; do
    case "$arg" in
        --no-link) LINK=0 ;;
        -h|--help) usage ;;
        -*) echo "install-linux.sh: unknown option $arg" >&2; usage ;;
        *) [ -z "$BUNDLE" ] || usage; BUNDLE=$arg ;;
    esac
done

: "${HOME:?HOME is not set}"
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
if [ -z "$BUNDLE" ]; then
    if [ -x "$SCRIPT_DIR/regstudio" ]; then
        BUNDLE=$SCRIPT_DIR                       # the script inside an unpacked bundle
    else
        BUNDLE=$SCRIPT_DIR/../dist/regstudio     # the script in a clone's packaging/
    fi
fi
if [ ! -f "$BUNDLE/regstudio" ] || [ ! -x "$BUNDLE/regstudio" ]; then
    echo "install-linux.sh: $BUNDLE/regstudio not found; unpack the download first, or build it" \
         "with python packaging/build.py, then pass the folder holding regstudio" >&2
    exit 2
fi
BUNDLE=$(cd "$BUNDLE" && pwd)

# Desktop entry and icons: shipped in the bundle (_internal/desktop), else from the clone.
if [ -f "$BUNDLE/_internal/desktop/regstudio.desktop" ]; then
    DESKTOP_SRC=$BUNDLE/_internal/desktop/regstudio.desktop
    MIME_SRC=$BUNDLE/_internal/desktop/regstudio-mime.xml
    ICON_SRC=$BUNDLE/_internal/desktop/icons
else
    DESKTOP_SRC=$SCRIPT_DIR/regstudio.desktop
    MIME_SRC=$SCRIPT_DIR/regstudio-mime.xml
    ICON_SRC=$SCRIPT_DIR/icons
fi
SVG_SRC=$BUNDLE/_internal/resources/icons/regstudio.svg
[ -f "$SVG_SRC" ] || SVG_SRC=$SCRIPT_DIR/../resources/icons/regstudio.svg
for f in "$DESKTOP_SRC" "$ICON_SRC/regstudio-48.png"; do
    [ -f "$f" ] || { echo "install-linux.sh: $f is missing" >&2; exit 2; }
done

case "$HOME" in
    *[\"\`\$\\]*) echo "install-linux.sh: HOME ($HOME) holds one of \" \` \$ \\, which a desktop entry cannot name" >&2
             exit 2 ;;
esac
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
OPT=$HOME/.local/opt/regstudio
APPS=$DATA/applications
HICOLOR=$DATA/icons/hicolor
BIN=$HOME/.local/bin

# 1. the bundle: copy beside, then swap, so a failed copy never leaves half an install
if [ "$BUNDLE" != "$OPT" ]; then
    mkdir -p "$HOME/.local/opt"
    rm -rf "$OPT.new"
    cp -a "$BUNDLE" "$OPT.new"
    # keep the uninstaller with the installed copy
    [ -f "$OPT.new/uninstall-linux.sh" ] || cp "$SCRIPT_DIR/uninstall-linux.sh" "$OPT.new/" 2>/dev/null || true
    rm -rf "$OPT.old"
    [ ! -e "$OPT" ] || mv "$OPT" "$OPT.old"
    mv "$OPT.new" "$OPT"
    rm -rf "$OPT.old"
fi

# 2. icons
for png in "$ICON_SRC"/regstudio-*.png; do
    size=${png##*/regstudio-}
    size=${size%.png}
    mkdir -p "$HICOLOR/${size}x${size}/apps"
    cp "$png" "$HICOLOR/${size}x${size}/apps/regstudio.png"
done
if [ -f "$SVG_SRC" ]; then
    mkdir -p "$HICOLOR/scalable/apps"
    cp "$SVG_SRC" "$HICOLOR/scalable/apps/regstudio.svg"
fi

# 3. desktop entry, pointing at the installed executable (quoted: HOME may hold spaces)
mkdir -p "$APPS"
exe_escaped=$(printf '%s' "$OPT/regstudio" | sed -e 's/[|&]/\\&/g')
sed -e "s|^Exec=.*|Exec=\"$exe_escaped\" gui %f|" -e "s|^TryExec=.*|TryExec=$exe_escaped|" \
    "$DESKTOP_SRC" > "$APPS/regstudio.desktop.tmp"
chmod 644 "$APPS/regstudio.desktop.tmp"
mv "$APPS/regstudio.desktop.tmp" "$APPS/regstudio.desktop"

# 3b. the project file type (.regstudio opens in the app from the file manager)
if [ -f "$MIME_SRC" ]; then
    mkdir -p "$DATA/mime/packages"
    cp "$MIME_SRC" "$DATA/mime/packages/regstudio.xml.tmp"
    mv "$DATA/mime/packages/regstudio.xml.tmp" "$DATA/mime/packages/regstudio.xml"
    if command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$DATA/mime" >/dev/null 2>&1 || true
    fi
fi

# 4. command-line link, never replacing someone else's regstudio (e.g. a pip install)
if [ "$LINK" = 1 ]; then
    mkdir -p "$BIN"
    if [ -L "$BIN/regstudio" ] && [ "$(readlink "$BIN/regstudio")" = "$OPT/regstudio" ]; then
        :
    elif [ -e "$BIN/regstudio" ] || [ -L "$BIN/regstudio" ]; then
        echo "install-linux.sh: $BIN/regstudio exists and is not ours; left alone" >&2
    else
        ln -s "$OPT/regstudio" "$BIN/regstudio"
    fi
fi

# 5. let the desktop notice (all optional)
touch "$HICOLOR" 2>/dev/null || true
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$HICOLOR/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$HICOLOR" >/dev/null 2>&1 || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$APPS" >/dev/null 2>&1 || true
fi

echo "Regularization Studio installed in $OPT"
echo "  menu entry: $APPS/regstudio.desktop"
[ "$LINK" = 1 ] && [ -L "$BIN/regstudio" ] && echo "  command:    $BIN/regstudio"
echo "Remove it with: $OPT/uninstall-linux.sh"
