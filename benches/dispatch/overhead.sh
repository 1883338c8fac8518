#!/usr/bin/env bash
# Per-job overhead of the Redis dispatcher against the local one: the same search of many
# cheap candidates (the tiny integration-test space, one seed, 1 training step each) run with
# N local threads and with N `radact worker`s (one thread each) through a redis-server started
# here on a free loopback port. Prints wall-clock seconds and the difference per job.
#
#     benches/dispatch/overhead.sh [RADACT_BINARY] [CANDIDATES]
#
# Uses target/release/radact when built, else target/debug/radact. Needs redis-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-}
if [[ -z "$bin" ]]; then
    bin=target/release/radact
    [[ -x "$bin" ]] || bin=target/debug/radact
fi
candidates=${2:-200}
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" >/dev/null &
redis_pid=$!
workers=()
cleanup() {
    for w in "${workers[@]}"; do kill "$w" 2>/dev/null || true; done
    kill "$redis_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
url="redis://127.0.0.1:$port/0"

sed -e 's/budget: epochs(2)/budget: steps(1)/' \
    -e "s/evaluations: 14/evaluations: $candidates/" \
    -e 's/batch: 4,/batch: 16,/' \
    -e 's/final_check: (top: 2,/final_check: (top: 0,/' \
    tests/fixtures/tiny-space.ron >"$tmp/space.ron"

seconds() { # command... -> wall seconds
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
jobs_of() { grep -c '"status":"trained"\|"status":"failed"' "$1/journal.jsonl"; }

echo "binary $bin, $candidates candidates of 1 step, 1 seed each"
printf '%-8s %10s %10s %8s %16s\n' workers local_s redis_s jobs overhead_ms/job
for n in 1 2 4; do
    local_s=$(seconds "$bin" search --space "$tmp/space.ron" --out "$tmp/local-$n" --threads "$n" --json)
    for i in $(seq 1 "$n"); do
        "$bin" worker --redis "$url" --queue "bench$n" --threads 1 --name "w$i" 2>/dev/null &
        workers+=($!)
    done
    redis_s=$(seconds "$bin" search --space "$tmp/space.ron" --out "$tmp/redis-$n" --threads 1 --json \
        --dispatch "$url" --queue "bench$n")
    for w in "${workers[@]}"; do kill "$w" 2>/dev/null || true; done
    wait "${workers[@]}" 2>/dev/null || true
    workers=()
    jobs=$(jobs_of "$tmp/redis-$n")
    overhead=$(echo "($redis_s - $local_s) * 1000 / $jobs" | bc -l)
    printf '%-8s %10.2f %10.2f %8d %16.2f\n' "$n" "$local_s" "$redis_s" "$jobs" "$overhead"
done
