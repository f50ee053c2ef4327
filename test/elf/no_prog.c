/* An object with a map but no code: the loader must say there is no program section. */
#include "bpf_helpers_min.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} lonely SEC(".maps");

char _license[] SEC("license") = "GPL";
