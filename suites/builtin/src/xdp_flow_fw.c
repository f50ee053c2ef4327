/* XDP firewall with a flow table: parses Ethernet, IPv4 and the TCP/UDP ports, looks the 5-tuple
 * up in a hash map that the control plane fills with allowed flows, and forwards hits to their
 * egress port through a devmap (bpf_redirect_map), counting them in the flow entry. IPv4 TCP/UDP
 * not in the table is dropped; everything else (IP options included) goes to the stack. */
#include "bpf_defs.h"

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_entry {
	__u32 egress_port;
	__u32 hits;
};

MAP(flow_table, BPF_MAP_TYPE_HASH, struct flow_key, struct flow_entry, 1024);
MAP(egress_ports, BPF_MAP_TYPE_DEVMAP, __u32, __u32, 16);

SEC("xdp")
int xdp_flow_fw(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct flow_key key = {};

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->ihl != 5 || (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP))
		return XDP_PASS;

	struct ports *pp = (void *)(ip + 1);
	if ((void *)(pp + 1) > data_end)
		return XDP_DROP;
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.sport = pp->source;
	key.dport = pp->dest;
	key.proto = ip->protocol;

	struct flow_entry *fe = bpf_map_lookup_elem(&flow_table, &key);
	if (!fe)
		return XDP_DROP;
	fe->hits += 1;
	return bpf_redirect_map(&egress_ports, fe->egress_port, XDP_DROP);
}

char _license[] SEC("license") = "GPL";
