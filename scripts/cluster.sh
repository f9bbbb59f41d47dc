#!/usr/bin/env bash
# Local rehearsal of the scaled-out deployment, on loopback: nginx (Debian's package) in front of
# WORKERS gunicorn processes (-k gevent -w 1) + the machine's PostgreSQL and Redis.
#
#   scripts/cluster.sh start   # (default) start everything, wait until it answers, print the URL
#   scripts/cluster.sh stop    # stop the processes this script started (by their pid files)
#   scripts/cluster.sh status
#
# Environment (defaults in brackets):
#   WORKERS [2]          app processes, on ports APP_PORT, APP_PORT+1, ...
#   PORT [8080]          nginx port         APP_PORT [8101]
#   DATABASE_URL [postgresql+psycopg://postgres@127.0.0.1:5432/workshop_cluster] (created if missing)
#   REDIS_URL [redis://127.0.0.1:6379/0]    REDIS_NAMESPACE [cluster-$PORT] (keys and channel)
#   STICKY [ip_hash]     ip_hash, as in production; `header` hashes remote address + X-Sticky header
#                        so scripted clients on one loopback address spread over the processes
#   RUN_DIR [instance/cluster-$PORT]  pid files, logs and the rendered nginx config
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
      --pid "$RUN_DIR/app-$port.pid" --error-logfile "$RUN_DIR/app-$port.log" wsgi:app
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
}

stop() {
  local pidfile pid
  for pidfile in "$RUN_DIR"/app-*.pid "$RUN_DIR"/nginx.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  echo "cluster: stopped ($RUN_DIR)"
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
  *) die "usage: $0 [start|stop|status]" ;;
esac
