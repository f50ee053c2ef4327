# xdp_load_bytes(ctx, off = byte 0, stack, 4) then xdp_store_bytes(ctx, byte 1, stack, 4)
r6 = r1
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 2
if r4 > r3 goto +16
r7 = *(u8 *)(r2 + 1)
r2 = *(u8 *)(r2 + 0)
r3 = r10
r3 += -8
r4 = 4
r1 = r6
call 189
if r0 != 0 goto +7
r1 = r6
r2 = r7
r3 = r10
r3 += -8
r4 = 4
call 190
exit
exit
r0 = 99
exit
