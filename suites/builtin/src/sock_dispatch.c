/* Socket filter, first stage of a parser chain: reads the EtherType with LD_ABS, steps over up to
 * two VLAN tags, leaves the network-header offset in skb->cb[0] for the next stage and tail-calls
 * the parser for the protocol from a prog array; what no parser takes is counted and dropped. */
#include "bpf_defs.h"

enum { PARSE_IPV4, PARSE_IPV6, PARSE_ARP, N_PARSERS };

MAP(parsers, BPF_MAP_TYPE_PROG_ARRAY, __u32, __u32, N_PARSERS);
MAP(unparsed, BPF_MAP_TYPE_ARRAY, __u32, __u64, 2);

SEC("socket/dispatch")
int dispatch(struct __sk_buff *skb)
{
	__u32 nhoff = ETH_HLEN;
	__u32 proto = load_half(skb, 12);
	__u32 tagged = 0;

	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		proto = load_half(skb, nhoff + 2);
		nhoff += 4;
		tagged = 1;
		if (proto == ETH_P_8021Q) {
			proto = load_half(skb, nhoff + 2);
			nhoff += 4;
		}
	}
	skb->cb[0] = nhoff;

	switch (proto) {
	case ETH_P_IP:
		bpf_tail_call(skb, &parsers, PARSE_IPV4);
		break;
	case ETH_P_IPV6:
		bpf_tail_call(skb, &parsers, PARSE_IPV6);
		break;
	case ETH_P_ARP:
		bpf_tail_call(skb, &parsers, PARSE_ARP);
		break;
	}

	/* Unknown protocol, or the parser is not installed: count, by tagged/untagged. */
	__u64 *n = bpf_map_lookup_elem(&unparsed, &tagged);
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
