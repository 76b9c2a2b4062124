#include "net/flow_capture.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <vector>

#include "flow_capture.skel.h"

namespace bulkhead::net {
namespace {

std::int64_t monotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string errnoText(int err) { return std::strerror(err < 0 ? -err : err); }

// The kernel side's records, as this side reads them (flow_abi.h keeps them explicit).
static_assert(sizeof(bh_flow_key) == 48);
static_assert(sizeof(bh_flow_state) == 32);
static_assert(sizeof(bh_flow_chunk) == 88 + BH_FLOW_CHUNK);
static_assert(offsetof(bh_flow_chunk, bytes) == 64 && offsetof(bh_flow_chunk, data) == 88);

}  // namespace

struct FlowCapture::Bpf {
  flow_capture_bpf* skel = nullptr;
  ring_buffer* ring = nullptr;
  ~Bpf() {
    if (ring != nullptr) ring_buffer__free(ring);
    if (skel != nullptr) flow_capture_bpf__destroy(skel);
  }
};

Result<std::unique_ptr<FlowCapture>> FlowCapture::open(FlowAssembler::OnFlow onFlow, FlowAssembler::OnBytes onBytes) {
  std::unique_ptr<FlowCapture> capture(new FlowCapture());
  capture->bpf_ = std::make_unique<Bpf>();
  capture->assembler_ = std::make_unique<FlowAssembler>(std::move(onFlow), std::move(onBytes));
  Bpf& bpf = *capture->bpf_;
  bpf.skel = flow_capture_bpf__open_and_load();
  if (bpf.skel == nullptr) return makeError("flow capture: cannot load its cgroup_skb programs: {}", errnoText(errno));
  bpf.ring = ring_buffer__new(bpf_map__fd(bpf.skel->maps.flow_chunks), &FlowCapture::onChunk, capture.get(), nullptr);
  if (bpf.ring == nullptr) return makeError("flow capture: ring buffer: {}", errnoText(errno));
  return capture;
}

FlowCapture::~FlowCapture() {
  for (auto& [dir, links] : links_) {
    bpf_link__destroy(links.first);
    bpf_link__destroy(links.second);
  }
}

Status FlowCapture::attach(const std::string& cgroupDir) {
  if (links_.contains(cgroupDir)) return {};
  const int fd = ::open(cgroupDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return makeError("flow capture: {}: {}", cgroupDir, errnoText(errno));
  bpf_link* egress = bpf_program__attach_cgroup(bpf_->skel->progs.flow_egress, fd);
  const int egressErr = errno;
  bpf_link* ingress = egress != nullptr ? bpf_program__attach_cgroup(bpf_->skel->progs.flow_ingress, fd) : nullptr;
  const int ingressErr = errno;
  ::close(fd);
  if (egress == nullptr || ingress == nullptr) {
    bpf_link__destroy(egress);
    return makeError("flow capture: cannot attach to {}: {}", cgroupDir,
                     errnoText(egress == nullptr ? egressErr : ingressErr));
  }
  links_[cgroupDir] = {egress, ingress};
  return {};
}

void FlowCapture::detach(const std::string& cgroupDir) {
  const auto it = links_.find(cgroupDir);
  if (it == links_.end()) return;
  bpf_link__destroy(it->second.first);
  bpf_link__destroy(it->second.second);
  links_.erase(it);
}

int FlowCapture::onChunk(void* self, void* data, std::size_t size) {
  auto* capture = static_cast<FlowCapture*>(self);
  if (size < sizeof(bh_flow_chunk)) return 0;
  bh_flow_chunk chunk;
  std::memcpy(&chunk, data, sizeof chunk);
  capture->assembler_->add(chunk, monotonicNs());
  return 0;
}

Status FlowCapture::poll(int timeoutMs) {
  const int n = ring_buffer__poll(bpf_->ring, timeoutMs);
  if (n < 0 && n != -EINTR) return makeError("flow capture: ring buffer poll: {}", errnoText(n));
  const std::int64_t now = monotonicNs();
  if (now - lastExpireNs_ > 1'000'000'000) {
    assembler_->expire(now);
    lastExpireNs_ = now;
  }
  if (now - lastCountNs_ >= kCountIntervalNs) {
    readCounts(now);
    lastCountNs_ = now;
  }
  return {};
}

void FlowCapture::readCounts(std::int64_t nowNs) {
  const int fd = bpf_map__fd(bpf_->skel->maps.flows);
  std::vector<bh_flow_key> closed;
  bh_flow_key key{}, next{};
  bh_flow_state state{};
  const bh_flow_key* previous = nullptr;
  // The kernel adds and evicts entries meanwhile: a key evicted under our feet restarts the
  // walk, so it is bounded (a total seen twice is counted once).
  const std::uint32_t bound = 2 * bpf_map__max_entries(bpf_->skel->maps.flows);
  for (std::uint32_t i = 0; i < bound && bpf_map_get_next_key(fd, previous, &next) == 0; ++i) {
    if (bpf_map_lookup_elem(fd, &next, &state) == 0) {
      assembler_->count(next, state.start_ns, state.bytes[BH_FLOW_EGRESS], state.bytes[BH_FLOW_INGRESS], nowNs);
      const bool finished = (state.closed & BH_FLOW_RST) != 0 ||
                            (state.closed & (BH_FLOW_FIN_EGRESS | BH_FLOW_FIN_INGRESS)) ==
                                (BH_FLOW_FIN_EGRESS | BH_FLOW_FIN_INGRESS);
      if (finished) closed.push_back(next);
    }
    key = next;
    previous = &key;
  }
  // Read and reported: what is left of a closed flow is at most a retransmission.
  for (const auto& k : closed) bpf_map_delete_elem(fd, &k);
  assembler_->forgetCounts(nowNs - kForgetCountsNs);
}

std::uint64_t FlowCapture::dropped() const {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return 0;
  std::vector<std::uint64_t> perCpu(static_cast<std::size_t>(cpus));
  const std::uint32_t zero = 0;
  if (bpf_map__lookup_elem(bpf_->skel->maps.dropped, &zero, sizeof zero, perCpu.data(),
                           perCpu.size() * sizeof(std::uint64_t), 0) != 0) {
    return 0;
  }
  std::uint64_t total = 0;
  for (const auto n : perCpu) total += n;
  return total;
}

}  // namespace bulkhead::net
