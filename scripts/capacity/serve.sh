#!/usr/bin/env bash
# Start the app as in production for a capacity rehearsal, on a fresh database.
#   scripts/capacity/serve.sh SERVER PORT GROUPS      SERVER: uvicorn-N (N workers) or daphne
# Prints the join code and the server's pid; the server's log goes to /tmp/cap-server-PORT.log.
# Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL; defaults below).
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVER=${1:-uvicorn-2}; PORT=${2:-8070}; NGROUPS=${3:-100}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cap}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/4}
export DEBUG=false SECRET_KEY=${SECRET_KEY:-capacity-rehearsal-not-secret-0123456789abcdefghijklmnop}
# Plain http on the loopback: no TLS redirect, cookies not limited to https.
export SECURE_SSL_REDIRECT=false SECURE_COOKIES=false SECURE_HSTS_SECONDS=0
export ALLOWED_HOSTS=127.0.0.1,localhost DB_POOL_MAX=${DB_POOL_MAX:-20}
# Every rehearsed participant comes from 127.0.0.1: a venue's address may send 250 votes/s
# (VOTES_PER_ADDRESS), and the rehearsal's ramp goes past that to find the server's limit.
export VOTES_PER_ADDRESS=${VOTES_PER_ADDRESS:-1000000}
db=${DATABASE_URL##*/}; base=${DATABASE_URL%/*}
psql "$base/postgres" -qc "drop database if exists $db with (force)" -c "create database $db" >/dev/null
redis_db=${REDIS_URL##*/}
redis-cli -n "$redis_db" flushdb >/dev/null; redis-cli -n $((redis_db + 1)) flushdb >/dev/null
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py collectstatic --no-input -v0
code=$(.venv/bin/python manage.py setup_demo --groups "$NGROUPS" --password capacity-rehearsal | sed -n 's#.*/join/\([A-Z0-9]*\)/.*#\1#p' | head -1)
case $SERVER in
  uvicorn-*) .venv/bin/uvicorn conference.asgi:application --host 127.0.0.1 --port "$PORT" \
      --workers "${SERVER#uvicorn-}" --no-access-log --ws-ping-interval 20 --ws-ping-timeout 20 \
      --timeout-graceful-shutdown 5 --timeout-keep-alive 75 \
      --ws-max-size 4096 --http h11 --h11-max-incomplete-event-size 16384 \
      >"/tmp/cap-server-$PORT.log" 2>&1 & ;;
  daphne) .venv/bin/daphne -b 127.0.0.1 -p "$PORT" conference.asgi:application \
      >"/tmp/cap-server-$PORT.log" 2>&1 & ;;
esac
pid=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
echo "code=$code pid=$pid"
