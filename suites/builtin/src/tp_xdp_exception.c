/* Tracepoint on xdp:xdp_exception (an XDP program returned ABORTED or an unknown action, or a
 * redirect failed hard): per-CPU counters indexed by the action, with out-of-range actions folded
 * into one extra slot, plus the last program id and raw action seen there. */
#include "bpf_defs.h"

/* The tracepoint's record after the 8 bytes of common fields. */
struct xdp_exception_args {
	__u64 common;
	__s32 prog_id;
	__u32 act;
	__s32 ifindex;
};

struct exception_stat {
	__u64 hits;
	__u32 last_prog_id;
	__u32 last_act;
};

#define N_ACTIONS (XDP_REDIRECT + 1)

MAP(exceptions, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct exception_stat, N_ACTIONS + 1);

SEC("tracepoint/xdp/xdp_exception")
int on_exception(struct xdp_exception_args *ctx)
{
	__u32 key = ctx->act;

	if (key > XDP_REDIRECT)
		key = N_ACTIONS;
	struct exception_stat *st = bpf_map_lookup_elem(&exceptions, &key);
	if (!st)
		return 0;
	st->hits++;
	st->last_prog_id = ctx->prog_id;
	st->last_act = ctx->act;
	return 0;
}

char _license[] SEC("license") = "GPL";
