/* The record the BPF programs write to the ring buffer, shared by the kernel side
 * (sensor.bpf.c, which includes vmlinux.h first) and the user-space decoder. One layout
 * for every kind keeps the decoder small: a fixed header, then up to three strings packed
 * back to back (path, detail, argv), each length given in the header.
 * Plain C, fixed-width fields, explicit padding: both compilers must agree byte for byte. */
#ifndef BULKHEAD_SENSOR_ABI_H
#define BULKHEAD_SENSOR_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BH_COMM_LEN 16
#define BH_PATH_MAX 256   /* path and detail slots, NUL included */
#define BH_ARGV_MAX 1024  /* argv bytes (NUL-separated), at most BH_ARGV_COUNT args */
#define BH_ARGV_COUNT 20
#define BH_PREFIX_MAX 128 /* sensitive path prefixes compared on this many bytes */
#define BH_KIND_COUNT 32

/* Kinds as the kernel side knows them; the decoder maps them to runtime::EventKind. */
enum bh_kind {
  BH_EXEC = 1,
  BH_EXIT = 2,
  BH_OPEN = 3,
  BH_CONNECT = 4,
  BH_ACCEPT = 5,
  BH_LISTEN = 6,
  BH_SETUID = 7,
  BH_SETGID = 8,
  BH_CAPSET = 9,
  BH_PTRACE = 10,
  BH_MOUNT = 11,
  BH_MODULE = 12,
  BH_SETNS = 13,
  BH_UNSHARE = 14,
  BH_IO_URING = 15,
  BH_RENAME = 16,  /* path = the new name, detail = the old one; flags: renameat2's */
  BH_UNLINK = 17,  /* path; flags: AT_REMOVEDIR for rmdir */
  BH_LINK = 18,    /* path = the new name, detail = the file linked */
  BH_SYMLINK = 19, /* path = the link, detail = its content as given */
  BH_CHMOD = 20,   /* path = the file, flags = the mode asked for (07777 bits) */
  BH_SOCKET = 21,  /* a packet or raw socket: family, flags = type, target = protocol */
  BH_BPF = 22,     /* bpf(2) loading or attaching a program: flags = command, target, detail */
  BH_CHOWN = 23,   /* path = the file, flags = uid | gid << 32 asked for (0xffffffff: as is) */
};

/* bh_record.addr_flags */
#define BH_ADDR_ABSTRACT 1 /* AF_UNIX abstract name: detail holds it without the leading NUL */
#define BH_EXEC_FILELESS 2 /* exec: the executable has no link on any file system (memfd, deleted) */
#define BH_EXEC_KILLED 4   /* exec: and the sensor killed it before its first instruction */
#define BH_VIA_IO_URING 8  /* open, connect, accept, listen: made through an io_uring ring */
#define BH_EXEC_UNGUARDED 16 /* exec: from a mount the exec guard had not marked (killed) */

/* exec_kills map values (per cgroup, Protect): which execs the exec program kills. */
#define BH_KILL_FILELESS 1  /* a file with no link, in memory (a memfd): no mark covers it */
#define BH_KILL_UNGUARDED 2 /* a file on neither a guarded file system nor a guarded mount */

/* guarded_mounts keys: a mount ID (statx STATX_MNT_ID), or BH_GUARDED_SB | a superblock's
 * device number in the kernel's encoding (major << 20 | minor). */
#define BH_GUARDED_SB (1ULL << 63)
/* A guarded_mounts value is when the mount was marked (CLOCK_BOOTTIME ns; 0: before the
 * kills were set). A mount counts as guarded only BH_GUARD_SETTLE_NS after its mark: an
 * exec whose permission check ran just before the mark reached the exec tracepoint just
 * after it, unjudged by either. */
#define BH_GUARD_SETTLE_NS 500000000ULL
struct bh_guarded_key {
  __u64 cgroup_id;
  __u64 id;
};

struct bh_record {
  __u16 kind;
  __u16 size;         /* bytes of the whole record, header and strings */
  __u32 pid;          /* tgid */
  __u32 tid;
  __u32 ppid;
  __u32 uid;
  __u32 gid;
  __u64 time_boot_ns; /* bpf_ktime_get_boot_ns */
  __u64 cgroup_id;
  __u64 flags;
  __s64 target;
  __s32 exit_code;
  __u16 family;
  __u16 port;         /* network byte order converted: host order */
  __u16 local_port;
  __u16 path_len;     /* strings follow the header in this order, no NULs */
  __u16 detail_len;
  __u16 argv_len;     /* argv bytes, each argument NUL-terminated */
  __u8 addr[16];      /* IPv4 in the first 4 bytes, or IPv6 */
  char comm[BH_COMM_LEN];
  char parent_comm[BH_COMM_LEN];
  __u32 addr_flags;
  __u32 euid;         /* effective uid (uid is the real one) */
};

#define BH_RECORD_MAX (sizeof(struct bh_record) + 2 * BH_PATH_MAX + BH_ARGV_MAX)

/* Reads are tested on their head before the trie: user space sets a bit, in a map of
 * BH_PREFILTER_BITS bits, for the first prefilter_bytes bytes (the shortest prefix's length,
 * at most BH_PREFILTER_HEAD) of every prefix. Bytes are loaded as one native-endian word,
 * zero past prefilter_bytes; both sides hash them here. */
#define BH_PREFILTER_HEAD 8
#define BH_PREFILTER_BITS 65536
static inline __u32 bh_prefilter_slot(__u64 head) {
  return (__u32)((head * 0x9E3779B97F4A7C15ULL) >> 48);
}
/* The name filter (reads judged by where they land): a file's name and its directory's are
 * hashed like heads, the directory's XORed with this tag. */
#define BH_PARENT_TAG 0x5A5A5A5A5A5A5A5AULL

/* Sensitive files by identity: a read that opens one by any other name (a hard link, a
 * renamed file, a host file through a mount) is reported by its path. User space sets bit
 * bh_prefilter_slot(ino) of the sensor's ino_filter and maps the file's device (the
 * kernel's encoding, major << 20 | minor) and inode number to its path. */
struct bh_inode_key {
  __u64 dev;
  __u64 ino;
};
struct bh_inode_path {
  char path[128]; /* BH_PREFIX_MAX */
};
/* Key of the sensitive-prefix LPM trie: prefixlen in bits, then the path bytes. */
struct bh_prefix_key {
  __u32 prefixlen;
  char data[BH_PREFIX_MAX];
};

#endif
