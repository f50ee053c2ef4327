/* XDP packet counter switched by a control array, in the style of a load balancer's stats hook:
 * ctl[0] enables counting, ctl[1] additionally enables byte counting; counters live in a per-CPU
 * array (packets at 0, bytes at 1). Every packet passes. */
#include "bpf_defs.h"

enum { CTL_ENABLE, CTL_BYTES, N_CTL };
enum { CNT_PACKETS, CNT_BYTES, N_CNT };

MAP(ctl, BPF_MAP_TYPE_ARRAY, __u32, __u32, N_CTL);
MAP(counters, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u64, N_CNT);

SEC("xdp")
int xdp_ctl_counter(struct xdp_md *ctx)
{
	__u32 key = CTL_ENABLE;
	__u32 *on = bpf_map_lookup_elem(&ctl, &key);

	if (!on || !*on)
		return XDP_PASS;
	key = CNT_PACKETS;
	__u64 *pkts = bpf_map_lookup_elem(&counters, &key);
	if (pkts)
		*pkts += 1;

	key = CTL_BYTES;
	__u32 *bytes_on = bpf_map_lookup_elem(&ctl, &key);
	if (bytes_on && *bytes_on) {
		key = CNT_BYTES;
		__u64 *bytes = bpf_map_lookup_elem(&counters, &key);
		if (bytes)
			*bytes += ctx->data_end - ctx->data;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
