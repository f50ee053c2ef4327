/* Socket filter, IPv4 stage of the parser chain (the tail-call target of sock_dispatch): takes the
 * network-header offset from skb->cb[0], checks the version and fragment offset with LD_IND loads,
 * and accounts packets and bytes per service (destination address, destination port, protocol)
 * in a hash map. Later fragments carry no ports and are passed uncounted. */
#include "bpf_defs.h"

struct service_key {
	__u32 daddr;
	__u16 dport;
	__u16 proto;
};

struct service_stats {
	__u64 packets;
	__u64 bytes;
};

MAP(services, BPF_MAP_TYPE_HASH, struct service_key, struct service_stats, 512);

SEC("socket/ipv4")
int parse_ipv4(struct __sk_buff *skb)
{
	__u64 nhoff = skb->cb[0];
	__u32 vihl = load_half(skb, nhoff); /* version, IHL, TOS */

	if ((vihl >> 12) != 4)
		return 0;
	if (load_half(skb, nhoff + 6) & IP_OFFSET)
		return skb->len;

	struct service_key key = {};
	key.proto = load_half(skb, nhoff + 8) & 0xff; /* TTL, protocol */
	key.daddr = load_half(skb, nhoff + 16) << 16 | load_half(skb, nhoff + 18);
	if (key.proto == IPPROTO_TCP || key.proto == IPPROTO_UDP)
		key.dport = load_half(skb, nhoff + ((vihl >> 6) & 0x3c) + 2);

	struct service_stats *st = bpf_map_lookup_elem(&services, &key);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, skb->len);
	} else {
		struct service_stats init = { 1, skb->len };
		bpf_map_update_elem(&services, &key, &init, BPF_NOEXIST);
	}
	return skb->len;
}

char _license[] SEC("license") = "GPL";
