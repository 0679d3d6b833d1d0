#!/usr/bin/env bash
# Build (once) a Debian base image with systemd as init, without any registry:
# debootstrap a minimal root, then `docker import` it.
#
#   tests/harness/base-image.sh bookworm      -> prints the image reference
#
# The tag is a hash of this recipe, so a changed recipe builds a new image and an
# unchanged one is reused from the engine's store.
set -euo pipefail

suite=${1:-bookworm}
case "$suite" in
  bullseye) number=11 ;;
  bookworm) number=12 ;;
  trixie) number=13 ;;
  *) echo "base-image: unknown suite '$suite' (bullseye, bookworm or trixie)" >&2; exit 2 ;;
esac

packages=python3,python3-apt,systemd,systemd-sysv,sudo,ca-certificates
recipe="$suite $packages $(sha256sum "$0" | cut -c1-12)"
tag=$(printf '%s' "$recipe" | sha256sum | cut -c1-12)
image="local/debian${number}-systemd:${tag}"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq debootstrap >&2
fi

root=$(mktemp -d "/var/tmp/pyops-${suite}.XXXXXX")
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap $suite into $root (about a minute)" >&2
debootstrap --variant=minbase --include="$packages" "$suite" "$root" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2
  exit 1
}
rm -f "$root.log"
# Trim what a container never uses and make systemd boot quietly in one.
rm -rf "$root"/var/cache/apt/archives/*.deb
: >"$root/etc/machine-id"
tar -C "$root" -c . | docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  - "$image" >/dev/null
echo "$image"
