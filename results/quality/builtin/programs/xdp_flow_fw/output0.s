; perf cost 45, verified: whole-program (Z3), accepted by the Linux verifier
r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
goto +0
*(u32 *)(r10 - 4) = 5
r0 = 2
r3 = r1
r3 += 34
if r3 > r2 goto +37
r3 = *(u16 *)(r1 + 12)
if r3 != 8 goto +35
r3 = *(u8 *)(r1 + 14)
r3 &= 15
if r3 != 5 goto +32
r3 = *(u8 *)(r1 + 23)
if r3 == 17 goto +1
if r3 != 6 goto +29
r0 = 1
r4 = r1
r4 += 38
if r4 > r2 goto +25
r2 = *(u32 *)(r1 + 26)
*(u32 *)(r10 - 16) = r2
r2 = *(u32 *)(r1 + 30)
*(u32 *)(r10 - 12) = r2
r2 = *(u16 *)(r1 + 34)
*(u16 *)(r10 - 8) = r2
r1 = *(u16 *)(r1 + 36)
*(u8 *)(r10 - 4) = r3
*(u16 *)(r10 - 6) = r1
r2 = r10
r2 += -16
ld_pseudo r1, 1, 0
call 1
r1 = r0
r0 = 1
if r1 == 0 goto +8
r2 = *(u32 *)(r1 + 4)
r2 += 1
*(u32 *)(r1 + 4) = r2
r2 = *(u32 *)(r1 + 0)
ld_pseudo r1, 1, 1
r3 = 1
call 51
exit
