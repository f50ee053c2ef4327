/* Minimal stand-ins for libbpf's bpf_helpers.h and the kernel's uapi types, so the test objects
 * build with a bare clang (no libbpf or kernel headers). Struct layouts match the kernel's uapi
 * for the fields used; helper numbers are the kernel's enum bpf_func_id values. */
#ifndef BPF_HELPERS_MIN_H
#define BPF_HELPERS_MIN_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __noinline __attribute__((noinline))
#define __always_inline inline __attribute__((always_inline))

enum bpf_map_type_min {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
};
#define BPF_F_NO_PREALLOC 1
#define BPF_ANY 0

/* Legacy map definition (the `maps` section), as in samples/bpf and old libbpf. */
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};

struct __sk_buff {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 queue_mapping;
	__u32 protocol;
};

enum xdp_action { XDP_ABORTED = 0, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT };

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_loop)(__u32 nr_loops, void *callback_fn, void *ctx, __u64 flags) = (void *)181;

/* Legacy packet access (BPF_LD | BPF_ABS): LLVM's intrinsics, reachable under these asm names. */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

#endif
