#!/bin/sh
# Rules general over immediates and stack shifts (results/rules/general.md): learn two databases
# (real-world objects 20 s each, K2's 11 programs 12 s each, one chain, niced), then their
# generality (rules stats), the cost of the general proofs (rules-widen.mjs) and what the
# parameters and shift add to matching and applying on ../shared/real-world (rules-matches.mjs).
# Usage: sh scripts/rules-general.sh [OUT_DIR=/tmp/rules-general]
set -e
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/rules-general}
OBJS=../shared/real-world/objs
S=../shared/k2-suite
mkdir -p "$OUT"
rm -f "$OUT"/rw.sqlite* "$OUT"/k2.sqlite*
for f in facebookincubator+katran/xdp_pktcntr.o xdp-project+xdp-tutorial/basic03_map_counter.o xdp-project+xdp-tutorial/packet01_parsing.o xdp-project+xdp-tutorial/xdp_vlan01.o cilium+ebpf/ex_xdp_live_frame_xdp.o; do
  nice -n 10 node bin/k2lab.js optimize "$OBJS/$f" -o "$OUT/x.o" --time-limit 20 --chains 1 --passes none --rules "$OUT/rw.sqlite" --quiet > /dev/null
done
for b in $(node -e "for (const b of JSON.parse(require('fs').readFileSync('$S/suite.json','utf8')).benchmarks) console.log(b.name)"); do
  nice -n 10 node bin/k2lab.js optimize "$S/programs/$b" --params-from "$S/suite.json" --bench "$b" --time-limit 12 --chains 1 --rules "$OUT/k2.sqlite" --quiet > /dev/null
done
for db in rw k2; do
  echo "== $db"
  node bin/k2lab.js rules stats --rules "$OUT/$db.sqlite" | grep -E '^(rules|generality):'
  nice -n 10 node scripts/rules-widen.mjs "$OUT/$db.sqlite"
  nice -n 10 node scripts/rules-matches.mjs "$OUT/$db.sqlite" --apply 2>/dev/null
  node bin/k2lab.js rules verify --rules "$OUT/$db.sqlite" | tail -1
done
