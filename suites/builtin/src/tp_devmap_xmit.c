/* Tracepoint on xdp:xdp_devmap_xmit (a bulk of frames sent through a devmap): per-CPU totals of
 * bulk calls, frames sent, frames dropped and failed calls, keyed by the low bits of the target
 * device so a few egress ports can be told apart. */
#include "bpf_defs.h"

struct devmap_xmit_args {
	__u64 common;
	__s32 from_ifindex;
	__u32 act;
	__s32 to_ifindex;
	__s32 drops;
	__s32 sent;
	__s32 err;
};

struct xmit_stat {
	__u64 bulks;
	__u64 sent;
	__u64 dropped;
	__u64 errors;
};

#define N_PORTS 8

MAP(devmap_xmit, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct xmit_stat, N_PORTS);

SEC("tracepoint/xdp/xdp_devmap_xmit")
int on_devmap_xmit(struct devmap_xmit_args *ctx)
{
	__u32 key = ctx->to_ifindex & (N_PORTS - 1);
	struct xmit_stat *st = bpf_map_lookup_elem(&devmap_xmit, &key);

	if (!st)
		return 0;
	st->bulks += 1;
	st->sent += ctx->sent;
	st->dropped += ctx->drops;
	/* A failed ndo_xdp_xmit counts once, however many frames it dropped. */
	if (ctx->err < 0)
		st->errors += 1;
	return 0;
}

char _license[] SEC("license") = "GPL";
