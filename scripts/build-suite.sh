#!/bin/sh
# Builds the built-in benchmark suite: compiles each suites/builtin/src/NAME.c with clang -O2 for
# the BPF target and converts the object with k2lab's own ELF loader into NAME.insns/.maps/.desc.
# Usage: scripts/build-suite.sh [OUT_DIR]   (default suites/builtin/programs; needs `npm run build`).
# Fixed flags, no debug info and relative source paths, so the bytecode is reproducible byte for byte.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/suites/builtin/programs}
CLANG=${CLANG:-clang-19}
CFLAGS="-O2 -g0 -target bpf -mcpu=v1 -fno-ident -Wall -Werror"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# name  section  max_pkt_sz (packet bytes for XDP and socket filters, context bytes for tracepoints)
while read -r name section size; do
	case "$name" in '' | '#'*) continue ;; esac
	(cd "$ROOT/suites/builtin/src" && "$CLANG" $CFLAGS -c "$name.c" -o "$TMP/$name.o")
	node "$ROOT/bin/k2lab.js" convert "$TMP/$name.o" --section "$section" --max-pkt-sz "$size" --out "$OUT/$name" >/dev/null
	echo "$name: $(($(wc -c <"$OUT/$name.insns") / 8)) instructions"
done <<'LIST'
sock_dispatch      socket/dispatch                     64
sock_ipv4_flow     socket/ipv4                         64
tp_openat          tracepoint/syscalls/sys_enter_openat 48
tp_xdp_exception   tracepoint/xdp/xdp_exception        24
tp_redirect_err    tracepoint/xdp/xdp_redirect_err     40
tp_devmap_xmit     tracepoint/xdp/xdp_devmap_xmit      32
tp_cpumap_enqueue  tracepoint/xdp/xdp_cpumap_enqueue   32
xdp_proto_stats    xdp                                 96
xdp_flow_fw        xdp                                 64
xdp_hash_scan      xdp                                 64
xdp_ctl_counter    xdp                                 64
LIST
