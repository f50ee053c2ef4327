/* A program using a global variable (.bss): the loader backs it with a single-entry array map
 * (as libbpf does) and turns the load of its address into a map-value load. */
#include "bpf_helpers_min.h"

static volatile __u32 seen;

SEC("xdp")
int count_seen(struct xdp_md *ctx)
{
	seen++;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
