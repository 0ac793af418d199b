#!/bin/sh
# Remove what install-linux.sh put in place for the current user.
#
#   ~/.local/opt/regstudio/uninstall-linux.sh [--purge]
#
# Removes ~/.local/opt/regstudio, the icons, the menu entry and the ~/.local/bin/regstudio
# link (only if it points into the install). Your settings, autosaves and experiment
# files are kept unless --purge is given, which also removes
#   ~/.config/RegularizationStudio/            (window layout, recent files: QSettings)
#   ~/.local/share/RegularizationStudio/       (autosaves and other app data)
#   ~/.cache/RegularizationStudio/
# Files you saved yourself (*.regstudio, exported CSV/PNG) are never touched.
set -eu

PURGE=0
for arg in "$@"; do
    case "$arg" in
        --purge) PURGE=1 ;;
        -h|--help) echo "usage: $0 [--purge]"; exit 0 ;;
        *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
    esac
done

: "${HOME:?HOME is not set}"
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
CONFIG=${XDG_CONFIG_HOME:-$HOME/.config}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}
OPT=$HOME/.local/opt/regstudio
APPS=$DATA/applications
HICOLOR=$DATA/icons/hicolor
BIN=$HOME/.local/bin

# Run from inside the folder being removed: work from a copy of this script elsewhere.
case "$(cd "$(dirname "$0")" && pwd)" in
    "$OPT"|"$OPT"/*)
        if [ -z "${REGSTUDIO_UNINSTALL_COPY:-}" ]; then
            tmp=$(mktemp "${TMPDIR:-/tmp}/regstudio-uninstall.XXXXXX")
            cp "$0" "$tmp"
            REGSTUDIO_UNINSTALL_COPY=$tmp exec sh "$tmp" "$@"
        fi ;;
esac

removed=0
remove() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        rm -rf -- "$1"
        removed=$((removed + 1))
    fi
}

if [ -L "$BIN/regstudio" ]; then
    case "$(readlink "$BIN/regstudio")" in
        "$OPT"/*) remove "$BIN/regstudio" ;;
    esac
fi
remove "$APPS/regstudio.desktop"
if [ -f "$DATA/mime/packages/regstudio.xml" ]; then
    remove "$DATA/mime/packages/regstudio.xml"
    if rmdir "$DATA/mime/packages" 2>/dev/null; then
        # no package left: what remains under mime/ is the database generated from ours alone
        remove "$DATA/mime"
    elif command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$DATA/mime" >/dev/null 2>&1 || true
    fi
fi
if [ -d "$HICOLOR" ]; then
    for dir in "$HICOLOR"/*/apps; do
        remove "$dir/regstudio.png"
        remove "$dir/regstudio.svg"
        # folders left empty (the install made them); rmdir never removes anything else
        rmdir "$dir" 2>/dev/null && rmdir "${dir%/apps}" 2>/dev/null || true
    done
fi
remove "$OPT"
remove "$OPT.new"
remove "$OPT.old"
rmdir "$HOME/.local/opt" 2>/dev/null || true

if [ "$PURGE" = 1 ]; then
    remove "$CONFIG/RegularizationStudio"
    remove "$DATA/RegularizationStudio"
    remove "$CACHE/RegularizationStudio"
fi

touch "$HICOLOR" 2>/dev/null || true
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$HICOLOR/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$HICOLOR" >/dev/null 2>&1 || true
fi
if command -v update-desktop-database >/dev/null 2>&1 && [ -d "$APPS" ]; then
    update-desktop-database -q "$APPS" >/dev/null 2>&1 || true
fi

[ -z "${REGSTUDIO_UNINSTALL_COPY:-}" ] || rm -f "$REGSTUDIO_UNINSTALL_COPY"
if [ "$removed" = 0 ]; then
    echo "Regularization Studio was not installed in $OPT; nothing removed"
else
    echo "Regularization Studio removed ($removed items)."
    if [ "$PURGE" = 0 ] && [ -d "$CONFIG/RegularizationStudio" ]; then
        echo "Settings in $CONFIG/RegularizationStudio were kept (use --purge to remove them)."
    fi
fi
