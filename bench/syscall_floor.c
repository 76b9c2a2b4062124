// syscall_floor [ROUNDS]: what reaching a BPF program through a syscall tracepoint costs
// each system call on this machine, before the program does anything. For each set of
// tracepoints below it attaches a program that returns at once (through perf, as libbpf
// attaches tracepoint programs), times four loops on this CPU, detaches; the sets rotate
// for ROUNDS rounds (default 7) and the medians are printed, in ns per iteration:
//   read    read(2) of 500 bytes from /dev/zero (dd's kind of call)
//   getppid the cheapest system call
//   open    open(2) + close(2) of /usr/lib/os-release for reading
//   wopen   open(2) + close(2) of a scratch file for writing
// Any enabled syscall tracepoint sends every system call of every task through the slow
// path; an enter and an exit tracepoint are two probes; a hooked call also pays the
// dispatch to its program. bench/README.md has figures. Root; cc -O2 ... -lbpf.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 4
static const char *const kSets[][3] = {
    {"nothing", NULL, NULL},
    {"sys_exit_ptrace", "syscalls/sys_exit_ptrace", NULL},
    {"sys_enter_ptrace", "syscalls/sys_enter_ptrace", NULL},
    {"both", "syscalls/sys_enter_ptrace", "syscalls/sys_exit_ptrace"},
    {"sys_exit_openat", "syscalls/sys_exit_openat", NULL},
};
#define SETS (sizeof(kSets) / sizeof(kSets[0]))
static const char *const kLoops[] = {"read", "getppid", "open", "wopen"};
#define LOOPS 4
#define MAX_ROUNDS 31

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int attach(int prog, const char *tracepoint) {
  char path[256];
  snprintf(path, sizeof path, "/sys/kernel/tracing/events/%s/id", tracepoint);
  FILE *f = fopen(path, "r");
  int id = -1;
  if (!f || fscanf(f, "%d", &id) != 1) {
    fprintf(stderr, "syscall_floor: no tracepoint %s\n", tracepoint);
    exit(1);
  }
  fclose(f);
  struct perf_event_attr attr = {.type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr), .config = (__u64)id,
                                 .sample_period = 1, .wakeup_events = 1};
  int ev = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
  if (ev < 0 || ioctl(ev, PERF_EVENT_IOC_SET_BPF, prog) < 0 || ioctl(ev, PERF_EVENT_IOC_ENABLE, 0) < 0) {
    perror(tracepoint);
    exit(1);
  }
  return ev;
}

static double run_loop(int loop, const char *scratch) {
  const long n = loop >= 2 ? 100000 : 1000000;
  char buf[512];
  int zero = open("/dev/zero", O_RDONLY);
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (loop == 0 && read(zero, buf, 500) != 500) exit(1);
    if (loop == 1) syscall(SYS_getppid);
    if (loop == 2) close(open("/usr/lib/os-release", O_RDONLY));
    if (loop == 3) close(open(scratch, O_WRONLY | O_CREAT, 0600));
  }
  double per = (now_ns() - t0) / n;
  close(zero);
  return per;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 7;
  if (rounds < 1 || rounds > MAX_ROUNDS) rounds = 7;
  struct bpf_insn empty[] = {{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
                             {.code = BPF_JMP | BPF_EXIT}};
  int prog = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "syscall_floor", "GPL", empty, 2, NULL);
  if (prog < 0) {
    perror("syscall_floor: loading the empty program");
    return 1;
  }
  char scratch[] = "/tmp/bulkhead-syscall-floor-XXXXXX";
  int fd = mkstemp(scratch);
  if (fd < 0) return 1;
  close(fd);
  static double times[SETS][LOOPS][MAX_ROUNDS];
  for (int r = 0; r < rounds; r++) {
    for (size_t s = 0; s < SETS; s++) {
      int fds[MAX_FDS], n = 0;
      for (int t = 1; t < 3 && kSets[s][t]; t++) fds[n++] = attach(prog, kSets[s][t]);
      for (int l = 0; l < LOOPS; l++) times[s][l][r] = run_loop(l, scratch);
      while (n > 0) close(fds[--n]);
    }
  }
  unlink(scratch);
  double base[LOOPS];
  printf("%-20s", "attached (empty)");
  for (int l = 0; l < LOOPS; l++) printf("%12s", kLoops[l]);
  printf("\n");
  for (size_t s = 0; s < SETS; s++) {
    printf("%-20s", kSets[s][0]);
    for (int l = 0; l < LOOPS; l++) {
      qsort(times[s][l], (size_t)rounds, sizeof(double), by_value);
      double median = times[s][l][rounds / 2];
      if (s == 0) {
        base[l] = median;
        printf("%9.1f ns", median);
      } else {
        printf("%+12.1f", median - base[l]);
      }
    }
    printf("\n");
  }
  return 0;
}
