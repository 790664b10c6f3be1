#!/bin/sh
# Installs the Debian packages Portico needs to build, test and benchmark,
# if any is missing. Needs root for apt-get; otherwise says what to install.
pkgs="build-essential pkg-config libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev
      libsqlite3-dev libssl-dev python3 curl ca-certificates wrk nginx-light"
# The S3 blob test runs s3rver (tests/s3) under Node; any existing npm will do.
command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
# The H5 liveness page test drives Debian's Chromium headless from Node
# (tests/browser); a CJK font makes its zh / zh-Hant screenshots readable.
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
pkgs="$pkgs chromium fonts-wqy-microhei"
# The video test checks the simulator's generated MP4 with ffprobe/ffmpeg.
pkgs="$pkgs ffmpeg"
# test_media reads images, video and audio written at test time by tools we
# did not write: ImageMagick, libwebp's cwebp, libheif's heif-enc (and ffmpeg).
pkgs="$pkgs imagemagick webp libheif-examples"
# Fuzzing (make fuzz, tests/blackbox/test_fuzz.py): clang and its libFuzzer runtime.
pkgs="$pkgs clang libclang-rt-14-dev"
# The PostgreSQL store builds on libpq; its tests start a throwaway server.
pkgs="$pkgs libpq-dev postgresql"
# The portico CLI draws QR codes with libqrencode; its terminal test runs
# it under tmux.
pkgs="$pkgs libqrencode-dev tmux"
# porticod makes thumbnails of stored images with libgd (JPEG, PNG, WebP)
# and draws the face scan's QR code as SVG with libqrencode.
pkgs="$pkgs libgd-dev"
# The OpenAPI test (tests/blackbox/test_openapi.py) reads docs/openapi.yaml and
# checks the gateway's answers against its schemas (JSON Schema draft 2020-12).
pkgs="$pkgs python3-yaml python3-jsonschema"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "portico: missing Debian packages:$missing" >&2
    echo "portico: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi
echo "portico: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null
