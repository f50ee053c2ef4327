/* XDP program with two BTF-defined maps (array, hash with struct key/value and flags) and one
 * legacy `maps` section map: exercises BTF map parsing and map-fd relocations. */
#include "bpf_helpers_min.h"

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} flows SEC(".maps");

struct bpf_map_def SEC("maps") legacy_stats = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 2,
};

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = (__u32)(data_end - data) & 3;
	__u64 *cnt = bpf_map_lookup_elem(&counters, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);

	struct flow_key fk = { .saddr = 1, .daddr = 2, .sport = 3, .dport = 4, .proto = 6 };
	struct flow_stats *fs = bpf_map_lookup_elem(&flows, &fk);
	if (fs) {
		fs->packets++;
	} else {
		struct flow_stats init = { 1, 0 };
		bpf_map_update_elem(&flows, &fk, &init, BPF_ANY);
	}

	__u32 idx = 0;
	__u64 *total = bpf_map_lookup_elem(&legacy_stats, &idx);
	if (total)
		*total += 1;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
