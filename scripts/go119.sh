# SPDX-License-Identifier: BSD-3-Clause
#
# go119.sh - sourced by the scripts that build Go 1.19 peers (tests/oracle,
# tests/interop, perf/): find Go 1.19 and give it a private environment.
#
#   . scripts/go119.sh
#   go119_find || exit 77        # sets $go and $go_version, or explains
#   go119_env WORK_DIR           # private GOCACHE/GOPATH/HOME under WORK_DIR
#
# GO in the environment names the go command; else `go` on PATH if it is
# 1.19, else /usr/lib/go-1.19/bin/go (Debian), else /usr/local/go/bin/go.

go119_find() {
	go=${GO:-}
	if [ -z "$go" ]; then
		for cand in go /usr/lib/go-1.19/bin/go /usr/local/go/bin/go; do
			if command -v "$cand" >/dev/null 2>&1; then
				case $("$cand" version 2>/dev/null) in
				*" go1.19"*) go=$cand; break ;;
				esac
			fi
		done
	fi
	if [ -z "$go" ]; then
		echo "SKIP: Go 1.19 not found (set GO=/path/to/go1.19/bin/go)"
		return 1
	fi
	go_version=$("$go" version 2>/dev/null || true)
	case $go_version in
	*" go1.19"*) return 0 ;;
	esac
	echo "SKIP: $go is not Go 1.19 ($go_version)"
	return 1
}

# A private, writable Go environment: works as root in a clean CI, no
# network, no module, pure-Go net package (no cgo resolver).
go119_env() {
	export GOCACHE="$1/gocache" GOPATH="$1/gopath" HOME="$1/home"
	export GO111MODULE=off GOFLAGS='' GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0
	export GODEBUG=netdns=go
	unset GOROOT_FINAL 2>/dev/null || true
	mkdir -p "$GOCACHE" "$GOPATH" "$HOME"
}
