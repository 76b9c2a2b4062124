// The Docker daemon's configuration on arbitrary bytes: daemon.json, the NUL-separated
// /proc/PID/cmdline, and their merge. The first byte picks how the rest is split.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "compliance/docker_daemon.h"

using namespace bulkhead::compliance;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t cut = size > 1 ? (data[0] * rest.size()) / 256 : 0;
  const std::string json = rest.substr(0, cut);
  const std::string cmdline = rest.substr(cut);
  auto daemon = parseDaemonJson(json, "fuzz/daemon.json");
  auto args = parseDockerdCmdline(cmdline, "fuzz/cmdline");
  if (!args) return 0;
  if (args->argv.empty() && !cmdline.empty()) std::abort();
  const auto merged = mergeDaemonSettings(daemon ? *daemon : nlohmann::json::object(), *args);
  if (!merged.effective.is_object()) std::abort();
  for (const auto& [key, origin] : merged.origin) {
    if (!merged.effective.contains(key)) std::abort();
  }
  return 0;
}
