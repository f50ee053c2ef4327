; perf cost 37, verified: whole-program (Z3), accepted by the Linux verifier
r6 = r1
r0 = *(u16 *)skb[12]
goto +0
*(u32 *)(r10 - 4) = 0
r1 = r0
goto +0
goto +0
if r1 == 33024 goto +2
r7 = 14
if r1 != 34984 goto +10
r0 = *(u16 *)skb[16]
r1 = 1
lock *(u32 *)(r10 - 4) += r1
r7 = 18
r1 = r0
goto +0
goto +0
if r1 != 33024 goto +2
r7 = 22
r0 = *(u16 *)skb[20]
*(u32 *)(r6 + 48) = r7
r3 = 0
goto +0
goto +0
if r0 == 2048 goto +5
if r0 == 2054 goto +3
if r0 != 34525 goto +7
r3 = 1
goto +1
r3 = 2
r1 = r6
ld_pseudo r2, 1, 0
call 12
r2 = r10
r2 += -4
ld_pseudo r1, 1, 1
call 1
if r0 == 0 goto +2
r1 = 1
lock *(u64 *)(r0 + 0) += r1
r0 = 0
exit
