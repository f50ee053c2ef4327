/**
 * bpf_trace_printk's formatting (the kernel's bpf_bprintf_prepare + bstr_printf): the format must
 * be NUL-terminated printable text; conversions %d %i %u %x %X %c %s %% with optional flags
 * "0+- ", a width and l/ll; %p prints a pointer (the kernel hashes plain %p: the text then
 * depends on the kernel, noted as environment-dependent). Returns undefined where the kernel
 * returns −EINVAL.
 */
import { HELPER_IDS } from '../ebpf/helpers.js';
import { readKernelMemory } from './environment.js';
import { usedEnvironment } from './helper-base.js';
import type { Machine } from './machine.js';

const MAX_ARGS = 12;

function readString(m: Machine, addr: bigint): string {
  let s = '';
  for (let i = 0; i < 1024; i++) {
    let b: number | undefined;
    try { b = addr + BigInt(i) < 0x1_0000_0000n ? m.mem.readBytes(0, Number(addr) + i, 1)[0] : undefined; } catch { b = undefined; }
    b ??= readKernelMemory(m.input, addr + BigInt(i), 1)?.[0];
    if (b === undefined) return s.length === 0 ? '(efault)' : s;
    if (b === 0) return s;
    s += String.fromCharCode(b);
  }
  return s;
}

export function formatPrintk(m: Machine, fmt: Uint8Array, args: readonly bigint[]): string | undefined {
  const end = fmt.indexOf(0);
  if (end < 0) return undefined;
  let out = '';
  let argi = 0;
  for (let i = 0; i < end; i++) {
    const c = fmt[i]!;
    if (c < 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d || c > 0x7e) return undefined;
    if (c !== 0x25) { out += String.fromCharCode(c); continue; }
    i++;
    if (fmt[i] === 0x25) { out += '%'; continue; }
    let flags = '';
    while (i < end && '0+- '.includes(String.fromCharCode(fmt[i]!))) flags += String.fromCharCode(fmt[i++]!);
    let width = 0;
    while (i < end && fmt[i]! >= 0x30 && fmt[i]! <= 0x39) width = width * 10 + fmt[i++]! - 0x30;
    let bits = 32;
    if (fmt[i] === 0x6c) { bits = 64; i++; if (fmt[i] === 0x6c) i++; }
    if (argi >= Math.min(args.length, MAX_ARGS)) return undefined;
    const a = args[argi++]!;
    const conv = String.fromCharCode(fmt[i] ?? 0);
    let text: string;
    switch (conv) {
      case 'd': case 'i': text = (bits === 32 ? BigInt.asIntN(32, a) : BigInt.asIntN(64, a)).toString(); break;
      case 'u': text = (bits === 32 ? BigInt.asUintN(32, a) : BigInt.asUintN(64, a)).toString(); break;
      case 'x': text = (bits === 32 ? BigInt.asUintN(32, a) : BigInt.asUintN(64, a)).toString(16); break;
      case 'X': text = (bits === 32 ? BigInt.asUintN(32, a) : BigInt.asUintN(64, a)).toString(16).toUpperCase(); break;
      case 'c': text = String.fromCharCode(Number(a & 0xffn)); break;
      case 's': text = readString(m, a); break;
      case 'p': {
        if (fmt[i + 1] === 0x78) i++; // %px: the raw value
        else usedEnvironment(m, HELPER_IDS.trace_printk);
        text = '0x' + BigInt.asUintN(64, a).toString(16).padStart(16, '0');
        break;
      }
      default: return undefined;
    }
    if (flags.includes('+') && (conv === 'd' || conv === 'i') && !text.startsWith('-')) text = '+' + text;
    if (text.length < width) text = flags.includes('-') ? text.padEnd(width) : flags.includes('0') && conv !== 's' && conv !== 'c' ? text.padStart(width, '0') : text.padStart(width);
    out += text;
  }
  return out;
}
