# bpf_skb_change_tail(skb, len from packet byte 14 (plus 0..255), flags from byte 15 & 1)
r6 = r1
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 16
if r4 > r3 goto +7
r3 = *(u8 *)(r2 + 15)
r3 &= 1
r2 = *(u8 *)(r2 + 14)
r2 += 10
r1 = r6
call 38
exit
r0 = 99
exit
