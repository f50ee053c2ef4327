# bpf_skb_adjust_room(skb, len_diff = (s8)byte 14, mode = byte 15 & 1, flags = byte 16 & 0x7f)
r6 = r1
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 17
if r4 > r3 goto +10
r3 = *(u8 *)(r2 + 15)
r3 &= 1
r4 = *(u8 *)(r2 + 16)
r4 &= 0x7f
r2 = *(u8 *)(r2 + 14)
r2 <<= 56
r2 s>>= 56
r1 = r6
call 50
exit
r0 = 99
exit
