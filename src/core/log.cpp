#include "core/log.h"

#include <atomic>
#include <mutex>

namespace bulkhead::log {
namespace {
std::atomic<int> gLevel{static_cast<int>(Level::kWarn)};
std::mutex gMutex;
constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
}  // namespace

void setLevel(Level level) { gLevel = static_cast<int>(level); }
bool enabled(Level level) { return static_cast<int>(level) >= gLevel.load(); }

void write(Level level, std::string_view message) {
  std::lock_guard lock(gMutex);
  fmt::print(stderr, "bulkhead: {}: {}\n", kNames[static_cast<int>(level)], message);
}

}  // namespace bulkhead::log
