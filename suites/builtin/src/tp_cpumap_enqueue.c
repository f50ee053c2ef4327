/* Tracepoint on xdp:xdp_cpumap_enqueue (frames queued to another CPU's kthread): per target CPU,
 * per-CPU totals of enqueued and dropped frames, how many enqueues dropped anything, and the
 * largest bulk seen; events for CPUs beyond the map are ignored. */
#include "bpf_defs.h"

struct cpumap_enqueue_args {
	__u64 common;
	__s32 map_id;
	__u32 act;
	__s32 cpu;
	__u32 drops;
	__u32 processed;
	__s32 to_cpu;
};

struct enqueue_stat {
	__u64 enqueued;
	__u64 dropped;
	__u32 lossy_bulks;
	__u32 max_bulk;
};

#define MAX_CPUS 64

MAP(cpumap_enqueue, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct enqueue_stat, MAX_CPUS);

SEC("tracepoint/xdp/xdp_cpumap_enqueue")
int on_cpumap_enqueue(struct cpumap_enqueue_args *ctx)
{
	__u32 cpu = ctx->to_cpu;

	if (cpu >= MAX_CPUS)
		return 0;
	struct enqueue_stat *st = bpf_map_lookup_elem(&cpumap_enqueue, &cpu);
	if (!st)
		return 0;
	st->enqueued += ctx->processed;
	st->dropped += ctx->drops;
	if (ctx->drops)
		st->lossy_bulks++;
	if (ctx->processed + ctx->drops > st->max_bulk)
		st->max_bulk = ctx->processed + ctx->drops;
	return 0;
}

char _license[] SEC("license") = "GPL";
