// Profile files on arbitrary text: they are policy as code, dropped into the agent's
// directory by people and pipelines. What parses must write back to a file that parses to
// the same profile. The listen guard's ports come from it: each one a port its
// "tcp/<port>" entry names.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/enforce/listen_guard.h"
#include "runtime/profile.h"

using namespace bulkhead::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ProfileLimits limits;
  limits.maxEntries = 2000;
  auto profile = profileFromYaml(text, "fuzz.yaml", limits);
  if (!profile) {
    if (profile.error().message.find("fuzz.yaml") == std::string::npos) std::abort();  // names the input
    return 0;
  }
  auto again = profileFromYaml(profileToYaml(*profile), "again.yaml", limits);
  if (!again || !(*again == *profile)) std::abort();
  for (uint16_t port : listenPortsOf(*profile)) {
    if (port == 0 || !profile->listenPorts.contains("tcp/" + std::to_string(port))) std::abort();
  }
  return 0;
}
