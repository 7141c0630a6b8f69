#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local test stack for recording-audit: one real OpenSearch node and one moto server (S3, SQS,
# KMS), both on 127.0.0.1, no Docker.
#
#   stack.sh up [opensearch|moto]...    start what is not running (idempotent), write .stack/env
#   stack.sh down [opensearch|moto]...  stop exactly what this checkout started
#   stack.sh status                     endpoints and whether they answer (exit 0 = all answer)
#
# Environment: OPENSEARCH_PORT (19200), OPENSEARCH_TRANSPORT_PORT (19300), MOTO_PORT (15000),
# OPENSEARCH_VERSION (pin a version), STACK_ISM=0 (skip the ISM plugins), STACK_RETRY_ISM=1,
# STACK_BASE_DIR (/var/tmp/recording-audit), STACK_M2_REPO (~/.m2/repository),
# STACK_OS_USER (recaudit-os), STACK_OPENSEARCH_HEAP (512m), STACK_MOTO_VERSION (5.2.5).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
STACK_DIR="$ROOT/.stack"
VENV="$ROOT/.venv"

OS_PORT=${OPENSEARCH_PORT:-19200}
OS_TRANSPORT_PORT=${OPENSEARCH_TRANSPORT_PORT:-19300}
MOTO_PORT=${MOTO_PORT:-15000}
OS_USER=${STACK_OS_USER:-recaudit-os}
if [ "$(id -u)" -eq 0 ]; then
  STACK_BASE=${STACK_BASE_DIR:-/var/tmp/recording-audit}
else
  STACK_BASE=${STACK_BASE_DIR:-/var/tmp/recording-audit-$(id -un)}
fi
M2_REPO=${STACK_M2_REPO:-$HOME/.m2/repository}
# Data and config are per checkout: two clones on one machine never share an index.
STACK_STATE="$STACK_BASE/state-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
STARTED=()

# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/opensearch.sh
. "$HERE/lib/opensearch.sh"
# shellcheck source=lib/moto.sh
. "$HERE/lib/moto.sh"

ENV_FILE="$STACK_DIR/env"

components() { # validates and echoes the requested components (default: all)
  if [ "$#" -eq 0 ]; then
    echo "opensearch moto"
    return 0
  fi
  local c
  for c in "$@"; do
    case "$c" in
      opensearch | moto) ;;
      *) die "unknown component '$c' (expected opensearch or moto)" ;;
    esac
  done
  echo "$*"
}

take_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  flock -w 900 9 || die "another stack.sh holds $STACK_DIR/.lock"
}

write_env() {
  local version ism tmp
  version=$(os_version_at "$OS_PORT") || die "OpenSearch answers but GET / gave no version"
  ism=$(os_ism_at "$OS_PORT") || ism=false
  tmp=$(mktemp "$STACK_DIR/.env-XXXXXX")
  cat >"$tmp" <<EOF
# Written by test/stack/stack.sh up. Load with: set -a; . .stack/env; set +a
AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
OPENSEARCH_URL=http://127.0.0.1:$OS_PORT
OPENSEARCH_ISM=$ism
OPENSEARCH_VERSION=$version
EOF
  chmod 644 "$tmp"
  mv "$tmp" "$ENV_FILE"
}

cmd_up() {
  local want
  want=$(components "$@")
  take_lock
  ensure_cmd curl
  ensure_cmd python3
  ensure_cmd setsid util-linux
  ensure_cmd flock util-linux
  mkdir -p "$STACK_BASE"
  chmod 755 "$STACK_BASE"
  # pip (moto) and Maven (OpenSearch) downloads are the slow part of a first `up`: overlap them.
  local pip_job=""
  if [[ " $want " == *" moto "* ]] && ! moto_ours_running && ! moto_installed; then
    moto_ensure_installed &
    pip_job=$!
  fi
  if [[ " $want " == *" opensearch "* ]]; then
    # Machine-wide lock: two checkouts must not unpack the same install at once.
    exec 8>"$STACK_BASE/.install.lock"
    flock -w 900 8 || die "timed out waiting for $STACK_BASE/.install.lock"
    os_up
    exec 8>&-
  fi
  if [ -n "$pip_job" ]; then wait "$pip_job" || die "installing moto failed (see $STACK_DIR/pip.log)"; fi
  [[ " $want " == *" moto "* ]] && moto_up
  # A partial `up moto` still needs OpenSearch for the env file; skip it when that is not ours.
  if os_ours_running && moto_ours_running; then
    OS_PORT=$OS_META_PORT
    MOTO_PORT=$MOTO_META_PORT
    write_env
  fi
  echo "${STARTED[*]:-}" >"$STACK_DIR/last-up-started"
  log "stack is up${STARTED[*]:+ (started: ${STARTED[*]})}"
  [ -f "$ENV_FILE" ] && sed -n 's/^\([A-Z_]*\)=/  \1=/p' "$ENV_FILE" | grep -v SECRET >&2
  return 0
}

cmd_down() {
  local want
  want=$(components "$@")
  take_lock
  [[ " $want " == *" moto "* ]] && moto_down
  [[ " $want " == *" opensearch "* ]] && os_down
  # The env file describes a running stack; once a part is down it would mislead.
  rm -f "$ENV_FILE"
  return 0
}

env_value() { [ -f "$ENV_FILE" ] && sed -n "s/^$1=//p" "$ENV_FILE" | head -n1; }

cmd_status() {
  local os_url moto_url ok=0 body health ism ours
  os_url=$(env_value OPENSEARCH_URL || true)
  moto_url=$(env_value AWS_ENDPOINT_URL || true)
  [ -n "$os_url" ] || os_url="http://127.0.0.1:$OS_PORT"
  [ -n "$moto_url" ] || moto_url="http://127.0.0.1:$MOTO_PORT"

  ours="not started from this checkout"
  if os_ours_running; then ours="pid $(os_pid), started from this checkout"; fi
  if body=$(http_get "$os_url/"); then
    health=$(http_get "$os_url/_cluster/health" | json_field "d['status']" || echo "?")
    ism=$(os_ism_at "${os_url##*:}" || echo "?")
    printf 'opensearch  %-24s UP    version %s, health %s, ISM %s (%s)\n' "$os_url" \
      "$(printf '%s' "$body" | json_field "d['version']['number']")" "$health" "$ism" "$ours"
  else
    printf 'opensearch  %-24s DOWN  (%s)\n' "$os_url" "$ours"
    ok=1
  fi

  ours="not started from this checkout"
  if moto_ours_running; then ours="pid $(read_pidfile "$(moto_pidfile)"), started from this checkout"; fi
  if http_get "$moto_url/moto-api/" >/dev/null; then
    printf 'moto        %-24s UP    moto %s, S3 + SQS + KMS (%s)\n' "$moto_url" \
      "$(moto_installed_version || echo '?')" "$ours"
  else
    printf 'moto        %-24s DOWN  (%s)\n' "$moto_url" "$ours"
    ok=1
  fi
  if [ -f "$ENV_FILE" ]; then echo "env file    $ENV_FILE"; else echo "env file    (none; run: npm run stack:up)"; fi
  return "$ok"
}

case "${1:-}" in
  up) shift && cmd_up "$@" ;;
  down) shift && cmd_down "$@" ;;
  status) shift && cmd_status ;;
  *)
    echo "usage: $0 up|down|status [opensearch|moto]..." >&2
    exit 2
    ;;
esac
