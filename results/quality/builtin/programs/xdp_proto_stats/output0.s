; perf cost 52, verified: whole-program (Z3), accepted by the Linux verifier
r0 = 1
r6 = *(u32 *)(r1 + 4)
r7 = *(u32 *)(r1 + 0)
r1 = r7
r1 += 14
if r1 > r6 goto +48
r2 = *(u16 *)(r7 + 12)
if r2 == 43144 goto +2
r1 = 14
if r2 != 129 goto +11
r1 = r7
r1 += 18
if r1 > r6 goto +41
r1 = 18
r2 = *(u16 *)(r7 + 16)
if r2 != 129 goto +5
r1 = r7
r1 += 22
if r1 > r6 goto +35
r1 = 22
r2 = *(u16 *)(r7 + 20)
goto +0
*(u32 *)(r10 - 4) = 0
if r2 == 56710 goto +8
if r2 != 8 goto +14
r2 = r7
r2 += r1
r1 = r2
r1 += 20
if r1 > r6 goto +24
r1 = *(u8 *)(r2 + 9)
goto +6
r2 = r7
r2 += r1
r1 = r2
r1 += 40
if r1 > r6 goto +17
r1 = *(u8 *)(r2 + 6)
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r1 = r0
r0 = 2
if r1 == 0 goto +7
r2 = *(u64 *)(r1 + 0)
r2 += 1
*(u64 *)(r1 + 0) = r2
r6 -= r7
goto +0
goto +0
lock *(u64 *)(r1 + 8) += r6
exit
