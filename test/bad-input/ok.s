; the positive control: assembles cleanly
r0 = 1
exit
