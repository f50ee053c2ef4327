; perf cost 38, verified: whole-program (Z3), accepted by the Linux verifier
r6 = r1
goto +0
goto +0
goto +0
*(u64 *)(r10 - 8) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto +4
r1 = *(u32 *)(r0 + 0)
r1 += 1
*(u32 *)(r0 + 0) = r1
goto +8
r2 = r10
r2 += -4
r3 = r10
r3 += -8
ld_pseudo r1, 1, 0
r4 = 0
call 2
r2 = *(u64 *)(r6 + 32)
r1 = r2
r1 &= 3
r2 &= 64
if r2 == 0 goto +1
r1 = 3
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 1
call 1
if r0 == 0 goto +3
r1 = *(u64 *)(r0 + 0)
r1 += 1
*(u64 *)(r0 + 0) = r1
r0 = 0
exit
