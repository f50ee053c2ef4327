/* A program using a global variable (.bss): the loader must refuse it with a clear message,
 * since global data would need a map backing it. */
#include "bpf_helpers_min.h"

static volatile __u32 seen;

SEC("xdp")
int count_seen(struct xdp_md *ctx)
{
	seen++;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
