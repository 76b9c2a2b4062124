/* Records and keys shared by bind_guard.bpf.c and user space (enforce/bind_guard.cpp). */
#ifndef BULKHEAD_BIND_GUARD_ABI_H
#define BULKHEAD_BIND_GUARD_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Deepest cgroup level searched for a protected container's cgroup. */
#define BH_BIND_MAX_LEVEL 16

/* A port a protected container may bind for a stream socket. */
struct bh_bind_key {
  __u64 cgroup_id; /* the container's cgroup (cgroup2 inode) */
  __u16 port;      /* host byte order */
  __u16 pad[3];
};

/* A bind the guard refused, for the agent's report. */
struct bh_bind_denial {
  __u64 time_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
  __u64 cgroup_id;
  __u32 pid; /* thread group ID */
  __u32 uid;
  __u16 family; /* AF_INET or AF_INET6 */
  __u16 port;   /* host byte order */
  __u8 addr[16]; /* network byte order; 4 bytes for AF_INET */
  char comm[16];
  __u32 pad;
};

#endif
