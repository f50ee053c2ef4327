/* XDP map-access loop: longest-prefix match of the IPv4 source address against a small hash map
 * of blocked prefixes (/32, /24, /16, /8, tried in that order by an unrolled loop). A hit bumps
 * the prefix's per-CPU drop counter and drops the packet; misses pass. */
#include "bpf_defs.h"

struct prefix_key {
	__u32 addr; /* network byte order, host bits cleared */
	__u32 len;
};

MAP(blocked, BPF_MAP_TYPE_PERCPU_HASH, struct prefix_key, __u64, 64);

SEC("xdp")
int xdp_hash_scan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	__u32 saddr = ip->saddr;
	__u64 *drops = 0;
#pragma unroll
	for (__u32 len = 32; len >= 8; len -= 8) {
		struct prefix_key key = {
			.addr = saddr & __builtin_bswap32(0xffffffffu << (32 - len)),
			.len = len,
		};
		drops = bpf_map_lookup_elem(&blocked, &key);
		if (drops)
			break;
	}
	if (!drops)
		return XDP_PASS;
	*drops += 1;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
