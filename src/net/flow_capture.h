#pragma once
// Application protocols of watched containers' flows: cgroup_skb programs
// (bpf/flow_capture.bpf.c) attached to each container's cgroup copy the first packets of
// every new flow into a ring buffer; the FlowAssembler orders them and identifies the
// protocol. Only the cgroups attached pay for it; packets are never changed or dropped.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/result.h"
#include "net/flow_assembler.h"

struct bpf_link;

namespace bulkhead::net {

class FlowCapture {
 public:
  static Result<std::unique_ptr<FlowCapture>> open(FlowAssembler::OnFlow onFlow);
  ~FlowCapture();
  FlowCapture(const FlowCapture&) = delete;
  FlowCapture& operator=(const FlowCapture&) = delete;

  // A cgroup2 directory (absolute path), e.g. /sys/fs/cgroup/unified/<container's path>.
  Status attach(const std::string& cgroupDir);
  void detach(const std::string& cgroupDir);
  // Reads what the kernel captured, waiting up to timeoutMs; flows are reported through
  // the callback given to open().
  Status poll(int timeoutMs);
  std::uint64_t dropped() const;  // chunks the ring buffer had no room for

 private:
  FlowCapture() = default;
  static int onChunk(void* self, void* data, std::size_t size);

  struct Bpf;
  std::unique_ptr<Bpf> bpf_;
  std::unique_ptr<FlowAssembler> assembler_;
  std::map<std::string, std::pair<bpf_link*, bpf_link*>> links_;  // cgroup -> egress, ingress
  std::int64_t lastExpireNs_ = 0;
};

}  // namespace bulkhead::net
