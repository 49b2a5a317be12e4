#!/usr/bin/env bash
# Installs the Debian packages the test suites need, only those that are missing:
#   buildah + mmdebstrap (the container image is built and run without a Docker engine),
#   chromium (the web panel's browser test), uidmap (buildah's user namespaces).
# Go (kube-apiserver, helm) and pyenv's Pythons come with the machine; the harness builds and caches the rest itself.
set -euo pipefail
need=()
command -v buildah >/dev/null || need+=(buildah)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then echo "system packages: all present"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root: apt-get update && apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
