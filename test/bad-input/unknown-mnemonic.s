; a valid program, except for one made-up mnemonic
r0 = 0
frobnicate r1, r2
exit
