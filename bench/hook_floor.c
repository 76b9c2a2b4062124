// hook_floor OBJECT [SKIP...]: the floor of a sensor that hooks the tracepoints OBJECT's
// programs name. For every "tracepoint/CATEGORY/NAME" program in the BPF object file (the
// agent's sensor.bpf.o), it attaches a program that returns at once to that tracepoint,
// prints "ready N" (N tracepoints) and holds them until SIGTERM or SIGINT. Tracepoints
// this kernel lacks, and those named in SKIP ("raw_syscalls/sys_exit": the sensor's
// fallback, attached only on kernels without module support), are left out.
// What the workloads lose with these attached is what the kernel charges to reach a
// program (the slow system-call path, the dispatch to each program), before the program
// does any work: bench/runtime_overhead.sh compares the agent with it.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int tracepoint_id(const char *tracefs, const char *tracepoint) {
  char path[512];
  snprintf(path, sizeof path, "%s/events/%s/id", tracefs, tracepoint);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int id = -1;
  if (fscanf(f, "%d", &id) != 1) id = -1;
  fclose(f);
  return id;
}

static int skipped(const char *tracepoint, int argc, char **argv) {
  for (int i = 2; i < argc; i++) {
    if (strcmp(tracepoint, argv[i]) == 0) return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: hook_floor OBJECT [SKIP...]\n");
    return 2;
  }
  const char *tracefs = access("/sys/kernel/tracing/events", F_OK) == 0 ? "/sys/kernel/tracing" : "/sys/kernel/debug/tracing";
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) {
    fprintf(stderr, "hook_floor: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  struct bpf_insn empty[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},  // r0 = 0
      {.code = BPF_JMP | BPF_EXIT},
  };
  int prog = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "hook_floor", "GPL", empty, 2, NULL);
  if (prog < 0) {
    fprintf(stderr, "hook_floor: loading the empty program: %s\n", strerror(errno));
    return 1;
  }
  int attached = 0;
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    const char *section = bpf_program__section_name(p);
    if (strncmp(section, "tracepoint/", 11) != 0) continue;
    const char *tracepoint = section + 11;
    if (skipped(tracepoint, argc, argv)) continue;
    int id = tracepoint_id(tracefs, tracepoint);
    if (id < 0) continue;  // not in this kernel: the sensor does not attach it either
    struct perf_event_attr attr = {.type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr), .config = (__u64)id,
                                   .sample_period = 1, .wakeup_events = 1};
    // One event on CPU 0 carries the program for every CPU (as libbpf attaches tracepoints).
    int event = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
    if (event < 0 || ioctl(event, PERF_EVENT_IOC_SET_BPF, prog) < 0 || ioctl(event, PERF_EVENT_IOC_ENABLE, 0) < 0) {
      fprintf(stderr, "hook_floor: attaching to %s: %s\n", tracepoint, strerror(errno));
      return 1;
    }
    attached++;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("ready %d\n", attached);
  fflush(stdout);
  while (!stop) pause();
  return 0;
}
