#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy into $OUT/helm.
# Usage: build-helm.sh <helm version e.g. v3.22.0> <kubernetes version e.g. 1.34.1> <out dir>
# helm's go.mod has no replace directives, so a plain `go install module/cmd@version` works (no wrapper module).
# The ldflags are those of helm's Makefile: `helm version` reports the version, and `helm template`/`lint`
# default .Capabilities.KubeVersion to the test cluster's minor instead of helm's built-in 1.20.
set -euo pipefail
V="$1"; KUBE="$2"; OUT="$3"
KMAJOR=$(echo "$KUBE" | cut -d. -f1); KMINOR=$(echo "$KUBE" | cut -d. -f2)
MAJOR=$(echo "${V#v}" | cut -d. -f1)
M="helm.sh/helm/v$MAJOR"
mkdir -p "$OUT"
[ -x "$OUT/helm" ] && { echo "helm already in $OUT"; exit 0; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/svc-sentry-helmbuild.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$WORK/bin"
LDF="-s -w -X $M/internal/version.version=$V -X $M/internal/version.gitTreeState=clean"
LDF="$LDF -X $M/pkg/lint/rules.k8sVersionMajor=$KMAJOR -X $M/pkg/lint/rules.k8sVersionMinor=$KMINOR"
LDF="$LDF -X $M/pkg/chartutil.k8sVersionMajor=$KMAJOR -X $M/pkg/chartutil.k8sVersionMinor=$KMINOR"
go install -trimpath -ldflags "$LDF" "$M/cmd/helm@$V"
mv "$WORK/bin/helm" "$OUT/helm.tmp"
mv "$OUT/helm.tmp" "$OUT/helm"
"$OUT/helm" version --short
echo "built into $OUT"
