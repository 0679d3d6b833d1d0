#!/usr/bin/env bash
# `make demo`: a Debian 12 container with systemd as PID 1, port 80 published on
# 127.0.0.1, the example app deployed into it with playbooks/deploy.yml.
set -euo pipefail
cd "$(dirname "$0")/../.."

name=${DEMO_CONTAINER:-pyops-demo}
port=${DEMO_PORT:-8080}
image=$(tests/harness/base-image.sh bookworm)

if [ "$(docker inspect -f '{{.Config.Image}}' "$name" 2>/dev/null)" != "$image" ]; then
  docker rm -f "$name" >/dev/null 2>&1 || true
  echo "demo: starting $name from $image"
  docker run -d --name "$name" --hostname "$name" \
    --label pyops.wsgi=demo \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
    --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock \
    -p "127.0.0.1:${port}:80" \
    "$image" /lib/systemd/systemd >/dev/null
elif [ "$(docker inspect -f '{{.State.Running}}' "$name")" != true ]; then
  docker start "$name" >/dev/null
fi
state=$(docker exec "$name" systemctl is-system-running --wait 2>/dev/null || true)
echo "demo: systemd in $name is $state"

.venv/bin/ansible-playbook -i examples/inventories/demo/hosts.yml playbooks/deploy.yml

url="http://127.0.0.1:${port}/"
for _ in $(seq 1 20); do
  if curl -fsS "$url" >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done
echo
echo "demo: GET ${url}api/info"
curl -fsS "${url}api/info"
echo
echo "demo: the example app answers through nginx at ${url}"
