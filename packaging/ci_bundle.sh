#!/bin/sh
# CI: build the bundle, run its self-test offscreen with no network use, check the
# command line inside the bundle (train, a 2-worker spawn sweep, a script export), print the size figures.
#
#   sh packaging/ci_bundle.sh                # builds in build/venv (fresh from PyPI the first time)
#   PYTHON=.venv/bin/python sh packaging/ci_bundle.sh   # build with an existing environment
#                                            # (it needs the app and pyinstaller installed)
#
# Takes about 1-3 minutes on 2 cores (plus the first pip install of the build venv).
# Exit status non-zero on any failure, including a missed size target (the warm start time is
# printed against its target but not gated: see measure.py --sizes-only).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
HOST_PY=${HOST_PYTHON:-python3}
START=$(date +%s)

step() { printf '\n=== %s (%ss)\n' "$1" "$(($(date +%s) - START))"; }

step "build"
if [ -n "${PYTHON:-}" ]; then
    "$PYTHON" packaging/build.py --python "$PYTHON"
    MEASURE_PY=$PYTHON
else
    "$HOST_PY" packaging/build.py
    MEASURE_PY=$HOST_PY
fi

BUNDLE=$ROOT/dist/regstudio
EXE=$BUNDLE/regstudio
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
# a throw-away home: the bundle must not depend on (or write into) the runner's own
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
export XDG_RUNTIME_DIR="$WORK/run" QT_QPA_PLATFORM=offscreen
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# no network: point proxies at nothing so any attempt fails loudly instead of hanging
export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 no_proxy=""

step "self-test inside the bundle"
(cd "$WORK" && "$EXE" --self-test) | tee "$WORK/self-test.log"
# the bundle must keep NumPy's OpenBLAS findable: without it the optimizers run slower passes
grep -q "ok     parameter updates.*OpenBLAS axpy/axpby" "$WORK/self-test.log"
tail -n 1 "$WORK/self-test.log" | grep -qx "self-test passed"  # (sh has no pipefail)

step "command line inside the bundle"
cat > "$WORK/ci.json" <<'EOF'
{"schema": 1, "name": "ci",
 "data": {"source": "builtin", "name": "moons", "train_size": 200, "val_fraction": 0.3, "seed": 0},
 "model": {"layers": [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense"}]},
 "regularization": {"l2": 0.0001},
 "training": {"optimizer": "sgd", "lr": 0.05, "batch_size": 32, "epochs": 5, "seed": 0}}
EOF
"$EXE" --version
"$EXE" train "$WORK/ci.json" --out "$WORK/train" --quiet
test -s "$WORK/train/history.csv" && test -s "$WORK/train/summary.json" && test -s "$WORK/train/model.npz"
"$EXE" sweep "$WORK/ci.json" --param regularization.l2 --values 1e-4,1e-3 --workers 2 --out "$WORK/sweep"
test "$(wc -l < "$WORK/sweep/sweep.csv")" -eq 3
# the script export reads experiments/codegen_runtime/*.py as text: the bundle ships it as data
"$EXE" export "$WORK/ci.json" --framework pytorch --out "$WORK/ci_torch.py"
grep -q "^def load_data(npz_path=None):" "$WORK/ci_torch.py" && grep -q "^def evaluate(model, X, y):" "$WORK/ci_torch.py"
status=0
"$EXE" train "$WORK/missing.json" --out "$WORK/x" 2>"$WORK/err" || status=$?
test "$status" -eq 2 && grep -q "no such file" "$WORK/err"

step "install / uninstall against a temporary HOME"
sh "$BUNDLE/install-linux.sh" "$BUNDLE" --no-link
"$HOME/.local/opt/regstudio/regstudio" --version
sh "$HOME/.local/opt/regstudio/uninstall-linux.sh" --purge
test ! -e "$HOME/.local/opt/regstudio"

step "sizes and warm start"
# sizes are exact and gate CI; the warm start is printed against its 1 s target, not gated:
# on a shared CI machine it moves by tens of percent (0.78 s here, 0.96 s on one CI run)
"$MEASURE_PY" packaging/measure.py --sizes-only

step "done"
