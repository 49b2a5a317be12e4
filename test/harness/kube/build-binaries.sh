#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kine from the Go module proxy into $OUT.
# Usage: build-binaries.sh <k8s version e.g. 1.34.1> <kine version e.g. v0.16.4> <out dir>
# KUBE_CMDS (default "kube-apiserver kube-controller-manager") picks the k8s.io/kubernetes/cmd/* to build (e.g. kubectl).
# Wrapper module trick: require k8s.io/kubernetes and replace every staging module by its
# published v0.N.P tag (the k/k go.mod points them at ./staging, which consumers cannot use).
set -euo pipefail
V="$1"; KINE="$2"; OUT="$3"
S="v0.${V#1.}"
MINOR=$(echo "$V" | cut -d. -f2)
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/svc-sentry-kubebuild.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
cd "$WORK"

if [ ! -x "$OUT/kine" ]; then
  mkdir kine && (cd kine && go mod init local/kinebin >/dev/null 2>&1 \
    && go get "github.com/k3s-io/kine@$KINE" \
    && go build -trimpath -ldflags "-s -w" -o "$OUT/kine.tmp" github.com/k3s-io/kine) \
    && mv "$OUT/kine.tmp" "$OUT/kine"
fi

CMDS="${KUBE_CMDS:-kube-apiserver kube-controller-manager}"
NEED=""
for c in $CMDS; do [ -x "$OUT/$c" ] || NEED="$NEED $c"; done
if [ -n "$NEED" ]; then
  mkdir k8s && cd k8s
  go mod init local/k8sbin >/dev/null 2>&1
  GOMOD=$(go mod download -json "k8s.io/kubernetes@v$V" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  for m in $(grep -oE 'k8s\.io/[a-z0-9-]+ => \./staging' "$GOMOD" | awk '{print $1}' | sort -u); do
    go mod edit -replace="$m=$m@$S"
  done
  GOLINE=$(grep -E '^go [0-9]' "$GOMOD" | head -1 | awk '{print $2}')
  go mod edit -go="$GOLINE"
  GODEBUG_LINE=$(grep -E '^godebug ' "$GOMOD" | head -1 || true)
  if [ -n "$GODEBUG_LINE" ]; then go mod edit -godebug="${GODEBUG_LINE#godebug }"; fi
  go get "k8s.io/kubernetes@v$V"
  P=k8s.io/component-base/version
  LDF="-s -w -X $P.gitVersion=v$V -X $P.gitMajor=1 -X $P.gitMinor=$MINOR -X $P.gitTreeState=clean -X $P.buildDate=1970-01-01T00:00:00Z"
  for c in $NEED; do
    go build -trimpath -ldflags "$LDF" -o "$OUT/$c.tmp" "k8s.io/kubernetes/cmd/$c"
    mv "$OUT/$c.tmp" "$OUT/$c"
  done
fi
echo "built into $OUT"
