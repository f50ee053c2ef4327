; perf cost 48, verified: whole-program (Z3), accepted by the Linux verifier
r2 = *(u32 *)(r1 + 20)
r3 = 4294967200 ll
if r2 s> r3 goto +9
if r2 == 0 goto +23
r3 = 4294967196 ll
if r2 == r3 goto +1
goto +15
r2 = 1
*(u32 *)(r10 - 4) = r2
r2 = 6
goto +22
r3 = 4294967201 ll
if r2 == r3 goto +16
r3 = 4294967274 ll
if r2 == r3 goto +1
goto +4
r2 = 2
*(u32 *)(r10 - 4) = r2
r2 = 7
goto +11
r2 = 4
*(u32 *)(r10 - 4) = r2
r2 = 9
goto +7
goto +0
*(u32 *)(r10 - 4) = r2
r2 = 5
goto +3
r2 = 3
*(u32 *)(r10 - 4) = r2
r2 = 8
r1 = *(u32 *)(r1 + 28)
if r1 == 0 goto +1
*(u32 *)(r10 - 4) = r2
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto +3
r1 = *(u64 *)(r0 + 0)
r1 += 1
*(u64 *)(r0 + 0) = r1
r0 = 0
exit
