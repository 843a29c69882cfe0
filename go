#!/usr/bin/env bash
# Set up everything this project needs on a Debian machine, then run it.
#   ./go run [moa update options]   install, update the archive from ICE, then serve it
#   ./go test [pytest options]      install (with test tools), then run the test suite
# Installs Debian packages (tesseract-ocr with its English and orientation data, poppler-utils, fonts; chromium for tests) when missing, a virtualenv
# in .venv, and the project with its Python dependencies.
set -euo pipefail
cd "$(dirname "$0")"

want="${1:-}"; shift || true
case "$want" in run|test) ;; *) echo "usage: ./go run|test [args...]" >&2; exit 2;; esac

need_debs=()
command -v tesseract >/dev/null 2>&1 || need_debs+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd)
# English and orientation data (a tesseract installed without them cannot read, or turn pages)
for data in eng osd; do
    ls /usr/share/tesseract-ocr/*/tessdata/$data.traineddata >/dev/null 2>&1 || need_debs+=(tesseract-ocr-$data)
done
command -v pdftotext >/dev/null 2>&1 || need_debs+=(poppler-utils)
# the fonts PDF redlines are set in (archive/compare/redline_pdf.py)
[ -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || need_debs+=(fonts-liberation)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_debs+=(fonts-dejavu-core)
if [ "$want" = test ]; then
    command -v chromium >/dev/null 2>&1 || need_debs+=(chromium)
fi
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_debs+=(python3-venv)
if [ ${#need_debs[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "go: installing Debian packages: ${need_debs[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_debs[@]}" >&2
fi

if [ ! -x .venv/bin/python ]; then
    echo "go: creating virtualenv .venv" >&2
    python3 -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$want"
if [ ! -e "$stamp" ]; then
    echo "go: installing Python packages" >&2
    .venv/bin/python -m pip install -q --upgrade pip >&2
    if [ "$want" = test ]; then
        .venv/bin/python -m pip install -q -e '.[test]' >&2
    else
        .venv/bin/python -m pip install -q -e . >&2
    fi
    touch "$stamp"
fi

if [ "$want" = run ]; then
    # Update (harvest, read, index); if ICE cannot be reached, say so and serve what we hold.
    .venv/bin/moa update "$@" || echo "go: the update did not complete (see above); serving what the archive holds" >&2
    exec .venv/bin/moa serve
else
    exec .venv/bin/python -m pytest "$@"
fi
