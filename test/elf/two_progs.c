/* Two program sections in one object; the XDP one calls a static __noinline subprogram in .text,
 * which itself calls a global one and uses a map; the TC one passes a .text callback to bpf_loop
 * (a code address load): exercises section choice, bpf-to-bpf calls and BPF_PSEUDO_FUNC loads. */
#include "bpf_helpers_min.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} hits SEC(".maps");

__noinline int clamp_len(__u32 len)
{
	return len > 1500 ? 1500 : (int)len;
}

static __noinline int bump(__u32 len)
{
	__u32 key = 0;
	__u32 *v = bpf_map_lookup_elem(&hits, &key);
	if (v)
		*v += clamp_len(len);
	return v ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int xdp_prog(struct xdp_md *ctx)
{
	return bump(ctx->data_end - ctx->data);
}

static int add_step(__u32 i, void *ctx)
{
	*(__u32 *)ctx += i;
	return 0;
}

SEC("classifier")
int tc_prog(struct __sk_buff *skb)
{
	__u32 sum = 0;
	bpf_loop(skb->len & 7, add_step, &sum, 0);
	return sum > 100 ? 0 : 2;
}

char _license[] SEC("license") = "GPL";
