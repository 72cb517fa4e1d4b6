#!/usr/bin/env bash
# One capacity run: serve.sh, then the rehearsal, then stop the server.
#   scripts/capacity/rehearse.sh SERVER GROUPS PARTICIPANTS RATE DURATION OUT.json [ARGS...]
# ARGS go to manage.py rehearse (e.g. --ceiling-ramp, or --scenario --join-window 60).
# PORT (default 8070), DATABASE_URL and REDIS_URL choose where, so that two engineers'
# runs on one machine do not share a database. APP_DIR serves another checkout's code (an
# export of an earlier commit, to measure before and after a change) with this tool.
set -euo pipefail
cd "$(dirname "$0")/../.."
if pgrep -f "manage.py rehearse" >/dev/null; then echo "another rehearsal is running" >&2; exit 1; fi
SERVER=$1; NGROUPS=$2; N=$3; RATE=$4; DURATION=$5; OUT=$6; shift 6
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cap}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/4}
PORT=${PORT:-8070}
eval "$("${APP_DIR:-.}"/scripts/capacity/serve.sh "$SERVER" "$PORT" "$NGROUPS")"
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
.venv/bin/python manage.py rehearse --url "http://127.0.0.1:$PORT" --participants "$N" \
    --groups "$NGROUPS" --rate "$RATE" --duration "$DURATION" --code "$code" \
    --server-pid "$pid" --facilitator organizer:capacity-rehearsal --json --no-progress "$@" > "$OUT"
python3 scripts/capacity/summary.py "$OUT"
