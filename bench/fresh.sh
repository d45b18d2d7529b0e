#!/bin/sh
# README command 1 on a fresh machine, measured without emptying this machine's engine:
# a private Docker daemon (an empty data root, its own socket and bridge, the same storage
# driver as the main one), an empty oxzep7 cache (XDG_CACHE_HOME), a fresh clone of this
# repository; then `oxzep7 run matrices/example.yaml` from the clone, timed. The apt and
# pip part of the command (already done on this machine) is not in the figure.
#
#   sudo bench/fresh.sh            # needs root, dockerd, iproute2, mmdebstrap, git
#
# Prints the run's own output, then "fresh run: N s (exit E)"; keeps the run directory in
# /tmp/oxzep7-fresh-last-run and removes everything else it made.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/oxzep7-fresh-XXXXXX)
bridge="oxzf$$"
driver=$(docker info -f '{{.Driver}}' 2>/dev/null || echo overlay2)

cleanup() {
  if [ -f "$work/docker.pid" ]; then
    pid=$(cat "$work/docker.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  ip link delete "$bridge" 2>/dev/null || true
  # The daemon leaves its NAT and forwarding rules for the bridge behind: drop them.
  for table in filter nat; do
    iptables -t "$table" -S 2>/dev/null | grep -w -- "$bridge" | grep '^-A ' | sed 's/^-A //' |
      while read -r rule; do
        # shellcheck disable=SC2086 # the rule's words, as iptables -S printed them
        iptables -t "$table" -D $rule 2>/dev/null || true
      done
  done
  umount -R "$work/data" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A bridge of its own, on a private range, so the main daemon's docker0 is left alone.
ip link add "$bridge" type bridge
ip addr add "172.31.$(( $$ % 200 + 20 )).1/24" dev "$bridge"
ip link set "$bridge" up
echo '{}' > "$work/daemon.json"
dockerd --config-file "$work/daemon.json" --host "unix://$work/docker.sock" \
  --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/docker.pid" \
  --bridge "$bridge" --storage-driver "$driver" --mtu 1400 > "$work/dockerd.log" 2>&1 &
export DOCKER_HOST="unix://$work/docker.sock"
tries=0
until docker info > /dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 60 ]; then
    echo "the private dockerd did not start; see its log:" >&2
    tail -5 "$work/dockerd.log" >&2
    exit 1
  fi
  sleep 1
done
echo "private engine: $DOCKER_HOST ($driver), $(docker images -q | wc -l) images"

git clone -q "$here" "$work/clone"
export XDG_CACHE_HOME="$work/cache"
cd "$work/clone"
start=$(date +%s.%N)
status=0
# The clone's own code (python -m from its root), as `pip install -e .` there would run.
python3 -m orchestrator run matrices/example.yaml || status=$?
end=$(date +%s.%N)
printf 'fresh run: %.1f s (exit %s)\n' "$(echo "$end - $start" | bc)" "$status"
# The run directory (build logs with their timings) outlives the clean-up.
keep=/tmp/oxzep7-fresh-last-run
rm -rf "$keep" && cp -rL "$work/clone/.oxzep7/runs/latest" "$keep" && echo "run directory kept in $keep"
