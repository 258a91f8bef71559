#!/bin/sh
# Stage 0 of the workstation bootstrapper: find or install the pinned uv (its SHA-256
# always checked against the pin below, never against a checksum served beside it), then
# hand over to `uv run --frozen --project <repo> bootstrap up ...`.
#
#   ./install.sh [OPTIONS] [-- ARGS FOR `bootstrap up`]
#   curl -fsSL https://<host>/install.sh | sh -s -- [OPTIONS] [ARGS]
#
# POSIX sh (dash, bash, busybox ash); needs curl or wget and one of sha256sum, shasum or
# openssl. No sudo, no rc-file edits unless --modify-path. See docs/install.md.
set -u

# >>> uv pin: generated from bootstrap/uv/pin.txt; do not edit >>>
PIN_DATA='
version 0.13.9
wheel aarch64-apple-darwin uv-0.13.9-py3-none-macosx_11_0_arm64.whl 66c512266d633bef48384a1f53003f41f2a8e7b36fe6e7fbfd3e0fd52d96fa63
wheel aarch64-pc-windows-msvc uv-0.13.9-py3-none-win_arm64.whl eeb92051c2123b9730c46b04cc843cfa4bc7d7b0aec56df431a2215ef4cb0273
wheel aarch64-unknown-linux-gnu uv-0.13.9-py3-none-manylinux_2_28_aarch64.whl ecb6028d79dc96fbeafffe5c8af62a7099487ebc05a701e76714eebcffd06375
wheel aarch64-unknown-linux-musl uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl 5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe
wheel x86_64-apple-darwin uv-0.13.9-py3-none-macosx_10_12_x86_64.whl c16ed11e013557536b3e60065f1b912f6407bd6518e041b961e23ef9e6b4fbf5
wheel x86_64-pc-windows-msvc uv-0.13.9-py3-none-win_amd64.whl 6a44b2ed8111d2f60d2b92627c5dccda3f7ed7570b18ce115e569cd68c28246b
wheel x86_64-unknown-linux-gnu uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19
wheel x86_64-unknown-linux-musl uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl 2c45530751517d6c3bbc69a19473f6effe47cce047bede01ffd8af7ea7b36b25
'
# <<< uv pin <<<

# Wall-clock seconds, sub-second everywhere: stage 0's own time is part of the timing the
# product reports. GNU date has %N; BSD date (macOS) prints a literal N, so there the
# shell's own clock (bash >= 5 and zsh's EPOCHREALTIME, zsh after loading zsh/datetime)
# or perl's Time::HiRes (part of every macOS) gives the fraction. Never python3: on a
# Mac without the Command Line Tools it is Apple's stub, which opens an install dialog.
[ -z "${ZSH_VERSION:-}" ] || zmodload zsh/datetime 2>/dev/null
now_epoch() {
  # shellcheck disable=SC3028  # set by bash >= 5 and zsh; empty (so skipped) elsewhere
  _now=${EPOCHREALTIME:-}
  case $_now in
    *[!0-9.]* | *. | .* | "") _now=$(date +%s.%N 2>/dev/null) ;;
  esac
  case $_now in
    *[!0-9.]* | *. | .* | "")
      _now=$(perl -MTime::HiRes=time -e 'printf "%.6f", time' 2>/dev/null)
      case $_now in *[!0-9.]* | *. | .* | "") _now=$(date +%s) ;; esac
      ;;
  esac
  printf '%s' "$_now"
}
STAGE0_START=$(now_epoch)
# Stage 0's parts become phases of the report: the moment each part ended is handed over
# in BOOTSTRAP_STAGE0_MARKS (begin= this script's own start, before a handoff's shift).
STAGE0_MARKS="begin=$STAGE0_START"
# A handoff (bootstrap up on another machine, then this script over ssh, in WSL or in a
# container) passes the seconds it already spent, so `total` counts from its first
# second. Elapsed time, not a timestamp: the two clocks need not agree.
case ${BOOTSTRAP_HANDOFF_ELAPSED:-} in
  "" | *[!0-9.]* | *.*.* | .) ;;
  *) STAGE0_START=$(awk -v s="$STAGE0_START" -v e="$BOOTSTRAP_HANDOFF_ELAPSED" \
       'BEGIN { printf "%.3f", s - e }') ;;
esac
unset BOOTSTRAP_HANDOFF_ELAPSED

usage() {
  cat <<'EOF'
install.sh: install the team's pinned uv (verified) and run `bootstrap up`.

Usage: install.sh [OPTIONS] [--] [ARGS FOR `bootstrap up`...]
       install.sh [OPTIONS] onboard [MANIFEST] [ARGS...]   every project of a team manifest
       install.sh [OPTIONS] swap restore FILE [ARGS...]    a laptop swap's new machine

Options (anywhere; every other argument goes on to `bootstrap up`, in its order;
after `--` everything goes to `bootstrap up` as is):
  --no-run              only install (or verify) uv; do not run `bootstrap up`
  --uv ARGS...          install (or verify) uv, then run `uv ARGS...` (the rest)
  --bootstrap ARGS...   install uv and the bootstrapper, then run `bootstrap ARGS...`
                        (the rest; e.g. --bootstrap check --project .)
  --cache-bundle FILE   install uv and uv's cache from a bundle; then run offline
  --sources LIST        uv sources in order, comma-separated: local,mirror,index,release
  --verify              re-hash an installed uv even when its marker is current
  --modify-path         add the uv directory to PATH in ~/.profile (never otherwise)
  --print-triple        print the detected platform triple and exit
  -h, --help            this help

Environment:
  BOOTSTRAP_UV_SOURCES      same as --sources (default: local,mirror,index,release)
  BOOTSTRAP_UV_LOCAL        a directory or file holding the uv artifact (air-gapped)
  BOOTSTRAP_UV_MIRROR_URL   internal mirror, layout <base>/<version>/uv-<triple>.tar.gz
  BOOTSTRAP_UV_RELEASE_URL  official release base (default releases.astral.sh)
  BOOTSTRAP_UV_INDEX_URL    simple index serving the uv wheel (else UV_INDEX_URL,
                            PIP_INDEX_URL, https://pypi.org/simple)
  BOOTSTRAP_SELF_LOCAL, BOOTSTRAP_SELF_MIRROR_URL, BOOTSTRAP_SELF_INDEX_URL
                            outside the bootstrapper's checkout (a team's repository, or
                            piped): where the wheel the pin's `self` line names is found,
                            tried in the --sources order: a directory or file,
                            <base>/<file>, a simple index (default: the uv index)
  BOOTSTRAP_SELF_URL, BOOTSTRAP_SELF_SHA256
                            instead of the pin: a bootstrapper artifact (wheel or .tar.gz)
  BOOTSTRAP_PYTHON_PIN_FILE read another interpreter pin than bootstrap/python/pin.txt
  BOOTSTRAP_CONNECT_TIMEOUT, BOOTSTRAP_READ_TIMEOUT, BOOTSTRAP_RETRIES
  BOOTSTRAP_DOWNLOAD_DEADLINE  seconds one download may take, retries included (600)
EOF
}

say() { printf 'install.sh: %s\n' "$*" >&2; }

die() {
  printf 'install.sh: error: %s\n' "$1" >&2
  [ $# -gt 1 ] && printf '  fix: %s\n' "$2" >&2
  exit 1
}

# One temp dir per line: data paths may hold spaces ("Application Support" on macOS).
TMP_DIRS=""
cleanup() {
  while IFS= read -r _d; do
    [ -z "$_d" ] || rm -rf "$_d"
  done <<EOF
$TMP_DIRS
EOF
  TMP_DIRS=""
}
trap cleanup EXIT
# 128 + the signal, as `bootstrap up` exits: Ctrl-C 130, SIGTERM 143, SIGHUP 129.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ----- where things live (must match bootstrap.paths.Paths) ---------------------------
data_dir() {
  if [ -n "${BOOTSTRAP_HOME:-}" ]; then
    printf '%s/data' "$BOOTSTRAP_HOME"
    return
  fi
  [ -n "${HOME:-}" ] || die "HOME is not set" "set HOME or BOOTSTRAP_HOME"
  if [ "$(uname -s)" = Darwin ]; then
    printf '%s/Library/Application Support/bootstrap' "$HOME"
  else
    printf '%s/bootstrap' "${XDG_DATA_HOME:-$HOME/.local/share}"
  fi
}

# ----- platform ----------------------------------------------------------------------
detect_triple() {
  if [ -n "${BOOTSTRAP_UV_TRIPLE:-}" ]; then
    TRIPLE=$BOOTSTRAP_UV_TRIPLE
    return
  fi
  _os=$(uname -s)
  _arch=$(uname -m)
  case $_arch in
    x86_64 | amd64) _arch=x86_64 ;;
    aarch64 | arm64) _arch=aarch64 ;;
    *) die "unsupported CPU architecture '$_arch' (uv is pinned for x86_64 and aarch64)" \
      "install uv yourself and run: uv run --frozen bootstrap up" ;;
  esac
  case $_os in
    Linux)
      # musl or glibc: ldd says which (uv's and rustup's installers test the same way).
      _libc=gnu
      if command -v ldd >/dev/null 2>&1; then
        case $(ldd --version 2>&1) in *musl*) _libc=musl ;; esac
      else
        for _f in /lib/ld-musl-*.so.1; do [ -e "$_f" ] && _libc=musl; done
      fi
      TRIPLE=$_arch-unknown-linux-$_libc
      ;;
    Darwin)
      # An x86_64 shell under Rosetta on Apple silicon still gets the native arm64 uv:
      # sysctl.proc_translated is 1 in a translated process (Apple's "About the Rosetta
      # translation environment"); Intel Macs lack the key (-i: no error for that).
      if [ "$_arch" = x86_64 ] && [ "$(sysctl -in sysctl.proc_translated 2>/dev/null)" = 1 ]; then
        _arch=aarch64
      fi
      TRIPLE=$_arch-apple-darwin
      ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      die "this is Windows: use install.ps1" "powershell -ExecutionPolicy Bypass -File install.ps1" ;;
    *) die "unsupported operating system '$_os'" "use a Linux or macOS machine, or install.ps1 on Windows" ;;
  esac
}

# On a Mac without the Xcode Command Line Tools, /usr/bin/python3 (like git, clang and
# ~75 more names there) is Apple's xcode-select shim: running it, even to ask its version,
# opens the "install developer tools" dialog, and it exits 1. Whether the tools are there
# is `xcode-select -p` (a real binary, and quiet). Stage 0 then never runs python3, and
# the uv calls that look for a Python on PATH (the bootstrapper's environment) get a PATH
# without the shim's directory: uv executes every python3 it finds there to learn its
# version. Asked only where a Python is looked for, so a re-run pays nothing.
CLT_STUB=""
clt_stub() { # true when python3 in the shim's directory would be Apple's stub
  if [ -z "$CLT_STUB" ]; then
    CLT_STUB=no
    if [ "$(uname -s)" = Darwin ] && ! xcode-select -p >/dev/null 2>&1; then
      _xs=$(command -v xcode-select 2>/dev/null) || _xs=/usr/bin/xcode-select
      CLT_STUB=${_xs%/*}
      say "the Xcode Command Line Tools are not installed: $CLT_STUB/python3 is Apple's stub, which stage 0 never runs"
    fi
  fi
  [ "$CLT_STUB" != no ]
}

# uv_path: UV_PATH is PATH without the stub's directory (PATH itself where there is no
# stub). A variable, not output: clt_stub must run in this shell, not a subshell.
uv_path() {
  UV_PATH=$PATH
  clt_stub || return 0
  _rest=$PATH: UV_PATH=""
  while [ -n "$_rest" ]; do
    _d=${_rest%%:*}
    _rest=${_rest#*:}
    [ "$_d" = "$CLT_STUB" ] || UV_PATH=${UV_PATH:+$UV_PATH:}$_d
  done
}

# ----- the pin -----------------------------------------------------------------------
load_pin() {
  if [ -n "${BOOTSTRAP_UV_PIN_FILE:-}" ]; then
    [ -r "$BOOTSTRAP_UV_PIN_FILE" ] || die "cannot read the uv pin $BOOTSTRAP_UV_PIN_FILE" \
      "unset BOOTSTRAP_UV_PIN_FILE or point it at a pin file"
    PIN_DATA=$(cat "$BOOTSTRAP_UV_PIN_FILE")
  fi
  UV_VERSION=""
  WHEEL_FILE="" WHEEL_SHA="" ARCHIVE_FILE="" ARCHIVE_SHA="" SELF_FILE="" SELF_SHA="" SELF_VERSION=""
  # `read` on a here-document: no subshell, so the variables survive the loop.
  while read -r _k _a _b _c _rest; do
    case $_k in
      version) UV_VERSION=$_a ;;
      wheel) [ "$_a" = "$TRIPLE" ] && WHEEL_FILE=$_b WHEEL_SHA=$_c ;;
      archive) [ "$_a" = "$TRIPLE" ] && ARCHIVE_FILE=$_b ARCHIVE_SHA=$_c ;;
      self) SELF_VERSION=$_a SELF_FILE=$_b SELF_SHA=$_c ;;
    esac
  done <<EOF
$PIN_DATA
EOF
  [ -n "$UV_VERSION" ] || die "the uv pin has no 'version' line" "restore the pin: bootstrap uv pin VERSION"
  if [ -z "$WHEEL_SHA" ] && [ -z "$ARCHIVE_SHA" ]; then
    die "the uv pin has no artifact for $TRIPLE" "pin one with: bootstrap uv pin $UV_VERSION"
  fi
}

# ----- checksums ---------------------------------------------------------------------
# sha256sum where it exists (Linux); else openssl before shasum: on macOS shasum is a
# perl script that takes 10-14 ms to start on every run, openssl (LibreSSL) a few.
pick_hasher() {
  if command -v sha256sum >/dev/null 2>&1; then
    HASHER=sha256sum
  elif command -v openssl >/dev/null 2>&1; then
    HASHER=openssl
  elif command -v shasum >/dev/null 2>&1; then
    HASHER=shasum
  else
    die "no SHA-256 tool found (sha256sum, shasum or openssl): refusing to install an unverified uv" \
      "install coreutils (sha256sum), perl (shasum) or openssl, then re-run"
  fi
}

sha256_of() {
  [ -n "${HASHER:-}" ] || pick_hasher
  case $HASHER in
    sha256sum) _h=$(sha256sum "$1") ;;
    shasum) _h=$(shasum -a 256 "$1") ;;
    openssl) _h=$(openssl dgst -sha256 "$1" | sed 's/^.*= *//') ;;
  esac
  _h=${_h%% *}
  printf '%s' "$_h" | tr 'ABCDEF' 'abcdef'
}

hash_files() { # DIR LIST: "<sha256>  <path>" for each path of LIST (relative to DIR), one process
  [ -n "${HASHER:-}" ] || pick_hasher
  [ -s "$2" ] || return 0
  # Bundle member names hold no spaces or shell characters (checked before this is called).
  # shellcheck disable=SC2046
  case $HASHER in
    sha256sum) (cd "$1" && sha256sum $(cat "$2")) ;;
    shasum) (cd "$1" && shasum -a 256 $(cat "$2")) ;;
    openssl) (cd "$1" && openssl dgst -sha256 $(cat "$2")) | sed 's/^[^(]*(\(.*\))= *\(.*\)$/\2  \1/' ;;
  esac | awk '{ print tolower($1) "  " $2 }'
}

# ----- downloads ---------------------------------------------------------------------
CONNECT_TIMEOUT=${BOOTSTRAP_CONNECT_TIMEOUT:-5}
READ_TIMEOUT=${BOOTSTRAP_READ_TIMEOUT:-30}
RETRIES=${BOOTSTRAP_RETRIES:-3}
RETRY_DELAY=${BOOTSTRAP_RETRY_DELAY:-1}
# One overall deadline per download, retries included: a server that trickles a few bytes
# a second never trips the read timeout, and would otherwise hold stage 0 for hours.
DOWNLOAD_DEADLINE=${BOOTSTRAP_DOWNLOAD_DEADLINE:-600}

# HTTPS everywhere; plain http only to this machine (a loopback mirror or test server).
# The host is parsed, not globbed: http://localhost:1@10.9.9.9/ goes to 10.9.9.9 (the
# part before "@" is userinfo) and http://127.0.0.1.example.com/ is not loopback.
url_is_loopback_http() {
  case $1 in
    http://*) ;;
    *) return 1 ;;
  esac
  _lb_auth=${1#http://}
  _lb_auth=${_lb_auth%%[/?#]*}
  _lb_host=${_lb_auth##*@}
  case $_lb_host in
    \[*) _lb_host="${_lb_host%%]*}]" ;;
    *) _lb_host=${_lb_host%%:*} ;;
  esac
  case $_lb_host in
    localhost | '[::1]') return 0 ;;
    *[!0-9.]* | *..* | *. | *.*.*.*.*) return 1 ;;
    127.*.*.*) return 0 ;;
  esac
  return 1
}

check_url() {
  case $1 in
    https://*) return 0 ;;
  esac
  url_is_loopback_http "$1" && return 0
  FETCH_ERR="refusing $1: only https (or http to 127.0.0.1/localhost) is allowed"
  return 1
}

pick_downloader() {
  if [ -n "${BOOTSTRAP_DOWNLOADER:-}" ]; then
    DOWNLOADER=$BOOTSTRAP_DOWNLOADER
  elif command -v curl >/dev/null 2>&1 && ! command -v curl | grep -q /snap/; then
    DOWNLOADER=curl
  elif command -v wget >/dev/null 2>&1; then
    DOWNLOADER=wget
  else
    die "neither curl nor wget is installed" "install curl (apt-get install curl, apk add curl, ...)"
  fi
  if [ "$DOWNLOADER" = wget ] && wget --help 2>&1 | grep -q BusyBox; then
    DOWNLOADER=busybox-wget
  fi
  case $DOWNLOAD_DEADLINE in
    "" | *[!0-9]* | 0 | 0*)
      printf 'install.sh: error: BOOTSTRAP_DOWNLOAD_DEADLINE must be a whole number of seconds above 0, not %s\n' \
        "'$DOWNLOAD_DEADLINE'" >&2
      exit 2
      ;;
  esac
}

# no_space DIR [ERRFILE]: did a write under DIR fail because its filesystem is full? The
# error text says so for most tools; curl only says "exit 23", so the free space decides.
no_space() {
  if [ -n "${2:-}" ] && grep -qi 'no space left' "$2" 2>/dev/null; then
    return 0
  fi
  _free=$(df -Pk "$1" 2>/dev/null | awk 'NR == 2 { print $4 }')
  case $_free in "" | *[!0-9]*) return 1 ;; esac
  [ "$_free" -lt 1024 ]
}

die_no_space() { # DIR (a temp dir is named by the directory it was made in)
  die "no space left on ${1%/.tmp.*}" "free some space there (uv needs about 150 MB while it installs), then re-run"
}

# run_until SECONDS CMD...: run CMD, stopped when SECONDS have passed (wget has no
# overall time limit of its own; curl's is --max-time).
run_until() {
  _secs=$1
  shift
  "$@" &
  _cmd=$!
  (
    trap 'kill "$_sl" 2>/dev/null; exit 0' TERM
    sleep "$_secs" &
    _sl=$!
    wait "$_sl" && kill "$_cmd" 2>/dev/null
  ) </dev/null >/dev/null 2>&1 &
  _dog=$!
  wait "$_cmd"
  _rc=$?
  kill "$_dog" 2>/dev/null
  wait "$_dog" 2>/dev/null
  return $_rc
}

deadline_passed() { [ "$(date +%s)" -ge "$FETCH_UNTIL" ]; }

# fetch_once URL OUT [ACCEPT]: 0 ok, 1 worth retrying, 2 give up on this URL.
fetch_once() {
  _url=$1 _out=$2 _accept=${3:-*/*}
  check_url "$_url" || return 2
  _err=$WORK/fetch.err
  rm -f "$_out"
  case $DOWNLOADER in
    curl)
      if url_is_loopback_http "$_url"; then
        # Loopback: http allowed, but no redirects (they could lead anywhere).
        set -- --proto '=http,https'
      else
        set -- --proto '=https' --tlsv1.2 -L --proto-redir '=https' --max-redirs 5
      fi
      _code=$(curl -sS "$@" --connect-timeout "$CONNECT_TIMEOUT" --max-time "$FETCH_LEFT" \
        --speed-time "$READ_TIMEOUT" --speed-limit 1 -A bootstrap-install.sh \
        -H "Accept: $_accept" -o "$_out" -w '%{http_code}' "$_url" 2>"$_err")
      _rc=$?
      case $_rc in
        0) ;;
        23) no_space "$(dirname "$_out")" "$_err" && die_no_space "$(dirname "$_out")"
          FETCH_ERR="cannot write $_out (curl exit 23): $(tail -n 1 "$_err")"; return 2 ;;
        28) if deadline_passed; then
            FETCH_ERR="$_url did not finish downloading within ${DOWNLOAD_DEADLINE}s (BOOTSTRAP_DOWNLOAD_DEADLINE)"
          else
            FETCH_ERR="no answer from $_url within the timeout (connect ${CONNECT_TIMEOUT}s, read ${READ_TIMEOUT}s)"
          fi
          return 2 ;;
        6) FETCH_ERR="cannot resolve the host of $_url"; return 2 ;;
        7) FETCH_ERR="cannot connect to $_url"; return 2 ;;
        1) FETCH_ERR="refused $_url: it redirected to a URL that is not https"; return 2 ;;
        18 | 52 | 55 | 56 | 92) FETCH_ERR="transfer from $_url broke off (curl exit $_rc)"; return 1 ;;
        35 | 60 | 77 | 51 | 58 | 59) FETCH_ERR="TLS failure for $_url (curl exit $_rc): $(tail -n 1 "$_err")"; return 2 ;;
        *) FETCH_ERR="download of $_url failed (curl exit $_rc): $(tail -n 1 "$_err")"; return 2 ;;
      esac
      ;;
    wget | busybox-wget)
      if url_is_loopback_http "$_url"; then
        set -- --max-redirect=0
      elif [ "$DOWNLOADER" = busybox-wget ]; then
        FETCH_ERR="busybox wget cannot enforce TLS >= 1.2 for $_url"
        return 2
      else
        set -- --secure-protocol=TLSv1_2 --https-only
      fi
      if [ "$DOWNLOADER" = busybox-wget ]; then
        run_until "$FETCH_LEFT" wget -q -S -T "$READ_TIMEOUT" -O "$_out" "$_url" 2>"$_err"
      else
        run_until "$FETCH_LEFT" wget -q -S "$@" --tries=1 --connect-timeout="$CONNECT_TIMEOUT" \
          --read-timeout="$READ_TIMEOUT" --header="Accept: $_accept" -U bootstrap-install.sh \
          -O "$_out" "$_url" 2>"$_err"
      fi
      _rc=$?
      if [ "$_rc" != 0 ] && deadline_passed; then
        FETCH_ERR="$_url did not finish downloading within ${DOWNLOAD_DEADLINE}s (BOOTSTRAP_DOWNLOAD_DEADLINE)"
        return 2
      fi
      if [ "$_rc" = 3 ] && no_space "$(dirname "$_out")" "$_err"; then
        die_no_space "$(dirname "$_out")"
      fi
      _code=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$_err" | tail -n 1)
      if grep -qi '^ *location: *http:' "$_err"; then
        rm -f "$_out"
        FETCH_ERR="refused $_url: it redirected to a URL that is not https"
        return 2
      fi
      if [ "$_rc" = 4 ] || [ "$_rc" = 5 ] || [ -z "$_code" ]; then
        FETCH_ERR="cannot reach $_url (wget exit $_rc): $(tail -n 1 "$_err")"
        return 2
      fi
      ;;
    *) die "unknown BOOTSTRAP_DOWNLOADER '$DOWNLOADER'" "use curl or wget" ;;
  esac
  case $_code in
    200) return 0 ;;
    5?? | 429) FETCH_ERR="HTTP $_code from $_url"; return 1 ;;
    3??) FETCH_ERR="refused a redirect (HTTP $_code) from $_url"; return 2 ;;
    *) FETCH_ERR="HTTP $_code from $_url"; return 2 ;;
  esac
}

# fetch URL OUT [ACCEPT]: retries server errors and broken transfers with backoff, all
# within one deadline; whatever was written to OUT is removed when it fails.
fetch() {
  _n=1
  _delay=$RETRY_DELAY
  FETCH_UNTIL=$(($(date +%s) + DOWNLOAD_DEADLINE))
  while :; do
    FETCH_LEFT=$((FETCH_UNTIL - $(date +%s)))
    [ "$FETCH_LEFT" -gt 0 ] || FETCH_LEFT=1
    fetch_once "$@"
    case $? in
      0) return 0 ;;
      2) rm -f "$2"; return 1 ;;
    esac
    if [ "$_n" -ge "$RETRIES" ]; then
      FETCH_ERR="$FETCH_ERR (gave up after $_n attempts)"
      rm -f "$2"
      return 1
    fi
    case $_delay in *.*) _whole=${_delay%%.*} ;; *) _whole=$_delay ;; esac
    if [ $(($(date +%s) + ${_whole:-0})) -ge "$FETCH_UNTIL" ]; then
      FETCH_ERR="$FETCH_ERR; no time left to retry within ${DOWNLOAD_DEADLINE}s (BOOTSTRAP_DOWNLOAD_DEADLINE)"
      rm -f "$2"
      return 1
    fi
    say "$FETCH_ERR; retrying in ${_delay}s ($_n/$RETRIES)"
    sleep "$_delay"
    _n=$((_n + 1))
    case $_delay in *.*) ;; *) _delay=$((_delay * 2)) ;; esac
  done
}

# index_lookup INDEX PROJECT FILE: sets FOUND_URL to FILE's URL on a PEP 503 simple index.
index_lookup() {
  _page=${1%/}/$2/
  fetch "$_page" "$WORK/index.html" 'text/html' || return 1
  _pat=$(printf '%s' "$3" | sed 's/[.]/\\./g')
  _href=$(grep -o "href=[\"'][^\"']*${_pat}[^\"']*[\"']" "$WORK/index.html" | head -n 1)
  if [ -z "$_href" ]; then
    FETCH_ERR="$3 is not listed on $_page"
    return 1
  fi
  _href=$(printf '%s' "$_href" | sed -e 's/^href=.//' -e 's/.$//' -e 's/#.*//' -e 's/&amp;/\&/g')
  case $_href in
    http://* | https://*) FOUND_URL=$_href ;;
    /*) FOUND_URL=$(printf '%s' "$_page" | sed 's#^\([a-z]*://[^/]*\).*#\1#')$_href ;;
    *) FOUND_URL=$(printf '%s%s' "$_page" "$_href" | sed -e ':a' -e 's#/[^/.][^/]*/\.\./#/#' -e 'ta' -e 's#/\./#/#g') ;;
  esac
}

# ----- safe extraction ---------------------------------------------------------------
# Reject members that are absolute, climb out with .., or are links; uv artifacts hold
# regular files and directories only.
check_members() {
  _list=$1 _what=$2
  while IFS= read -r _m; do
    case $_m in
      /* | [A-Za-z]:*) say "$_what: member '$_m' has an absolute path"; return 1 ;;
      .. | ../* | */../* | */..) say "$_what: member '$_m' climbs out with '..'"; return 1 ;;
    esac
  done <"$_list"
  return 0
}

extract_artifact() { # FILE KIND DEST
  _file=$1 _kind=$2 _dest=$3
  mkdir -p "$_dest"
  case $_kind in
    archive)
      # Inflate once; list, check and extract the plain tar (three passes over it).
      _tarball=$_file _z=z
      if command -v gzip >/dev/null 2>&1; then
        gzip -dc "$_file" >"$WORK/artifact.tar" 2>/dev/null || { say "$_file: not a readable .tar.gz"; return 1; }
        _tarball=$WORK/artifact.tar _z=""
      fi
      tar "-t${_z}f" "$_tarball" >"$WORK/members" 2>/dev/null || { say "$_file: not a readable .tar.gz"; return 1; }
      check_members "$WORK/members" "$_file" || return 1
      # Links (symbolic or hard) could point outside: a uv archive has none.
      tar "-tv${_z}f" "$_tarball" >"$WORK/long" 2>/dev/null || { say "$_file: not a readable .tar.gz"; return 1; }
      if grep -q -e '^[lh]' -e ' link to ' "$WORK/long"; then
        say "$_file: member '$(grep -e '^[lh]' -e ' link to ' "$WORK/long" | head -n 1 | sed 's/.* \([^ ]* -> .*\)$/\1/')' is a link; refusing it"
        return 1
      fi
      _top=uv-$TRIPLE
      tar "-x${_z}f" "$_tarball" -C "$_dest" "$_top/uv" "$_top/uvx" 2>"$WORK/tar.err" ||
        { say "$_file: cannot extract $_top/uv and $_top/uvx: $(tail -n 1 "$WORK/tar.err")"; return 1; }
      _src=$_dest/$_top
      ;;
    wheel)
      _scripts=uv-$UV_VERSION.data/scripts
      if command -v unzip >/dev/null 2>&1 && unzip -Z1 "$_file" >"$WORK/members" 2>/dev/null; then
        _unzip="unzip -qo"
        if unzip -Z "$_file" 2>/dev/null | grep -q '^l'; then
          say "$_file: contains a symbolic link; refusing it"
          return 1
        fi
      elif command -v busybox >/dev/null 2>&1 && busybox unzip -l "$_file" >"$WORK/ls" 2>/dev/null; then
        awk 'NR>2 && $4 != "" && $1 ~ /^[0-9]+$/ { sub(/^ *[0-9]+ +[^ ]+ +[^ ]+ +/, ""); print }' "$WORK/ls" >"$WORK/members"
        _unzip="busybox unzip -qo"
      elif ! clt_stub && command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' \
          "$_file" >"$WORK/members" 2>/dev/null || { say "$_file: not a readable wheel"; return 1; }
        _unzip=python3
      else
        die "no way to unpack a wheel (unzip, busybox or python3)" "install unzip, or use a .tar.gz source"
      fi
      [ -s "$WORK/members" ] || { say "$_file: not a readable wheel"; return 1; }
      check_members "$WORK/members" "$_file" || return 1
      if [ "$_unzip" = python3 ]; then
        python3 -m zipfile -e "$_file" "$_dest" 2>"$WORK/tar.err"
      else
        $_unzip "$_file" "$_scripts/uv" "$_scripts/uvx" -d "$_dest" 2>"$WORK/tar.err" >/dev/null
      fi || { say "$_file: cannot extract $_scripts/uv and uvx: $(tail -n 1 "$WORK/tar.err")"; return 1; }
      _src=$_dest/$_scripts
      ;;
  esac
  if [ -n "$(find "$_dest" -type l)" ]; then
    say "$_file: contains a symbolic link ($(find "$_dest" -type l | head -n 1 | sed "s#^$_dest/##")); refusing it"
    return 1
  fi
  for _b in uv uvx; do
    [ -f "$_src/$_b" ] || { say "$_file: no $_b binary inside"; return 1; }
  done
  EXTRACTED=$_src
}

# ----- install -----------------------------------------------------------------------
UV_DIR=""

# The marker holds the artifact's pinned checksum and the binaries' own: a re-run trusts
# it (no re-hash of a 40 MB binary) unless a binary changed after the marker was written.
uv_present() {
  UV_DIR=$DATA/uv/$UV_VERSION
  [ -x "$UV_DIR/uv" ] && [ -f "$UV_DIR/.verified" ] || return 1
  _art="" _uvsha="" _uvxsha=""
  while read -r _k _v; do
    case $_k in
      artifact) _art=$_v ;;
      uv) _uvsha=$_v ;;
      uvx) _uvxsha=$_v ;;
    esac
  done <"$UV_DIR/.verified"
  if [ "$_art" != "$WHEEL_SHA" ] && [ "$_art" != "$ARCHIVE_SHA" ]; then
    say "uv in $UV_DIR was not installed from a pinned artifact; reinstalling"
    return 1
  fi
  if [ "${VERIFY:-}" = full ] || [ -n "$(find "$UV_DIR/uv" "$UV_DIR/uvx" -newer "$UV_DIR/.verified" 2>/dev/null)" ]; then
    if [ "$(sha256_of "$UV_DIR/uv")" != "$_uvsha" ] || [ "$(sha256_of "$UV_DIR/uvx")" != "$_uvxsha" ]; then
      say "uv in $UV_DIR does not match the checksum recorded when it was installed; reinstalling"
      return 1
    fi
    touch "$UV_DIR/.verified"
  fi
  return 0
}

try_candidate() { # FILE KIND SHA SOURCE-DESCRIPTION (KNOWN_SHA: FILE's digest, if known)
  _got=${KNOWN_SHA:-$(sha256_of "$1")}
  if [ "$_got" != "$3" ]; then
    REASONS="$REASONS
  - $4: checksum mismatch for $(basename "$1"): pinned $3, got $_got"
    return 1
  fi
  _stage=$WORK/root
  rm -rf "$_stage" "$WORK/x"
  if ! extract_artifact "$1" "$2" "$WORK/x"; then
    no_space "$WORK" "$WORK/tar.err" && die_no_space "$WORK"
    REASONS="$REASONS
  - $4: unsafe or broken artifact $(basename "$1") (see above)"
    return 1
  fi
  mkdir -p "$_stage" || { no_space "$WORK" && die_no_space "$WORK"; die "cannot create $_stage"; }
  mv "$EXTRACTED/uv" "$EXTRACTED/uvx" "$_stage/"
  chmod 755 "$_stage/uv" "$_stage/uvx"
  _ver=$("$_stage/uv" --version 2>/dev/null)
  case $_ver in
    "uv $UV_VERSION" | "uv $UV_VERSION "*) ;;
    *)
      REASONS="$REASONS
  - $4: the uv inside $(basename "$1") reports '${_ver:-nothing}', not uv $UV_VERSION"
      return 1
      ;;
  esac
  {
    printf 'artifact %s\n' "$3"
    printf 'uv %s\n' "$(sha256_of "$_stage/uv")"
    printf 'uvx %s\n' "$(sha256_of "$_stage/uvx")"
  } >"$_stage/.verified" || { no_space "$WORK" && die_no_space "$WORK"; die "cannot write $_stage/.verified"; }
  place_uv "$_stage"
  INSTALLED_FROM=$4
  return 0
}

# place_uv STAGE: move the verified binaries into $UV_DIR. Another stage 0 may be about
# to exec $UV_DIR/uv this very moment (six first runs in one HOME), so the directory is
# never moved aside: each file is renamed over the old one (atomic on one filesystem,
# and WORK lives under $DATA/uv), uv after uvx, the marker last.
place_uv() {
  mkdir -p "$UV_DIR" || die "cannot create $UV_DIR"
  for _f in uvx uv .verified; do
    mv -f "$1/$_f" "$UV_DIR/$_f" || die "cannot move uv into $UV_DIR"
  done
}

try_source() {
  case $1 in
    local)
      _p=${BOOTSTRAP_UV_LOCAL:-}
      [ -n "$_p" ] || return 1
      if [ -n "${BUNDLE_UV_SHA:-}" ]; then
        # The cache bundle's uv: already in this run's own staging directory and hashed
        # while the bundle was checked, so neither copied nor hashed again here.
        _kind=wheel _sha=$WHEEL_SHA
        [ "$BUNDLE_UV_SHA" != "$ARCHIVE_SHA" ] || [ -z "$ARCHIVE_SHA" ] || _kind=archive _sha=$ARCHIVE_SHA
        [ -n "$_sha" ] || _kind=archive _sha=$ARCHIVE_SHA
        KNOWN_SHA=$BUNDLE_UV_SHA
        try_candidate "$_p" "$_kind" "$_sha" "local $_p"
        _rc=$?
        KNOWN_SHA=""
        return $_rc
      fi
      if [ -d "$_p" ]; then
        for _f in "$WHEEL_FILE" "$ARCHIVE_FILE"; do
          if [ -n "$_f" ] && [ -f "$_p/$_f" ]; then _p=$_p/$_f; break; fi
        done
      fi
      if [ ! -f "$_p" ]; then
        REASONS="$REASONS
  - local: no ${WHEEL_FILE:-$ARCHIVE_FILE} in $_p"
        return 1
      fi
      # Copy first, so the file checked is the file extracted.
      _copy=$WORK/$(basename "$_p")
      cp "$_p" "$_copy" || return 1
      case $(sha256_of "$_copy") in
        "$ARCHIVE_SHA") _kind=archive _sha=$ARCHIVE_SHA ;;
        *) _kind=wheel _sha=$WHEEL_SHA ;;
      esac
      [ -n "$_sha" ] || _sha=$ARCHIVE_SHA _kind=archive
      try_candidate "$_copy" "$_kind" "$_sha" "local $_p"
      ;;
    mirror | release)
      if [ "$1" = mirror ]; then
        _base=${BOOTSTRAP_UV_MIRROR_URL:-}
        [ -n "$_base" ] || return 1
      else
        _base=${BOOTSTRAP_UV_RELEASE_URL:-https://releases.astral.sh/github/uv/releases/download}
      fi
      if [ -z "$ARCHIVE_SHA" ]; then
        REASONS="$REASONS
  - $1: skipped, the pin has no checksum for uv-$TRIPLE.tar.gz (archive checksums are pinned from the release's .sha256 files)"
        return 1
      fi
      _url=${_base%/}/$UV_VERSION/$ARCHIVE_FILE
      say "downloading $_url"
      if ! fetch "$_url" "$WORK/$ARCHIVE_FILE"; then
        REASONS="$REASONS
  - $1: $FETCH_ERR"
        return 1
      fi
      try_candidate "$WORK/$ARCHIVE_FILE" archive "$ARCHIVE_SHA" "$1 $_url"
      ;;
    index)
      _index=${BOOTSTRAP_UV_INDEX_URL:-${UV_INDEX_URL:-${PIP_INDEX_URL:-https://pypi.org/simple}}}
      if [ -z "$WHEEL_SHA" ]; then
        REASONS="$REASONS
  - index: skipped, the pin has no uv wheel for $TRIPLE"
        return 1
      fi
      if ! index_lookup "$_index" uv "$WHEEL_FILE"; then
        REASONS="$REASONS
  - index: $FETCH_ERR"
        return 1
      fi
      _url=$FOUND_URL
      say "downloading $_url"
      if ! fetch "$_url" "$WORK/$WHEEL_FILE"; then
        REASONS="$REASONS
  - index: $FETCH_ERR"
        return 1
      fi
      try_candidate "$WORK/$WHEEL_FILE" wheel "$WHEEL_SHA" "index $_index"
      ;;
    *) die "unknown uv source '$1'" "use a comma-separated list of local, mirror, index, release" ;;
  esac
}

make_work() { # a temp dir under PARENT (same filesystem as the final place)
  mkdir -p "$1" || die "cannot create $1" "check the permissions of $(dirname "$1")"
  WORK=$(mktemp -d "$1/.tmp.XXXXXX") || die "cannot create a temp dir in $1"
  TMP_DIRS="$TMP_DIRS
$WORK"
}

ensure_uv() {
  if uv_present; then
    UV=$UV_DIR/uv
    return 0
  fi
  pick_hasher
  _sources=${SOURCES:-${BOOTSTRAP_UV_SOURCES:-local,mirror,index,release}}
  # A bundle (or a local directory) alone needs no downloader: a box with no curl works.
  [ "$_sources" = local ] || pick_downloader
  make_work "$DATA/uv"
  REASONS=""
  say "installing uv $UV_VERSION for $TRIPLE (sources: $_sources)"
  _old_ifs=$IFS
  IFS=,
  # shellcheck disable=SC2086  # split the list on commas
  set -- $_sources
  IFS=$_old_ifs
  for _s in "$@"; do
    if try_source "$_s"; then
      UV=$UV_DIR/uv
      say "installed uv $UV_VERSION into $UV_DIR (from $INSTALLED_FROM)"
      return 0
    fi
  done
  _fix="set BOOTSTRAP_UV_LOCAL to a directory holding ${WHEEL_FILE:-$ARCHIVE_FILE}, or BOOTSTRAP_UV_INDEX_URL / BOOTSTRAP_UV_MIRROR_URL to a reachable source"
  case $REASONS in
    *"cannot resolve the host"* | *"cannot connect to"* | *"no answer from"*)
      # No network at all: a cache bundle is the way (it carries the pinned uv).
      die "could not install uv $UV_VERSION for $TRIPLE; nothing was changed:$REASONS" \
        "with no network, use a cache bundle made by \`bootstrap cache pack\`: ./install.sh --cache-bundle FILE ...; or $_fix" ;;
  esac
  die "could not install uv $UV_VERSION for $TRIPLE; nothing was changed:$REASONS" "$_fix"
}

# ----- cache bundles ------------------------------------------------------------------
# Format 2 (docs/cache.md): an uncompressed tar of regular files only -- manifest.json,
# SHA256SUMS, uv/<file>, wheels/<file>. SHA256SUMS only catches accidents; trust comes
# from this repository: the uv artifact is checked against the pin (ensure_uv), every
# wheels/ file the repository's uv.lock names against the lock's hash. Stage 0 takes the
# bootstrapper's own wheels; `bootstrap up` checks the rest against the project's lock.
bundle_die() { # CODE MESSAGE [FIX]: a refused bundle is bad input: exit 2, nothing installed
  printf 'install.sh: error: %s [%s]\n' "$2" "$1" >&2
  printf '  fix: %s\n' "${3:-re-create it with: bootstrap cache pack}" >&2
  exit 2
}

shown() { # VALUE: a value from a bundle as a message may show it (bounded, printable)
  printf '%.60s' "$1" | tr -cd '[:print:]'
}

json_str() { # KEY FILE: the string value of a top-level "KEY": "value" line
  sed -n "s/^  \"$1\": \"\([^\"]*\)\",*\$/\1/p" "$2" | head -n 1
}

json_list() { # KEY FILE: the items of a top-level "KEY": [...] list of strings, one a line
  awk -v key="  \"$1\": [" '
    index($0, key) == 1 { on = ($0 !~ /\]/); next }
    on && /^  \]/ { exit }
    on { gsub(/^ *"|",? *$/, ""); print }' "$2"
}

lock_sums() { # LOCK: "<sha256>  <file>" for every file the lock names (url + hash lines)
  awk '{
    if (!match($0, /url = "[^"]*"/)) next
    n = split(substr($0, RSTART + 7, RLENGTH - 8), p, "/")
    if (match($0, /hash = "sha256:[0-9a-f]+"/)) print substr($0, RSTART + 15, RLENGTH - 16) "  " p[n]
  }' "$1"
}

bundle_clean_tmp() { # WHEELHOUSE: remove staging dirs (.tmp/<pid>-...) of dead processes
  for _t in "$1"/.tmp/*; do
    [ -e "$_t" ] || continue
    _p=${_t##*/}
    _p=${_p%%-*}
    case $_p in
      "" | *[!0-9]*) rm -rf "$_t" ;;
      *) [ "$_p" = $$ ] || kill -0 "$_p" 2>/dev/null || rm -rf "$_t" ;;
    esac
  done
}

tool_env_dir() { # the bootstrapper's runtime environment for this checkout's uv.lock
  TOOL_ENV=$DATA/tool/$(sha256_of "$REPO/uv.lock" | cut -c1-16)
  TOOL_OK=$REPO
}

# Outside the checkout, the environment belongs to the pinned wheel: one per checksum.
self_env_dir() {
  [ -n "$SELF_SHA" ] || die "not run from the bootstrapper's checkout, and the pin names no bootstrapper (no 'self' line)" \
    "write install.sh with \`bootstrap init\` from a released bootstrapper (\`bootstrap release\` pins it), run ./install.sh from the bootstrapper's checkout, or set BOOTSTRAP_SELF_URL (wheel or .tar.gz) and BOOTSTRAP_SELF_SHA256"
  TOOL_ENV=$DATA/tool/self-$(printf '%s' "$SELF_SHA" | cut -c1-16)
  TOOL_OK=$SELF_SHA
}

tool_env_ready() {
  [ -f "$TOOL_ENV/.ok" ] && [ "$(cat "$TOOL_ENV/.ok")" = "$TOOL_OK" ]
}

import_bundle() {
  _bundle=$1
  case $_bundle in
    *://*) bundle_die bundle.missing "install.sh reads a cache bundle from a file, not from $_bundle" \
      "download it first, then: ./install.sh --cache-bundle FILE" ;;
  esac
  [ -f "$_bundle" ] || bundle_die bundle.missing "cache bundle $_bundle does not exist" "pass the path of a bundle made by: bootstrap cache pack"
  # The checkout's uv.lock vouches for the bootstrapper's wheels; elsewhere (a team's
  # repository) the pin's `self` line vouches for its wheel, and the runtime lock inside
  # that wheel for the rest (uv checks those hashes when it installs them).
  find_repo || REPO=""
  [ -n "$REPO" ] || [ -n "$SELF_SHA" ] || bundle_die bundle.no_repo "--cache-bundle needs the bootstrapper's checkout (its uv.lock vouches for the bundle) or a pin naming the bootstrapper (a 'self' line)" \
    "run ./install.sh from the bootstrapper's checkout, or write install.sh with \`bootstrap init\`"
  pick_hasher
  WHEELHOUSE=$DATA/wheels
  mkdir -p "$WHEELHOUSE/.tmp" || die "cannot create $WHEELHOUSE"
  bundle_clean_tmp "$WHEELHOUSE"
  WORK=$WHEELHOUSE/.tmp/$$-stage0
  rm -rf "$WORK"
  mkdir -p "$WORK/b" || die "cannot create $WORK"
  TMP_DIRS="$TMP_DIRS
$WORK"
  # An uncompressed tar only: a compressed one could unpack to far more than its size.
  [ "$(dd if="$_bundle" bs=1 skip=257 count=5 2>/dev/null)" = ustar ] ||
    bundle_die bundle.not_tar "$_bundle is not a cache bundle (expected an uncompressed tar, format 2)"
  _size=$(wc -c <"$_bundle" | tr -d ' ')
  [ "$_size" -le "${BOOTSTRAP_BUNDLE_MAX_BYTES:-34359738368}" ] ||
    bundle_die bundle.too_large "$_bundle is $_size bytes, more than the cap (BOOTSTRAP_BUNDLE_MAX_BYTES)" "raise BOOTSTRAP_BUNDLE_MAX_BYTES if a bundle this large is expected"
  tar -tvf "$_bundle" >"$WORK/long" 2>/dev/null || bundle_die bundle.not_tar "$_bundle is not a readable tar"
  # The members of an uncompressed tar fit in it, unless one is sparse (it would unpack
  # to its full size): their listed sizes must add up to no more than the file's.
  # GNU and busybox tar list "mode uid/gid size ...", bsdtar "mode links uid gid size ...".
  _sum=$(awk '{ s += ($2 ~ /\//) ? $3 : $5 } END { printf "%.0f", s }' "$WORK/long")
  [ "$_sum" -le "$_size" ] ||
    bundle_die bundle.unsafe_member "$_bundle: its members unpack to $_sum bytes, more than the file's $_size (a sparse member); a bundle holds only regular files"
  tar -tf "$_bundle" >"$WORK/members" 2>/dev/null || bundle_die bundle.not_tar "$_bundle is not a readable tar"
  _bad=$(grep -v '^-' "$WORK/long" | head -n 1)
  [ -z "$_bad" ] || bundle_die bundle.unsafe_member "$_bundle: member '$_bad' is not a regular file; a bundle holds only regular files"
  while IFS= read -r _m; do
    case $_m in
      manifest.json | SHA256SUMS) ;;
      uv/*/* | wheels/*/* | python/*/* | */..* | *..) bundle_die bundle.unsafe_path "$_bundle: unsafe member path '$_m'" ;;
      uv/[A-Za-z0-9_]* | wheels/[A-Za-z0-9_]* | python/[A-Za-z0-9_]*)
        case ${_m#*/} in *[!A-Za-z0-9._+-]*) bundle_die bundle.unsafe_path "$_bundle: unsafe member path '$_m'" ;; esac
        # Longer than a file name may be (NAME_MAX): refused, not left to fail in tar.
        _f=${_m#*/}
        [ "${#_f}" -le 255 ] || bundle_die bundle.unsafe_path "$_bundle: member name '$(printf '%.60s' "$_m")...' is longer than 255 characters" ;;
      *) bundle_die bundle.unsafe_path "$_bundle: unexpected member '$_m' (absolute, '..', or not manifest.json, SHA256SUMS, uv/<file>, wheels/<file>, python/<file>)" ;;
    esac
  done <"$WORK/members"
  _dup=$(sort "$WORK/members" | uniq -d | head -n 1)
  [ -z "$_dup" ] || bundle_die bundle.duplicate "$_bundle: member '$_dup' appears twice"
  if ! tar -xf "$_bundle" -C "$WORK/b" 2>"$WORK/tar.err"; then
    # A full disk is the machine's answer, not a broken bundle: say which (exit 1).
    no_space "$WORK" "$WORK/tar.err" && die_no_space "$WHEELHOUSE"
    bundle_die bundle.truncated "cannot unpack $_bundle (truncated or corrupt): $(tail -n 1 "$WORK/tar.err")"
  fi
  _odd=$(find "$WORK/b" ! -type f ! -type d | head -n 1)
  [ -z "$_odd" ] || bundle_die bundle.unsafe_member "$_bundle: '${_odd#"$WORK/b/"}' is not a regular file"
  _b=$WORK/b
  if [ ! -f "$_b/SHA256SUMS" ] || [ ! -f "$_b/manifest.json" ]; then
    bundle_die bundle.missing_member "$_bundle has no SHA256SUMS or manifest.json: not a cache bundle"
  fi
  # Every member hashed once, by one process; the checks below compare these digests.
  grep -v '^SHA256SUMS$' "$WORK/members" >"$WORK/files"
  hash_files "$_b" "$WORK/files" >"$WORK/have" || bundle_die bundle.truncated "cannot read the members of $_bundle"
  _why=$(awk -v b="$_bundle" '
    FILENAME == ARGV[1] { have[$2] = $1; next }
    { sub(/\r$/, "") }
    $0 == "" { next }
    { listed[$2] = 1
      if (!($2 in have)) { print "bundle.missing_member " b ": SHA256SUMS lists " $2 ", which is missing"; failed = 1; exit }
      if (have[$2] != $1) { print "bundle.checksum " b ": " $2 " does not match SHA256SUMS (corrupt or tampered bundle)"; failed = 1; exit } }
    END { if (failed) exit  # "exit" above still runs END: one reason, not a false second
      for (f in have) if (!(f in listed)) { print "bundle.extra_member " b ": " f " is not covered by SHA256SUMS"; exit } }
  ' "$WORK/have" "$_b/SHA256SUMS")
  [ -z "$_why" ] || bundle_die "${_why%% *}" "${_why#* }"
  _fmt=$(sed -n 's/^  "format": \([0-9]*\),*$/\1/p' "$_b/manifest.json")
  [ "$_fmt" = 2 ] || bundle_die bundle.format "$_bundle: bundle format ${_fmt:-?}, this checkout reads format 2 only" \
    "pack the bundle again with this checkout: bootstrap cache pack"
  _bver=$(json_str uv_version "$_b/manifest.json")
  _btarget=$(json_str target "$_b/manifest.json")
  _bart=$(json_str uv_artifact "$_b/manifest.json")
  BUNDLE_PROFILE=$(json_str profile "$_b/manifest.json")
  BUNDLE_TARGET=$_btarget
  BUNDLE_PYTHONS=$(json_list pythons "$_b/manifest.json" | tr '\n' ' ')
  # Every manifest value is data, checked against a strict pattern before it is used or
  # printed: a Python version goes to `uv venv --python` (where a path would be run).
  for _py in $BUNDLE_PYTHONS; do
    case $_py in
      [0-9].[0-9] | [0-9].[0-9][0-9]) ;;
      *) bundle_die bundle.manifest "$_bundle: manifest pythons has '$(shown "$_py")', not a Python version like 3.12" ;;
    esac
  done
  case $_btarget in
    *[!a-z0-9._-]* | *-*-*-*) bundle_die bundle.manifest "$_bundle: manifest target is not a target key like linux-x86_64-cpu" ;;
  esac
  # The profile is only shown in a fix: anything but a plain name or path is left out.
  case $BUNDLE_PROFILE in
    *[!A-Za-z0-9._/+-]*) BUNDLE_PROFILE=PROFILE ;;
  esac
  [ "$_bver" = "$UV_VERSION" ] || bundle_die bundle.uv_version "$_bundle carries uv $(shown "$_bver"), but the pin is uv $UV_VERSION" \
    "make a bundle with this checkout's pin: bootstrap cache pack"
  case $TRIPLE in
    x86_64-*) _march=x86_64 ;;
    *) _march=arm64 ;;
  esac
  case $TRIPLE in
    *-apple-darwin) _mos=macos ;;
    *) _mos=linux ;;
  esac
  case $_btarget in
    "$_mos-$_march-"*) ;;
    *) bundle_die bundle.wrong_target "$_bundle is for ${_btarget:-an unknown target}, this machine is $_mos-$_march" \
      "use the bundle made for $_mos-$_march" ;;
  esac
  # The uv artifact is the pinned file, byte for byte: its name and digest come from the
  # pin, never from the manifest (whoever wrote the bundle wrote that too), and the
  # manifest's name for it is compared, never used as a path.
  case $_bart in
    uv/*) ;;
    *) bundle_die bundle.manifest "$_bundle: manifest uv_artifact '$(shown "$_bart")' is not under uv/" ;;
  esac
  _uvfile=""
  for _f in "$WHEEL_FILE" "$ARCHIVE_FILE"; do
    [ -n "$_f" ] && [ "$_bart" = "uv/$_f" ] && _uvfile=$_f
  done
  BUNDLE_UV_SHA=""
  [ -z "$_uvfile" ] || BUNDLE_UV_SHA=$(awk -v f="uv/$_uvfile" '$2 == f { print $1; exit }' "$WORK/have")
  [ -z "$_uvfile" ] || [ -n "$BUNDLE_UV_SHA" ] ||
    bundle_die bundle.missing_member "$_bundle: the uv artifact uv/$_uvfile is missing"
  if [ -n "$_uvfile" ] && { [ "$BUNDLE_UV_SHA" = "$WHEEL_SHA" ] || [ "$BUNDLE_UV_SHA" = "$ARCHIVE_SHA" ]; }; then
    BOOTSTRAP_UV_LOCAL=$_b/uv/$_uvfile
  else
    bundle_die bundle.uv_checksum "$_bundle: its uv artifact is not the pinned uv $UV_VERSION for $TRIPLE (${WHEEL_FILE:-$ARCHIVE_FILE}, sha256 ${WHEEL_SHA:-$ARCHIVE_SHA})" \
      "never use this bundle's uv; pack a new bundle from this repository"
  fi
  if [ -z "$REPO" ]; then
    bundle_self "$_bundle" "$_b"
    bundle_python "$_bundle" "$_b"
    SOURCES=local
    return 0
  fi
  # Trust: each wheel this checkout's uv.lock names must have the lock's hash. The rest
  # stays in the bundle for `bootstrap up`, which checks it against the project's lock.
  lock_sums "$REPO/uv.lock" >"$WORK/locked"
  _why=$(awk -v lock="$REPO/uv.lock" -v b="$_bundle" -v moves="$WORK/moves" '
    FILENAME == ARGV[1] { want[$2] = $1; next }
    $2 ~ /^wheels\// { n = substr($2, 8)
      if (!(n in want)) next
      if (want[n] != $1) { print b ": " n " does not match " lock " (sha256 " $1 ", the lock says " want[n] "); refusing the bundle"; exit }
      print n >moves }
  ' "$WORK/locked" "$WORK/have")
  [ -z "$_why" ] || bundle_die bundle.lock_hash "$_why" "never use this bundle; pack a new one from this repository"
  if [ -s "$WORK/moves" ]; then
    # Names were checked above ([A-Za-z0-9._+-] only): splitting them on newlines is safe.
    # shellcheck disable=SC2046
    (cd "$_b/wheels" && mv -f $(cat "$WORK/moves") "$WHEELHOUSE/") || die "cannot move the bootstrapper's wheels into $WHEELHOUSE"
  fi
  bundle_python "$_bundle" "$_b"
  # The uv artifact's digest is known (above): ensure_uv checks it against the pin
  # without copying or hashing the file again (the staging directory is this run's own).
  SOURCES=local
}

bundle_self() { # BUNDLE STAGING: the pinned bootstrapper wheel, checked against the pin
  _sm=wheels/$SELF_FILE
  _got=$(awk -v f="$_sm" '$2 == f { print $1; exit }' "$WORK/have")
  [ -n "$_got" ] || bundle_die bundle.self_missing "$1 does not carry the pinned bootstrapper $SELF_FILE" \
    "pack the bundle with it: bootstrap cache pack --project DIR --self-wheel $SELF_FILE"
  [ "$_got" = "$SELF_SHA" ] || bundle_die bundle.self_checksum "$1: $_sm does not match the pin (self $SELF_VERSION $SELF_FILE sha256 $SELF_SHA in install.sh; the file has $_got); refused" \
    "never use this bundle; pack a new one with the pinned wheel"
  mkdir -p "$DATA/self/$SELF_SHA" || die "cannot create $DATA/self/$SELF_SHA"
  mv -f "$2/$_sm" "$DATA/self/$SELF_SHA/$SELF_FILE" || die "cannot move $SELF_FILE into $DATA/self"
  SELF_DIR=$DATA/self/$SELF_SHA
  SELF_ARTIFACT=$SELF_DIR/$SELF_FILE
  BUNDLE_WHEELS=$2/wheels
}

# The bootstrapper's runtime environment: from the checkout's uv.lock and the wheelhouse,
# offline (a bundle); outside the checkout, from the pinned wheel (self_install).
tool_env() {
  tool_env_ready && return 0
  rm -rf "$TOOL_ENV"
  mkdir -p "$TOOL_ENV" || die "cannot create $TOOL_ENV"
  _made=""
  uv_path
  # A pinned interpreter from the bundle: installed by uv, and the only one used.
  python_install && _made=$PY_VERSION
  [ -n "$_made" ] || for _py in ${BUNDLE_PYTHONS:-3}; do
    if PATH=$UV_PATH "$UV" venv -q --offline --no-python-downloads --allow-existing --python "$_py" "$TOOL_ENV" 2>/dev/null; then
      _made=$_py
      break
    fi
  done
  if [ -z "$_made" ] && [ -z "$BUNDLE" ]; then
    die "no Python 3 found for the bootstrapper's environment" \
      "install Python 3.9 or later, or run offline from a cache bundle that carries one: ./install.sh --cache-bundle FILE"
  fi
  if [ -z "$_made" ]; then
    _have=""
    clt_stub || _have=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
    # Name the profile as this machine finds it: the project given to `up`, else by name.
    _which="--profile ${BUNDLE_PROFILE:-PROFILE}"
    if [ -n "$PROJECT_ARG" ] && [ -d "$PROJECT_ARG" ]; then
      _which="--project $(sh_quote "$(cd "$PROJECT_ARG" && pwd)")"
    fi
    [ -n "$_have" ] || bundle_die bundle.no_python "this machine has no Python at all, and the bundle carries no interpreter pinned for $TRIPLE" \
      "pack one that does: bootstrap python pin 3.X.Y --target $BUNDLE_TARGET (commit bootstrap/python/pin.txt), then bootstrap cache pack $_which --target $BUNDLE_TARGET --with-python --out FILE"
    bundle_die bundle.python "the bundle's wheels serve Python ${BUNDLE_PYTHONS% }, this machine has Python $_have and no Python ${BUNDLE_PYTHONS% }" \
      "pack a bundle for it: bootstrap cache pack $_which --target $BUNDLE_TARGET --python $_have --out FILE"
  fi
  if [ -z "$REPO" ]; then
    self_install
    return
  fi
  "$UV" export -q --frozen --no-dev --no-emit-project --no-header --no-annotate --project "$REPO" \
    -o "$WORK/tool-req.txt" || die "uv cannot read $REPO/uv.lock"
  # The checkout's modules are compiled to bytecode on the other core while uv installs
  # the wheels: the same work `bootstrap up` would do on its first import, done alongside.
  _compiling=""
  if [ -z "${PYTHONDONTWRITEBYTECODE:-}" ]; then
    "$TOOL_ENV/bin/python" -m compileall -q "$REPO/bootstrap" >/dev/null 2>&1 &
    _compiling=$!
  fi
  if ! "$UV" pip sync -q --offline --no-index --require-hashes --find-links "$WHEELHOUSE" \
    --python "$TOOL_ENV/bin/python" "$WORK/tool-req.txt" 2>"$WORK/sync.err"; then
    # uv refused a wheelhouse file whose hash is not the lock's: it changed after an
    # import checked it. Say so, and how to put it right, rather than uv's own words.
    # shellcheck disable=SC2016  # the backquotes are uv's, matched literally
    _bad=$(sed -n 's/.*Hash mismatch for `\([A-Za-z0-9._+=-]*\)`.*/\1/p' "$WORK/sync.err" | head -n 1)
    [ -z "$_bad" ] || bundle_die bundle.wheelhouse_hash "the wheelhouse $WHEELHOUSE holds a file for $_bad whose SHA-256 is not the one $REPO/uv.lock records: it changed after it was imported" \
      "delete that file from $WHEELHOUSE (or import a bundle that carries it), then run again"
    cat "$WORK/sync.err" >&2
    bundle_die bundle.tool_missing "the bundle lacks wheels the bootstrapper needs (above)" \
      "pack the bundle again with this checkout: bootstrap cache pack"
  fi
  [ -z "$_compiling" ] || wait "$_compiling" || true
  _site=$("$TOOL_ENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') ||
    die "cannot ask $TOOL_ENV/bin/python for its site-packages"
  # The bootstrapper runs from this checkout's source: nothing is built (no build backend
  # from anywhere), and nothing leaks into the project's environment through PYTHONPATH.
  printf '%s\n' "$REPO" >"$_site/bootstrap-checkout.pth"
  printf '%s\n' "$REPO" >"$TOOL_ENV/.ok"
}

# ----- a pinned interpreter from the bundle (machines with no Python) ------------------
# bootstrap/python/pin.txt pins, per triple, an install_only CPython archive by SHA-256
# (docs/cache.md). A bundle's python/<file> must be that file with that hash, or the whole
# bundle is refused before uv sees it. uv installs it offline from a downloads list written
# here from the pin -- never one the bundle or the environment brings: uv checks an
# archive only when the list carries its sha256, and nothing checks the list.
PY_VERSION="" PY_FILE="" PY_SHA="" PY_ARCHIVE=""
python_pin() { # the pin's line for $TRIPLE, if any
  _pf=${BOOTSTRAP_PYTHON_PIN_FILE:-${REPO:-.}/bootstrap/python/pin.txt}
  [ -f "$_pf" ] || return 0
  while read -r _k _t _v _f _s _u; do
    [ "$_k" = cpython ] && [ "$_t" = "$TRIPLE" ] && PY_VERSION=$_v PY_FILE=$_f PY_SHA=$_s
  done <"$_pf"
  case $PY_VERSION in 3.[0-9]*.[0-9]*) ;; *) PY_VERSION="" PY_FILE="" PY_SHA="" ;; esac
  case $PY_FILE in "" | *[!A-Za-z0-9._+-]*) PY_VERSION="" PY_FILE="" PY_SHA="" ;; esac
  # A line without a real SHA-256 pins nothing (the list uv gets always carries one).
  case $PY_SHA in *[!0-9a-f]*) PY_VERSION="" PY_FILE="" PY_SHA="" ;; esac
  [ ${#PY_SHA} -eq 64 ] || PY_VERSION="" PY_FILE="" PY_SHA=""
}

bundle_python() { # BUNDLE STAGING: check the python/ members, keep the pinned archive
  python_pin
  _said=""
  awk '$2 ~ /^python\// { print $2 }' "$WORK/have" >"$WORK/python"
  while IFS= read -r _m; do
    case $_m in
      *.json)
        [ -n "$_said" ] || say "$1: $_m is a downloads list; it is never used (the list comes from bootstrap/python/pin.txt)"
        _said=1
        continue ;;
    esac
    if [ -z "$PY_FILE" ] || [ "$_m" != "python/$PY_FILE" ]; then
      bundle_die bundle.python_unpinned "$1: $_m is not the interpreter bootstrap/python/pin.txt pins for $TRIPLE" \
        "pin it (bootstrap python pin VERSION --archive FILE) or pack the bundle again with --with-python"
    fi
    _got=$(awk -v f="$_m" '$2 == f { print $1; exit }' "$WORK/have")
    [ "$_got" = "$PY_SHA" ] ||
      bundle_die bundle.python_checksum "$1: $_m does not match the Python pin for $TRIPLE (sha256 $_got, pinned $PY_SHA); refused before uv sees it" \
        "never use this bundle's interpreter; pack a new bundle"
    mkdir -p "$DATA/python" || die "cannot create $DATA/python"
    mv -f "$2/$_m" "$DATA/python/$PY_FILE" || die "cannot move $_m into $DATA/python"
    PY_ARCHIVE=$DATA/python/$PY_FILE
  done <"$WORK/python"
}

python_install() { # install the pinned interpreter the bundle brought; fails when there is none
  [ -n "$PY_ARCHIVE" ] && [ -f "$PY_ARCHIVE" ] || return 1
  case $TRIPLE in
    *-unknown-linux-*) _pos=linux _plibc=${TRIPLE##*-} ;;
    *-apple-darwin) _pos=darwin _plibc=none ;;
    *) return 1 ;;
  esac
  _parch=${TRIPLE%%-*}
  _pmaj=${PY_VERSION%%.*} _prest=${PY_VERSION#*.}
  _pmin=${_prest%%.*} _ppatch=${_prest#*.}
  # A file:// URL: the characters a data path may hold that a URL or JSON cannot.
  _purl=file://$(printf '%s' "$PY_ARCHIVE" | sed -e 's/%/%25/g' -e 's/ /%20/g' -e 's/+/%2B/g' \
    -e 's/#/%23/g' -e 's/?/%3F/g' -e 's/"/%22/g' -e 's/\\/%5C/g')
  _plist=$DATA/python/downloads-$TRIPLE.json
  printf '{"cpython-%s-%s-%s-%s": {"name": "cpython", "arch": {"family": "%s", "variant": null}, "os": "%s", "libc": "%s", "major": %s, "minor": %s, "patch": %s, "prerelease": "", "url": "%s", "sha256": "%s", "variant": null, "build": "0"}}\n' \
    "$PY_VERSION" "$_pos" "$_parch" "$_plibc" "$_parch" "$_pos" "$_plibc" "$_pmaj" "$_pmin" "$_ppatch" "$_purl" "$PY_SHA" >"$_plist"
  _dropped=""
  for _v in UV_PYTHON_INSTALL_MIRROR UV_PYPY_INSTALL_MIRROR UV_PYTHON_DOWNLOADS_JSON_URL UV_PYTHON_CACHE_DIR; do
    eval "_val=\${$_v:-}"
    [ -z "$_val" ] || _dropped="$_dropped $_v"
  done
  [ -z "$_dropped" ] || say "unset for the interpreter's install:$_dropped (the list written from bootstrap/python/pin.txt decides where it comes from)"
  _pfile=$(printf '%s' "$_plist" | sed -e 's/%/%25/g' -e 's/ /%20/g' -e 's/+/%2B/g' -e 's/#/%23/g' -e 's/?/%3F/g')
  # --no-bin: nothing goes into ~/.local/bin (PATH is never touched unasked).
  (
    unset UV_PYTHON_INSTALL_MIRROR UV_PYPY_INSTALL_MIRROR UV_PYTHON_DOWNLOADS_JSON_URL UV_PYTHON_CACHE_DIR UV_PYTHON_DOWNLOADS
    "$UV" -q --offline python install --no-bin --python-downloads-json-url "file://$_pfile" "$PY_VERSION"
  ) || {
    # A refused archive can leave a half-made install behind; none was there before (an
    # installed version makes `python install` a no-op), so it goes.
    "$UV" -q python uninstall "$PY_VERSION" >/dev/null 2>&1 || true
    bundle_die python.install_failed "uv could not install the pinned CPython $PY_VERSION from $PY_ARCHIVE (above)" \
      "check the bundle: bootstrap cache verify FILE"
  }
  "$UV" venv -q --offline --no-python-downloads --managed-python --allow-existing --python "$PY_VERSION" "$TOOL_ENV" ||
    die "uv cannot make the bootstrapper's environment with the pinned CPython $PY_VERSION"
  say "CPython $PY_VERSION (pinned, from the bundle) installed by uv, offline"
}

# ----- the bootstrapper itself, when piped -------------------------------------------
find_repo() {
  if [ -n "${BOOTSTRAP_REPO:-}" ]; then
    REPO=$BOOTSTRAP_REPO
    return 0
  fi
  case $0 in */*) _d=${0%/*} ;; *) _d=. ;; esac
  if [ -f "$0" ] && [ -f "$_d/pyproject.toml" ] && [ -d "$_d/bootstrap" ]; then
    REPO=$(cd "$_d" && pwd)
    return 0
  fi
  return 1
}

# The bootstrapper's artifact: the pin's `self` line (looked up on a package index), or
# BOOTSTRAP_SELF_URL with BOOTSTRAP_SELF_SHA256 (a direct URL, or a local file).
fetch_self() {
  _surl=${BOOTSTRAP_SELF_URL:-}
  _ssha=${BOOTSTRAP_SELF_SHA256:-}
  if [ -z "$_ssha" ] && [ -n "$SELF_SHA" ] && { [ -z "$_surl" ] || [ "$(basename "$_surl")" = "$SELF_FILE" ]; }; then
    _ssha=$SELF_SHA
  fi
  if [ -z "$_ssha" ] || { [ -z "$_surl" ] && [ -z "$SELF_FILE" ]; }; then
    die "not run from a checkout, and no pinned bootstrapper to fetch" \
      "run ./install.sh from the repository, or set BOOTSTRAP_SELF_URL (wheel or .tar.gz) and BOOTSTRAP_SELF_SHA256"
  fi
  _sname=${SELF_FILE:-}
  [ -z "$_surl" ] || _sname=$(basename "$_surl")
  _sdir=$DATA/self/$_ssha
  SELF_DIR=$_sdir
  SELF_ARTIFACT=$_sdir/$_sname
  [ -f "$SELF_ARTIFACT" ] && return 0
  case $_surl:$_sname in
    :*.whl)
      fetch_pinned_self
      return 0 ;;
  esac
  pick_downloader
  make_work "$DATA/self"
  if [ -z "$_surl" ]; then
    # A pinned source archive (uv.lock inside): looked up on the index, unpacked below.
    index_lookup "$SELF_INDEX" "${SELF_FILE%%-*}" "$SELF_FILE" ||
      die "cannot find the pinned bootstrapper $SELF_FILE: $FETCH_ERR" "set BOOTSTRAP_SELF_INDEX_URL to the index serving it"
    _surl=$FOUND_URL
  fi
  if [ -f "$_surl" ]; then
    cp "$_surl" "$WORK/$_sname"
  else
    fetch "$_surl" "$WORK/$_sname" || die "cannot fetch the bootstrapper: $FETCH_ERR" "check BOOTSTRAP_SELF_URL"
  fi
  _got=$(sha256_of "$WORK/$_sname")
  [ "$_got" = "$_ssha" ] || die "the bootstrapper $_sname does not match its pinned checksum: pinned $_ssha, got $_got" \
    "check BOOTSTRAP_SELF_URL and BOOTSTRAP_SELF_SHA256"
  case $_sname in
    *.tar.gz | *.tgz)
      tar -tzf "$WORK/$_sname" >"$WORK/members" || die "the bootstrapper $_sname is not a .tar.gz"
      check_members "$WORK/members" "$_sname" || die "the bootstrapper archive $_sname has unsafe members"
      mkdir -p "$WORK/src"
      tar -xzf "$WORK/$_sname" -C "$WORK/src" || die "cannot unpack $_sname"
      [ -z "$(find "$WORK/src" -type l)" ] || die "the bootstrapper archive $_sname contains links"
      ;;
    *.whl) ;;
    *) die "BOOTSTRAP_SELF_URL must name a .whl or a .tar.gz, not $_sname" ;;
  esac
  mkdir -p "$WORK/final"
  mv "$WORK/$_sname" "$WORK/final/" || die "cannot stage $_sname"
  [ -d "$WORK/src" ] && mv "$WORK/src" "$WORK/final/src"
  rm -rf "$_sdir"
  mv "$WORK/final" "$_sdir" || die "cannot move the bootstrapper into $_sdir"
}

# The wheel the pin's `self` line names, from the sources uv comes from, in the same order
# (local, mirror, index; the release host serves uv only). Each candidate is checked
# against the pin's SHA-256, never against anything the source says.
SELF_INDEX=${BOOTSTRAP_SELF_INDEX_URL:-${BOOTSTRAP_UV_INDEX_URL:-${UV_INDEX_URL:-${PIP_INDEX_URL:-https://pypi.org/simple}}}}
fetch_pinned_self() {
  _sources=${SOURCES:-${BOOTSTRAP_UV_SOURCES:-local,mirror,index,release}}
  [ "$_sources" = local ] || pick_downloader
  make_work "$DATA/self"
  REASONS="" _tampered=""
  _old_ifs=$IFS
  IFS=,
  # shellcheck disable=SC2086  # split the list on commas
  set -- $_sources
  IFS=$_old_ifs
  for _s in "$@"; do
    _cand=$WORK/$SELF_FILE _from=""
    rm -f "$_cand"
    case $_s in
      local)
        _p=${BOOTSTRAP_SELF_LOCAL:-}
        [ -n "$_p" ] || continue
        [ ! -d "$_p" ] || _p=$_p/$SELF_FILE
        if [ ! -f "$_p" ]; then
          REASONS="$REASONS
  - local: no $SELF_FILE in ${BOOTSTRAP_SELF_LOCAL}"
          continue
        fi
        cp "$_p" "$_cand" || continue
        _from="local $_p" ;;
      mirror)
        [ -n "${BOOTSTRAP_SELF_MIRROR_URL:-}" ] || continue
        _url=${BOOTSTRAP_SELF_MIRROR_URL%/}/$SELF_FILE
        say "downloading $_url"
        if ! fetch "$_url" "$_cand"; then
          REASONS="$REASONS
  - mirror: $FETCH_ERR"
          continue
        fi
        _from="mirror $_url" ;;
      index)
        if ! index_lookup "$SELF_INDEX" "${SELF_FILE%%-*}" "$SELF_FILE"; then
          REASONS="$REASONS
  - index: $FETCH_ERR"
          continue
        fi
        say "downloading $FOUND_URL"
        if ! fetch "$FOUND_URL" "$_cand"; then
          REASONS="$REASONS
  - index: $FETCH_ERR"
          continue
        fi
        _from="index $FOUND_URL" ;;
      release) continue ;;
      *) die "unknown source '$_s'" "use a comma-separated list of local, mirror, index, release" ;;
    esac
    _got=$(sha256_of "$_cand")
    if [ "$_got" != "$SELF_SHA" ]; then
      rm -f "$_cand"
      _tampered=1
      REASONS="$REASONS
  - $_from: $SELF_FILE has sha256 $_got, not the pinned one; refused"
      continue
    fi
    { mkdir -p "$WORK/final" && mv "$_cand" "$WORK/final/$SELF_FILE"; } || die "cannot stage $SELF_FILE"
    rm -rf "$SELF_DIR"
    mv "$WORK/final" "$SELF_DIR" || die "cannot move the bootstrapper into $SELF_DIR"
    say "the bootstrapper $SELF_VERSION ($SELF_FILE) fetched from $_from, verified against the pin"
    return 0
  done
  _what="the pinned bootstrapper (self $SELF_VERSION $SELF_FILE sha256 $SELF_SHA in install.sh's pin)"
  if [ -n "$_tampered" ]; then
    printf 'install.sh: error: no source served %s; nothing was installed:%s\n' "$_what" "$REASONS" >&2
    printf '  fix: the file on the source is not the released one: republish %s, or point BOOTSTRAP_SELF_INDEX_URL at an index that serves it\n' "$SELF_FILE" >&2
    exit 2
  fi
  die "could not fetch $_what:${REASONS:-
  - no source configured}" \
    "set BOOTSTRAP_SELF_INDEX_URL to the index serving $SELF_FILE (or BOOTSTRAP_SELF_LOCAL to a directory holding it), or run offline: ./install.sh --cache-bundle FILE"
}

# The bootstrapper's own environment outside its checkout: the pinned wheel, then the
# runtime lock it carries (bootstrap/runtime.txt, hashed requirements: the wheel's
# checksum vouches for it and uv refuses any file whose hash it does not list), from the
# bundle's wheels offline or from the index.
self_install() {
  _py=$TOOL_ENV/bin/python
  if [ -n "$BUNDLE" ]; then
    set -- --offline --no-index --find-links "$BUNDLE_WHEELS"
  else
    set -- --index-url "$SELF_INDEX"
  fi
  _rt=$TOOL_ENV/.runtime.txt
  if command -v unzip >/dev/null 2>&1 && unzip -p "$SELF_ARTIFACT" bootstrap/runtime.txt >"$_rt" 2>/dev/null &&
    [ -s "$_rt" ]; then
    # One uv call: the lock read out of the (verified) wheel, and the wheel itself by
    # its pinned hash. A file:// URL: the characters a data path may hold ("Application
    # Support") that a requirement cannot.
    _surl=file://$(printf '%s' "$SELF_ARTIFACT" | sed -e 's/%/%25/g' -e 's/ /%20/g' -e 's/+/%2B/g' \
      -e 's/#/%23/g' -e 's/?/%3F/g' -e 's/"/%22/g')
    printf '\n%s @ %s --hash=sha256:%s\n' "${SELF_FILE%%-*}" "$_surl" "$SELF_SHA" >>"$_rt"
  else
    "$UV" pip install -q --offline --no-deps --python "$_py" "$SELF_ARTIFACT" ||
      die "uv cannot install the bootstrapper $SELF_ARTIFACT"
    _site=$("$_py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') ||
      die "cannot ask $_py for its site-packages"
    _rt=$_site/bootstrap/runtime.txt
  fi
  [ -s "$_rt" ] || die "the bootstrapper $SELF_FILE carries no runtime lock (bootstrap/runtime.txt)" \
    "release it with \`bootstrap release\`, which writes the lock into the wheel"
  _log=$DATA/.self-env.$$.log
  if ! "$UV" pip install -q "$@" --require-hashes --python "$_py" -r "$_rt" 2>"$_log"; then
    if [ -z "$BUNDLE" ] && [ -z "${UV_SYSTEM_CERTS:-}" ] &&
      grep -q -e 'invalid peer certificate' -e 'UnknownIssuer' "$_log" &&
      UV_SYSTEM_CERTS=1 "$UV" pip install -q "$@" --require-hashes --python "$_py" -r "$_rt" 2>"$_log"; then
      UV_SYSTEM_CERTS=1
      export UV_SYSTEM_CERTS
      : >"$DATA/tls-system-certs"
      say "TLS: uv's built-in roots reject the index's certificate and the system's store (as curl) accepts it: every uv call now uses it (UV_SYSTEM_CERTS=1)"
    else
      cat "$_log" >&2
      rm -f "$_log"
      [ -z "$BUNDLE" ] || bundle_die bundle.tool_missing "the bundle lacks wheels the bootstrapper's runtime lock needs, or holds ones it does not list (above)" \
        "pack the bundle again: bootstrap cache pack --project DIR --self-wheel $SELF_FILE"
      die "uv could not install the bootstrapper's runtime lock from $SELF_INDEX (above)" \
        "check BOOTSTRAP_SELF_INDEX_URL (or UV_INDEX_URL), or run offline: ./install.sh --cache-bundle FILE"
    fi
  fi
  rm -f "$_log"
  printf '%s\n' "$SELF_SHA" >"$TOOL_ENV/.ok"
}

# ----- PATH (only when asked) ---------------------------------------------------------
# sh_quote STRING: STRING as one single-quoted shell word (a ' becomes '\''), so a HOME
# holding ", $, ` or a space still gives lines every login shell can read.
sh_quote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# The files a login shell reads, as each shell documents it: sh/dash/ksh and bash without
# its own files read ~/.profile; bash reads the first of ~/.bash_profile, ~/.bash_login,
# ~/.profile that exists (only that one); zsh (the login shell of a new Mac) reads
# ~/.zprofile and never ~/.profile. Interactive non-login shells read ~/.bashrc, ~/.zshrc.
rc_files() {
  printf '%s\n' "$HOME/.profile"
  for _rc in "$HOME/.bash_profile" "$HOME/.bash_login"; do
    if [ -f "$_rc" ]; then
      printf '%s\n' "$_rc"
      break
    fi
  done
  case ${SHELL:-} in
    */zsh) _zsh=1 ;;
    *) _zsh="" ;;
  esac
  if [ -n "$_zsh" ] || [ -f "$HOME/.zprofile" ] || [ "$(uname -s)" = Darwin ]; then
    printf '%s\n' "$HOME/.zprofile"
  fi
  for _rc in "$HOME/.bashrc" "$HOME/.zshrc"; do
    [ ! -f "$_rc" ] || printf '%s\n' "$_rc"
  done
}

modify_path() {
  _env=$DATA/env
  _qdir=$(sh_quote "$UV_DIR")
  # shellcheck disable=SC2016  # $PATH is expanded when the env file is sourced
  printf 'case ":${PATH}:" in *:%s:*) ;; *) PATH=%s:"$PATH"; export PATH ;; esac\n' \
    "$_qdir" "$_qdir" >"$_env"
  _line=". $(sh_quote "$_env")"
  _done=""
  while IFS= read -r _rc; do
    if ! grep -qF "$_line" "$_rc" 2>/dev/null; then
      printf '\n%s\n' "$_line" >>"$_rc" || die "cannot write $_rc" "check its permissions, or add $UV_DIR to PATH yourself"
    fi
    _done="$_done ~/${_rc#"$HOME/"}"
  done <<EOF
$(rc_files)
EOF
  say "added $UV_DIR to PATH in$_done (open a new shell)"
}

# ----- TLS like the rest of the machine -------------------------------------------------
# curl and wget (which fetched uv) trust the system's certificate store; uv trusts its own
# built-in roots unless UV_SYSTEM_CERTS=1. Behind a TLS-inspecting proxy only the system
# store holds the organisation's CA: when uv's first download fails on the certificate
# and succeeds with the system store, every uv call gets UV_SYSTEM_CERTS=1 from then on
# (remembered in the data dir) and the run says so once. A download that fails either
# way is the network's problem, exit 10, never "bad input".
EXIT_NETWORK=10
tls_remembered() {
  [ -f "$DATA/tls-system-certs" ] || return 0
  case ${UV_SYSTEM_CERTS:-}${UV_NATIVE_TLS:-} in "") ;; *) return 0 ;; esac
  UV_SYSTEM_CERTS=1
  export UV_SYSTEM_CERTS
  say "TLS: uv trusts the system's certificate store (UV_SYSTEM_CERTS=1), as an earlier run found"
}

die_network() { # MESSAGE FIX
  printf 'install.sh: error: %s\n  fix: %s\n' "$1" "$2" >&2
  exit "$EXIT_NETWORK"
}

# The bootstrapper's own environment, made before the handover when it is not there yet:
# the first uv download of a new machine, where a certificate problem shows.
prepare_tool_env() { # REPO [--offline]
  [ -f "$1/.venv/pyvenv.cfg" ] && return 0
  _log=$DATA/.tool-env.$$.log
  uv_path
  # shellcheck disable=SC2086  # $2 is one flag or nothing
  if PATH=$UV_PATH "$UV" sync -q --frozen --no-dev ${2:-} --project "$1" 2>"$_log"; then
    rm -f "$_log"
    return 0
  fi
  if grep -q -e 'invalid peer certificate' -e 'UnknownIssuer' -e 'system TLS certificates' "$_log"; then
    # shellcheck disable=SC2086
    if [ -z "${UV_SYSTEM_CERTS:-}" ] &&
      PATH=$UV_PATH UV_SYSTEM_CERTS=1 "$UV" sync -q --frozen --no-dev ${2:-} --project "$1" 2>"$_log"; then
      rm -f "$_log"
      UV_SYSTEM_CERTS=1
      export UV_SYSTEM_CERTS
      : >"$DATA/tls-system-certs"
      say "TLS: uv's built-in roots reject the index's certificate and the system's store (as curl) accepts it: every uv call now uses it (UV_SYSTEM_CERTS=1)"
      return 0
    fi
    cat "$_log" >&2
    rm -f "$_log"
    die_network "uv could not verify the index's TLS certificate (above), not even with the system's store" \
      "put your organisation's CA in the system's certificate store, or check the index URL (UV_INDEX_URL)"
  fi
  if grep -q -e 'error sending request' -e 'dns error' -e 'failed to lookup address' -e 'Connection refused' "$_log"; then
    cat "$_log" >&2
    rm -f "$_log"
    die_network "uv could not reach the index (above) to set up the bootstrapper's environment" \
      "check the network (and HTTPS_PROXY), or run offline: ./install.sh --cache-bundle FILE"
  fi
  rm -f "$_log" # another failure: `uv run` below reports it in full
}

# ----- main --------------------------------------------------------------------------
main() {
  NO_RUN="" UV_MODE="" BOOT_MODE="" BUNDLE="" SOURCES="" VERIFY="" MODIFY_PATH="" PRINT_TRIPLE=""
  CMD_WORD=""
  REPO="" BUNDLE_WHEELS=""
  BUNDLE_UV_SHA="" KNOWN_SHA=""
  # Our options are taken wherever they appear; every other argument goes on to
  # `bootstrap up`, in its order. `--` ends option parsing (the rest goes on as is);
  # `--uv` hands the rest to uv. The arguments rotate through "$@": POSIX sh has no arrays.
  _left=$# _stray=""
  while [ "$_left" -gt 0 ]; do
    _a=$1
    shift
    _left=$((_left - 1))
    case $_a in
      --no-run) NO_RUN=1 ;;
      --uv) UV_MODE=1; break ;;
      --bootstrap) BOOT_MODE=1; break ;;
      --cache-bundle)
        [ "$_left" -ge 1 ] || die "--cache-bundle needs a file" "install.sh --cache-bundle FILE"
        BUNDLE=$1; shift; _left=$((_left - 1)) ;;
      --cache-bundle=*) BUNDLE=${_a#*=} ;;
      --sources)
        [ "$_left" -ge 1 ] || die "--sources needs a list" "install.sh --sources local,index"
        SOURCES=$1; shift; _left=$((_left - 1)) ;;
      --sources=*) SOURCES=${_a#*=} ;;
      --verify) VERIFY=full ;;
      --modify-path) MODIFY_PATH=1 ;;
      --print-triple) PRINT_TRIPLE=1 ;;
      --print-data-dir) data_dir; echo; exit 0 ;;
      -h | --help) usage; exit 0 ;;
      onboard | swap)
        # The first word may name another command than `up`: a new hire's onboarding
        # (or a laptop swap) is then this one command too.
        if [ -z "$_stray" ] && [ -z "$CMD_WORD" ]; then CMD_WORD=$_a; set -- "$@" "$_a"; else set -- "$@" "$_a"; _stray=${_stray:-$_a}; fi ;;
      --)
        while [ "$_left" -gt 0 ]; do
          set -- "$@" "$1"
          shift
          _left=$((_left - 1))
        done ;;
      *) set -- "$@" "$_a"; _stray=${_stray:-$_a} ;;
    esac
  done
  if [ -n "$UV_MODE" ] && [ -n "$_stray" ]; then
    die "$_stray comes before --uv: everything after --uv goes to uv, nothing before it may go to \`bootstrap up\`" \
      "put $_stray after --uv, or leave out --uv"
  fi
  if [ -n "$BOOT_MODE" ] && [ -n "$_stray" ]; then
    die "$_stray comes before --bootstrap: everything after --bootstrap goes to \`bootstrap\`" \
      "put $_stray after --bootstrap, or leave out --bootstrap"
  fi
  # The bootstrapper's command: `up` unless --bootstrap names another (then it is in "$@").
  UP=up
  [ -z "$BOOT_MODE" ] || UP=""
  # `install.sh onboard MANIFEST` / `install.sh swap restore FILE`: that command, its
  # arguments already in "$@" (our options among them were taken as usual).
  [ -z "$CMD_WORD" ] || UP=""
  # After --uv, "$@" holds exactly the arguments for uv.
  [ -n "${BOOTSTRAP_UV_VERIFY:-}" ] && VERIFY=full
  case $BUNDLE in
    *://*)
      # Bad input, exit 2, as `bootstrap up --cache-bundle URL` and `report send` say it.
      check_url "$BUNDLE" || bundle_die bundle.insecure_url "cache bundle: $FETCH_ERR" \
        "serve the bundle over https, or copy it here and pass its path" ;;
  esac
  # `up --project DIR`: the project the run is for (named in fixes; `up` reads it itself).
  PROJECT_ARG="" _prev=""
  [ -n "$UV_MODE" ] || for _a in "$@"; do
    [ "$_prev" = --project ] && PROJECT_ARG=$_a
    case $_a in --project=*) PROJECT_ARG=${_a#*=} ;; esac
    _prev=$_a
  done

  detect_triple
  if [ -n "$PRINT_TRIPLE" ]; then
    printf '%s\n' "$TRIPLE"
    exit 0
  fi
  load_pin
  DATA=$(data_dir)
  WORK=""

  TOOL_ENV=""
  if [ -n "$BUNDLE" ]; then
    pick_hasher
    # Outside the checkout with no `self` line, import_bundle refuses the bundle (exit 2).
    if find_repo; then tool_env_dir; elif [ -n "$SELF_SHA" ]; then REPO="" && self_env_dir; fi
    # Already imported (the bootstrapper's environment is there) and uv present: the
    # bundle is not read again; `bootstrap up` checks the rest against the plan.
    if [ -n "$TOOL_ENV" ] && tool_env_ready && uv_present; then
      say "the cache bundle's tools are already imported"
    else
      import_bundle "$BUNDLE"
    fi
    STAGE0_MARKS="$STAGE0_MARKS bundle=$(now_epoch)"
  fi
  ensure_uv
  tls_remembered
  STAGE0_MARKS="$STAGE0_MARKS uv=$(now_epoch)"
  if [ -n "$BUNDLE" ]; then
    tool_env
  fi
  [ -z "$MODIFY_PATH" ] || modify_path

  export BOOTSTRAP_STAGE0_START="$STAGE0_START"
  export BOOTSTRAP_STAGE0_MARKS="$STAGE0_MARKS"
  export BOOTSTRAP_UV="$UV"
  if [ -n "$UV_MODE" ]; then
    cleanup
    exec "$UV" "$@"
  fi
  if [ -n "$NO_RUN" ]; then
    say "uv $UV_VERSION is ready: $UV"
    exit 0
  fi
  if [ -n "$BUNDLE" ]; then
    # `up` imports the rest of the bundle; for `onboard` and `swap` it brought this
    # tool, and each project names its own bundle.
    [ -z "$UP" ] || set -- --cache-bundle "$BUNDLE" "$@"
    _offline=--offline
  else
    _offline=""
  fi
  cleanup
  if find_repo; then
    [ -n "$TOOL_ENV" ] || { pick_hasher && tool_env_dir; }
    if tool_env_ready; then
      # A bundle set this environment up: use it, online or not.
      # shellcheck disable=SC2086  # UP is one word or nothing
      exec "$TOOL_ENV/bin/python" -m bootstrap $UP "$@"
    fi
    prepare_tool_env "$REPO" "$_offline"
    # shellcheck disable=SC2086  # _offline and UP are one word or nothing
    exec "$UV" run --frozen --no-dev $_offline --project "$REPO" bootstrap $UP "$@"
  fi
  # Outside the bootstrapper's checkout: a team's repository (this script committed in
  # it by `bootstrap init`), or piped. `up` is for the project this script sits in.
  if [ -n "$UP" ] && [ -z "$PROJECT_ARG" ]; then
    case $0 in */*) _d=${0%/*} ;; *) _d=. ;; esac
    if [ -f "$0" ] && [ -f "$_d/pyproject.toml" ]; then
      set -- --project "$(cd "$_d" && pwd)" "$@"
    fi
  fi
  _pinned_wheel=""
  case ${BOOTSTRAP_SELF_URL:-}:$SELF_FILE in :*.whl) _pinned_wheel=1 ;; esac
  if [ -n "$_pinned_wheel" ]; then
    # The pinned wheel, in its own environment, with the runtime lock it carries (a
    # pinned source archive, or BOOTSTRAP_SELF_URL, takes the older way below).
    [ -n "$TOOL_ENV" ] || { pick_hasher && self_env_dir; }
    if ! tool_env_ready; then
      SELF_DIR=$DATA/self/$SELF_SHA
      SELF_ARTIFACT=$SELF_DIR/$SELF_FILE
      [ -f "$SELF_ARTIFACT" ] || fetch_pinned_self
      tool_env
    fi
    cleanup
    # Every reader of the pin (ensure-uv, the bundle's checks) reads this repository's.
    if [ -z "${BOOTSTRAP_UV_PIN_FILE:-}" ]; then
      { mkdir -p "$DATA/self/$SELF_SHA" && printf '%s\n' "$PIN_DATA" >"$DATA/self/$SELF_SHA/pin.txt"; } ||
        die "cannot write $DATA/self/$SELF_SHA/pin.txt"
      BOOTSTRAP_UV_PIN_FILE=$DATA/self/$SELF_SHA/pin.txt
      export BOOTSTRAP_UV_PIN_FILE
    fi
    # shellcheck disable=SC2086  # UP is one word or nothing
    exec "$TOOL_ENV/bin/python" -m bootstrap $UP "$@"
  fi
  fetch_self
  cleanup
  if [ -d "$SELF_DIR/src" ]; then
    for _p in "$SELF_DIR/src"/*/pyproject.toml "$SELF_DIR/src/pyproject.toml"; do
      # shellcheck disable=SC2086
      [ -f "$_p" ] && exec "$UV" run --frozen --no-dev $_offline --project "${_p%/pyproject.toml}" bootstrap $UP "$@"
    done
    die "the bootstrapper archive has no pyproject.toml"
  fi
  # shellcheck disable=SC2086
  exec "$UV" tool run $_offline --from "$SELF_ARTIFACT" bootstrap $UP "$@"
}

# Called last, so a truncated download of this script runs nothing.
main "$@" || exit 1
