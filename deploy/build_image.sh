#!/usr/bin/env bash
# `make image`: deploy/Dockerfile built into $IMAGE with buildah, which needs no
# Docker daemon (as root, chroot isolation). The Dockerfile is the one docker or
# Cloud Build use elsewhere; only what reaches it differs here:
# - its base image, when it is not in local storage and cannot be pulled, is
#   stood in for by a Debian bookworm root made with debootstrap (bookworm's
#   Python is 3.11, the version the pins are resolved for);
# - this machine's CA bundle and a pip/uv configuration that uses it are
#   mounted into the build's RUN steps, never written into a layer.
# Layers and uv's download cache stay in buildah's storage: a rebuild after a
# code change reuses the dependency layer.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/gharchive-assets:latest}
export BUILDAH_ISOLATION=chroot
BASE=$(awk 'toupper($1) == "FROM" { print $2; exit }' deploy/Dockerfile)
BUNDLE=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "make image: $tool is missing (apt-get install buildah debootstrap)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "make image: buildah with chroot isolation runs as root" >&2; exit 1; }

has_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# The stand-in base: what the Dockerfile's stages need of python:3.11-slim
# (python, its headers, venv, useradd), from the mirror this machine's apt already uses.
stand_in_base() {
  local mirror ctr root
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  ctr=$(buildah from scratch)
  root=$(buildah mount "$ctr")
  debootstrap --variant=minbase --include=python3,python3-venv,python3.11-dev,python-is-python3,passwd \
    bookworm "$root" ${mirror:+"$mirror"} >/dev/null
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd python3 "$ctr"
  buildah commit --quiet --rm "$ctr" "localhost/$BASE" >/dev/null
}

if ! has_image "$BASE" && ! has_image "localhost/$BASE"; then
  if ! timeout 60 buildah pull --quiet "docker.io/library/$BASE" >/dev/null 2>&1; then
    echo "make image: $BASE cannot be pulled; standing in a debootstrap bookworm root for it"
    stand_in_base
  fi
fi

# pip and uv read this machine's CA bundle (a proxy may sign the registry's
# certificates); mounted for the build's RUN steps only.
conf=$(mktemp -d)
trap 'rm -rf "$conf"' EXIT
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$conf/pip.conf"
printf 'native-tls = true\n' >"$conf/uv.toml"

# For GKE Autopilot's nodes (amd64), whatever machine builds it.
buildah bud --quiet --layers --pull=never --isolation chroot --platform linux/amd64 \
  --volume "$BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro" \
  --volume "$conf/pip.conf:/etc/pip.conf:ro" \
  --volume "$conf/uv.toml:/etc/uv/uv.toml:ro" \
  -f deploy/Dockerfile -t "$IMAGE" . >/dev/null
echo "make image: $IMAGE ($(buildah inspect --type image --format '{{.FromImageID}}' "$IMAGE" | cut -c1-12))"

# The image's software bill of materials: every package in its /opt/venv as
# installed (name==version, read by the image's own Python), in CycloneDX JSON
# with this project as the root component. tests/test_image.py reads it.
SBOM=${SBOM:-build/image-sbom.cdx.json}
CYCLONEDX=${CYCLONEDX:-.venv/bin/cyclonedx-py}
mkdir -p "$(dirname "$SBOM")"
ctr=$(buildah from --pull=never --quiet "$IMAGE")
trap 'rm -rf "$conf"; buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
buildah run "$ctr" -- /opt/venv/bin/python -c '
import importlib.metadata as metadata
names = {d.metadata["Name"]: d.version for d in metadata.distributions()}
print("\n".join(f"{name}=={names[name]}" for name in sorted(names, key=str.lower)))
' >"$conf/image-packages.txt"
PYTHONWARNINGS=ignore "$CYCLONEDX" requirements "$conf/image-packages.txt" --pyproject pyproject.toml \
  --output-format JSON --output-reproducible --output-file "$SBOM"
echo "make image: $SBOM ($(grep -c '"bom-ref"' "$SBOM") components)"
