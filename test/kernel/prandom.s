# Returns bpf_get_prandom_u32(): the kernel's value is random, the interpreter's comes from its
# input, so a differential test must report mismatches here.
call 7
exit
