// SPDX-License-Identifier: GPL-2.0
/* Bulkhead's runtime sensor: tracepoint programs that write one bh_record per observation
 * to a ring buffer. Only tracepoints (kprobes, fentry and BPF LSM are not available on
 * every kernel we run on); CO-RE reads keep one object valid across kernel versions.
 * Filtering happens here, before the ring buffer: the sensor itself, the cgroup scope and
 * reads of non-sensitive files never leave the kernel. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sensor_abi.h"

char LICENSE[] SEC("license") = "GPL";

/* vmlinux.h has types, not macros. */
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_TRUNC 01000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define TMPFS_MAGIC 0x01021994 /* shmem: tmpfs and memfds */
#define HUGETLBFS_MAGIC 0x958458f6
#define NR_INIT_MODULE 175  /* x86_64 */
#define NR_FINIT_MODULE 313

/* Set by user space before load: rodata lets the verifier drop the dead branch. */
const volatile __u32 self_tgid = 0;
/* The host's mount namespace (the sensor's): an exec there is never killed (exec_kills). A
 * runtime's own helper may exec in the container's cgroup before it enters the container's
 * namespaces (runc init, started into the cgroup with CLONE_INTO_CGROUP, from a memfd or
 * a private overlay); a process of the container cannot get there without escaping. */
const volatile __u32 host_mnt_ns = 0;
const volatile __u32 watch_only = 0;
/* 0: every record wakes the reader. Otherwise a record wakes it only once this many bytes
 * wait, and the reader polls on a timer: a wake-up costs the writer an irq_work and the
 * reader a context switch, which on a virtual machine cost more than the record itself. */
const volatile __u64 wakeup_bytes = 0;
/* 0: every open reported. Otherwise an open that repeats one reported less than this long
 * ago (same process, path and write flags) is only counted in `merged`. */
const volatile __u64 repeat_ns = 0;
const volatile __u64 repeat_seed = 0; /* random, from user space: paths cannot be crafted to collide */
/* The window is kept in jiffies where the kernel's tick rate is known (libbpf reads it from
 * /proc/config.gz or /boot): jiffies is a load, while a clock read costs more than the
 * rest of a repeated open's check on a virtual machine (kvm-clock). Else in boot ns. */
extern unsigned int CONFIG_HZ __kconfig __weak;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20); /* resized by user space before load */
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, __u8);
} watched_cgroups SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, BH_KIND_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} drops SEC(".maps");

/* Cgroups (Protect) whose execs the exec guard cannot judge are killed at exec: BH_KILL_*
 * bits (Sensor::setExecKills). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, __u8);
} exec_kills SEC(".maps");

/* What the exec guard's fanotify marks cover, per cgroup: its root file system's
 * superblock and its other mounts (struct bh_guarded_key). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, struct bh_guarded_key);
  __type(value, __u64); /* when marked (BH_GUARD_SETTLE_NS) */
} guarded_mounts SEC(".maps");

/* The trie's prefilter (sensor_abi.h): a read whose head has no bit set starts with no
 * sensitive prefix. Most reads (libraries, /usr, /proc, /etc/ld.so.cache) stop here after
 * an 8-byte read, instead of a 128-byte read and a trie walk. */
const volatile __u32 prefilter_bytes = BH_PREFILTER_HEAD;
const volatile __u64 prefilter[BH_PREFILTER_BITS / 64];

/* A read not sensitive by its name may be by where it lands: through a symlink, "..",
 * "//" or /proc/PID/root. Its file's own name (leaf_bytes bytes of it) and its directory's
 * (parent_bytes) are tested here, hashed as the prefilter's heads (a directory's with
 * BH_PARENT_TAG): user space sets the leaves of the prefixes (shadow, ssh_host_) and the
 * directories of those ending in '/' (.ssh). A hit has its real path walked and matched. */
const volatile __u32 leaf_bytes = 0;   /* 0: no prefix has a leaf */
const volatile __u32 parent_bytes = 0; /* 0: no prefix is a directory */
const volatile __u64 name_filter[BH_PREFILTER_BITS / 64];

/* Sensitive files by identity (struct bh_inode_key): a read not sensitive by its name nor
 * by its file's names is tested on its inode number here (one bit, set by user space in
 * .bss), and only on a hit looked up with its device. */
volatile __u64 ino_filter[BH_PREFILTER_BITS / 64];
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __uint(map_flags, BPF_F_NO_PREALLOC); /* filled from user space only: no 2.3 MB up front */
  __type(key, struct bh_inode_key);
  __type(value, struct bh_inode_path);
} sensitive_inodes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 256);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct bh_prefix_key);
  __type(value, __u8);
} sensitive_prefixes SEC(".maps");

/* Set*id calls are reported at their exit, when the caller's ids have already changed: the
 * real ids each thread last moved to (and its effective uid, with the mm it had then: an
 * exec may change that one) are kept with the task. A task without them (the call is its
 * first since it was forked or exec'd) changed from the ids its program was started with,
 * which the kernel keeps in the process's auxiliary vector. Freed with the task. */
struct id_state {
  __u64 mm;
  __u32 uid, euid, gid;
  __u32 known; /* ID_UID | ID_GID: which of them a call set */
};
#define ID_UID 1
#define ID_GID 2
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct id_state);
} ids_set SEC(".maps");

/* Opens reported lately, per CPU: the same process opening the same path the same way again
 * within repeat_ns is counted (merged), not sent again. A set-associative cache: a hash of
 * the path (seeded with a secret user space draws at load) picks a set of RECENT_WAYS
 * slots; a new open takes its key's slot, else the set's oldest. Each slot keeps the whole
 * path, compared word by word on a hit, so no path, crafted or not, can hide one write
 * behind another: a collision or an eviction only costs a report. A per-CPU array's lookup
 * is a few loads, where an LRU hash's was a jhash, a bucket walk and LRU bookkeeping, and
 * its update per report took a lock (src/runtime/bpf/README.md has the figures). A process that
 * moves to another CPU is reported once more there. 512 slots of 296 bytes: 148 KiB per
 * CPU. Programs do not nest on a CPU (trace_call_bpf), so a slot is never half written. */
struct open_key {
  __u64 cgroup_id;
  __u64 path_hash;
  __u32 tgid;
  __u32 flags;
};
struct open_seen {
  struct open_key key;
  __u64 last;  /* when it was last reported (repeat_clock) */
  __u64 words; /* 8-byte words of path in use: the string, its NUL, zeros to the word's end */
  char path[BH_PATH_MAX];
};
#define PATH_WORDS (BH_PATH_MAX / 8)
#define RECENT_SETS 128
#define RECENT_WAYS 4
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, RECENT_SETS * RECENT_WAYS);
  __type(key, __u32);
  __type(value, struct open_seen);
} recent_opens SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, BH_KIND_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} merged SEC(".maps");

/* A record is built here (too big for the 512-byte stack), then copied out at its real
 * size: ring buffer space is paid per byte used, not per maximum. */
struct scratch {
  struct bh_record rec;
  char data[2 * BH_PATH_MAX + BH_ARGV_MAX];
  struct bh_prefix_key key;
  struct open_seen seen;
  char resolved[3 * BH_PATH_MAX]; /* path_of_fd: the path ends at 2 * BH_PATH_MAX - 1 */
};
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch);
} scratch_buf SEC(".maps");

/* The current task's cgroup and whether it is watched, as last worked out on this CPU for
 * the task's css_set (its set of cgroups, which fixes its cgroup2 directory). Reading the
 * cgroup ID walks three kernel objects (css_set, cgroup, kernfs node) that are cold after
 * the workload's own work: about 100 ns per system call on these VMs, and a watched-set
 * lookup 60 ns more; the css_set pointer is in the task itself. User space bumps
 * watch_generation after every change to watched_cgroups, which makes every CPU's answer
 * stale. (A css_set freed and another made at its address, for a newly watched cgroup,
 * between two of this CPU's lookups and after the generation's bump: only a host-side
 * cgroup move can do that, and the next change of task or generation clears it.) */
struct cgroup_cache {
  __u64 css;
  __u64 cgroup_id;
  __u32 generation;
  __u32 watched;
};
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct cgroup_cache);
} cgroup_cache SEC(".maps");
volatile __u32 watch_generation = 0; /* .bss: bumped by user space, never here */

static __always_inline struct cgroup_cache *cgroup_slot(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&cgroup_cache, &zero);
}

static __always_inline struct cgroup_cache *current_cgroup(struct task_struct *task) {
  struct cgroup_cache *c = cgroup_slot();
  if (!c) return 0;
  /* The generation is read before the lookup: a change that lands between them leaves an
   * answer stamped with the old generation, which the next run redoes. */
  __u32 generation = watch_generation;
  __u64 css = (__u64)task->cgroups;
  if (c->css != css || c->generation != generation) {
    __u64 id = bpf_get_current_cgroup_id();
    c->cgroup_id = id;
    c->watched = !watch_only || bpf_map_lookup_elem(&watched_cgroups, &id) != 0;
    c->generation = generation;
    c->css = css;
  }
  return c;
}

static __always_inline __u64 current_cgroup_id(void) {
  struct cgroup_cache *c = current_cgroup(bpf_get_current_task_btf());
  return c ? c->cgroup_id : bpf_get_current_cgroup_id();
}

/* Whether the task is not watched: the sensor's own, or outside the watched cgroups. The
 * task is passed in where the caller needs it too: each helper call counts on an open. */
static __always_inline bool skip(struct task_struct *task) {
  if (task->tgid == self_tgid) return true;
  if (!watch_only) return false;
  struct cgroup_cache *c = current_cgroup(task);  // a one-slot per-CPU array: never NULL
  return !c || !c->watched;
}
static __always_inline bool skip_task(void) { return skip(bpf_get_current_task_btf()); }

static __always_inline struct scratch *scratch(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&scratch_buf, &zero);
}

/* Fills the record's header: what every kind reports about the task. */
static __always_inline void fill_header(struct scratch *s, __u16 kind) {
  struct bh_record *r = &s->rec;
  __builtin_memset(r, 0, sizeof(*r));
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u64 uid_gid = bpf_get_current_uid_gid();
  struct task_struct *task = bpf_get_current_task_btf();  // its fields are plain loads
  r->kind = kind;
  r->pid = pid_tgid >> 32;
  r->tid = (__u32)pid_tgid;
  r->uid = (__u32)uid_gid;
  r->gid = uid_gid >> 32;
  r->ppid = task->real_parent->tgid;
  r->euid = task->cred->euid.val;
  r->time_boot_ns = bpf_ktime_get_boot_ns();
  r->cgroup_id = current_cgroup_id();
  bpf_get_current_comm(r->comm, sizeof(r->comm));
}

static __always_inline struct scratch *begin(__u16 kind) {
  struct scratch *s = scratch();
  if (s) fill_header(s, kind);
  return s;
}

static __always_inline void count_in(void *counters, __u32 kind) {
  if (kind >= BH_KIND_COUNT) kind = 0;
  __u64 *count = bpf_map_lookup_elem(counters, &kind);
  if (count) *count += 1;  // per-CPU slot: no other writer
}

/* False if the ring buffer was full (the record is counted as dropped). */
static __always_inline bool emit(void *ctx, struct scratch *s) {
  struct bh_record *r = &s->rec;
  __u64 size = sizeof(*r) + (__u64)r->path_len + r->detail_len + r->argv_len;
  if (size > BH_RECORD_MAX) size = BH_RECORD_MAX;
  r->size = size;
  __u64 flags = 0;
  if (wakeup_bytes) {
    __u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    flags = waiting + size >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
  }
  if (bpf_ringbuf_output(&events, s, size, flags) == 0) return true;
  count_in(&drops, r->kind);
  return false;
}

/* Strings are packed: path at data[0], detail right after it, argv after both. The masks
 * bound each offset so the verifier can prove every write stays inside data[]. */
static __always_inline __u32 detail_offset(struct bh_record *r) {
  return r->path_len & (BH_PATH_MAX - 1);
}
static __always_inline __u32 argv_offset(struct bh_record *r) {
  return (detail_offset(r) + (r->detail_len & (BH_PATH_MAX - 1))) & (2 * BH_PATH_MAX - 1);
}

static __always_inline __u16 str_len(long copied) {
  return copied > 1 ? (__u16)(copied - 1) : 0;  // without the NUL
}

static __always_inline void read_user_path(struct scratch *s, const char *user) {
  s->rec.path_len = str_len(bpf_probe_read_user_str(s->data, BH_PATH_MAX, user));
}
static __always_inline void read_user_detail(struct scratch *s, const char *user) {
  __u32 off = detail_offset(&s->rec);
  s->rec.detail_len = str_len(bpf_probe_read_user_str(s->data + off, BH_PATH_MAX, user));
}

/* ---- exec and exit ------------------------------------------------------------------- */

/* bpf_rdonly_cast (a kfunc of 6.2 and later) makes a kernel address a pointer of a kernel
 * type that the verifier lets the program follow by plain loads (a fault reads 0); each
 * bpf_probe_read_kernel, which BPF_CORE_READ makes, costs 25-30 ns on these VMs. A weak
 * symbol: on an older kernel it is 0, the branch that calls it is dropped at load, and the
 * helper reads stand. KREAD(type, address, field) reads a field either way. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
const volatile __u32 helper_reads = 0; /* 1: helper reads even so (tests of the older kernels' path) */
#define CAN_CAST (bpf_rdonly_cast != 0 && !helper_reads)
#define KREAD(type, ptr, field)                                                                          \
  (CAN_CAST ? ((struct type *)bpf_rdonly_cast((const void *)(ptr), bpf_core_type_id_kernel(struct type)))->field \
            : BPF_CORE_READ((struct type *)(ptr), field))

/* The mount a vfsmount is part of (the kernel's real_mount), and back. */
static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt) {
  return (struct mount *)((char *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}
static __always_inline struct vfsmount *vfsmount_of(struct mount *mnt) {
  return (struct vfsmount *)((char *)mnt + bpf_core_field_offset(struct mount, mnt));
}

/* Whether the exec guard's marks cover the file: its mount, or its file system, marked
 * long enough ago that the exec's permission check saw the mark. */
static __always_inline bool marked_long_ago(struct bh_guarded_key *key) {
  __u64 *marked = bpf_map_lookup_elem(&guarded_mounts, key);
  return marked && (*marked == 0 || bpf_ktime_get_boot_ns() - *marked >= BH_GUARD_SETTLE_NS);
}
static __always_inline bool exec_guarded(__u64 cgroup, struct file *file) {
  struct mount *mnt = real_mount(BPF_CORE_READ(file, f_path.mnt));
  struct bh_guarded_key key = {.cgroup_id = cgroup, .id = (__u32)BPF_CORE_READ(mnt, mnt_id)};
  if (marked_long_ago(&key)) return true;
  key.id = BH_GUARDED_SB | BPF_CORE_READ(file, f_inode, i_sb, s_dev);
  return marked_long_ago(&key);
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx) {
  if (skip_task()) return 0;
  struct scratch *s = begin(BH_EXEC);
  if (!s) return 0;
  struct bh_record *r = &s->rec;
  __u32 loc = ctx->__data_loc_filename & 0xFFFF;
  r->path_len = str_len(bpf_probe_read_kernel_str(s->data, BH_PATH_MAX, (void *)ctx + loc));

  /* The task's fields, and those of what it points to, are plain loads (its BTF). */
  struct task_struct *task = bpf_get_current_task_btf();
  bpf_probe_read_kernel_str(r->parent_comm, sizeof(r->parent_comm), &task->real_parent->comm);
  /* The file now running: its mode (set-user-ID) and inode spare the agent a stat per exec. */
  struct inode *inode = task->mm->exe_file->f_inode;
  r->flags = inode->i_mode;
  r->target = inode->i_ino;
  /* No link on any file system: a memfd (fileless malware's loader) or a file deleted
   * before it ran. */
  bool fileless = inode->__i_nlink == 0;
  if (fileless) r->addr_flags |= BH_EXEC_FILELESS;
  /* In a Protect container, an exec the exec guard cannot judge is killed here: the exec
   * is past its point of no return, but the new image has not run one instruction. No
   * fanotify mark can cover a memfd (the kernel refuses marks on its internal mount), so a
   * fileless one in memory (shmem, hugetlbfs) is killed; a FUSE server may report no links
   * for files that have some, so other fileless ones are left to the guard. And a file on
   * a mount the guard has not marked (one the container made since, in the agent's
   * latency) is killed too. */
  __u64 cgroup = r->cgroup_id;
  __u8 *kills = bpf_map_lookup_elem(&exec_kills, &cgroup);
  if (kills && task->nsproxy->mnt_ns->ns.inum != host_mnt_ns) {
    __u64 magic = inode->i_sb->s_magic;
    bool in_memory = fileless && (magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC);
    bool kill = in_memory && (*kills & BH_KILL_FILELESS);
    if (!kill && (*kills & BH_KILL_UNGUARDED) && !exec_guarded(cgroup, task->mm->exe_file)) {
      kill = true;
      r->addr_flags |= BH_EXEC_UNGUARDED;
    }
    if (kill && bpf_send_signal(9 /* SIGKILL */) == 0) r->addr_flags |= BH_EXEC_KILLED;
  }

  /* argv as the new image sees it: the NUL-separated block between arg_start and arg_end. */
  unsigned long start = task->mm->arg_start;
  unsigned long end = task->mm->arg_end;
  __u64 len = end > start ? end - start : 0;
  if (len > BH_ARGV_MAX - 1) len = BH_ARGV_MAX - 1;
  barrier_var(len);
  len &= BH_ARGV_MAX - 1;
  __u32 off = argv_offset(r);
  if (len > 0 && bpf_probe_read_user(s->data + off, len, (void *)start) == 0) r->argv_len = len;
  emit(ctx, s);
  return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_exit *ctx) {
  /* One event per process: when its last thread exits (older kernels lack group_dead:
   * then when the thread-group leader exits). */
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  if (bpf_core_field_exists(ctx->group_dead)) {
    if (!ctx->group_dead) return 0;
  } else if ((__u32)pid_tgid != (__u32)(pid_tgid >> 32)) {
    return 0;
  }
  if (skip_task()) return 0;
  struct scratch *s = begin(BH_EXIT);
  if (!s) return 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  s->rec.exit_code = BPF_CORE_READ(task, exit_code);  // wait status: code << 8 | signal
  emit(ctx, s);
  return 0;
}

/* ---- open ---------------------------------------------------------------------------- */

/* A path string: in user memory as the call gave it, or in the scratch once resolved. */
static __always_inline long read_path(void *dst, __u32 size, const char *src, bool kernel) {
  return kernel ? bpf_probe_read_kernel_str(dst, size, src) : bpf_probe_read_user_str(dst, size, src);
}

/* The first `bytes` bytes of head (at most 8), XORed with tag, have their bit set in a head
 * filter (sensor_abi.h): prefilter or name_filter, or ino_filter for an inode number. */
static __always_inline bool head_in_filter(const volatile __u64 *filter, __u64 head, __u32 bytes, __u64 tag) {
  if (bytes < BH_PREFILTER_HEAD) head &= (1ULL << (bytes * 8)) - 1;
  __u32 slot = bh_prefilter_slot(head ^ tag);
  return (filter[slot / 64] >> (slot % 64)) & 1;
}

/* False if the path cannot start with a sensitive prefix, by its first bytes (head, n: the
 * first BH_PREFILTER_HEAD bytes as read_path copied them). */
static __always_inline bool may_be_sensitive(const __u64 *head, long n) {
  if (n < 0 || str_len(n) < prefilter_bytes) return false;  // shorter than every prefix
  return head_in_filter(prefilter, head[0], prefilter_bytes, 0);
}

/* The current task's open file at fd, or NULL. The task's fields are plain loads (the
 * verifier knows their types; a fault reads 0); only the table's slot, an untyped pointer,
 * takes a helper call. */
static __always_inline struct file *file_of_fd(long fd) {
  struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
  if (fd < 0 || fd >= fdt->max_fds) return 0;
  struct file **fds = fdt->fd;
  struct file *file = 0;
  if (bpf_probe_read_kernel(&file, sizeof(file), fds + fd)) return 0;
  return file;
}

/* The path of a file (path_of_fd: of the file open at fd), from the task's root (a chroot
 * or the container's root), written backwards into s->resolved so that it ends at
 * RESOLVED_END; NULL for no file, a pseudo file such as a pipe, a path deeper than
 * RESOLVE_DEPTH or longer than BH_PATH_MAX. Mount points are crossed through the mount's
 * parent; a file outside the task's root reads from its namespace's root. */
#define RESOLVE_DEPTH 32
#define RESOLVED_END (2 * BH_PATH_MAX - 1)
static __always_inline const char *path_of(struct scratch *s, struct dentry *dentry, struct vfsmount *vfsmnt) {
  struct task_struct *task = bpf_get_current_task_btf();
  struct dentry *root = BPF_CORE_READ(task, fs, root.dentry);
  struct vfsmount *root_mnt = BPF_CORE_READ(task, fs, root.mnt);
  __u32 off = RESOLVED_END;
  s->resolved[off] = 0;
  for (int i = 0; i < RESOLVE_DEPTH; i++) {
    if (dentry == root && vfsmnt == root_mnt) goto done;
    if (dentry == KREAD(vfsmount, vfsmnt, mnt_root)) {  // the top of a mount: on to its mount point
      struct mount *mnt = real_mount(vfsmnt);
      struct mount *parent = KREAD(mount, mnt, mnt_parent);
      if (parent == mnt) goto done;  // the namespace's root
      dentry = KREAD(mount, mnt, mnt_mountpoint);
      vfsmnt = vfsmount_of(parent);
      continue;
    }
    struct dentry *up = KREAD(dentry, dentry, d_parent);
    if (up == dentry) return 0;  // a pseudo file (a pipe, a socket): no path to give
    __u32 len = KREAD(dentry, dentry, d_name.len);
    if (len + 1 > off || len >= BH_PATH_MAX) return 0;
    off = (off - len - 1) & RESOLVED_END;
    barrier_var(len);  // keeps clang from dropping the mask the verifier needs
    bpf_probe_read_kernel(s->resolved + off + 1, len & (BH_PATH_MAX - 1), KREAD(dentry, dentry, d_name.name));
    s->resolved[off] = '/';
    dentry = up;
  }
  return 0;
done:
  if (off == RESOLVED_END) s->resolved[--off] = '/';  // the root itself
  return RESOLVED_END - off < BH_PATH_MAX ? s->resolved + (off & RESOLVED_END) : 0;
}
static __always_inline const char *path_of_file(struct scratch *s, struct file *file) {
  return file ? path_of(s, KREAD(file, file, f_path.dentry), KREAD(file, file, f_path.mnt)) : 0;
}
static __always_inline const char *path_of_fd(struct scratch *s, long fd) {
  return path_of_file(s, file_of_fd(fd));
}

/* Copies a path argument (from user memory, or kernel memory: a ring's request) to dst (at
 * most BH_PATH_MAX bytes, NUL included), made absolute from the task's root: a relative one
 * is joined to its directory's path, the directory open at dirfd or, for AT_FDCWD, the
 * working directory (kept as given when that has no path). Returns its length without the
 * NUL, 0 if it could not be read. */
#define AT_FDCWD -100
static __always_inline __u16 read_path_at(struct scratch *s, char *dst, long dirfd, const char *src, bool kernel) {
  long n = read_path(dst, BH_PATH_MAX, src, kernel);
  if (n <= 1 || dst[0] == '/') return str_len(n);
  const int fd = (int)dirfd;  // an int in a 64-bit register: its upper half is not the sign's
  const char *dir;
  if (fd == AT_FDCWD) {
    struct task_struct *task = bpf_get_current_task_btf();
    dir = path_of(s, BPF_CORE_READ(task, fs, pwd.dentry), BPF_CORE_READ(task, fs, pwd.mnt));
  } else {
    dir = path_of_fd(s, fd);
  }
  if (!dir) return str_len(n);
  /* The directory's path ends at RESOLVED_END (its NUL), with room after it: a '/' goes
   * there and the name after it, or the name there when the directory is the root. */
  __u32 slash = s->resolved + RESOLVED_END - dir > 1 ? 1 : 0;
  s->resolved[RESOLVED_END] = '/';
  bpf_probe_read_kernel_str(s->resolved + RESOLVED_END + slash, BH_PATH_MAX, dst);
  return str_len(bpf_probe_read_kernel_str(dst, BH_PATH_MAX, dir));
}

/* Now and the repeat window, in jiffies or boot ns (CONFIG_HZ is a constant to the
 * verifier: one branch is dropped at load). */
static __always_inline __u64 repeat_clock(void) {
  return CONFIG_HZ ? bpf_jiffies64() : bpf_ktime_get_boot_ns();
}
static __always_inline __u64 repeat_window(void) {
  return CONFIG_HZ ? repeat_ns * CONFIG_HZ / 1000000000ULL : repeat_ns;
}

/* The path is under a sensitive prefix (the trie). */
static __always_inline bool in_prefixes(struct scratch *s, const char *path, bool kernel) {
  long n = read_path(s->key.data, BH_PREFIX_MAX, path, kernel);
  if (n < 0) return false;
  s->key.prefixlen = str_len(n) * 8;
  return bpf_map_lookup_elem(&sensitive_prefixes, &s->key) != 0;
}

/* A dentry's parent, name length and first 8 name bytes, in one read where the layout
 * allows (d_parent, d_name and the inline name are close together: 40 bytes on 6.18); a
 * name kept outside the dentry (40 bytes or more, or moved there by a rename) takes a
 * second read. Each helper call costs about 25 ns here: four separate reads per dentry
 * made the check cost a read open 320 ns. */
struct dentry_head {
  __u64 parent;
  __u64 inode;
  __u32 len;
  __u64 head;
};
#define DENTRY_WINDOW 64
struct dentry___inline_old {
  unsigned char d_iname[32];
};
static __always_inline bool read_dentry_head(__u64 dentry, struct dentry_head *out) {
  if (CAN_CAST && bpf_core_field_exists(struct dentry, d_shortname)) {  // plain loads (6.14 and later)
    struct dentry *d = bpf_rdonly_cast((const void *)dentry, bpf_core_type_id_kernel(struct dentry));
    out->parent = (__u64)d->d_parent;
    out->len = d->d_name.len;
    out->inode = (__u64)d->d_inode;
    __u64 name = (__u64)d->d_name.name;
    if (name == dentry + bpf_core_field_offset(struct dentry, d_shortname)) {
      out->head = d->d_shortname.words[0];
      return true;
    }
    return bpf_probe_read_kernel(&out->head, sizeof(out->head), (void *)name) == 0;
  }
  const __u32 from = bpf_core_field_offset(struct dentry, d_parent);
  const __u32 len_at = bpf_core_field_offset(struct dentry, d_name.len) - from;
  const __u32 name_at = bpf_core_field_offset(struct dentry, d_name.name) - from;
  const __u32 inode_at = bpf_core_field_offset(struct dentry, d_inode) - from;
  const __u32 inline_at = (bpf_core_field_exists(struct dentry, d_shortname)
                               ? bpf_core_field_offset(struct dentry, d_shortname)
                               : bpf_core_field_offset(struct dentry___inline_old, d_iname)) - from;
  __u8 w[DENTRY_WINDOW];
  if (inline_at + 8 > DENTRY_WINDOW || len_at + 4 > DENTRY_WINDOW || name_at + 8 > DENTRY_WINDOW ||
      inode_at + 8 > DENTRY_WINDOW)
    return false;
  if (bpf_probe_read_kernel(w, inline_at + 8, (void *)(dentry + from))) return false;
  out->parent = *(__u64 *)w;
  out->len = *(__u32 *)(w + (len_at & (DENTRY_WINDOW - 4)));
  out->inode = *(__u64 *)(w + (inode_at & (DENTRY_WINDOW - 8)));
  __u64 name = *(__u64 *)(w + (name_at & (DENTRY_WINDOW - 8)));
  if (name == dentry + from + inline_at) {
    out->head = *(__u64 *)(w + (inline_at & (DENTRY_WINDOW - 8)));
    return true;
  }
  return bpf_probe_read_kernel(&out->head, sizeof(out->head), (void *)name) == 0;
}

/* The first `bytes` bytes of a name are in the name filter (under tag). A name shorter
 * than that is no prefix's. */
static __always_inline bool name_in_filter(const struct dentry_head *d, __u32 bytes, __u64 tag) {
  return bytes && d->len >= bytes && head_in_filter(name_filter, d->head, bytes, tag);
}

/* The opened file may be under a sensitive prefix by its own name or its directory's
 * (name_filter): worth walking its real path. d: the file's dentry, read. */
static __always_inline bool landed_by_name(const struct dentry_head *d) {
  struct dentry_head up = {};
  if (name_in_filter(d, leaf_bytes, 0)) return true;
  return parent_bytes && read_dentry_head(d->parent, &up) && name_in_filter(&up, parent_bytes, BH_PARENT_TAG);
}

/* The path user space gave for the file's identity (sensitive_inodes), or NULL: one read
 * of the inode number, a bit test, and only on a hit the device and a lookup. */
static __always_inline const struct bh_inode_path *known_by_identity(const struct dentry_head *d) {
  struct inode *inode = (struct inode *)d->inode;
  if (!inode) return 0;
  __u64 ino = KREAD(inode, inode, i_ino);
  if (!head_in_filter(ino_filter, ino, BH_PREFILTER_HEAD, 0)) return 0;
  struct super_block *sb = KREAD(inode, inode, i_sb);
  struct bh_inode_key key = {.dev = KREAD(super_block, sb, s_dev), .ino = ino};
  return bpf_map_lookup_elem(&sensitive_inodes, &key);
}

/* Reports an open with write intent, or a read under a sensitive prefix (longest-prefix
 * match in the trie user space fills). Most opens are plain reads: they cost an 8-byte
 * string read and a bit test, nothing more. A relative path (to the working directory or
 * a directory's fd) is replaced by the opened file's path from the task's root, so that
 * `cd /etc; cat shadow` is a read of /etc/shadow; a relative open that failed has no file
 * to resolve: a write is reported with the path as given, a read is not. A write that
 * succeeded goes out by its file's path, whatever links the name went through. A read is
 * judged sensitive, and reported, by the name opened; one that is not, by where it landed:
 * a read that opened a file named like a sensitive one (name_filter) is judged by its real
 * path, and reported by it (`cat //etc/shadow`, /tmp/link-to-etc/shadow, /proc/1/root/...);
 * one that opened a file user space named by its identity (a hard link, a renamed file, a
 * host file through a mount) is reported by that file's path, with detail = the path it
 * was reached by. path is the call's (user memory), or a resolved one (kernel, in s); via: BH_VIA_* bits. */
static __always_inline void report_open(void *ctx, struct scratch *s, const char *path, bool kernel, __u64 flags,
                                        long ret, __u32 via) {
  __u32 write = flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC);
  struct file *reached_by = 0;  // a sensitive file opened by another name: detail says which
  if (!write) {
    __u64 head[2] = {0, 0};
    long n = read_path(head, BH_PREFILTER_HEAD + 1, path, kernel);
    if (n <= 1) return;
    if ((char)head[0] != '/') {
      if (ret < 0 || !(s = scratch()) || !(path = path_of_fd(s, ret))) return;
      kernel = true;
      head[0] = 0;
      n = bpf_probe_read_kernel_str(head, BH_PREFILTER_HEAD + 1, path);
    }
    if (!may_be_sensitive(head, n) || !(s || (s = scratch())) || !in_prefixes(s, path, kernel)) {
      /* Not sensitive by its name; by where it landed? (A kernel path is already that.)
       * By its real path, where its file's names say it may be; else by its identity. */
      struct file *file = kernel || ret < 0 ? 0 : file_of_fd(ret);
      const __u64 dentry = file ? (__u64)KREAD(file, file, f_path.dentry) : 0;
      struct dentry_head d = {};
      if (!dentry || !read_dentry_head(dentry, &d)) return;
      const char *real = 0;
      if (landed_by_name(&d)) {
        if (!s && !(s = scratch())) return;
        real = path_of_file(s, file);
        if (real && !in_prefixes(s, real, true)) real = 0;
      }
      if (!real) {
        const struct bh_inode_path *known = known_by_identity(&d);
        if (!known) return;
        real = known->path;
        reached_by = file;
      }
      path = real;
      kernel = true;
    }
  }
  if (!s && !(s = scratch())) return;
  struct open_seen *p = &s->seen;
  long copied = read_path(p->path, BH_PATH_MAX, path, kernel);
  if (copied <= 0) return;
  const char *resolved = !kernel && p->path[0] != '/' && ret >= 0 ? path_of_fd(s, ret) : 0;
  if (resolved) {
    long n = bpf_probe_read_kernel_str(p->path, BH_PATH_MAX, resolved);
    if (n > 0) copied = n;
  }
  struct open_key *k = &p->key;
  struct open_seen *slot = 0;
  if (repeat_ns) {
    __u64 now = repeat_clock();
    __u64 *w = (__u64 *)p->path;
    __u32 words = ((__u32)copied + 7) / 8;
    __u32 last = (words - 1) & (PATH_WORDS - 1);
    __u32 tail = (__u32)copied & 7;  // bytes of the last word in use (0: all eight)
    if (tail) w[last] &= (1ULL << (tail * 8)) - 1;  // what follows the NUL is not the path
    __u64 h = repeat_seed ^ words;
    for (__u32 i = 0; i < PATH_WORDS && i < words; i++) {
      h = (h ^ w[i]) * 0x9E3779B97F4A7C15ULL;
      h ^= h >> 31;
    }
    h ^= h >> 33;  // mixes every bit into the ones that pick the set (a finalizer's rounds)
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    struct task_struct *task = bpf_get_current_task_btf();
    struct cgroup_cache *c = current_cgroup(task);
    k->cgroup_id = c ? c->cgroup_id : 0;
    k->path_hash = h;
    k->tgid = task->tgid;
    k->flags = write | via << 16;
    /* The slot this key has in its set, else the set's oldest. */
    __u32 set = (__u32)(h >> 32) % RECENT_SETS * RECENT_WAYS;
    bool found = false;
    for (__u32 way = 0; way < RECENT_WAYS; way++) {
      __u32 index = set + way;
      struct open_seen *e = bpf_map_lookup_elem(&recent_opens, &index);
      if (!e) return;
      if (e->key.path_hash == h && e->key.cgroup_id == k->cgroup_id && e->key.tgid == k->tgid &&
          e->key.flags == k->flags) {
        slot = e;
        found = true;
        break;
      }
      if (!slot || e->last < slot->last) slot = e;
    }
    if (found && now - slot->last < repeat_window() && slot->words == words) {
      const __u64 *v = (const __u64 *)slot->path;
      bool same = true;
      for (__u32 i = 0; i < PATH_WORDS && i < words; i++) {
        if (v[i] != w[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        count_in(&merged, BH_OPEN);
        return;
      }
    }
    p->last = now;
    p->words = words;
  }
  fill_header(s, BH_OPEN);
  s->rec.path_len = str_len(copied);
  s->rec.flags = flags;
  s->rec.target = ret < 0 ? ret : 0;  /* a refused open's -errno (EROFS: Protect's write guard) */
  s->rec.addr_flags = via;
  /* A write by an absolute path goes out as the opened file's real one (no symlink, "..",
   * "//" or "."): a write through a link to /usr/bin is a write under /usr/bin. Only here,
   * once the open is reported: the repeat filter keeps the path as given. A sensitive read
   * keeps the name it was judged by. */
  const char *real = write && !kernel && !resolved && ret >= 0 ? path_of_fd(s, ret) : 0;
  long n = real ? bpf_probe_read_kernel_str(s->data, BH_PATH_MAX, real) : 0;
  if (n > 0) {
    s->rec.path_len = str_len(n);
  } else {
    bpf_probe_read_kernel(s->data, BH_PATH_MAX, p->path);
  }
  const char *by = reached_by ? path_of_file(s, reached_by) : 0;
  if (by) s->rec.detail_len = str_len(bpf_probe_read_kernel_str(s->data + detail_offset(&s->rec), BH_PATH_MAX, by));
  if (emit(ctx, s) && slot) __builtin_memcpy(slot, p, sizeof(*slot));
}

/* Opens (and path changes) are read at their exit, from the registers the call was made
 * with: the kernel has just read the path (so it is paged in) and, for openat2, the
 * open_how. One program per call instead of an enter and an exit. NULL for tasks not
 * watched. The registers are read by plain loads, not bpf_probe_read_kernel: the verifier
 * knows the pointer's type. */
static __always_inline struct pt_regs *call_regs(void) {
  struct task_struct *task = bpf_get_current_task_btf();
  if (skip(task)) return 0;
  return (struct pt_regs *)bpf_task_pt_regs(task);
}
/* The call's nth argument, from `regs` (call_regs). */
#define PARM(n) PT_REGS_PARM##n##_SYSCALL(regs)

SEC("tracepoint/syscalls/sys_exit_open")
int handle_open_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  if (regs) report_open(ctx, 0, (const char *)PT_REGS_PARM1_SYSCALL(regs), false, PT_REGS_PARM2_SYSCALL(regs), ctx->ret, 0);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int handle_openat_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  if (regs) report_open(ctx, 0, (const char *)PT_REGS_PARM2_SYSCALL(regs), false, PT_REGS_PARM3_SYSCALL(regs), ctx->ret, 0);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int handle_openat2_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  __u64 flags = 0;  // open_how.flags, its first field
  if (regs && bpf_probe_read_user(&flags, sizeof(flags), (const void *)PT_REGS_PARM3_SYSCALL(regs)) == 0) {
    report_open(ctx, 0, (const char *)PT_REGS_PARM2_SYSCALL(regs), false, flags, ctx->ret, 0);
  }
  return 0;
}

/* open_by_handle_at(mount_fd, handle, flags) opens a file by its handle, without a path: the
 * "Shocker" escape read the host's files this way (it needs CAP_DAC_READ_SEARCH). Every
 * call is reported, refused ones too: path = the opened file's, from the task's root (or
 * from its namespace's root for a file outside it), detail = "open_by_handle_at", target =
 * the call's result (the fd, or -errno). */
SEC("tracepoint/syscalls/sys_exit_open_by_handle_at")
int handle_open_by_handle_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  if (!regs) return 0;
  struct scratch *s = begin(BH_OPEN);
  if (!s) return 0;
  struct bh_record *r = &s->rec;
  r->flags = PT_REGS_PARM3_SYSCALL(regs);
  long ret = ctx->ret;
  r->target = ret;
  const char *path = ret >= 0 ? path_of_fd(s, ret) : 0;
  if (path) r->path_len = str_len(bpf_probe_read_kernel_str(s->data, BH_PATH_MAX, path));
  static const char how[] = "open_by_handle_at";
  __u32 at = detail_offset(r);
  if (bpf_probe_read_kernel(s->data + at, sizeof(how) - 1, how) == 0) r->detail_len = sizeof(how) - 1;
  emit(ctx, s);
  return 0;
}

/* ---- network ------------------------------------------------------------------------- */

#define SOCKADDR_OK 1
#define SOCKADDR_IGNORED 0
#define SOCKADDR_FAULT -1

/* Fills family, address and port from a user sockaddr: SOCKADDR_IGNORED for families we
 * do not report, SOCKADDR_FAULT if it is not paged in. */
static __always_inline int read_user_sockaddr(struct scratch *s, const void *addr, __u32 addrlen) {
  struct bh_record *r = &s->rec;
  __u16 family = 0;
  if (!addr) return SOCKADDR_IGNORED;
  if (bpf_probe_read_user(&family, sizeof(family), addr) != 0) return SOCKADDR_FAULT;
  r->family = family;
  if (family == AF_INET) {
    struct sockaddr_in in = {};
    bpf_probe_read_user(&in, sizeof(in), addr);
    r->port = bpf_ntohs(in.sin_port);
    __builtin_memcpy(r->addr, &in.sin_addr.s_addr, 4);
    return SOCKADDR_OK;
  }
  if (family == AF_INET6) {
    struct sockaddr_in6 in6 = {};
    bpf_probe_read_user(&in6, sizeof(in6), addr);
    r->port = bpf_ntohs(in6.sin6_port);
    __builtin_memcpy(r->addr, &in6.sin6_addr, 16);
    return SOCKADDR_OK;
  }
  if (family == AF_UNIX) {
    const char *path = (const char *)addr + 2;
    char first = 0;
    bpf_probe_read_user(&first, 1, path);
    __u32 off = detail_offset(r);
    if (first == 0 && addrlen > 3) {
      /* Abstract name: not NUL-terminated, its length is what addrlen says. */
      __u32 n = addrlen - 3;
      if (n > 107) n = 107;
      barrier_var(n);  // keeps clang from dropping the mask the verifier needs
      n &= 127;
      if (n > 0 && bpf_probe_read_user(s->data + off, n, path + 1) == 0) r->detail_len = n;
      r->addr_flags = BH_ADDR_ABSTRACT;
    } else {
      r->detail_len = str_len(bpf_probe_read_user_str(s->data + off, 108, path));
    }
    return SOCKADDR_OK;
  }
  return SOCKADDR_IGNORED;
}

/* The socket of a file (NULL if it is not one), or behind fd in the current task's table. */
static __always_inline struct sock *sock_of_file(struct file *file) {
  // S_IFMT, S_IFSOCK; a file without an inode reads as mode 0
  if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & 0170000) != 0140000) return 0;
  struct socket *sock = BPF_CORE_READ(file, private_data);
  return sock ? BPF_CORE_READ(sock, sk) : 0;
}
static __always_inline struct sock *sock_from_fd(long fd) { return sock_of_file(file_of_fd(fd)); }

/* Reported at exit, every call (exit_code = its result: 0, -EINPROGRESS for a non-blocking
 * one, or -errno), with the address as given: the kernel has just read it, so it is paged
 * in. target = the socket's fd, local_port = the port the call bound it to. A blocking
 * connect is seen when it ends. */
SEC("tracepoint/syscalls/sys_exit_connect")
int handle_connect_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  if (!regs) return 0;
  struct scratch *s = begin(BH_CONNECT);
  if (!s) return 0;
  long fd = PARM(1);
  s->rec.target = fd;
  struct sock *sk = sock_from_fd(fd);
  if (sk) {
    s->rec.flags = BPF_CORE_READ(sk, sk_protocol);  // IPPROTO_TCP, IPPROTO_UDP, ...
    __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
    if (family == AF_INET || family == AF_INET6) s->rec.local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
  }
  s->rec.exit_code = ctx->ret;
  if (read_user_sockaddr(s, (const void *)PARM(2), PARM(3)) == SOCKADDR_OK) emit(ctx, s);
  return 0;
}

/* An accepted connection's socket: its local port and transport, and, with peer, the
 * peer's address. */
static __always_inline void fill_accepted(struct bh_record *r, struct sock *sk, bool peer) {
  if (!sk) return;
  if (peer) {
    r->family = BPF_CORE_READ(sk, __sk_common.skc_family);
    r->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    if (r->family == AF_INET) {
      __u32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
      __builtin_memcpy(r->addr, &daddr, 4);
    } else if (r->family == AF_INET6) {
      BPF_CORE_READ_INTO(&r->addr, sk, __sk_common.skc_v6_daddr);
    }
  }
  r->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);  // host order already
  r->flags = BPF_CORE_READ(sk, sk_protocol);
}

static __always_inline int on_accept_exit(struct trace_event_raw_sys_exit *ctx) {
  if (ctx->ret < 0) return 0;
  struct pt_regs *regs = call_regs();
  if (!regs) return 0;
  struct scratch *s = begin(BH_ACCEPT);
  if (!s) return 0;
  struct bh_record *r = &s->rec;
  r->target = ctx->ret;  // the new fd
  struct sock *sk = sock_from_fd(ctx->ret);
  __u32 addrlen = 0;
  const void *lenp = (const void *)PARM(3);
  if (lenp) bpf_probe_read_user(&addrlen, sizeof(addrlen), lenp);
  bool peer = read_user_sockaddr(s, (const void *)PARM(2), addrlen) == SOCKADDR_OK;
  fill_accepted(r, sk, !peer);  // no buffer given: the peer from the socket itself
  emit(ctx, s);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int handle_accept_exit(struct trace_event_raw_sys_exit *ctx) { return on_accept_exit(ctx); }

SEC("tracepoint/syscalls/sys_exit_accept4")
int handle_accept4_exit(struct trace_event_raw_sys_exit *ctx) { return on_accept_exit(ctx); }

/* A listening socket's family, local address and port (or AF_UNIX name, in detail). */
static __always_inline void fill_listening(struct scratch *s, struct sock *sk) {
  struct bh_record *r = &s->rec;
  r->family = BPF_CORE_READ(sk, __sk_common.skc_family);
  r->port = BPF_CORE_READ(sk, __sk_common.skc_num);
  if (r->family == AF_INET) {
    __u32 saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
    __builtin_memcpy(r->addr, &saddr, 4);
  } else if (r->family == AF_INET6) {
    BPF_CORE_READ_INTO(&r->addr, sk, __sk_common.skc_v6_rcv_saddr);
  } else if (r->family == AF_UNIX) {
    struct unix_sock *unix = (struct unix_sock *)sk;
    struct unix_address *ua = BPF_CORE_READ(unix, addr);
    if (ua) {
      char first = 0;
      bpf_probe_read_kernel(&first, 1, &ua->name[0].sun_path[0]);
      __u32 off = detail_offset(r);
      if (first == 0) {
        r->addr_flags = BH_ADDR_ABSTRACT;
        int len = BPF_CORE_READ(ua, len) - 3;
        if (len > 107) len = 107;
        barrier_var(len);
        len &= 127;
        if (len > 0 && bpf_probe_read_kernel(s->data + off, len, &ua->name[0].sun_path[1]) == 0)
          r->detail_len = len;
      } else {
        r->detail_len =
            str_len(bpf_probe_read_kernel_str(s->data + off, 108, &ua->name[0].sun_path[0]));
      }
    }
  }
}

/* At exit: listen() binds an unbound socket to a port, only then is the port known. */
SEC("tracepoint/syscalls/sys_exit_listen")
int handle_listen_exit(struct trace_event_raw_sys_exit *ctx) {
  if (ctx->ret != 0) return 0;
  struct pt_regs *regs = call_regs();
  if (!regs) return 0;
  long fd = PARM(1);
  struct sock *sk = sock_from_fd(fd);
  if (!sk) return 0;
  struct scratch *s = begin(BH_LISTEN);
  if (!s) return 0;
  struct bh_record *r = &s->rec;
  r->target = fd;
  r->flags = PARM(2);  // backlog
  fill_listening(s, sk);
  emit(ctx, s);
  return 0;
}

/* ---- credentials ----------------------------------------------------------------------- */

/* Every hook here runs at the call's exit, from the registers it was made with, with its
 * result in exit_code (0 or -errno): no program on any syscall's entry, which would cost
 * every system call of every task on the host its own dispatch (bench/README.md). */

#define UNCHANGED ((__u32)-1)
#define AT_UID 11 /* auxiliary vector entries (include/uapi/linux/auxvec.h) */
#define AT_EUID 12
#define AT_GID 13
#define AUXV_PAIRS 32

/* The ids the task's program was started with: the process's auxiliary vector (kept by the
 * kernel in its mm, copied by fork), read in one go into scratch, over what `out` holds.
 * Its values are in the task's user namespace: left out beyond the initial one, where they
 * are not comparable. */
struct start_ids {
  __u32 uid, euid, gid;
};
static __always_inline void start_ids_of(struct scratch *s, struct task_struct *task, struct start_ids *out) {
  struct mm_struct *mm = task->mm;
  if (!mm || BPF_CORE_READ(task, cred, user_ns, level) != 0) return;
  __u32 size = bpf_core_field_size(mm->saved_auxv);
  if (size > sizeof(s->resolved)) size = sizeof(s->resolved);
  if (bpf_probe_read_kernel(s->resolved, size, &mm->saved_auxv)) return;
  const __u64 *auxv = (const __u64 *)s->resolved;
  for (int i = 0; i < AUXV_PAIRS && 2 * i + 1 < sizeof(s->resolved) / 8; i++) {
    __u64 type = auxv[2 * i], value = auxv[2 * i + 1];
    if (type == 0) break;  // AT_NULL
    if (type == AT_UID) out->uid = value;
    if (type == AT_EUID) out->euid = value;
    if (type == AT_GID) out->gid = value;
  }
}

/* A set*id call, at its exit. uid and gid are the real ids the call was made with (and
 * euid the effective uid), as at a call's entry, so that "a process not running as root
 * set its uid to 0" (BH-RT-0019) can be judged: a refused call changed nothing; a
 * successful one changed from what this thread last moved to (ids_set), else from its
 * program's start (start_ids_of), else, where neither is known, the ids after it. */
#define VARIANT_SETFS 3
static __always_inline int on_id_change(void *ctx, __u16 kind, __u32 variant, __u32 target, long ret) {
  struct task_struct *task = bpf_get_current_task_btf();
  if (skip(task)) return 0;
  struct scratch *s = begin(kind);
  if (!s) return 0;
  struct bh_record *r = &s->rec;
  r->flags = variant;
  r->target = target == UNCHANGED ? -1 : (__s64)target;
  r->exit_code = ret;
  /* setfs*id returns the old fs id, and changes no real or effective id. */
  if (ret == 0 && variant != VARIANT_SETFS) {
    struct id_state *seen = bpf_task_storage_get(&ids_set, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    __u64 mm = (__u64)task->mm;
    __u32 want = kind == BH_SETUID ? ID_UID : ID_GID;
    bool known = seen && (seen->known & want);
    bool euid_known = known && seen->mm == mm;  // an exec since may have changed it
    struct start_ids start = {r->uid, r->euid, r->gid};
    if (!known || (kind == BH_SETUID && !euid_known)) start_ids_of(s, task, &start);
    if (kind == BH_SETUID) {
      __u32 uid = known ? seen->uid : start.uid, euid = euid_known ? seen->euid : start.euid;
      if (seen) {
        seen->uid = r->uid;
        seen->euid = r->euid;
        seen->mm = mm;
        seen->known |= ID_UID;
      }
      r->uid = uid;
      r->euid = euid;
    } else {
      __u32 gid = known ? seen->gid : start.gid;
      if (seen) {
        seen->gid = r->gid;
        seen->known |= ID_GID;
      }
      r->gid = gid;
    }
  }
  emit(ctx, s);
  return 0;
}

/* The id the call moves to: the effective one where the call sets several. */
static __always_inline __u32 pick(__u64 real, __u64 effective, __u64 saved) {
  if ((__u32)effective != UNCHANGED) return effective;
  if ((__u32)real != UNCHANGED) return real;
  return saved;
}

#define ID_HOOK(call, kind, variant, target)                                    \
  SEC("tracepoint/syscalls/sys_exit_" #call)                                   \
  int handle_##call##_exit(struct trace_event_raw_sys_exit *ctx) {             \
    struct pt_regs *regs = call_regs();                                        \
    return regs ? on_id_change(ctx, kind, variant, target, ctx->ret) : 0;      \
  }
#define ID_HOOKS(name, kind)                                                   \
  ID_HOOK(set##name, kind, 0, PARM(1))                                         \
  ID_HOOK(setre##name, kind, 1, pick(PARM(1), PARM(2), UNCHANGED))             \
  ID_HOOK(setres##name, kind, 2, pick(PARM(1), PARM(2), PARM(3)))              \
  ID_HOOK(setfs##name, kind, VARIANT_SETFS, PARM(1))

ID_HOOKS(uid, BH_SETUID)
ID_HOOKS(gid, BH_SETGID)

/* A child (a process or a thread) starts with the ids its parent has, so it inherits what
 * the parent last moved to: without this, a process that changed its real ids since its
 * exec and then forked had its child's first call judged from the program's start. The
 * effective uid goes along only while the parent still runs the program it had then. A
 * tp_btf program: sched_process_fork is no syscall tracepoint, and only this form of it
 * gives the child's task, which the storage is kept on. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child) {
  if (skip(parent)) return 0;
  struct id_state *seen = bpf_task_storage_get(&ids_set, parent, 0, 0);
  if (!seen) return 0;
  struct id_state *copy = bpf_task_storage_get(&ids_set, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!copy) return 0;
  copy->uid = seen->uid;
  copy->euid = seen->euid;
  copy->gid = seen->gid;
  copy->known = seen->known;
  copy->mm = seen->mm == (__u64)parent->mm ? (__u64)child->mm : 0;
  return 0;
}

/* A call reported by its numbers alone: flags, target and its result. */
static __always_inline int report_call(void *ctx, __u16 kind, __u64 flags, __s64 target, long ret) {
  struct scratch *s = begin(kind);
  if (!s) return 0;
  s->rec.flags = flags;
  s->rec.target = target;
  s->rec.exit_code = ret;
  emit(ctx, s);
  return 0;
}

/* flags = the effective set asked for (low 32 bits), target = the pid named. */
SEC("tracepoint/syscalls/sys_exit_capset")
int handle_capset_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  if (!regs) return 0;
  struct {
    __u32 version;
    __s32 pid;
  } header = {};
  __u32 effective = 0;  // first field of the first __user_cap_data_struct
  bpf_probe_read_user(&header, sizeof(header), (void *)PARM(1));
  bpf_probe_read_user(&effective, sizeof(effective), (void *)PARM(2));
  return report_call(ctx, BH_CAPSET, effective, header.pid, ctx->ret);
}

/* ---- process control, mounts, namespaces, modules ------------------------------------- */

SEC("tracepoint/syscalls/sys_exit_ptrace")
int handle_ptrace_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();  // flags = request, target = pid
  return regs ? report_call(ctx, BH_PTRACE, PARM(1), (__s32)PARM(2), ctx->ret) : 0;
}

/* Strings read at exit, when the kernel has just read them: they are paged in. */
SEC("tracepoint/syscalls/sys_exit_mount")
int handle_mount_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  if (!regs) return 0;
  struct scratch *s = begin(BH_MOUNT);
  if (!s) return 0;
  read_user_path(s, (const char *)PARM(2));    // target
  read_user_detail(s, (const char *)PARM(1));  // source
  s->rec.flags = PARM(4);
  s->rec.exit_code = ctx->ret;
  emit(ctx, s);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_setns")
int handle_setns_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();  // flags = nstype, target = fd
  return regs ? report_call(ctx, BH_SETNS, PARM(2), (__s32)PARM(1), ctx->ret) : 0;
}

SEC("tracepoint/syscalls/sys_exit_unshare")
int handle_unshare_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  return regs ? report_call(ctx, BH_UNSHARE, PARM(1), 0, ctx->ret) : 0;
}

/* ---- packet and raw sockets, BPF programs -------------------------------------------- */

#define AF_PACKET 17
#define SOCK_RAW 3
#define SOCK_TYPE_MASK 0xf
/* Only packet sockets and raw ones are reported (they read and forge the frames and
 * packets of every host on the network: sniffing, ARP and DNS spoofing), every call, by
 * socket(2) at exit or a ring's request (via): family, flags = type (with its SOCK_*
 * flags), target = protocol, and the result. Any other socket returns after two compares. */
static __always_inline int report_socket(void *ctx, __u64 family, __u64 type, __s32 protocol, long ret, __u32 via) {
  if (family != AF_PACKET && (type & SOCK_TYPE_MASK) != SOCK_RAW) return 0;
  struct scratch *s = begin(BH_SOCKET);
  if (!s) return 0;
  s->rec.family = family;
  s->rec.flags = type;
  s->rec.target = protocol;
  s->rec.exit_code = ret;
  s->rec.addr_flags = via;
  emit(ctx, s);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_socket")
int handle_socket_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  return regs ? report_socket(ctx, PARM(1), PARM(2), (__s32)PARM(3), ctx->ret, 0) : 0;
}

/* bpf(2) at exit, for the commands that load or attach a program (a program in the kernel
 * reads and changes what every process does: rootkits hide this way, and a container
 * that can do it can leave). flags = the command, target = the program type (load) or the
 * attach type, detail = the program's name (load) or the tracepoint's (raw tracepoint),
 * from the caller's union bpf_attr, read where the kernel has just read it. Other commands
 * (maps, lookups: the bulk of bpf calls) return after the compares. */
#define BPF_PROG_LOAD_ 5
#define BPF_PROG_ATTACH_ 8
#define BPF_RAW_TRACEPOINT_OPEN_ 17
#define BPF_LINK_CREATE_ 28
#define BPF_PROG_NAME_OFFSET 48 /* union bpf_attr: prog_name in the BPF_PROG_LOAD struct (UAPI) */
#define BPF_OBJ_NAME_LEN 16
SEC("tracepoint/syscalls/sys_exit_bpf")
int handle_bpf_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = call_regs();
  if (!regs) return 0;
  __u64 cmd = PARM(1);
  if (cmd != BPF_PROG_LOAD_ && cmd != BPF_PROG_ATTACH_ && cmd != BPF_RAW_TRACEPOINT_OPEN_ && cmd != BPF_LINK_CREATE_) return 0;
  struct scratch *s = begin(BH_BPF);
  if (!s) return 0;
  struct bh_record *r = &s->rec;
  r->flags = cmd;
  r->exit_code = ctx->ret;
  const char *attr = (const char *)PARM(2);
  __u32 words[4] = {};
  if (attr && bpf_probe_read_user(words, sizeof(words), attr) == 0) {
    __u32 off = detail_offset(r);
    if (cmd == BPF_PROG_LOAD_) {
      r->target = words[0];  // prog_type
      r->detail_len = str_len(bpf_probe_read_user_str(s->data + off, BPF_OBJ_NAME_LEN, attr + BPF_PROG_NAME_OFFSET));
    } else if (cmd == BPF_RAW_TRACEPOINT_OPEN_) {
      const char *name = (const char *)(((__u64)words[1] << 32) | words[0]);  // raw_tracepoint.name
      if (name) r->detail_len = str_len(bpf_probe_read_user_str(s->data + off, BH_PATH_MAX, name));
    } else {
      r->target = words[2];  // attach_type: third word of both BPF_PROG_ATTACH's and BPF_LINK_CREATE's
    }
  }
  emit(ctx, s);
  return 0;
}

/* ---- path changes: rename, unlink, link, symlink ---------------------------------------- */

/* Reported at exit, every call (refused ones too: target = the result), by the registers the
 * call was made with. path: the name made or removed; detail: the old name (rename, link),
 * or a symlink's content as given (it is resolved from the link's directory when used).
 * Both names made absolute (read_path_at), so `cd /usr/bin; mv /tmp/x ls` is a
 * rename to /usr/bin/ls. */
#define AT_REMOVEDIR 0x200
static __always_inline void on_path_change(void *ctx, __u16 kind, long dirfd, const char *name, long olddirfd,
                                           const char *oldname, bool old_as_given, __u64 flags, long ret,
                                           bool kernel) {
  struct scratch *s = begin(kind);
  if (!s) return;
  struct bh_record *r = &s->rec;
  r->path_len = read_path_at(s, s->data, dirfd, name, kernel);
  if (oldname) {
    char *detail = s->data + detail_offset(r);
    r->detail_len = old_as_given ? str_len(read_path(detail, BH_PATH_MAX, oldname, kernel))
                                 : read_path_at(s, detail, olddirfd, oldname, kernel);
  }
  r->flags = flags;
  r->target = ret;
  if (kernel) r->addr_flags = BH_VIA_IO_URING;
  emit(ctx, s);
}

#define PATH_HOOK(call, kind, dirfd, name, olddirfd, oldname, as_given, flags)           \
  SEC("tracepoint/syscalls/sys_exit_" #call)                                            \
  int handle_##call##_exit(struct trace_event_raw_sys_exit *ctx) {                     \
    struct pt_regs *regs = call_regs();                                                 \
    if (regs) on_path_change(ctx, kind, dirfd, (const char *)(name), olddirfd,          \
                             (const char *)(oldname), as_given, flags, ctx->ret, false);\
    return 0;                                                                           \
  }

PATH_HOOK(rename, BH_RENAME, AT_FDCWD, PARM(2), AT_FDCWD, PARM(1), false, 0)
PATH_HOOK(renameat, BH_RENAME, PARM(3), PARM(4), PARM(1), PARM(2), false, 0)
PATH_HOOK(renameat2, BH_RENAME, PARM(3), PARM(4), PARM(1), PARM(2), false, PARM(5))
PATH_HOOK(unlink, BH_UNLINK, AT_FDCWD, PARM(1), 0, 0, false, 0)
PATH_HOOK(unlinkat, BH_UNLINK, PARM(1), PARM(2), 0, 0, false, PARM(3))
PATH_HOOK(rmdir, BH_UNLINK, AT_FDCWD, PARM(1), 0, 0, false, AT_REMOVEDIR)
PATH_HOOK(link, BH_LINK, AT_FDCWD, PARM(2), AT_FDCWD, PARM(1), false, 0)
PATH_HOOK(linkat, BH_LINK, PARM(3), PARM(4), PARM(1), PARM(2), false, PARM(5))
PATH_HOOK(symlink, BH_SYMLINK, AT_FDCWD, PARM(2), 0, PARM(1), true, 0)
PATH_HOOK(symlinkat, BH_SYMLINK, PARM(2), PARM(3), 0, PARM(1), true, 0)

/* ---- mode and owner changes: chmod, fchmod, fchmodat, fchmodat2, chown, ... ------------- */

/* Every call, at exit, refused ones too (target = the result): path = the file, by its name
 * made absolute like a path change's, or the fd's file (fchmod, fchown; the *at calls with
 * AT_EMPTY_PATH and an empty name); flags = the mode asked for, or the owner and group
 * (uid | gid << 32, each 0xffffffff when left as is). Setting a set-user-ID bit is how an
 * intruder keeps root (BH-RT-0025); chmod +x of a file just dropped is drift. */
#define AT_EMPTY_PATH 0x1000
static __always_inline void on_attr_change(void *ctx, __u16 kind, long dirfd, const char *name, __u64 value,
                                           __u64 at_flags, long ret) {
  struct scratch *s = begin(kind);
  if (!s) return;
  struct bh_record *r = &s->rec;
  if (name) r->path_len = read_path_at(s, s->data, dirfd, name, false);
  if (!name || (!r->path_len && (at_flags & AT_EMPTY_PATH))) {
    const char *path = path_of_fd(s, (int)dirfd);
    if (path) r->path_len = str_len(bpf_probe_read_kernel_str(s->data, BH_PATH_MAX, path));
  }
  r->flags = kind == BH_CHMOD ? value & 07777 : value;
  r->target = ret;
  emit(ctx, s);
}

#define ATTR_HOOK(call, kind, dirfd, name, value, at_flags)                                     \
  SEC("tracepoint/syscalls/sys_exit_" #call)                                                    \
  int handle_##call##_exit(struct trace_event_raw_sys_exit *ctx) {                             \
    struct pt_regs *regs = call_regs();                                                         \
    if (regs) on_attr_change(ctx, kind, dirfd, (const char *)(name), value, at_flags, ctx->ret); \
    return 0;                                                                                   \
  }
#define OWNER(uid, gid) ((__u64)(__u32)(uid) | (__u64)(__u32)(gid) << 32)

ATTR_HOOK(chmod, BH_CHMOD, AT_FDCWD, PARM(1), PARM(2), 0)
ATTR_HOOK(fchmod, BH_CHMOD, PARM(1), 0, PARM(2), 0)
ATTR_HOOK(fchmodat, BH_CHMOD, PARM(1), PARM(2), PARM(3), 0)
ATTR_HOOK(fchmodat2, BH_CHMOD, PARM(1), PARM(2), PARM(3), PARM(4))
ATTR_HOOK(chown, BH_CHOWN, AT_FDCWD, PARM(1), OWNER(PARM(2), PARM(3)), 0)
ATTR_HOOK(lchown, BH_CHOWN, AT_FDCWD, PARM(1), OWNER(PARM(2), PARM(3)), 0)
ATTR_HOOK(fchown, BH_CHOWN, PARM(1), 0, OWNER(PARM(2), PARM(3)), 0)
ATTR_HOOK(fchownat, BH_CHOWN, PARM(1), PARM(2), OWNER(PARM(3), PARM(4)), PARM(5))

/* An io_uring ring's operations (opens, connections, reads, writes) are not system calls:
 * no syscall tracepoint sees them. The ring's creation is reported, in the task that sets
 * it up (target = submission queue entries, flags = setup flags), and so are its opens,
 * accepts and listens (handle_io_uring_complete) and connects (handle_io_uring_submit). */
SEC("tracepoint/io_uring/io_uring_create")
int handle_io_uring_create(struct trace_event_raw_io_uring_create *ctx) {
  if (skip_task()) return 0;
  struct scratch *s = begin(BH_IO_URING);
  if (!s) return 0;
  s->rec.target = ctx->sq_entries;
  s->rec.flags = ctx->flags;
  emit(ctx, s);
  return 0;
}

/* A file of the ring's fixed-file table ("direct descriptors", which no fd names), at
 * index; NULL where there is none or the kernel keeps the table another way. */
#define FIXED_FILE_FLAGS 3UL /* FFS_NOWAIT | FFS_ISREG, kept in the pointer's low bits */
static __always_inline struct file *io_uring_fixed_file(struct io_kiocb *req, __u32 index) {
  if (!bpf_core_field_exists(struct io_rsrc_node, file_ptr)) return 0;
  struct io_ring_ctx *ring = BPF_CORE_READ(req, ctx);
  if (index >= BPF_CORE_READ(ring, file_table.data.nr)) return 0;
  struct io_rsrc_node **nodes = BPF_CORE_READ(ring, file_table.data.nodes);
  struct io_rsrc_node *node = 0;
  if (bpf_probe_read_kernel(&node, sizeof(node), nodes + index) || !node) return 0;
  return (struct file *)(BPF_CORE_READ(node, file_ptr) & ~FIXED_FILE_FLAGS);
}

/* A request's operation data (the kernel's io_kiocb_to_cmd). */
static __always_inline void *io_uring_cmd(struct io_kiocb *req) {
  return (char *)req + bpf_core_field_offset(struct io_kiocb, cmd);
}

/* The file an open or accept request made: an fd in the task's table, or a fixed file
 * (slot: the request's file_slot, index + 1, or ~0 for "any free one", which res names). */
static __always_inline struct file *io_uring_new_file(struct io_kiocb *req, __u32 slot, int res) {
  if (!slot) return file_of_fd(res);
  return io_uring_fixed_file(req, slot == ~0U ? (__u32)res : slot - 1);
}

/* A ring's opens, accepts, listens and packet or raw sockets are reported when they
 * complete, as their system calls are, marked BH_VIA_IO_URING. The completion runs in the task that submitted, or in
 * one of its io_uring worker threads, which share its files, cgroup and tgid. An open is
 * reported by the opened file's path from the task's root, so a failed open is not. */
#define OP_ACCEPT 13 /* enum io_uring_op: user-space ABI, stable */
#define OP_CONNECT 16
#define OP_OPENAT 18
#define OP_OPENAT2 28
#define OP_LISTEN 57
#define OP_SOCKET 45
/* A ring's socket request (5.19 and later: there is no such request, nor type, before). */
static __always_inline int on_io_uring_socket(void *ctx, void *cmd, int res) {
  if (!bpf_core_type_exists(struct io_socket)) return 0;
  struct io_socket *sock = cmd;
  return report_socket(ctx, BPF_CORE_READ(sock, domain), BPF_CORE_READ(sock, type), BPF_CORE_READ(sock, protocol), res,
                       BH_VIA_IO_URING);
}

SEC("tracepoint/io_uring/io_uring_complete")
int handle_io_uring_complete(struct trace_event_raw_io_uring_complete *ctx) {
  struct io_kiocb *req = ctx->req;
  __u8 op = BPF_CORE_READ(req, opcode);
  if (op != OP_OPENAT && op != OP_OPENAT2 && op != OP_ACCEPT && op != OP_LISTEN && op != OP_SOCKET) return 0;
  if (skip_task()) return 0;
  int res = ctx->res;
  void *cmd = io_uring_cmd(req);
  if (op == OP_SOCKET) return on_io_uring_socket(ctx, cmd, res);
  struct scratch *s = scratch();
  if (!s) return 0;
  if (op == OP_OPENAT || op == OP_OPENAT2) {
    struct io_open *open = cmd;
    const char *path = res >= 0 ? path_of_file(s, io_uring_new_file(req, BPF_CORE_READ(open, file_slot), res)) : 0;
    if (path) report_open(ctx, s, path, true, BPF_CORE_READ(open, how.flags), res, BH_VIA_IO_URING);
    return 0;
  }
  struct bh_record *r = &s->rec;
  if (op == OP_ACCEPT) {
    if (res < 0) return 0;
    struct io_accept *accept = cmd;
    fill_header(s, BH_ACCEPT);
    r->target = res;
    fill_accepted(r, sock_of_file(io_uring_new_file(req, BPF_CORE_READ(accept, file_slot), res)), true);
  } else {
    struct sock *sk = sock_of_file(BPF_CORE_READ(req, file));
    if (res != 0 || !sk) return 0;
    fill_header(s, BH_LISTEN);
    r->target = -1;
    r->flags = BPF_CORE_READ((struct io_listen *)cmd, backlog);
    fill_listening(s, sk);
  }
  r->addr_flags |= BH_VIA_IO_URING;
  emit(ctx, s);
  return 0;
}

/* A ring's renames, unlinks, symlinks and hard links are reported when they are submitted,
 * marked BH_VIA_IO_URING, with the names the request's preparation has just copied into
 * the kernel (struct filename: freed by the time the request completes); their result is
 * not known yet (target 0). */
#define OP_RENAMEAT 35
#define OP_UNLINKAT 36
#define OP_SYMLINKAT 38
#define OP_LINKAT 39
static __always_inline int on_io_uring_path_change(void *ctx, __u8 op, void *cmd) {
  if (op == OP_UNLINKAT) {
    struct io_unlink *un = cmd;
    const char *name = BPF_CORE_READ(un, filename, name);
    on_path_change(ctx, BH_UNLINK, BPF_CORE_READ(un, dfd), name, 0, 0, false, BPF_CORE_READ(un, flags), 0, true);
    return 0;
  }
  /* struct io_rename and struct io_link share their layout, but each is read by its own type. */
  if (op == OP_RENAMEAT) {
    struct io_rename *rn = cmd;
    on_path_change(ctx, BH_RENAME, BPF_CORE_READ(rn, new_dfd), BPF_CORE_READ(rn, newpath, name),
                   BPF_CORE_READ(rn, old_dfd), BPF_CORE_READ(rn, oldpath, name), false, BPF_CORE_READ(rn, flags), 0, true);
    return 0;
  }
  struct io_link *ln = cmd;
  on_path_change(ctx, op == OP_LINKAT ? BH_LINK : BH_SYMLINK, BPF_CORE_READ(ln, new_dfd), BPF_CORE_READ(ln, newpath, name),
                 BPF_CORE_READ(ln, old_dfd), BPF_CORE_READ(ln, oldpath, name), op == OP_SYMLINKAT,
                 op == OP_LINKAT ? BPF_CORE_READ(ln, flags) : 0, 0, true);
  return 0;
}

/* A ring's connect is reported when it is submitted, before its result is known (the
 * decoder gives it none): the address is read from the buffer the request's preparation
 * has just copied (in the same system call, or the SQPOLL thread's pass). target = the
 * socket's fd (or fixed file index). */
SEC("tracepoint/io_uring/io_uring_submit_req")
int handle_io_uring_submit(struct trace_event_raw_io_uring_submit_req *ctx) {
  __u8 op = ctx->opcode;
  if (op != OP_CONNECT && op != OP_RENAMEAT && op != OP_UNLINKAT && op != OP_SYMLINKAT && op != OP_LINKAT) return 0;
  if (skip_task()) return 0;
  if (op != OP_CONNECT) return on_io_uring_path_change(ctx, op, io_uring_cmd(ctx->req));
  struct io_kiocb *req = ctx->req;
  struct io_connect *conn = io_uring_cmd(req);
  struct scratch *s = begin(BH_CONNECT);
  if (!s) return 0;
  struct bh_record *r = &s->rec;
  int fd = BPF_CORE_READ(req, cqe.fd);
  r->target = fd;
  /* The request's file is looked up when it runs: here, from its fd or fixed index. */
  bool fixed = BPF_CORE_READ(req, flags) & 1;  // REQ_F_FIXED_FILE (IOSQE_FIXED_FILE)
  struct sock *sk = sock_of_file(fixed ? io_uring_fixed_file(req, fd) : file_of_fd(fd));
  r->flags = sk ? BPF_CORE_READ(sk, sk_protocol) : 0;
  if (read_user_sockaddr(s, BPF_CORE_READ(conn, addr), BPF_CORE_READ(conn, addr_len)) != SOCKADDR_OK) return 0;
  r->addr_flags |= BH_VIA_IO_URING;
  emit(ctx, s);
  return 0;
}

/* init_module(image, len, params): path stays empty (the name is inside the image);
 * finit_module(fd, params, flags): path is the file's name. detail = params. At exit, every
 * call: exit_code = the result. */
static __always_inline int on_module(void *ctx, bool from_fd, long ret) {
  struct pt_regs *regs = call_regs();
  if (!regs) return 0;
  struct scratch *s = begin(BH_MODULE);
  if (!s) return 0;
  struct bh_record *r = &s->rec;
  r->exit_code = ret;
  if (from_fd) {
    r->target = (__s32)PARM(1);
    r->flags = PARM(3);
    struct file *file = file_of_fd((__s32)PARM(1));
    if (file) {
      const unsigned char *name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
      r->path_len = str_len(bpf_probe_read_kernel_str(s->data, BH_PATH_MAX, name));
    }
    read_user_detail(s, (const char *)PARM(2));
  } else {
    r->flags = PARM(2);  // image length
    read_user_detail(s, (const char *)PARM(3));
  }
  emit(ctx, s);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_init_module")
int handle_init_module_exit(struct trace_event_raw_sys_exit *ctx) { return on_module(ctx, false, ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_finit_module")
int handle_finit_module_exit(struct trace_event_raw_sys_exit *ctx) { return on_module(ctx, true, ctx->ret); }

/* Kernels built without module support have no syscalls/sys_exit_*init_module
 * tracepoints, yet a load attempt is still worth seeing: user space attaches this one
 * only then. It runs on every syscall, so it returns at the first compare. */
SEC("tracepoint/raw_syscalls/sys_exit")
int handle_module_raw(struct trace_event_raw_sys_exit *ctx) {
  long id = ctx->id;
  if (id != NR_INIT_MODULE && id != NR_FINIT_MODULE) return 0;
  return on_module(ctx, id == NR_FINIT_MODULE, ctx->ret);
}
