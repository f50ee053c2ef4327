; perf cost 55, verified: whole-program (Z3), accepted by the Linux verifier
r6 = 2
r2 = *(u32 *)(r1 + 4)
r1 = *(u32 *)(r1 + 0)
r3 = r1
r3 += 34
if r3 > r2 goto +48
r2 = *(u16 *)(r1 + 12)
if r2 != 8 goto +46
r7 = *(u32 *)(r1 + 26)
goto +0
*(u32 *)(r10 - 4) = 32
*(u32 *)(r10 - 8) = r7
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 1
if r0 != 0 goto +32
r1 = 24
*(u32 *)(r10 - 4) = r1
r1 = r7
r1 &= 16777215
*(u32 *)(r10 - 8) = r1
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 1
if r0 != 0 goto +21
r1 = 16
*(u32 *)(r10 - 4) = r1
r1 = r7
r1 &= 65535
*(u32 *)(r10 - 8) = r1
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 1
if r0 != 0 goto +10
r1 = 8
*(u32 *)(r10 - 4) = r1
r7 &= 255
*(u32 *)(r10 - 8) = r7
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto +4
r1 = *(u64 *)(r0 + 0)
r1 += 1
*(u64 *)(r0 + 0) = r1
r6 = 1
r0 = r6
exit
