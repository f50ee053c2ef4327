# bpf_xdp_adjust_meta(ctx, delta = (s8) first byte)
r6 = r1
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
if r4 > r3 goto +6
r2 = *(u8 *)(r2 + 0)
r2 <<= 56
r2 s>>= 56
r1 = r6
call 54
exit
r0 = 99
exit
