// SPDX-License-Identifier: GPL-2.0
/* Flow capture for protocol identification and byte counts: cgroup_skb programs, attached
 * to the cgroups of watched containers only, copy the first payload bytes of each new TCP or
 * UDP flow (BH_FLOW_PACKETS packets a direction, BH_FLOW_CHUNK bytes each) and every TCP SYN,
 * FIN and RST into a ring buffer, and count every packet's L4 payload bytes per flow and
 * direction in the `flows` map (FIN and RST records carry the counts; user space reads the
 * map for flows that stay open). Packets are never changed or dropped: both programs
 * return 1. */
#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "flow_abi.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} flow_chunks SEC(".maps");

/* Per flow: payload packets copied and bytes counted so far, per direction. User space
 * deletes the entries of closed flows once it has read them; the LRU evicts the rest. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct bh_flow_key);
  __type(value, struct bh_flow_state);
} flows SEC(".maps");

/* Chunks the ring buffer had no room for. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} dropped SEC(".maps");

static __always_inline int capture(struct __sk_buff *skb, __u8 dir) {
  struct bh_flow_key key = {};
  __u32 l4 = 0, proto = 0, len = skb->len;
  key.cgroup_id = bpf_skb_cgroup_id(skb);
  if (skb->protocol == bpf_htons(ETH_P_IP)) {
    struct iphdr ip;
    if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0) return 1;
    if (ip.frag_off & bpf_htons(0x3fff)) return 1; /* fragments: not the start of a flow */
    proto = ip.protocol;
    l4 = ip.ihl * 4;
    key.family = AF_INET;
    __builtin_memcpy(dir == BH_FLOW_EGRESS ? key.local : key.remote, &ip.saddr, 4);
    __builtin_memcpy(dir == BH_FLOW_EGRESS ? key.remote : key.local, &ip.daddr, 4);
  } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr ip6;
    if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0) return 1;
    proto = ip6.nexthdr; /* extension headers: not followed */
    l4 = sizeof(ip6);
    key.family = AF_INET6;
    __builtin_memcpy(dir == BH_FLOW_EGRESS ? key.local : key.remote, &ip6.saddr, 16);
    __builtin_memcpy(dir == BH_FLOW_EGRESS ? key.remote : key.local, &ip6.daddr, 16);
  } else {
    return 1;
  }
  __u32 seq = 0, payload_at = 0;
  __u8 flags = 0;
  __u16 sport = 0, dport = 0;
  if (proto == IPPROTO_TCP) {
    struct tcphdr tcp;
    if (bpf_skb_load_bytes(skb, l4, &tcp, sizeof(tcp)) < 0) return 1;
    sport = bpf_ntohs(tcp.source);
    dport = bpf_ntohs(tcp.dest);
    seq = bpf_ntohl(tcp.seq);
    flags = ((__u8 *)&tcp)[13];
    payload_at = l4 + tcp.doff * 4;
  } else if (proto == IPPROTO_UDP) {
    struct udphdr udp;
    if (bpf_skb_load_bytes(skb, l4, &udp, sizeof(udp)) < 0) return 1;
    sport = bpf_ntohs(udp.source);
    dport = bpf_ntohs(udp.dest);
    payload_at = l4 + sizeof(udp);
  } else {
    return 1;
  }
  key.proto = proto;
  key.local_port = dir == BH_FLOW_EGRESS ? sport : dport;
  key.remote_port = dir == BH_FLOW_EGRESS ? dport : sport;
  __u32 payload = len > payload_at ? len - payload_at : 0;
  const int control = flags & 0x07; /* FIN, SYN, RST: always sent, they frame the flow */
  if (payload == 0 && !control) return 1;

  struct bh_flow_state *seen = bpf_map_lookup_elem(&flows, &key);
  /* A SYN without ACK starts a connection: afresh when the key is reused (a client port
   * taken again), so that its first packets are copied and its counts start from zero. */
  const int opens = (flags & 0x12) == 0x02;
  if (!seen || opens) {
    struct bh_flow_state fresh = {};
    fresh.start_ns = bpf_ktime_get_ns();
    bpf_map_update_elem(&flows, &key, &fresh, seen ? BPF_ANY : BPF_NOEXIST);
    seen = bpf_map_lookup_elem(&flows, &key);
    if (!seen) return 1;
  }
  /* Every packet's payload counts, the ones after the first BH_FLOW_PACKETS too. */
  if (payload > 0) __sync_fetch_and_add(&seen->bytes[dir & 1], payload);
  if (flags & 0x04) {
    seen->closed |= BH_FLOW_RST;
  } else if (flags & 0x01) {
    seen->closed |= dir == BH_FLOW_EGRESS ? BH_FLOW_FIN_EGRESS : BH_FLOW_FIN_INGRESS;
  }
  if (payload > 0 && !control) {
    if (seen->packets[dir & 1] >= BH_FLOW_PACKETS) return 1;
    seen->packets[dir & 1]++;
  }
  struct bh_flow_chunk *c = bpf_ringbuf_reserve(&flow_chunks, sizeof(*c), 0);
  if (!c) {
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&dropped, &zero);
    if (n) (*n)++;
    return 1;
  }
  c->key = key;
  c->dir = dir;
  c->tcp_flags = flags;
  c->seq = seq;
  c->payload = payload;
  c->pad = 0;
  c->bytes[0] = seen->bytes[0];
  c->bytes[1] = seen->bytes[1];
  c->start_ns = seen->start_ns;
  c->len = 0;
  __u32 n = payload;
  if (n > BH_FLOW_CHUNK) n = BH_FLOW_CHUNK;
  if (n > 0) {
    barrier_var(n);
    n = ((n - 1) & (BH_FLOW_CHUNK - 1)) + 1; /* the same n, in [1, BH_FLOW_CHUNK] for the verifier */
    if (bpf_skb_load_bytes(skb, payload_at, c->data, n) == 0) c->len = n;
  }
  bpf_ringbuf_submit(c, 0);
  return 1;
}

SEC("cgroup_skb/egress")
int flow_egress(struct __sk_buff *skb) { return capture(skb, BH_FLOW_EGRESS); }

SEC("cgroup_skb/ingress")
int flow_ingress(struct __sk_buff *skb) { return capture(skb, BH_FLOW_INGRESS); }
