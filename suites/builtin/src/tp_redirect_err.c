/* Tracepoint on xdp:xdp_redirect_err: per-CPU error accounting by cause (-ENETDOWN, -EINVAL,
 * -EOPNOTSUPP, anything else) and by whether the redirect went through a map. Successful
 * redirects never reach this tracepoint, so err == 0 is counted as its own (unexpected) slot. */
#include "bpf_defs.h"

struct xdp_redirect_args {
	__u64 common;
	__s32 prog_id;
	__u32 act;
	__s32 ifindex;
	__s32 err;
	__s32 to_ifindex;
	__u32 map_id;
	__s32 map_index;
};

#define ENETDOWN 100
#define EINVAL 22
#define EOPNOTSUPP 95

enum { ERR_NONE, ERR_NETDOWN, ERR_INVAL, ERR_NOTSUPP, ERR_OTHER, N_CAUSES };

MAP(redirect_errors, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u64, 2 * N_CAUSES);

SEC("tracepoint/xdp/xdp_redirect_err")
int on_redirect_err(struct xdp_redirect_args *ctx)
{
	__u32 key;

	switch (ctx->err) {
	case 0: key = ERR_NONE; break;
	case -ENETDOWN: key = ERR_NETDOWN; break;
	case -EINVAL: key = ERR_INVAL; break;
	case -EOPNOTSUPP: key = ERR_NOTSUPP; break;
	default: key = ERR_OTHER; break;
	}
	if (ctx->map_id)
		key += N_CAUSES;
	__u64 *cnt = bpf_map_lookup_elem(&redirect_errors, &key);
	if (cnt)
		*cnt += 1;
	return 0;
}

char _license[] SEC("license") = "GPL";
