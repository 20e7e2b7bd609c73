#!/usr/bin/env bash
# `make run`: the local Kafka broker, the topics, the Spotify emulator when no Spotify
# credentials are set, and the producer in the foreground. Ctrl-C stops the producer cleanly
# (its open transaction commits or aborts) and the emulator; the broker keeps its data and is
# stopped with `make stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
ts=.venv/bin/tunestream

$ts kafka start
$ts topics create

if [ -z "${SPOTIFY_CLIENT_ID:-}" ] || [ -z "${SPOTIFY_CLIENT_SECRET:-}" ]; then
  port=${TUNESTREAM_EMULATOR_PORT:-8765}
  # An hour of releases a minute, so a demo shows data at once; a cycle every minute. In its own
  # session, so Ctrl-C reaches only the producer, which finishes its requests before we stop this.
  setsid $ts emulator --port "$port" --speed 60 > .tunestream/emulator.log 2>&1 &
  emulator=$!
  trap 'kill "$emulator" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    .venv/bin/python -c "import httpx; httpx.get('http://127.0.0.1:$port/_admin/health')" \
      2> /dev/null && break
    kill -0 "$emulator" 2>/dev/null || { cat .tunestream/emulator.log >&2; exit 1; }
    sleep 0.2
  done
  echo "No SPOTIFY_CLIENT_ID/SPOTIFY_CLIENT_SECRET: using the Spotify emulator on 127.0.0.1:$port"
  export SPOTIFY_API_URL="http://127.0.0.1:$port/v1" SPOTIFY_ACCOUNTS_URL="http://127.0.0.1:$port"
  export SPOTIFY_CLIENT_ID=extended-client SPOTIFY_CLIENT_SECRET=extended-secret
  export TUNESTREAM_SOURCE__INTERVAL_S="${TUNESTREAM_SOURCE__INTERVAL_S:-60}"
fi

echo "Producing; metrics on http://127.0.0.1:9464/metrics; Ctrl-C stops."
$ts produce
