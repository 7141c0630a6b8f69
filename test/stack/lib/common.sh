# shellcheck shell=bash
# Shared helpers for test/stack/stack.sh. Sourced, never run.

STACK_T0=$(date +%s)

# Progress goes to stderr so functions whose stdout is captured can still report.
log() { printf '[stack +%ss] %s\n' "$(($(date +%s) - STACK_T0))" "$*" >&2; }
warn() { printf '[stack +%ss] WARNING: %s\n' "$(($(date +%s) - STACK_T0))" "$*" >&2; }
die() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Install a Debian package when its command is missing. Only possible as root; otherwise the
# message says what to install.
ensure_cmd() {
  local cmd=$1 pkg=${2:-$1}
  command -v "$cmd" >/dev/null 2>&1 && return 0
  apt_install "$pkg"
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' still missing after installing $pkg"
}

apt_install() {
  local pkg=$1
  is_root || die "the Debian package '$pkg' is needed; install it (apt-get install $pkg)"
  log "installing $pkg (apt-get)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null ||
      die "apt-get install $pkg failed"
  fi
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# The command line of a pid, NUL separators turned into spaces.
pid_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# True when the pid is alive and its command line contains every given fragment. This is how
# `down` makes sure a recycled pid that now belongs to something else is never signalled.
pid_matches() {
  local pid=$1 cmd
  shift
  pid_alive "$pid" || return 1
  cmd=$(pid_cmdline "$pid")
  local frag
  for frag in "$@"; do
    [[ $cmd == *"$frag"* ]] || return 1
  done
}

read_pidfile() { if [ -f "$1" ]; then tr -dc '0-9' <"$1"; fi; }

# Stop one pid (TERM, then KILL after a grace period) if it still runs the expected command.
# Usage: stop_pid NAME PID GRACE_SECONDS FRAGMENT...
stop_pid() {
  local name=$1 pid=$2 grace=$3
  shift 3
  if [ -z "$pid" ]; then
    log "$name: not running (no pid recorded)"
    return 0
  fi
  if ! pid_matches "$pid" "$@"; then
    log "$name: pid $pid is gone or no longer ours; nothing to stop"
    return 0
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while pid_alive "$pid" && [ "$waited" -lt "$((grace * 5))" ]; do
    sleep 0.2
    waited=$((waited + 1))
  done
  if pid_alive "$pid" && pid_matches "$pid" "$@"; then
    warn "$name: pid $pid did not exit after ${grace}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    while pid_alive "$pid"; do sleep 0.2; done
  fi
  log "$name: stopped"
}

# HTTP probe; prints the body on success.
http_get() { curl -fsS --max-time "${2:-3}" "$1" 2>/dev/null; }

# Is something (anything) accepting TCP connections on 127.0.0.1:PORT?
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

json_field() {
  # json_field PYTHON_EXPR: reads JSON on stdin, evaluates EXPR with `d` bound to it.
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

tail_log() {
  local file=$1 n=${2:-40}
  if [ -s "$file" ]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
    tail -n "$n" "$file" >&2
    printf -- '----- end of %s -----\n' "$file" >&2
  fi
}
