; perf cost 68, verified: whole-program (Z3), accepted by the Linux verifier
r6 = r1
r7 = 0
r9 = *(u32 *)(r6 + 48)
r0 = *(u16 *)skb[r9]
r1 = 4294963200 ll
r2 = r0
r2 &= r1
if r2 != 16384 goto +58
*(u64 *)(r10 - 32) = r0
r1 = r9
r1 += 6
r0 = *(u16 *)skb[r1]
r0 &= 8191
if r0 == 0 goto +1
goto +50
goto +0
*(u64 *)(r10 - 8) = r9
r1 = r9
r1 += 8
r0 = *(u16 *)skb[r1]
r7 = r0
r7 &= 255
*(u16 *)(r10 - 2) = r7
r1 = r9
r1 += 18
r0 = *(u16 *)skb[r1]
r8 = r0
r1 = r9
r1 += 16
r0 = *(u16 *)skb[r1]
r0 <<= 16
r0 |= r8
*(u32 *)(r10 - 8) = r0
if r7 == 6 goto +1
if r7 != 17 goto +7
r1 = *(u64 *)(r10 - 32)
r1 >>= 6
r1 &= 60
r9 += r1
r9 += 2
r0 = *(u16 *)skb[r9]
*(u16 *)(r10 - 4) = r0
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto +5
r1 = 1
lock *(u64 *)(r0 + 0) += r1
r1 = *(u32 *)(r6 + 0)
lock *(u64 *)(r0 + 8) += r1
goto +12
r1 = 1
*(u64 *)(r10 - 24) = r1
r1 = *(u32 *)(r6 + 0)
*(u64 *)(r10 - 16) = r1
r2 = r10
r2 += -8
r3 = r10
r3 += -24
ld_pseudo r1, 1, 0
r4 = 1
call 2
r7 = *(u32 *)(r6 + 0)
r0 = r7
exit
