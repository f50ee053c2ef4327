/* Tracepoint on openat(2) entry, in the style of the kernel's syscall_tp sample: counts calls in an
 * array map (inserting the first count when the slot is missing) and, in a second array, calls by
 * access mode (read, write, read-write) with O_CREAT folded into its own slot. */
#include "bpf_defs.h"

/* The tracepoint's record: common fields, syscall number, then one 8-byte slot per argument. */
struct openat_args {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__u64 dfd;
	__u64 filename;
	__u64 flags;
	__u64 mode;
};

#define O_ACCMODE 3
#define O_CREAT 0100

MAP(openat_calls, BPF_MAP_TYPE_ARRAY, __u32, __u32, 1);
MAP(openat_modes, BPF_MAP_TYPE_ARRAY, __u32, __u64, 4);

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(struct openat_args *ctx)
{
	__u32 key = 0, one = 1;
	__u32 *calls = bpf_map_lookup_elem(&openat_calls, &key);
	if (calls)
		*calls += 1;
	else
		bpf_map_update_elem(&openat_calls, &key, &one, BPF_ANY);

	key = ctx->flags & O_CREAT ? 3 : ctx->flags & O_ACCMODE;
	__u64 *n = bpf_map_lookup_elem(&openat_modes, &key);
	if (n)
		*n += 1;
	return 0;
}

char _license[] SEC("license") = "GPL";
