; perf cost 32, verified: whole-program (Z3), accepted by the Linux verifier
r6 = r1
r1 = *(u32 *)(r6 + 16)
r1 &= 7
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto +22
r1 = *(u64 *)(r0 + 0)
r1 += 1
*(u64 *)(r0 + 0) = r1
r1 = *(u64 *)(r6 + 24)
r1 <<= 32
r1 s>>= 32
goto +0
goto +0
lock *(u64 *)(r0 + 8) += r1
r1 = *(u32 *)(r6 + 20)
r1 <<= 32
r1 s>>= 32
r2 = *(u64 *)(r0 + 16)
r2 += r1
*(u64 *)(r0 + 16) = r2
r1 = *(u32 *)(r6 + 28)
r1 <<= 32
r1 s>>= 32
if r1 s> -1 goto +3
r1 = *(u64 *)(r0 + 24)
r1 += 1
*(u64 *)(r0 + 24) = r1
r0 = 0
exit
