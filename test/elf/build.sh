#!/bin/sh
# Rebuilds the committed BPF test objects from their C sources (needs clang with the BPF target).
# The objects are committed so the ELF loader tests run without a compiler.
set -e
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
for c in xdp_counter socket_filter two_progs global_data no_prog; do
	"$CLANG" -O2 -g -target bpf -c "$c.c" -o "$c.o"
done
