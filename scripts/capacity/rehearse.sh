#!/usr/bin/env bash
# One capacity run: serve.sh, then the rehearsal, then stop the server.
#   scripts/capacity/rehearse.sh SERVER GROUPS PARTICIPANTS RATE DURATION OUT.json [ARGS...]
# ARGS go to manage.py rehearse (e.g. --ceiling-ramp).
set -euo pipefail
cd "$(dirname "$0")/../.."
if pgrep -f "manage.py rehearse" >/dev/null; then echo "another rehearsal is running" >&2; exit 1; fi
SERVER=$1; NGROUPS=$2; N=$3; RATE=$4; DURATION=$5; OUT=$6; shift 6
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cap}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/4}
eval "$(scripts/capacity/serve.sh "$SERVER" 8070 "$NGROUPS")"
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
.venv/bin/python manage.py rehearse --url http://127.0.0.1:8070 --participants "$N" \
    --groups "$NGROUPS" --rate "$RATE" --duration "$DURATION" --code "$code" \
    --server-pid "$pid" --facilitator organizer:capacity-rehearsal --json --no-progress "$@" > "$OUT"
python3 scripts/capacity/summary.py "$OUT"
