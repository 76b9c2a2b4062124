// SPDX-License-Identifier: GPL-2.0
/* The time each new process of one cgroup spends asleep between its fork and its exec: for
 * posix_spawn of a program, the wait for an exec permission answer (fanotify
 * FAN_OPEN_EXEC_PERM: the binary's and its ELF interpreter's) and the wake-up after it, and
 * nothing else on a warm cache. Measured in the kernel (sched tracepoints), so the spawn's
 * fork, exit and wait, and the loop around it, do not add their noise. Preemption is not
 * sleep and is not counted. One record per exec. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 target_cgroup = 0;

struct spawn {
  __u64 forked_ns;
  __u64 asleep_since;  // 0 while on a CPU or runnable
  __u64 asleep_ns;
  __u32 sleeps;
  __u32 pad;
};

struct result {
  __u64 asleep_ns;
  __u64 fork_to_exec_ns;
  __u32 sleeps;
  __u32 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, struct spawn);
} spawns SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} results SEC(".maps");

#define TASK_REPORT_MAX 0x100 /* prev_state of a preempted task */

SEC("tracepoint/sched/sched_process_fork")
int on_fork(struct trace_event_raw_sched_process_fork *ctx) {
  if (bpf_get_current_cgroup_id() != target_cgroup) return 0;
  __u32 child = ctx->child_pid;
  struct spawn s = {.forked_ns = bpf_ktime_get_ns()};
  bpf_map_update_elem(&spawns, &child, &s, BPF_ANY);
  return 0;
}

SEC("tracepoint/sched/sched_switch")
int on_switch(struct trace_event_raw_sched_switch *ctx) {
  __u64 now = bpf_ktime_get_ns();
  __u32 prev = ctx->prev_pid, next = ctx->next_pid;
  long state = ctx->prev_state;
  struct spawn *s = bpf_map_lookup_elem(&spawns, &prev);
  if (s && state != 0 && state < TASK_REPORT_MAX) s->asleep_since = now;
  s = bpf_map_lookup_elem(&spawns, &next);
  if (s && s->asleep_since) {
    s->asleep_ns += now - s->asleep_since;
    s->asleep_since = 0;
    s->sleeps++;
  }
  return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int on_exec(void *ctx) {
  __u32 pid = bpf_get_current_pid_tgid();
  struct spawn *s = bpf_map_lookup_elem(&spawns, &pid);
  if (!s) return 0;
  struct result *r = bpf_ringbuf_reserve(&results, sizeof(*r), 0);
  if (r) {
    r->asleep_ns = s->asleep_ns;
    r->fork_to_exec_ns = bpf_ktime_get_ns() - s->forked_ns;
    r->sleeps = s->sleeps;
    r->pad = 0;
    bpf_ringbuf_submit(r, 0);
  }
  bpf_map_delete_elem(&spawns, &pid);
  return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx) {
  __u32 pid = bpf_get_current_pid_tgid();
  bpf_map_delete_elem(&spawns, &pid);
  return 0;
}
