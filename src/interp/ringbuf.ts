/**
 * A BPF ring buffer (kernel/bpf/ringbuf.c) with no consumer: records are reserved at the producer
 * position, each behind an 8-byte header, their length rounded up to 8; a reservation fails (NULL)
 * when flags are non-zero, when the record cannot fit the buffer at all, or when the producer
 * would run more than `size − 1` bytes ahead of the consumer (which never moves here). Submitted
 * records are what a reader would see: their bytes at submit time, in position order.
 */
import { hex } from './bytes.js';

export const RINGBUF_HDR_SZ = 8;
/** The kernel's RINGBUF_MAX_RECORD_SZ (UINT_MAX / 4). */
const MAX_RECORD_SZ = 0x3fff_ffff;

export interface RingRecord {
  /** Offset of the header in the data area. */
  pos: number;
  size: number;
  state: 'busy' | 'submitted' | 'discarded';
  /** Submitted bytes (hex). */
  data?: string;
}

export interface RingSnapshot {
  prodPos: number;
  records: RingRecord[];
}

export class RingBuffer {
  prodPos = 0;
  records: RingRecord[] = [];

  constructor(readonly size: number) {}

  /** Offset (in the data area) of the new record's data, or −1 when the kernel returns NULL. */
  reserve(size: number, flags: number): number {
    if (flags !== 0 || size > MAX_RECORD_SZ) return -1;
    const len = (size + RINGBUF_HDR_SZ + 7) & ~7;
    if (len > this.size) return -1;
    if (this.prodPos + len > this.size - 1) return -1; // consumer at 0: new_prod_pos − cons_pos > mask
    const pos = this.prodPos;
    this.prodPos += len;
    this.records.push({ pos, size, state: 'busy' });
    return pos + RINGBUF_HDR_SZ;
  }

  /** The busy record whose data starts at `dataOff`, or undefined. */
  busyAt(dataOff: number): RingRecord | undefined {
    return this.records.find((r) => r.pos + RINGBUF_HDR_SZ === dataOff && r.state === 'busy');
  }

  commit(rec: RingRecord, discard: boolean, bytes: Uint8Array): void {
    rec.state = discard ? 'discarded' : 'submitted';
    if (!discard) rec.data = hex(bytes.subarray(rec.pos + RINGBUF_HDR_SZ, rec.pos + RINGBUF_HDR_SZ + rec.size));
  }

  clear(): void {
    this.prodPos = 0;
    if (this.records.length > 0) this.records = [];
  }

  snapshot(): RingSnapshot {
    return { prodPos: this.prodPos, records: this.records.map((r) => ({ ...r })) };
  }

  restore(s: RingSnapshot): void {
    this.prodPos = s.prodPos;
    this.records = s.records.map((r) => ({ ...r }));
  }

  /** Submitted records as map entries: key = header position (u32, little-endian hex), value = the data. */
  entries(): { keyHex: string; valueHex: string }[] {
    return this.records.filter((r) => r.state === 'submitted').map((r) => ({ keyHex: hex(new Uint8Array(new Uint32Array([r.pos]).buffer)), valueHex: r.data! }));
  }
}
