/* XDP packet parser and counter: walks Ethernet, up to two VLAN tags and the IPv4 or IPv6 header
 * with bounds checks against data_end, and counts packets and bytes per L4 protocol in a per-CPU
 * array indexed by the protocol number. Truncated headers are dropped, everything else passes. */
#include "bpf_defs.h"

struct proto_stat {
	__u64 packets;
	__u64 bytes;
};

MAP(proto_stats, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct proto_stat, 256);

SEC("xdp")
int xdp_proto_stats(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 off = sizeof(*eth);
	__u16 h_proto;
	__u32 proto;

	if (data + off > data_end)
		return XDP_DROP;
	h_proto = eth->h_proto;
	/* Up to two VLAN tags (802.1ad outer, 802.1Q inner). */
	if (h_proto == bpf_htons(ETH_P_8021AD) || h_proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vh = data + off;
		off += sizeof(*vh);
		if (data + off > data_end)
			return XDP_DROP;
		h_proto = vh->encap_proto;
		if (h_proto == bpf_htons(ETH_P_8021Q)) {
			vh = data + off;
			off += sizeof(*vh);
			if (data + off > data_end)
				return XDP_DROP;
			h_proto = vh->encap_proto;
		}
	}

	proto = 0;
	if (h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		if ((void *)(ip + 1) > data_end)
			return XDP_DROP;
		proto = ip->protocol;
	} else if (h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		if ((void *)(ip6 + 1) > data_end)
			return XDP_DROP;
		proto = ip6->nexthdr;
	}

	struct proto_stat *st = bpf_map_lookup_elem(&proto_stats, &proto);
	if (st) {
		st->packets += 1;
		st->bytes += data_end - data;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
