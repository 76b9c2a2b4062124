// exec_wait CGROUP_DIR: while it runs, the time each new process of that cgroup (a cgroup2
// directory) spends asleep between its fork and its exec, measured in the kernel
// (exec_wait.bpf.c). Prints "ready" once attached; on SIGTERM or SIGINT prints one line:
//   execs  median_us  p90_us  mean_us  median_fork_to_exec_us
// For runtime_overhead.sh: the latency an exec permission check adds, without the noise of
// the fork, exit and wait around it.

#include <bpf/libbpf.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "exec_wait.skel.h"

namespace {

volatile std::sig_atomic_t stopping = 0;
void onSignal(int) { stopping = 1; }

struct Result {
  uint64_t asleepNs, forkToExecNs;
  uint32_t sleeps, pad;
};

std::vector<double> asleepUs, forkToExecUs;

int onResult(void*, void* data, size_t size) {
  if (size < sizeof(Result)) return 0;
  Result r;
  std::memcpy(&r, data, sizeof r);
  asleepUs.push_back(static_cast<double>(r.asleepNs) / 1e3);
  forkToExecUs.push_back(static_cast<double>(r.forkToExecNs) / 1e3);
  return 0;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: exec_wait CGROUP2_DIR\n");
    return 2;
  }
  struct stat st {};
  if (::stat(argv[1], &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::fprintf(stderr, "exec_wait: %s: not a cgroup2 directory\n", argv[1]);
    return 2;
  }
  exec_wait_bpf* skel = exec_wait_bpf__open();
  if (skel == nullptr) return std::fprintf(stderr, "exec_wait: cannot open the BPF object\n"), 1;
  skel->rodata->target_cgroup = st.st_ino;
  if (exec_wait_bpf__load(skel) != 0 || exec_wait_bpf__attach(skel) != 0) {
    std::fprintf(stderr, "exec_wait: cannot load or attach: %s\n", std::strerror(errno));
    exec_wait_bpf__destroy(skel);
    return 1;
  }
  ring_buffer* ring = ring_buffer__new(bpf_map__fd(skel->maps.results), onResult, nullptr, nullptr);
  if (ring == nullptr) {
    std::fprintf(stderr, "exec_wait: ring buffer: %s\n", std::strerror(errno));
    exec_wait_bpf__destroy(skel);
    return 1;
  }
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  std::printf("ready\n");
  std::fflush(stdout);
  while (!stopping) ring_buffer__poll(ring, 100);
  ring_buffer__consume(ring);
  double sum = 0;
  for (double v : asleepUs) sum += v;
  std::printf("%zu %.2f %.2f %.2f %.2f\n", asleepUs.size(), quantile(asleepUs, 0.5), quantile(asleepUs, 0.9),
              asleepUs.empty() ? 0.0 : sum / static_cast<double>(asleepUs.size()), quantile(forkToExecUs, 0.5));
  ring_buffer__free(ring);
  exec_wait_bpf__destroy(skel);
  return 0;
}
