#!/bin/sh
# Create (if needed) and fill the virtual environment VENV with PYTHON: tools/venv.sh VENV PYTHON SPEC...
#
# uv resolves, downloads and installs in parallel, several times faster than pip on a fresh
# machine; it is used when it is on the PATH or can be put into the new environment (one wheel).
# Plain pip is the fallback whenever uv is missing or fails.
set -eu
venv=$1 python=$2
shift 2
uv=""
if command -v uv >/dev/null 2>&1; then
    uv=uv
    [ -x "$venv/bin/python" ] || uv venv --quiet --python "$python" "$venv" || uv=""
fi
if [ -z "$uv" ]; then
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    if [ -x "$venv/bin/uv" ] || "$venv/bin/python" -m pip install --quiet --disable-pip-version-check uv; then
        uv="$venv/bin/uv"
    fi
fi
# Bytecode compiled at install (pip does it by default, uv only when asked): where the environment
# sets PYTHONDONTWRITEBYTECODE, Python never caches what it compiles at import, and every process
# would compile pandas and its kin again (about 2 s of CPU a start).
if [ -n "$uv" ] && "$uv" pip install --quiet --compile-bytecode --python "$venv/bin/python" "$@"; then
    exit 0
fi
[ -z "$uv" ] || echo "tools/venv.sh: uv failed; installing with pip instead" >&2
"$venv/bin/python" -m pip --version >/dev/null 2>&1 || "$venv/bin/python" -m ensurepip --upgrade >/dev/null
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
