/* Socket filter using legacy packet loads (BPF_LD | BPF_ABS) and a legacy `maps` section map:
 * keeps IPv4 TCP packets, drops the rest, counting by ethertype class. */
#include "bpf_helpers_min.h"

struct bpf_map_def SEC("maps") proto_count = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
};

SEC("socket")
int tcp_only(struct __sk_buff *skb)
{
	if (load_half(skb, 12) != 0x0800)
		return 0;
	__u32 proto = load_byte(skb, 23);
	__u64 *c = bpf_map_lookup_elem(&proto_count, &proto);
	if (c)
		__sync_fetch_and_add(c, 1);
	return proto == 6 ? skb->len : 0;
}

char _license[] SEC("license") = "GPL";
