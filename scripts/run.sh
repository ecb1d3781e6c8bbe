#!/usr/bin/env bash
# `make run`: migrate, load the demo data, then run the web app, a Celery worker and Celery beat
# together. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
export FLASK_APP=app
mkdir -p instance

echo "== database: ${DATABASE_URL:-SQLite file instance/bangban.sqlite}"
echo "== broker:   ${REDIS_URL:-embedded (kombu SQLAlchemy transport, instance/celery-broker.sqlite)}"
"$BIN/flask" db upgrade
"$BIN/flask" sync-perms
"$BIN/flask" seed-demo

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# The embedded broker polls a SQLite file: one process, threads, to keep it simple and quiet.
if [ -z "${REDIS_URL:-}" ]; then POOL="--pool=threads --concurrency=2"; else POOL="--concurrency=2"; fi
"$BIN/celery" --quiet -A celery_worker.celery worker $POOL --loglevel=WARNING &
pids+=($!)
"$BIN/celery" --quiet -A celery_worker.celery beat --loglevel=WARNING \
  --schedule instance/celerybeat-schedule &
pids+=($!)
"$BIN/gunicorn" --bind "$HOST:$PORT" --workers 2 --timeout 60 --access-logfile - "app:create_app()" &
pids+=($!)

sleep 5
cat <<TXT

  帮办代办服务管理系统 is running: http://$HOST:$PORT/
  Log in (all demo passwords: BangBan@2026):
    admin              系统管理员 (Admin, sees everything)
    city_manager       台山市政务服务中心 manager
    city_leader        台山市政务服务中心 leader (read-only)
    city_specialist    台山市政务服务中心 specialist
    town01_manager     大江镇便民服务中心 manager      (town00..town16: 台城街道 and the 16 towns)
    town01_specialist  大江镇便民服务中心 specialist
    village00_specialist  桥湖社区便民服务站 specialist (village00..village03)
  Ctrl-C stops the web app, the worker and beat.
TXT
wait -n "${pids[@]}"
