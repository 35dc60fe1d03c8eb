#!/usr/bin/env bash
# bench.sh: measure kmipd and Debian's pykmip-server side by side with the
# same `kmipctl bench` loads, on loopback, with the same certificates, and
# print one table: each figure, the ratio kmipd/pykmip, each kmipd figure as
# a fraction of its DiscoverVersions ceiling, and this machine's fsync rate.
#
#   make bench                     (or scripts/bench.sh)
#
# Settings (environment):
#   BENCH_DURATION         measured time of each kmipd load      (default 5s)
#   BENCH_PYKMIP_DURATION  measured time of each pykmip load     (default 3s)
#   BENCH_PROTOCOL         KMIP version spoken to both servers   (default 1.4;
#                          pykmip-server 0.10 speaks 1.0 to 2.0)
#   BENCH_PRELOAD          keys preloaded in kmipd for get/locate (default 1000)
#
# Both servers get an ECDSA P-256 PKI made here with openssl: pykmip-server
# 0.10 offers only TLS 1.2 CBC-SHA256 suites with RSA keys (which Go clients
# do not offer by default) but ECDHE-ECDSA-AES-GCM with ECDSA keys. The
# servers and all temporary files are removed on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-5s}
PY_DURATION=${BENCH_PYKMIP_DURATION:-3s}
PROTOCOL=${BENCH_PROTOCOL:-1.4}
PRELOAD=${BENCH_PRELOAD:-1000}
PY_PRELOAD=100 # pykmip creates a few dozen keys per second
PY_CONNS=8     # pykmip serves each connection with a thread on one SQLite file

WORK=$(mktemp -d -t kmipd-bench.XXXXXX)
KMIPD_PID= PYKMIP_PID=

stop() { # stop PID: SIGTERM, then SIGKILL after 5s (pykmip-server may not exit)
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	stop "$KMIPD_PID"
	stop "$PYKMIP_PID"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# make_pki DIR: an ECDSA CA, a server certificate for 127.0.0.1/localhost
# and a client certificate (Extended Key Usage clientAuth, which PyKMIP
# requires, and a Common Name, which both servers take as the identity).
make_pki() {
	local dir=$1
	mkdir -p "$dir"
	cat >"$dir/ext.cnf" <<-'EOF'
		[bench_server]
		basicConstraints=CA:FALSE
		keyUsage=critical,digitalSignature
		extendedKeyUsage=serverAuth
		subjectAltName=DNS:localhost,IP:127.0.0.1
		[bench_client]
		basicConstraints=CA:FALSE
		keyUsage=critical,digitalSignature
		extendedKeyUsage=clientAuth
	EOF
	openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key"
	openssl req -x509 -new -key "$dir/ca.key" -subj "/O=kmipd bench/CN=kmipd bench CA" -days 2 \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.crt"
	for n in server client; do
		openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$n.key"
		openssl req -new -key "$dir/$n.key" -subj "/O=kmipd bench/CN=bench-$n" -out "$dir/$n.csr"
		openssl x509 -req -in "$dir/$n.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
			-days 2 -extfile "$dir/ext.cnf" -extensions "bench_$n" -out "$dir/$n.crt" 2>/dev/null
	done
	chmod 600 "$dir"/*.key
}

kmipctl() { ./bin/kmipctl --pki "$WORK/pki" --protocol "$PROTOCOL" "$@"; }

# wait_ready ADDR NAME LOG: until DiscoverVersions succeeds, 30s at most.
wait_ready() {
	for _ in $(seq 300); do
		kmipctl --server "$1" --timeout 2s discover >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "bench: $2 did not start; its log:" >&2
	cat "$3" >&2
	exit 1
}

# run SIDE ADDR NAME ARGS...: one kmipctl bench, its JSON result saved as
# $WORK/res/SIDE-NAME.json (empty when the run could not start).
run() {
	local side=$1 addr=$2 name=$3
	shift 3
	echo "bench: $side $name: kmipctl bench $*" >&2
	if ! kmipctl --server "$addr" --json bench "$@" 2>"$WORK/res/$side-$name.err" | tail -n 1 >"$WORK/res/$side-$name.json"; then
		echo "bench: $side $name failed: $(tail -n 1 "$WORK/res/$side-$name.err")" >&2
		: >"$WORK/res/$side-$name.json"
	fi
}

# fsync_rate DIR: synchronous 4 KiB writes per second on DIR's file system.
fsync_rate() {
	local out secs
	out=$(LC_ALL=C dd if=/dev/zero of="$1/fsync.probe" bs=4k count=2000 oflag=dsync 2>&1)
	rm -f "$1/fsync.probe"
	secs=$(sed -n 's/.* copied, \([0-9.e+-]*\) s.*/\1/p' <<<"$out")
	python3 -c "print(round(2000 / float('$secs')))"
}

echo "bench: building" >&2
make --no-print-directory build >/dev/null
mkdir -p "$WORK/res" "$WORK/kmipd" "$WORK/pykmip/policies"
make_pki "$WORK/pki" 2>/dev/null

KMIPD_ADDR=127.0.0.1:$(free_port)
./bin/kmipd --data-dir "$WORK/kmipd" --listen "$KMIPD_ADDR" --log-level warn \
	--tls-ca "$WORK/pki/ca.crt" --tls-cert "$WORK/pki/server.crt" --tls-key "$WORK/pki/server.key" \
	>"$WORK/kmipd.log" 2>&1 &
KMIPD_PID=$!
wait_ready "$KMIPD_ADDR" kmipd "$WORK/kmipd.log"

PYKMIP_ADDR=
if command -v pykmip-server >/dev/null; then
	PYKMIP_ADDR=127.0.0.1:$(free_port)
	cat >"$WORK/pykmip/server.conf" <<-EOF
		[server]
		hostname=127.0.0.1
		port=${PYKMIP_ADDR##*:}
		certificate_path=$WORK/pki/server.crt
		key_path=$WORK/pki/server.key
		ca_path=$WORK/pki/ca.crt
		auth_suite=TLS1.2
		policy_path=$WORK/pykmip/policies
		enable_tls_client_auth=True
		logging_level=WARNING
		database_path=$WORK/pykmip/pykmip.db
	EOF
	pykmip-server -f "$WORK/pykmip/server.conf" -l "$WORK/pykmip/server.log" >"$WORK/pykmip.out" 2>&1 &
	PYKMIP_PID=$!
	wait_ready "$PYKMIP_ADDR" pykmip-server "$WORK/pykmip.out"
else
	echo "bench: pykmip-server not installed (apt-get install python3-pykmip): kmipd only" >&2
fi

FSYNC=$(fsync_rate "$WORK/kmipd")

# The loads. Locate and mixed run before the creates so that they search
# the preloaded keys (and the get run's), not every key the creates add.
D=(--duration "$DURATION")
P=(--duration "$PY_DURATION")
run kmipd "$KMIPD_ADDR" discover --op discover --conns 32 "${D[@]}"
run kmipd "$KMIPD_ADDR" get --op get --conns 32 --preload "$PRELOAD" "${D[@]}"
run kmipd "$KMIPD_ADDR" locate --op locate --conns 8 --preload "$PRELOAD" "${D[@]}"
run kmipd "$KMIPD_ADDR" mixed --op mixed --conns 32 --preload "$PRELOAD" "${D[@]}"
run kmipd "$KMIPD_ADDR" create-64 --op create --conns 64 "${D[@]}"
run kmipd "$KMIPD_ADDR" create-1 --op create --conns 1 "${D[@]}"
if [ -n "$PYKMIP_ADDR" ]; then
	run pykmip "$PYKMIP_ADDR" discover --op discover --conns "$PY_CONNS" "${P[@]}"
	run pykmip "$PYKMIP_ADDR" get --op get --conns "$PY_CONNS" --preload "$PY_PRELOAD" "${P[@]}"
	run pykmip "$PYKMIP_ADDR" locate --op locate --conns "$PY_CONNS" --preload "$PY_PRELOAD" "${P[@]}"
	run pykmip "$PYKMIP_ADDR" mixed --op mixed --conns "$PY_CONNS" --preload "$PY_PRELOAD" "${P[@]}"
	run pykmip "$PYKMIP_ADDR" create-64 --op create --conns "$PY_CONNS" "${P[@]}"
	run pykmip "$PYKMIP_ADDR" create-1 --op create --conns 1 "${P[@]}"
fi

echo
echo "kmipd $(git describe --always --dirty 2>/dev/null || echo dev), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(uname -sr), protocol $PROTOCOL"
FSYNC=$FSYNC python3 - "$WORK/res" <<-'EOF'
	import json, os, sys
	res = sys.argv[1]
	def load(side, name):
	    try:
	        with open(os.path.join(res, f"{side}-{name}.json")) as f:
	            return json.loads(f.read())
	    except (OSError, ValueError):
	        return None
	fsync = float(os.environ["FSYNC"])
	ceiling = load("kmipd", "discover")
	loads = ["discover", "get", "create-64", "create-1", "locate", "mixed"]
	head = f"{'load':<10} {'kmipd conns':>11} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'err':>5} {'of ceiling':>10} | {'pykmip conns':>12} {'ops/s':>8} {'p99 ms':>8} {'err':>5} | {'kmipd/pykmip':>12}"
	print(head)
	print("-" * len(head))
	def cols(r, width):
	    if r is None:
	        return f"{'-':>{width}} {'failed':>9} {'':>8} {'':>8} {'':>5}"
	    return f"{r['conns']:>{width}} {r['ops_per_sec']:>9.0f} {r['p50_ms']:>8.3f} {r['p99_ms']:>8.3f} {r['errors']:>5}"
	for name in loads:
	    k, p = load("kmipd", name), load("pykmip", name)
	    frac = f"{k['ops_per_sec'] / ceiling['ops_per_sec']:.0%}" if k and ceiling and ceiling["ops_per_sec"] else "-"
	    if p is None:
	        py = f"{'-':>12} {'-':>8} {'-':>8} {'-':>5}"
	    else:
	        py = f"{p['conns']:>12} {p['ops_per_sec']:>8.1f} {p['p99_ms']:>8.3f} {p['errors']:>5}"
	    ratio = f"{k['ops_per_sec'] / p['ops_per_sec']:.0f}x" if k and p and p["ops_per_sec"] else "-"
	    print(f"{name:<10} {cols(k, 11)} {frac:>10} | {py} | {ratio:>12}")
	print()
	print(f"fsync rate of the data directory's file system: {fsync:.0f} synchronous 4 KiB writes/s (dd oflag=dsync)")
	c1 = load("kmipd", "create-1")
	if c1 and fsync:
	    print(f"kmipd create, 1 connection: {c1['ops_per_sec'] / fsync:.0%} of the fsync rate")
	for side in ("kmipd", "pykmip"):
	    for name in loads:
	        r = load(side, name)
	        if r and r.get("error_sample"):
	            print(f"{side} {name}: {r['errors']} errors, first: {r['error_sample']}")
EOF
