#pragma once
// One protocol detector (src/net/protocol) on arbitrary flows. Input: a byte of flags (bit 0:
// UDP), the client's sample length (two bytes, little endian), the client's bytes, then the
// server's. run.sh seeds each target with the recorded flows of tests/net/flows.

#include <cstdint>
#include <cstdlib>

#include "net/protocol/detector.h"

inline int fuzzDetector(const bulkhead::net::Detector& detector, const uint8_t* data, size_t size) {
  using namespace bulkhead::net;
  if (size < 3) return 0;
  FlowSample flow;
  flow.transport = (data[0] & 1) ? Transport::Udp : Transport::Tcp;
  const size_t clientSize = std::min<size_t>(data[1] | size_t{data[2]} << 8, size - 3);
  flow.client = std::span<const uint8_t>(data + 3, clientSize);
  flow.server = std::span<const uint8_t>(data + 3 + clientSize, size - 3 - clientSize);
  if (flow.client.size() > kMaxSample || flow.server.size() > kMaxSample) return 0;
  const Detection first = detector.detect(flow);
  // Deterministic, bounded, and a match names the detector's protocol (gRPC rides on h2).
  const Detection again = detector.detect(flow);
  if (first.kind != again.kind || first.id.attributes != again.id.attributes) std::abort();
  if (first.matched()) {
    if (first.id.protocol != detector.name() && !(detector.name() == "http2" && first.id.protocol == "grpc")) {
      std::abort();
    }
    if (first.id.attributes.size() > Identification::kMaxAttributes) std::abort();
    for (const auto& [key, value] : first.id.attributes) {
      if (key.empty() || value.size() > 4 * 1024 + 3) std::abort();
    }
  } else if (!first.id.attributes.empty()) {
    std::abort();
  }
  return 0;
}
