# bpf_l3_csum_replace(skb, 24, from, to, flags) with from/to/flags from the packet
r6 = r1
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 30
if r4 > r3 goto +8
r3 = *(u32 *)(r2 + 14)
r4 = *(u32 *)(r2 + 18)
r5 = *(u8 *)(r2 + 22)
r5 &= 0x3f
r1 = r6
r2 = 24
call 10
exit
r0 = 99
exit
