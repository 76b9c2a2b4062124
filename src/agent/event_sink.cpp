#include "agent/event_sink.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>

#include "core/json.h"
#include "runtime/event_json.h"

namespace bulkhead::agent {

Result<std::unique_ptr<EventSink>> EventSink::open(const std::string& path) {
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  if (path == "-") return std::unique_ptr<EventSink>(new EventSink(stdout, false, host.data()));
  FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) return makeError("{}: cannot open for events: {}", path, std::strerror(errno));
  return std::unique_ptr<EventSink>(new EventSink(f, true, host.data()));
}

EventSink::~EventSink() {
  if (owned_) std::fclose(file_);
}

void EventSink::write(nlohmann::json line) {
  if (!line.contains("time")) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    line["time"] = runtime::isoTimeNs(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
  }
  line["host"] = host_;
  const std::string text = jsonText(line) + "\n";
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

}  // namespace bulkhead::agent
