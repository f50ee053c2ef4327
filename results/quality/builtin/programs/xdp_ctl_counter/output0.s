; perf cost 47, verified: whole-program (Z3), accepted by the Linux verifier
r6 = r1
goto +0
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto +39
r1 = *(u32 *)(r0 + 0)
if r1 == 0 goto +37
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 1
call 1
if r0 == 0 goto +3
r1 = *(u64 *)(r0 + 0)
r1 += 1
*(u64 *)(r0 + 0) = r1
r1 = 1
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto +18
r1 = *(u32 *)(r0 + 0)
if r1 == 0 goto +16
r1 = 1
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 1
call 1
if r0 == 0 goto +8
r1 = *(u32 *)(r6 + 0)
r2 = *(u32 *)(r6 + 4)
r2 -= r1
r2 <<= 32
r2 >>= 32
lock *(u64 *)(r0 + 0) += r2
goto +0
goto +0
r0 = 2
exit
