#pragma once
// Application protocols and byte counts of watched containers' flows: cgroup_skb programs
// (bpf/flow_capture.bpf.c) attached to each container's cgroup copy the first packets of
// every new flow into a ring buffer and count every packet's payload bytes per flow; the
// FlowAssembler orders the packets, identifies the protocol and reports the bytes. Only the
// cgroups attached pay for it; packets are never changed or dropped.

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
  // How often poll() reads the byte counts of flows still open (closed ones report theirs
  // as they close), and how long a flow no longer in the kernel's map is remembered.
  static constexpr std::int64_t kCountIntervalNs = 5'000'000'000;
  static constexpr std::int64_t kForgetCountsNs = 30'000'000'000;

  static Result<std::unique_ptr<FlowCapture>> open(FlowAssembler::OnFlow onFlow, FlowAssembler::OnBytes onBytes = {});
  ~FlowCapture();
  FlowCapture(const FlowCapture&) = delete;
  FlowCapture& operator=(const FlowCapture&) = delete;

  // A cgroup2 directory (absolute path), e.g. /sys/fs/cgroup/unified/<container's path>.
  Status attach(const std::string& cgroupDir);
  void detach(const std::string& cgroupDir);
  // Reads what the kernel captured, waiting up to timeoutMs, and every kCountIntervalNs the
  // byte counts of open flows; flows and bytes are reported through the callbacks given to
  // open().
  Status poll(int timeoutMs);
  std::uint64_t dropped() const;  // chunks the ring buffer had no room for

 private:
  FlowCapture() = default;
  static int onChunk(void* self, void* data, std::size_t size);
  // Reports the bytes counted since the last read, and deletes the entries of closed flows.
  void readCounts(std::int64_t nowNs);

  struct Bpf;
  std::unique_ptr<Bpf> bpf_;
  std::unique_ptr<FlowAssembler> assembler_;
  std::map<std::string, std::pair<bpf_link*, bpf_link*>> links_;  // cgroup -> egress, ingress
  std::int64_t lastExpireNs_ = 0;
  std::int64_t lastCountNs_ = 0;
};

}  // namespace bulkhead::net
