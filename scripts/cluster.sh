#!/usr/bin/env bash
# Local rehearsal of the scaled-out deployment, on loopback: nginx (Debian's package) in front of
# WORKERS gunicorn processes (-k gevent -w 1) + the machine's PostgreSQL and Redis.
#
#   scripts/cluster.sh start   # (default) start everything, wait until it answers, print the URL
#   scripts/cluster.sh stop    # stop the processes this script started (by their pid files); refuses a PORT
#                              # with none running and lists the clusters that are
#   scripts/cluster.sh status
#   scripts/cluster.sh list    # the clusters running from instance/cluster-*
#
# Environment (defaults in brackets):
#   WORKERS [2]          app processes, on ports APP_PORT, APP_PORT+1, ...
#   PORT [8080]          nginx port         APP_PORT [8101]
#   DATABASE_URL [postgresql+psycopg://postgres@127.0.0.1:5432/workshop_cluster] (created if missing)
#   REDIS_URL [redis://127.0.0.1:6379/0]    REDIS_NAMESPACE [cluster-$PORT] (keys and channel)
#   STICKY [ip_hash]     ip_hash, as in production; `header` hashes remote address + X-Sticky header
#                        so scripted clients on one loopback address spread over the processes
#   RUN_DIR [instance/cluster-$PORT]  pid files, logs, control sockets and the rendered nginx config
#   STOP_TIMEOUT [25]    seconds `stop` waits after SIGTERM (gunicorn's graceful_timeout is 20) before SIGKILL
#   WORKSHOP_ADMIN_EMAIL, WORKSHOP_ADMIN_PASSWORD: the facilitator login (else one is generated and printed once)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORKERS=${WORKERS:-2}
PORT=${PORT:-8080}
APP_PORT=${APP_PORT:-8101}
DATABASE_URL=${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/workshop_cluster}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
REDIS_NAMESPACE=${REDIS_NAMESPACE:-cluster-$PORT}
STICKY=${STICKY:-ip_hash}
RUN_DIR=${RUN_DIR:-$ROOT/instance/cluster-$PORT}
STOP_TIMEOUT=${STOP_TIMEOUT:-25}
BIN=$ROOT/.venv/bin
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
export DATABASE_URL REDIS_URL REDIS_NAMESPACE BEHIND_PROXY=1 FLASK_APP=workshop

die() { echo "cluster: $*" >&2; exit 1; }

wait_http() {  # url seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

ensure_database() {
  "$BIN/python" - "$DATABASE_URL" <<'PY'
import sys
import psycopg
from psycopg import sql
url = sys.argv[1].replace("+psycopg", "")
if url.startswith("postgresql"):
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
PY
}

render_nginx() {
  local servers="" i
  for ((i = 0; i < WORKERS; i++)); do
    servers+="server 127.0.0.1:$((APP_PORT + i)) max_fails=1 fail_timeout=5s;"$'\n    '
  done
  local sticky="ip_hash;"
  [ "$STICKY" = header ] && sticky='hash "$remote_addr$http_x_sticky" consistent;'
  mkdir -p "$RUN_DIR/nginx-temp"
  SERVERS="$servers" STICKY_LINE="$sticky" LISTEN="127.0.0.1:$PORT" STATIC_ROOT="$ROOT/workshop/static" \
    "$BIN/python" - "$ROOT/deploy/nginx.conf" > "$RUN_DIR/site.conf" <<'PY'
import os, sys
text = open(sys.argv[1]).read()
text = text.replace("ip_hash;  # STICKY", os.environ["STICKY_LINE"])
for key in ("SERVERS", "LISTEN", "STATIC_ROOT"):
    text = text.replace(f"@{key}@", os.environ[key].rstrip())
print(text.replace("@SERVER_NAME@", "localhost"))
PY
  cat > "$RUN_DIR/nginx.conf" <<CONF
worker_processes 1;
pid $RUN_DIR/nginx.pid;
error_log $RUN_DIR/nginx-error.log warn;
events { worker_connections 20000; }
worker_rlimit_nofile 50000;
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path $RUN_DIR/nginx-temp/body;
    proxy_temp_path $RUN_DIR/nginx-temp/proxy;
    fastcgi_temp_path $RUN_DIR/nginx-temp/fastcgi;
    uwsgi_temp_path $RUN_DIR/nginx-temp/uwsgi;
    scgi_temp_path $RUN_DIR/nginx-temp/scgi;
    include $RUN_DIR/site.conf;
}
CONF
  [ "$(id -u)" = 0 ] && sed -i "1i user root;" "$RUN_DIR/nginx.conf"  # static files under /work
  "$NGINX" -t -q -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR" || die "nginx config test failed ($RUN_DIR/nginx.conf)"
}

start() {
  [ -x "$NGINX" ] || die "nginx is missing: apt-get install -y nginx-light"
  [ -x "$BIN/gunicorn" ] || die "no venv: run make setup first"
  [ -f "$RUN_DIR/nginx.pid" ] && kill -0 "$(cat "$RUN_DIR/nginx.pid")" 2>/dev/null && die "already running ($RUN_DIR); stop it first"
  mkdir -p "$RUN_DIR"
  ulimit -n 65536 2>/dev/null || true
  ensure_database
  "$BIN/flask" setup > "$RUN_DIR/setup.log" 2>&1 || { cat "$RUN_DIR/setup.log" >&2; die "flask setup failed"; }
  local i port
  for ((i = 0; i < WORKERS; i++)); do
    port=$((APP_PORT + i))
    PORT=$port PROC_NAME="workshop-$port" "$BIN/gunicorn" -c deploy/gunicorn.conf.py --daemon \
      --pid "$RUN_DIR/app-$port.pid" --error-logfile "$RUN_DIR/app-$port.log" \
      --control-socket "$RUN_DIR/app-$port.ctl" wsgi:app
  done
  render_nginx
  "$NGINX" -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR"
  for ((i = 0; i < WORKERS; i++)); do
    port=$((APP_PORT + i))
    wait_http "http://127.0.0.1:$port/" 30 || die "process on :$port did not answer ($RUN_DIR/app-$port.log)"
  done
  wait_http "http://127.0.0.1:$PORT/" 10 || die "nginx on :$PORT did not answer ($RUN_DIR/nginx-error.log)"
  echo "cluster: http://127.0.0.1:$PORT/ -> $WORKERS processes on 127.0.0.1:$APP_PORT..$((APP_PORT + WORKERS - 1))" \
       "(db ${DATABASE_URL##*/}, redis $REDIS_URL, sticky $STICKY; logs in $RUN_DIR)"
  print_login
  echo "cluster: stop it with: make cluster-stop PORT=$PORT"
}

print_login() {  # the facilitator login, from the environment or from what `flask setup` printed this time
  local line
  if [ -n "${WORKSHOP_ADMIN_EMAIL:-}" ] && [ -n "${WORKSHOP_ADMIN_PASSWORD:-}" ]; then
    echo "cluster: facilitator login: $WORKSHOP_ADMIN_EMAIL with the password in WORKSHOP_ADMIN_PASSWORD"
  elif line=$(grep -m1 "Facilitator login:" "$RUN_DIR/setup.log"); then
    echo "cluster: ${line#"${line%%[![:space:]]*}"} (shown once; also in $RUN_DIR/setup.log)"
  else
    echo "cluster: facilitator login: the account generated when this database was first set up (its password" \
         "was printed then). Choose one: WORKSHOP_ADMIN_EMAIL=you@example.org WORKSHOP_ADMIN_PASSWORD=... make cluster," \
         "or DATABASE_URL=$DATABASE_URL $BIN/flask --app workshop create-facilitator"
  fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }  # pidfile: its process runs

running_clusters() {  # the run directory of each cluster under instance/ with a live nginx or app process
  local dir pidfile
  for dir in "$ROOT"/instance/cluster-*/; do
    [ -d "$dir" ] || continue
    for pidfile in "$dir"nginx.pid "$dir"app-*.pid; do
      if alive "$pidfile"; then echo "${dir%/}"; break; fi
    done
  done
}

list() {
  local dirs dir
  dirs=$(running_clusters)
  if [ -z "$dirs" ]; then echo "cluster: none running (under $ROOT/instance/)"; return 0; fi
  for dir in $dirs; do
    echo "running: PORT=${dir##*/cluster-}  http://127.0.0.1:${dir##*/cluster-}/  ($dir)"
  done
}

stop_pid() {  # name pid: SIGTERM was sent; wait for the process, SIGKILL it (and its children) only if needed
  local waited
  for ((waited = 0; waited < STOP_TIMEOUT * 10; waited++)); do
    kill -0 "$2" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "cluster: $1 (pid $2) still running ${STOP_TIMEOUT} s after SIGTERM: sending SIGKILL" >&2
  pkill -KILL -P "$2" 2>/dev/null || true
  kill -KILL "$2" 2>/dev/null || true
}

stop() {
  local pidfile pid names=() pids=() i
  for pidfile in "$RUN_DIR"/nginx.pid "$RUN_DIR"/app-*.pid; do
    if alive "$pidfile"; then names+=("$(basename "$pidfile" .pid)"); pids+=("$(cat "$pidfile")"); fi
  done
  if [ ${#pids[@]} = 0 ]; then
    rm -f "$RUN_DIR"/nginx.pid "$RUN_DIR"/app-*.pid
    echo "cluster: nothing running for PORT=$PORT ($RUN_DIR)" >&2
    list >&2
    if [ -n "$(running_clusters)" ]; then echo "cluster: stop one with: make cluster-stop PORT=<its port>" >&2; fi
    exit 1
  fi
  # nginx (listed first) goes first: it closes the clients' websockets, so the app processes' graceful
  # shutdown then has no open connection to wait for; then every app process at once.
  if [ "${names[0]}" = nginx ]; then
    kill -TERM "${pids[0]}" 2>/dev/null || true
    stop_pid nginx "${pids[0]}"
  fi
  for ((i = 0; i < ${#pids[@]}; i++)); do
    if [ "${names[i]}" != nginx ]; then kill -TERM "${pids[i]}" 2>/dev/null || true; fi
  done
  for ((i = 0; i < ${#pids[@]}; i++)); do
    if [ "${names[i]}" != nginx ]; then stop_pid "${names[i]}" "${pids[i]}"; fi
  done
  rm -f "$RUN_DIR"/nginx.pid "$RUN_DIR"/app-*.pid
  echo "cluster: stopped PORT=$PORT ($RUN_DIR)"
}

status() {
  local pidfile
  for pidfile in "$RUN_DIR"/app-*.pid "$RUN_DIR"/nginx.pid; do
    [ -f "$pidfile" ] || continue
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "up   $(basename "$pidfile" .pid)"; else echo "down $(basename "$pidfile" .pid)"; fi
  done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  list) list ;;
  *) die "usage: $0 [start|stop|status|list]" ;;
esac
