#!/usr/bin/env bash
# Start (once) a Debian 12 container with systemd as PID 1 and port 80 published
# on 127.0.0.1, for `make demo` and the benchmarks; wait until systemd has booted.
#
#   tests/harness/target.sh NAME PORT [NETWORK]
#
# PORT `-` publishes nothing; NETWORK (made when missing) puts the container on a
# Docker network where the others reach it by its name (benchmarks/fleet.py).
set -euo pipefail
cd "$(dirname "$0")/../.."

name=$1
port=$2
network=${3:-}
image=$(tests/harness/base-image.sh bookworm)
options=()
if [ "$port" != - ]; then
  options+=(-p "127.0.0.1:${port}:80")
fi
if [ -n "$network" ]; then
  docker network inspect "$network" >/dev/null 2>&1 || docker network create "$network" >/dev/null
  options+=(--network "$network")
fi

if [ "$(docker inspect -f '{{.Config.Image}}' "$name" 2>/dev/null)" != "$image" ]; then
  docker rm -f "$name" >/dev/null 2>&1 || true
  echo "target: starting $name from $image"
  docker run -d --name "$name" --hostname "$name" \
    --label pyops.wsgi=target \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
    --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock \
    "${options[@]}" \
    "$image" /lib/systemd/systemd >/dev/null
elif [ "$(docker inspect -f '{{.State.Running}}' "$name")" != true ]; then
  docker start "$name" >/dev/null
fi
# systemd answers once its bus is up; --wait then blocks until boot has finished.
state=
for _ in $(seq 1 60); do
  state=$(docker exec "$name" systemctl is-system-running --wait 2>/dev/null || true)
  case "$state" in running | degraded) break ;; esac
  sleep 1
done
echo "target: systemd in $name is ${state:-not answering}"
