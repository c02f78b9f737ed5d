#!/usr/bin/env bash
# GhostView developer entry point: install what is missing, build, then act.
#   tools/dev.sh build          install deps (Debian), configure build/, compile
#   tools/dev.sh run [ARGS...]  build, then run the ghostview launcher with ARGS
#   tools/dev.sh test [ARGS...] build, then run every test suite (ARGS go to meson test)
#   tools/dev.sh fuzz [SECONDS] [TARGET...]
#                               run every fuzz target (tests/fuzz) SECONDS each (default
#                               60) in a clang build of its own (build-fuzz/)
#   tools/dev.sh soak [SECONDS] build the server with ASan + UBSan in build-asan/ and run
#                               the churn soak (tests/soak; default 3600 s)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${GHOSTVIEW_BUILD_DIR:-$top/build}
cmd=${1:-build}
[ $# -gt 0 ] && shift

# Debian packages the build, the elements and the tests need.
packages=(
  meson ninja-build pkg-config g++ clang-format
  clang libclang-rt-14-dev
  libglib2.0-dev libsoup-3.0-dev libjson-glib-dev libssl-dev check libhiredis-dev redis-server
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  libnice-dev gstreamer1.0-nice gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x gstreamer1.0-plugins-base-apps
  gstreamer1.0-pipewire gstreamer1.0-pulseaudio pulseaudio pulseaudio-utils
  libx11-dev libxtst-dev libxrandr-dev libxext-dev libxfixes-dev
  xvfb x11-utils xdotool xclip python3-gi gir1.2-gstreamer-1.0
  coturn openssl ca-certificates curl procps ffmpeg asciinema
  nodejs npm chromium firefox-esr
)

install_missing() {
  local missing=()
  local pkg
  for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  # Node and npm may come from elsewhere on a developer machine; only ask apt
  # for them when no node is on PATH at all.
  if command -v node >/dev/null && command -v npm >/dev/null; then
    local filtered=()
    for pkg in "${missing[@]}"; do
      case $pkg in nodejs | npm) ;; *) filtered+=("$pkg") ;; esac
    done
    missing=("${filtered[@]}")
    [ ${#missing[@]} -eq 0 ] && return 0
  fi
  echo "dev.sh: installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

install_node_modules() {
  # The viewer page shows a shared terminal with xterm.js (web/node_modules,
  # served from the web root: no CDN). Browser tests drive Debian's chromium
  # through playwright-core and its firefox-esr through puppeteer-core, and
  # the signalling benchmark compares with the PeerJS server; all come from
  # npm, pinned by package-lock.json. Nothing here downloads a browser.
  local dir dirs=("$@")
  [ ${#dirs[@]} -eq 0 ] && dirs=("$top/web" "$top/tests/browser" "$top/tests/bench")
  for dir in "${dirs[@]}"; do
    [ -f "$dir/package-lock.json" ] || continue
    if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
      [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
        npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
}

configure_and_build() {
  if [ ! -f "$build_dir/build.ninja" ]; then
    meson setup "$build_dir" "$top" --wrap-mode=nodownload
  fi
  ninja -C "$build_dir"
}

install_missing
if [ "$cmd" = fuzz ]; then
  # libFuzzer, ASan and UBSan need their own clang build; the main one is
  # not needed. Findings land in build-fuzz/fuzz-findings/TARGET/.
  seconds=${1:-60}
  [ $# -gt 0 ] && shift
  exec "$top/tests/fuzz/run-fuzz.sh" "${GHOSTVIEW_FUZZ_BUILD_DIR:-$top/build-fuzz}" "$seconds" "$@"
fi
[ "$cmd" = soak ] || configure_and_build # the soak builds what it needs in build-asan/

case $cmd in
  build) install_node_modules "$top/web" ;;
  run)
    if [ -x "$build_dir/tools/ghostview" ]; then
      exec "$build_dir/tools/ghostview" "$@"
    fi
    echo "dev.sh: the launcher is not built; running the signalling server" >&2
    exec "$build_dir/signaling/ghostview-signaling" --web-root "$top/web"
    ;;
  test)
    install_node_modules
    extra=()
    [ "${CI:-}" = "true" ] && extra+=(--num-processes 2)
    exec meson test -C "$build_dir" --print-errorlogs "${extra[@]}" "$@"
    ;;
  soak)
    exec "$top/tests/soak/run-soak.py" --setup --seconds "${1:-3600}" \
      --build-dir "$build_dir-asan" --report "$build_dir-asan/soak-report.md"
    ;;
  *)
    echo "usage: tools/dev.sh build | run [ARGS...] | test [ARGS...] | fuzz [SECONDS] [TARGET...] | soak [SECONDS]" >&2
    exit 2
    ;;
esac
