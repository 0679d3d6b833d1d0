#!/usr/bin/env bash
# `make demo`: a Debian 12 container with systemd as PID 1, port 80 published on
# 127.0.0.1, the example app deployed into it with playbooks/deploy.yml.
set -euo pipefail
cd "$(dirname "$0")/../.."

name=${DEMO_CONTAINER:-pyops-demo}
port=${DEMO_PORT:-8080}
tests/harness/target.sh "$name" "$port"

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
