#include <charconv>

#include "runtime/enforce/listen_guard.h"

namespace bulkhead::runtime {

std::set<uint16_t> listenPortsOf(const Profile& profile) {
  std::set<uint16_t> ports;
  for (const std::string& entry : profile.listenPorts) {
    // Only the form the learner writes: a profile judges listens by the entry's text, so
    // "tcp/08080" must not allow what Monitor would call a deviation.
    if (!entry.starts_with("tcp/") || entry.size() == 4 || entry[4] == '0') continue;
    const char* first = entry.data() + 4;
    const char* last = entry.data() + entry.size();
    unsigned port = 0;
    auto [end, ec] = std::from_chars(first, last, port);
    if (ec == std::errc() && end == last && port <= 65535) ports.insert(static_cast<uint16_t>(port));
  }
  return ports;
}

}  // namespace bulkhead::runtime
