#pragma once
// Reading the runtimes' state files: they are written by other programs (and, on a
// compromised node, by an attacker), so every read is bounded and every error names the file.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "core/result.h"

namespace bulkhead::runtime::discovery {

inline constexpr size_t kMaxStateFileBytes = 4u << 20;  // 4 MiB: far above any real state

// The whole file, or an error when it is missing, unreadable or larger than maxBytes.
Result<std::string> readBoundedFile(const std::string& path, size_t maxBytes = kMaxStateFileBytes);

// A JSON object from a file (bounded size and depth); an error names the file.
Result<nlohmann::json> readJsonObject(const std::string& path);

// A decimal PID from a pid file ("1234\n"); an error when it is not one.
Result<int> readPidFile(const std::string& path);

// Is the process alive, and (when startTime is not 0) is it still the process that was
// started at that time (field 22 of /proc/<pid>/stat, in clock ticks since boot)? A reused
// PID is not the container's init.
bool processAlive(int pid, uint64_t startTime = 0, const std::string& proc = "/proc");

// Nanoseconds since the epoch of an RFC 3339 time ("2024-05-01T10:00:00.123456789Z"), 0
// when it does not parse.
int64_t parseRfc3339Ns(const std::string& text);

}  // namespace bulkhead::runtime::discovery
