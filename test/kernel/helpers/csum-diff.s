# bpf_csum_diff(from = 4 packet bytes, to = the next 4, seed = u32 at 16); the result goes into the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 24
if r4 > r3 goto +11
r6 = r2
r1 = r2
r2 = 4
r3 = r6
r3 += 4
r4 = 8
r5 = *(u32 *)(r6 + 16)
call 28
*(u32 *)(r6 + 0) = r0
r0 >>= 32
*(u32 *)(r6 + 4) = r0
r0 = 2
exit
