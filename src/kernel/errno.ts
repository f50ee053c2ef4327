/**
 * Linux errno numbers → names and short meanings, for one-line kernel error messages
 * (`BPF_MAP_CREATE: EPERM (operation not permitted)`). Numbers are the asm-generic ones.
 */

const ERRNOS: Record<number, [string, string]> = {
  1: ['EPERM', 'operation not permitted'],
  2: ['ENOENT', 'no such entry'],
  3: ['ESRCH', 'no such process'],
  4: ['EINTR', 'interrupted system call'],
  5: ['EIO', 'I/O error'],
  7: ['E2BIG', 'argument list too long'],
  9: ['EBADF', 'bad file descriptor'],
  11: ['EAGAIN', 'try again'],
  12: ['ENOMEM', 'out of memory'],
  13: ['EACCES', 'permission denied'],
  14: ['EFAULT', 'bad address'],
  16: ['EBUSY', 'device or resource busy'],
  17: ['EEXIST', 'exists'],
  19: ['ENODEV', 'no such device'],
  22: ['EINVAL', 'invalid argument'],
  24: ['EMFILE', 'too many open files'],
  28: ['ENOSPC', 'no space left (buffer too small)'],
  34: ['ERANGE', 'result out of range'],
  38: ['ENOSYS', 'function not implemented'],
  95: ['EOPNOTSUPP', 'operation not supported'],
  524: ['ENOTSUPP', 'operation not supported (kernel-internal)'],
};

export function errnoName(errno: number): string {
  return ERRNOS[errno]?.[0] ?? `errno ${errno}`;
}

/** `EPERM (operation not permitted)`. */
export function errnoText(errno: number): string {
  const e = ERRNOS[errno];
  return e ? `${e[0]} (${e[1]})` : `errno ${errno}`;
}
