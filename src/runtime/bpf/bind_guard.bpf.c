// SPDX-License-Identifier: GPL-2.0
/* Protect's listen enforcement: cgroup/bind4 and cgroup/bind6 programs, attached to the
 * cgroup of each protected container, refuse (EPERM, before the socket has an address) a
 * bind of a stream socket to a port its profile does not list. listen() is for stream
 * sockets, and a profile learns "tcp/<port>" from it; a bind to port 0 (the kernel picks
 * one, as a client's connect does) is never refused, and neither are datagram sockets.
 * The container is found by its cgroup or the nearest ancestor that is one (a container
 * may make cgroups of its own), so the programs need no per-attachment state. */
#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bind_guard_abi.h"

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1

char LICENSE[] SEC("license") = "GPL";

/* Protected containers' cgroups (value unused). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);
  __type(value, __u8);
} protected_cgroups SEC(".maps");

/* The ports each protected container may bind (value unused). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, struct bh_bind_key);
  __type(value, __u8);
} allowed_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 16);
} denials SEC(".maps");

/* Denials the ring buffer had no room for (the bind was refused all the same). */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} unreported SEC(".maps");

/* The deepest cgroup of the current task's cgroup path that is a protected container's. */
static __always_inline __u64 protected_cgroup(void) {
  __u64 found = 0;
  for (int level = 1; level <= BH_BIND_MAX_LEVEL; level++) {
    __u64 id = bpf_get_current_ancestor_cgroup_id(level);
    if (id == 0) break;
    if (bpf_map_lookup_elem(&protected_cgroups, &id)) found = id;
  }
  return found;
}

static __always_inline int judge(struct bpf_sock_addr *ctx, __u16 family) {
  if (ctx->type != SOCK_STREAM) return 1;
  __u16 port = bpf_ntohs((__u16)ctx->user_port);
  if (port == 0) return 1;
  struct bh_bind_key key = {};
  key.cgroup_id = protected_cgroup();
  if (key.cgroup_id == 0) return 1;
  key.port = port;
  if (bpf_map_lookup_elem(&allowed_ports, &key)) return 1;

  struct bh_bind_denial *d = bpf_ringbuf_reserve(&denials, sizeof(*d), 0);
  if (!d) {
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&unreported, &zero);
    if (n) *n += 1;
    return 0;
  }
  __builtin_memset(d, 0, sizeof(*d));
  d->time_ns = bpf_ktime_get_ns();
  d->cgroup_id = key.cgroup_id;
  d->pid = bpf_get_current_pid_tgid() >> 32;
  d->uid = (__u32)bpf_get_current_uid_gid();
  d->family = family;
  d->port = port;
  if (family == AF_INET) {
    __u32 a = ctx->user_ip4;
    __builtin_memcpy(d->addr, &a, 4);
  } else {
    __u32 a0 = ctx->user_ip6[0], a1 = ctx->user_ip6[1], a2 = ctx->user_ip6[2], a3 = ctx->user_ip6[3];
    __builtin_memcpy(d->addr, &a0, 4);
    __builtin_memcpy(d->addr + 4, &a1, 4);
    __builtin_memcpy(d->addr + 8, &a2, 4);
    __builtin_memcpy(d->addr + 12, &a3, 4);
  }
  bpf_get_current_comm(d->comm, sizeof(d->comm));
  bpf_ringbuf_submit(d, 0);
  return 0;
}

SEC("cgroup/bind4")
int bind4(struct bpf_sock_addr *ctx) { return judge(ctx, AF_INET); }

SEC("cgroup/bind6")
int bind6(struct bpf_sock_addr *ctx) { return judge(ctx, AF_INET6); }
