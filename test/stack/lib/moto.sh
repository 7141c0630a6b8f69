# shellcheck shell=bash
# moto server (S3, SQS, KMS in one process) for the local stack. Sourced by stack.sh after
# common.sh. Installed with pip into the project-local, git-ignored .venv/.

MOTO_VERSION=${STACK_MOTO_VERSION:-5.2.5}
MOTO_START_TIMEOUT=${STACK_MOTO_START_TIMEOUT:-60}

moto_pidfile() { echo "$STACK_DIR/moto.pid"; }
moto_metafile() { echo "$STACK_DIR/moto.meta"; }
moto_bin() { echo "$VENV/bin/moto_server"; }

moto_installed_version() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null
}

moto_installed() {
  local have
  have=$(moto_installed_version || true)
  [ -x "$(moto_bin)" ] && [ -n "$have" ] && { [ "$have" = "$MOTO_VERSION" ] || [ -f "$VENV/.moto-fallback" ]; }
}

moto_ensure_installed() {
  moto_installed && return 0
  if [ ! -x "$VENV/bin/pip" ]; then
    log "creating Python virtualenv $VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
      rm -rf "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV" || die "python3 -m venv failed; install python3-venv"
    fi
  fi
  log "installing moto[server]==$MOTO_VERSION into $VENV (pip)"
  if "$VENV/bin/pip" install -q "moto[server]==$MOTO_VERSION" >"$STACK_DIR/pip.log" 2>&1; then
    rm -f "$VENV/.moto-fallback"
  else
    warn "moto $MOTO_VERSION did not install; trying the newest moto 5.x"
    tail_log "$STACK_DIR/pip.log" 10
    "$VENV/bin/pip" install -q "moto[server]>=5.1,<6" >>"$STACK_DIR/pip.log" 2>&1 ||
      {
        tail_log "$STACK_DIR/pip.log" 30
        die "pip could not install moto[server]"
      }
    touch "$VENV/.moto-fallback"
  fi
  log "moto $(moto_installed_version) installed"
}

moto_answers() { http_get "http://127.0.0.1:$1/moto-api/" 3 >/dev/null; }

moto_ours_running() {
  local pid
  pid=$(read_pidfile "$(moto_pidfile)")
  [ -n "$pid" ] && [ -f "$(moto_metafile)" ] || return 1
  # shellcheck disable=SC1090
  . "$(moto_metafile)"
  pid_matches "$pid" "$(moto_bin)" "-p $MOTO_META_PORT "
}

moto_up() {
  if moto_ours_running; then
    MOTO_PORT=$MOTO_META_PORT
    local deadline=$(($(date +%s) + MOTO_START_TIMEOUT))
    until moto_answers "$MOTO_PORT"; do
      [ "$(date +%s)" -lt "$deadline" ] || {
        tail_log "$STACK_DIR/moto.log" 40
        die "moto (pid $(read_pidfile "$(moto_pidfile)")) runs but does not answer on 127.0.0.1:$MOTO_PORT"
      }
      sleep 0.5
    done
    log "moto already running on 127.0.0.1:$MOTO_PORT (pid $(read_pidfile "$(moto_pidfile)"))"
    return 0
  fi
  rm -f "$(moto_pidfile)" "$(moto_metafile)"
  port_busy "$MOTO_PORT" &&
    die "port 127.0.0.1:$MOTO_PORT is in use by a process this checkout did not start; stop it or set MOTO_PORT"
  moto_ensure_installed
  log "starting moto on 127.0.0.1:$MOTO_PORT"
  printf 'MOTO_META_PORT=%q\n' "$MOTO_PORT" >"$(moto_metafile)"
  # The inner shell records its own pid, then execs moto in place, so the pid file names the
  # server itself. 8>&- 9>&-: it must not hold the stack.sh lock files. setsid: the server must outlive the shell, npm or vitest process that ran `up`.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' moto "$(moto_pidfile)" \
    "$(moto_bin)" -H 127.0.0.1 -p "$MOTO_PORT" </dev/null >"$STACK_DIR/moto.log" 2>&1 8>&- 9>&- &
  local deadline=$(($(date +%s) + MOTO_START_TIMEOUT)) pid=""
  until moto_answers "$MOTO_PORT"; do
    [ -z "$pid" ] && pid=$(read_pidfile "$(moto_pidfile)")
    if { [ -n "$pid" ] && ! pid_alive "$pid"; } || [ "$(date +%s)" -ge "$deadline" ]; then
      [ -n "$pid" ] && pid_matches "$pid" "$(moto_bin)" && kill -TERM "$pid" 2>/dev/null
      rm -f "$(moto_pidfile)" "$(moto_metafile)"
      tail_log "$STACK_DIR/moto.log" 40
      die "moto failed to start on 127.0.0.1:$MOTO_PORT"
    fi
    sleep 0.3
  done
  STARTED+=(moto)
}

moto_down() {
  if [ ! -f "$(moto_metafile)" ]; then
    rm -f "$(moto_pidfile)"
    log "moto: not started from this checkout"
    return 0
  fi
  # shellcheck disable=SC1090
  . "$(moto_metafile)"
  stop_pid moto "$(read_pidfile "$(moto_pidfile)")" 20 "$(moto_bin)" "-p $MOTO_META_PORT "
  rm -f "$(moto_pidfile)" "$(moto_metafile)"
}
