/* Records of the flow capture (flow_capture.bpf.c), shared with src/net/flow_capture.cpp. */
#ifndef BULKHEAD_FLOW_ABI_H
#define BULKHEAD_FLOW_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BH_FLOW_CHUNK 512      /* payload bytes copied from one packet, at most (a power of 2) */
#define BH_FLOW_PACKETS 4      /* payload packets copied per direction of a flow */

enum bh_flow_dir { BH_FLOW_EGRESS = 0, BH_FLOW_INGRESS = 1 };

/* A flow, as seen from the container: its own address and port, then the peer's. */
struct bh_flow_key {
  __u64 cgroup_id;
  __u8 family;    /* AF_INET, AF_INET6 */
  __u8 proto;     /* IPPROTO_TCP, IPPROTO_UDP */
  __u16 local_port;
  __u16 remote_port;
  __u16 pad;
  __u8 local[16];  /* IPv4 in the first 4 bytes */
  __u8 remote[16];
};

/* Bits of bh_flow_state.closed. */
#define BH_FLOW_FIN_EGRESS 0x01
#define BH_FLOW_FIN_INGRESS 0x02
#define BH_FLOW_RST 0x04

/* What the kernel keeps per flow: the value of the `flows` map, which user space reads for
 * the byte counts of flows that stay open. 32 bytes, no implicit padding. */
struct bh_flow_state {
  __u64 bytes[2];   /* L4 payload bytes by enum bh_flow_dir: sent, received */
  __u64 start_ns;   /* bpf_ktime_get_ns() when the entry was made (again): tells entries of one key apart */
  __u8 packets[2];  /* payload packets copied so far per direction */
  __u8 closed;      /* BH_FLOW_FIN_EGRESS | BH_FLOW_FIN_INGRESS | BH_FLOW_RST, as seen */
  __u8 pad[5];
};

/* One captured packet. 600 bytes, no implicit padding. */
struct bh_flow_chunk {
  struct bh_flow_key key;
  __u8 dir;        /* enum bh_flow_dir */
  __u8 tcp_flags;  /* FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10 */
  __u16 len;       /* payload bytes in data */
  __u32 seq;       /* TCP sequence number of the first byte (of the SYN for a SYN) */
  __u32 payload;   /* payload bytes the packet carried (more than len when cut) */
  __u32 pad;
  __u64 bytes[2];  /* the flow's payload bytes so far, this packet's included (bh_flow_state) */
  __u64 start_ns;  /* the flow entry's bh_flow_state.start_ns */
  __u8 data[BH_FLOW_CHUNK];
};

#endif
