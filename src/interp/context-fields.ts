/**
 * The context fields the interpreter fills in per program type (offsets from src/ebpf/contexts.ts) and
 * what eth_type_trans() derives from a test packet (skb->protocol, skb->pkt_type), as the kernel's
 * BPF_PROG_TEST_RUN sets them.
 */
import { SK_BUFF_LAYOUT, XDP_MD_LAYOUT, fieldOffset } from '../ebpf/contexts.js';

/** XDP headroom before the packet data (the kernel's XDP_PACKET_HEADROOM). */
export const XDP_HEADROOM = 256;
export const XDP_MD_SIZE = XDP_MD_LAYOUT.size;
export const SKB_CTX_SIZE = SK_BUFF_LAYOUT.size;
const skb = (name: string): number => fieldOffset(SK_BUFF_LAYOUT, name);
const xdp = (name: string): number => fieldOffset(XDP_MD_LAYOUT, name);
/** __sk_buff field offsets the interpreter fills in (from src/ebpf/contexts.ts). */
export const SKB = {
  len: skb('len'), pktType: skb('pkt_type'), mark: skb('mark'), queueMapping: skb('queue_mapping'), protocol: skb('protocol'),
  priority: skb('priority'), ingressIfindex: skb('ingress_ifindex'), ifindex: skb('ifindex'), cb: skb('cb'), hash: skb('hash'),
  data: skb('data'), dataEnd: skb('data_end'), dataMeta: skb('data_meta'), flowKeys: skb('flow_keys'),
} as const;
/** Which test-run conventions apply: XDP, tc (skb->data at the Ethernet header), a flow dissector, other. */
export type ProgKind = 'xdp' | 'tc' | 'flow' | 'other';
/** Bytes of __sk_buff's cb[5] scratch area. */
export const SKB_CB_SIZE = SK_BUFF_LAYOUT.fields.cb!.size;
export const XDP_MD = {
  data: xdp('data'), dataEnd: xdp('data_end'), dataMeta: xdp('data_meta'), ingressIfindex: xdp('ingress_ifindex'),
  rxQueueIndex: xdp('rx_queue_index'), egressIfindex: xdp('egress_ifindex'),
} as const;

export const ETH_HLEN = 14;

/**
 * skb->protocol as eth_type_trans() sets it (network byte order): the EtherType when ≥ 0x0600,
 * else an 802.3 length field: ETH_P_802_3 for raw IPX (payload starts 0xffff), else ETH_P_802_2.
 */
export function setEthProtocol(ctx: Uint8Array, p: Uint8Array): void {
  if (((p[12]! << 8) | p[13]!) >= 0x0600) { ctx[SKB.protocol] = p[12]!; ctx[SKB.protocol + 1] = p[13]!; return; }
  ctx[SKB.protocol] = 0;
  ctx[SKB.protocol + 1] = p[14] === 0xff && p[15] === 0xff ? 0x01 : 0x04;
}

/**
 * skb->pkt_type as eth_type_trans() sets it on the test run's loopback device (address and
 * broadcast address all zero): PACKET_HOST (0) for that address, PACKET_MULTICAST (2) for any
 * group address (ff:ff:ff:ff:ff:ff included), else PACKET_OTHERHOST (3).
 */
export function pktType(p: Uint8Array): number {
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) return 0;
  return p[0]! & 1 ? 2 : 3;
}
