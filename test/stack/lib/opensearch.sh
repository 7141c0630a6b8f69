# shellcheck shell=bash
# OpenSearch part of the local stack: download (Maven Central), unpack, optional ISM plugin,
# start as an unprivileged user, readiness, stop. Sourced by stack.sh after common.sh.
#
# Layout:
#   $M2_REPO/...                               downloaded zips (one copy per machine)
#   $STACK_BASE/opensearch-<ver>[-ism]/        unpacked, read-only install (shared by checkouts)
#   $STACK_BASE/state-<checkout hash>/<install name>/{config,data,logs,tmp}
#                                              per checkout and per install: two clones, or a
#                                              node with and without ISM, never share data
#   .stack/opensearch.{pid,meta,out}           what this checkout started

OS_CANDIDATES_3="3.9.0 3.8.0 3.7.0 3.6.0 3.5.0 3.4.0 3.3.2 3.3.0 3.2.0 3.1.0 3.0.0"
OS_MAIN_CLASS=org.opensearch.bootstrap.OpenSearch
OS_CLUSTER_NAME=recording-audit
OS_START_TIMEOUT=${STACK_OPENSEARCH_START_TIMEOUT:-180}
OS_HEAP=${STACK_OPENSEARCH_HEAP:-512m}

os_pidfile() { echo "$STACK_DIR/opensearch.pid"; }
os_metafile() { echo "$STACK_DIR/opensearch.meta"; }

# Path of an artifact in the local Maven repository.
m2_path() { # group artifact version ext
  echo "$M2_REPO/${1//.//}/$2/$3/$2-$3.$4"
}

# Resolve group:artifact:version:zip into the local Maven repository (no-op when cached).
mvn_fetch() { # group artifact version
  local path
  path=$(m2_path "$1" "$2" "$3" zip)
  [ -s "$path" ] && return 0
  ensure_cmd mvn maven
  log "downloading $1:$2:$3:zip (Maven Central)"
  mkdir -p "$STACK_BASE/mvn"
  if (cd "$STACK_BASE/mvn" && mvn -q -B -Dmaven.repo.local="$M2_REPO" dependency:get \
    -Dartifact="$1:$2:$3:zip" -Dtransitive=false) >"$STACK_BASE/mvn/last.log" 2>&1 && [ -s "$path" ]; then
    return 0
  fi
  log "  not available: $1:$2:$3:zip"
  return 1
}

# First JDK home found whose `java -version` major is within [min, max].
find_java_home() { # min max candidate-dir...
  local min=$1 max=$2 dir major
  shift 2
  for dir in "$@"; do
    if [ -z "$dir" ] || [ ! -x "$dir/bin/java" ]; then continue; fi
    major=$("$dir/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1)
    [ -n "$major" ] && [ "$major" -ge "$min" ] && [ "$major" -le "$max" ] && {
      echo "$dir"
      return 0
    }
  done
  return 1
}

os_java_home() { # version
  local sys_java=""
  command -v java >/dev/null 2>&1 && sys_java=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  # shellcheck disable=SC2046
  if [ "${1%%.*}" -lt 3 ]; then
    find_java_home 11 21 "${JAVA17_HOME:-}" $(ls -d /usr/lib/jvm/java-17-* 2>/dev/null) \
      "${JAVA_HOME:-}" "$sys_java" $(ls -d /usr/lib/jvm/* 2>/dev/null)
  else
    find_java_home 21 99 "${JAVA21_HOME:-}" $(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null) \
      "${JAVA_HOME:-}" "$sys_java" $(ls -d /usr/lib/jvm/* 2>/dev/null)
  fi
}

os_java_missing() { # version
  if [ "${1%%.*}" -lt 3 ]; then
    echo "OpenSearch $1 needs a JDK 11-21 and none was found (looked at JAVA17_HOME, /usr/lib/jvm/*, JAVA_HOME, java on the PATH)"
  else
    echo "OpenSearch $1 needs a JDK 21 or newer and none was found (looked at JAVA21_HOME, /usr/lib/jvm/temurin-25*, JAVA_HOME, java on the PATH, /usr/lib/jvm/*); install one (Debian: openjdk-21-jdk-headless or a Temurin JDK) or set JAVA21_HOME"
  fi
}

# Sets OS_VER: OPENSEARCH_VERSION pins one version (e.g. 2.19.6, Java 17); otherwise the newest 3.x
# integ-test-zip that is cached or resolves from Maven Central (3.x needs Java 21+).
os_select_version() {
  local v
  local g=org.opensearch.distribution.integ-test-zip
  if [ -n "${OPENSEARCH_VERSION:-}" ]; then
    mvn_fetch "$g" opensearch "$OPENSEARCH_VERSION" || die "OpenSearch $OPENSEARCH_VERSION is not available"
    OS_VER=$OPENSEARCH_VERSION
    return 0
  fi
  # A cached version wins before any network look-up: a machine keeps the one it resolved first.
  for v in $OS_CANDIDATES_3; do
    if [ -s "$(m2_path "$g" opensearch "$v" zip)" ]; then
      OS_VER=$v
      return 0
    fi
  done
  for v in $OS_CANDIDATES_3; do
    if mvn_fetch "$g" opensearch "$v"; then
      OS_VER=$v
      return 0
    fi
  done
  die "no OpenSearch 3.x integ-test-zip resolved from Maven Central (tried $OS_CANDIDATES_3); see $STACK_BASE/mvn/last.log. Pin one with OPENSEARCH_VERSION."
}

# Unpack the bare distribution once per machine; prints its directory.
os_install_bare() { # version
  local ver=$1 dest="$STACK_BASE/opensearch-$1" tmp
  if [ ! -x "$dest/bin/opensearch" ]; then
    ensure_cmd unzip
    log "unpacking OpenSearch $ver into $dest"
    tmp=$(mktemp -d "$STACK_BASE/.unpack-XXXXXX")
    unzip -q "$(m2_path org.opensearch.distribution.integ-test-zip opensearch "$ver" zip)" -d "$tmp"
    chmod -R a+rX "$tmp"
    rm -rf "$dest"
    mv "$tmp/opensearch-$ver" "$dest"
    rm -rf "$tmp"
  fi
  echo "$dest"
}

# Build the ISM variant (job-scheduler + index-management installed) once per machine.
# Returns non-zero when the plugins are not published for this version or do not install; the
# outcome is remembered in a marker file so later runs do not retry (STACK_RETRY_ISM=1 does).
os_install_ism() { # version bare-dir
  local ver=$1 bare=$2 dest="$STACK_BASE/opensearch-$1-ism" marker="$STACK_BASE/opensearch-$1-ism.unavailable"
  local pv="$ver.0" tmp js ism java_home
  [ -x "$dest/bin/opensearch" ] && [ -d "$dest/plugins/opensearch-index-management" ] && return 0
  [ "${STACK_RETRY_ISM:-0}" = 1 ] && rm -f "$marker" "$STACK_BASE/opensearch-$ver-ism.failed"
  [ -f "$marker" ] && return 1
  log "ISM: looking for opensearch-job-scheduler and opensearch-index-management $pv"
  # index-management first: it is the one that may be missing, and job-scheduler alone is useless.
  if ! mvn_fetch org.opensearch.plugin opensearch-index-management "$pv" ||
    ! mvn_fetch org.opensearch.plugin opensearch-job-scheduler "$pv"; then
    echo "plugin zips for $pv not published on Maven Central ($(date -u +%FT%TZ))" >"$marker"
    return 1
  fi
  js=$(m2_path org.opensearch.plugin opensearch-job-scheduler "$pv" zip)
  ism=$(m2_path org.opensearch.plugin opensearch-index-management "$pv" zip)
  java_home=$(os_java_home "$ver") || die "$(os_java_missing "$ver")"
  tmp=$(mktemp -d "$STACK_BASE/.ism-XXXXXX")
  cp -a "$bare/." "$tmp/"
  log "ISM: installing plugins into a copy of the distribution"
  if OPENSEARCH_JAVA_HOME=$java_home "$tmp/bin/opensearch-plugin" install --batch "file://$js" >"$tmp/plugin-install.log" 2>&1 &&
    OPENSEARCH_JAVA_HOME=$java_home "$tmp/bin/opensearch-plugin" install --batch "file://$ism" >>"$tmp/plugin-install.log" 2>&1; then
    chmod -R a+rX "$tmp"
    rm -rf "$dest"
    mv "$tmp" "$dest"
    return 0
  fi
  warn "ISM: plugin install failed; using the bare distribution"
  tail_log "$tmp/plugin-install.log" 20
  echo "plugin install failed ($(date -u +%FT%TZ))" >"$marker"
  rm -rf "$tmp"
  return 1
}

ensure_os_user() {
  is_root || return 0
  id -u "$OS_USER" >/dev/null 2>&1 && return 0
  log "creating system user $OS_USER (OpenSearch refuses to run as root)"
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$OS_USER"
}

# Per-checkout config/data/logs for one install; prints the directory.
os_prepare_state() { # install-dir
  local home=$1 vdir
  vdir="$STACK_STATE/$(basename "$home")"
  mkdir -p "$vdir/config" "$vdir/data" "$vdir/logs" "$vdir/tmp"
  # Refresh the config from the install on every start but keep the node's own keystore.
  cp -a "$home/config/." "$vdir/config/"
  # Relative paths in jvm.options resolve against the working directory, which is the read-only
  # install; point them at this checkout's state instead. Heap comes from OPENSEARCH_JAVA_OPTS.
  sed -i -e "s#HeapDumpPath=data#HeapDumpPath=$vdir/data#" \
    -e "s#logs/hs_err_pid#$vdir/logs/hs_err_pid#" \
    -e "s#file=logs/gc.log#file=$vdir/logs/gc.log#" \
    -e "s#loggc:logs/gc.log#loggc:$vdir/logs/gc.log#" \
    -e "s#^-Xms.*#-Xms$OS_HEAP#" -e "s#^-Xmx.*#-Xmx$OS_HEAP#" "$vdir/config/jvm.options"
  if is_root; then chown -R "$OS_USER:" "$STACK_STATE"; fi
  echo "$vdir"
}

os_health_ok() { http_get "http://127.0.0.1:$1/_cluster/health?wait_for_status=yellow&timeout=2s" 5 >/dev/null; }

os_version_at() { http_get "http://127.0.0.1:$1/" | json_field "d['version']['number']" 2>/dev/null; }

os_ism_at() {
  http_get "http://127.0.0.1:$1/_cat/plugins?format=json" |
    json_field "'true' if any(p.get('component') == 'opensearch-index-management' for p in d) else 'false'" 2>/dev/null
}

# Start one install and wait for yellow health. On failure stops what it started, prints the
# log tail and returns 1.
os_start() { # install-dir version
  local home=$1 ver=$2 vdir java_home pid="" rc=0 deadline
  java_home=$(os_java_home "$ver") || die "$(os_java_missing "$ver")"
  vdir=$(os_prepare_state "$home")
  rm -f "$vdir/opensearch.pid"
  # Meta first: should this script die while waiting, `down` can still find and stop the node.
  printf 'OS_META_HOME=%q\nOS_META_STATE=%q\nOS_META_PORT=%q\nOS_META_VERSION=%q\n' \
    "$home" "$vdir" "$OS_PORT" "$ver" >"$(os_metafile)"
  log "starting OpenSearch $ver ($(basename "$home"), Java $java_home) on 127.0.0.1:$OS_PORT"
  local -a run=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$vdir" LANG=C.UTF-8
    OPENSEARCH_JAVA_HOME="$java_home" OPENSEARCH_PATH_CONF="$vdir/config"
    OPENSEARCH_TMPDIR="$vdir/tmp" OPENSEARCH_JAVA_OPTS="-Xms$OS_HEAP -Xmx$OS_HEAP"
    "$home/bin/opensearch" -d -p "$vdir/opensearch.pid"
    -E cluster.name="$OS_CLUSTER_NAME" -E node.name=local
    -E discovery.type=single-node -E network.host=127.0.0.1
    -E http.port="$OS_PORT" -E transport.port="$OS_TRANSPORT_PORT"
    -E cluster.routing.allocation.disk.threshold_enabled=false
    -E path.data="$vdir/data" -E path.logs="$vdir/logs")
  if is_root; then run=(runuser -u "$OS_USER" -- "${run[@]}"); fi
  # setsid: the node must outlive the shell, npm or vitest process that ran `up`.
  # 8>&- 9>&-: the node must not inherit (and so hold forever) the stack.sh lock files.
  (cd "$home" && exec setsid "${run[@]}") </dev/null >"$STACK_DIR/opensearch.out" 2>&1 8>&- 9>&- || rc=$?
  local started_at
  started_at=$(date +%s)
  deadline=$((started_at + OS_START_TIMEOUT))
  while [ "$rc" -eq 0 ]; do
    [ -z "$pid" ] && pid=$(read_pidfile "$vdir/opensearch.pid")
    if os_health_ok "$OS_PORT"; then
      [ -z "$pid" ] && pid=$(read_pidfile "$vdir/opensearch.pid")
      [ -n "$pid" ] || {
        rc=1
        break
      }
      echo "$pid" >"$(os_pidfile)"
      ln -sfn "$vdir/logs" "$STACK_DIR/opensearch-logs"
      return 0
    fi
    if [ -n "$pid" ] && ! pid_alive "$pid"; then
      rc=1
      break
    fi
    # The JVM writes its pid file early in bootstrap; none after a minute means it never got there.
    if [ -z "$pid" ] && [ "$(($(date +%s) - started_at))" -ge 60 ]; then
      rc=1
      break
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      warn "OpenSearch did not reach yellow health within ${OS_START_TIMEOUT}s"
      rc=1
      break
    fi
    sleep 1
  done
  warn "OpenSearch $ver ($(basename "$home")) failed to start"
  [ -n "$pid" ] || pid=$(read_pidfile "$vdir/opensearch.pid")
  if [ -n "$pid" ] && pid_matches "$pid" "$OS_MAIN_CLASS" "-Dopensearch.path.conf=$vdir/config"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i=0
    while pid_alive "$pid" && [ "$i" -lt 150 ]; do
      sleep 0.2
      i=$((i + 1))
    done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$(os_metafile)" "$(os_pidfile)"
  tail_log "$STACK_DIR/opensearch.out" 20
  tail_log "$vdir/logs/$OS_CLUSTER_NAME.log" 40
  return 1
}

# The pid of the node this checkout started: our copy, else the node's own pid file (when `up`
# died before copying it). Loads the meta (OS_META_*). Empty when nothing was started.
os_pid() {
  [ -f "$(os_metafile)" ] || return 0
  # shellcheck disable=SC1090
  . "$(os_metafile)"
  local pid
  pid=$(read_pidfile "$(os_pidfile)")
  [ -n "$pid" ] || pid=$(read_pidfile "$OS_META_STATE/opensearch.pid")
  echo "$pid"
}

os_match() { pid_matches "$1" "$OS_MAIN_CLASS" "-Dopensearch.path.conf=$OS_META_STATE/config"; }

os_ours_running() {
  local pid
  pid=$(os_pid)
  [ -n "$pid" ] || return 1
  # shellcheck disable=SC1090
  . "$(os_metafile)"
  os_match "$pid"
}

os_up() {
  if os_ours_running; then
    OS_PORT=$OS_META_PORT
    local deadline=$(($(date +%s) + OS_START_TIMEOUT))
    until os_health_ok "$OS_PORT"; do
      [ "$(date +%s)" -lt "$deadline" ] || {
        tail_log "$STACK_DIR/opensearch-logs/$OS_CLUSTER_NAME.log" 40
        die "OpenSearch (pid $(os_pid)) runs but does not answer on 127.0.0.1:$OS_PORT"
      }
      sleep 1
    done
    os_pid >"$(os_pidfile)"
    log "OpenSearch already running on 127.0.0.1:$OS_PORT (pid $(os_pid))"
    return 0
  fi
  rm -f "$(os_pidfile)" "$(os_metafile)"
  if port_busy "$OS_PORT" || port_busy "$OS_TRANSPORT_PORT"; then
    die "port 127.0.0.1:$OS_PORT or :$OS_TRANSPORT_PORT is in use by a process this checkout did not start; stop it or set OPENSEARCH_PORT / OPENSEARCH_TRANSPORT_PORT"
  fi
  os_select_version
  ensure_os_user
  local bare ism_home="$STACK_BASE/opensearch-$OS_VER-ism" failed="$STACK_BASE/opensearch-$OS_VER-ism.failed"
  bare=$(os_install_bare "$OS_VER")
  if [ "${STACK_ISM:-1}" != 0 ] && os_install_ism "$OS_VER" "$bare"; then
    if [ ! -f "$failed" ]; then
      os_start "$ism_home" "$OS_VER" && { STARTED+=(opensearch); return 0; }
      echo "node did not start with ISM ($(date -u +%FT%TZ))" >"$failed"
      warn "ISM: the node does not start with the ISM plugins; falling back to the bare distribution (OPENSEARCH_ISM=false)"
    else
      log "ISM: skipped, the node failed to start with it before ($failed)"
    fi
  else
    log "ISM: plugins not available for $OS_VER; running the bare distribution (OPENSEARCH_ISM=false)"
  fi
  os_start "$bare" "$OS_VER" || die "OpenSearch failed to start; full logs in $STACK_DIR/opensearch.out and $STACK_DIR/opensearch-logs/"
  STARTED+=(opensearch)
}

os_down() {
  local pid
  pid=$(os_pid)
  if [ ! -f "$(os_metafile)" ]; then
    log "opensearch: not started from this checkout"
  else
    # shellcheck disable=SC1090
    . "$(os_metafile)"
    stop_pid opensearch "$pid" 60 "$OS_MAIN_CLASS" "-Dopensearch.path.conf=$OS_META_STATE/config"
  fi
  rm -f "$(os_pidfile)" "$(os_metafile)"
}
