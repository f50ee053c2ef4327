# bpf_xdp_adjust_tail(ctx, delta = signed 12 bits of the first u16)
r6 = r1
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 2
if r4 > r3 goto +6
r2 = *(u16 *)(r2 + 0)
r2 <<= 48
r2 s>>= 52
r1 = r6
call 65
exit
r0 = 99
exit
