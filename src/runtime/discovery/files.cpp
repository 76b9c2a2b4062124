#include "runtime/discovery/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include "core/json.h"
#include "core/stream.h"

namespace bulkhead::runtime::discovery {

Result<std::string> readBoundedFile(const std::string& path, size_t maxBytes) {
  return readFileBounded(path, maxBytes);
}

Result<nlohmann::json> readJsonObject(const std::string& path) {
  auto text = readBoundedFile(path);
  if (!text) return std::move(text).error();
  auto parsed = parseJson(*text, path, JsonLimits{kMaxStateFileBytes, 64});
  if (!parsed) return std::move(parsed).error();
  if (!parsed->is_object()) return makeError("{}: not a JSON object", path);
  return std::move(*parsed);
}

Result<int> readPidFile(const std::string& path) {
  auto text = readBoundedFile(path, 64);
  if (!text) return std::move(text).error();
  std::string_view digits(*text);
  while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' ')) digits.remove_suffix(1);
  int pid = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) {
    return makeError("{}: not a PID: '{}'", path, digits.substr(0, 20));
  }
  return pid;
}

bool processAlive(int pid, uint64_t startTime, const std::string& proc) {
  if (pid <= 0) return false;
  auto stat = readBoundedFile(proc + "/" + std::to_string(pid) + "/stat", 4096);
  if (!stat) return false;
  // The command name (field 2) may hold spaces and parentheses: fields follow the last ')'.
  const auto close = stat->rfind(')');
  if (close == std::string::npos) return false;
  std::string_view rest = std::string_view(*stat).substr(close + 1);
  // rest: " S ppid ..." -> field 3 is the state; a zombie has exited.
  size_t field = 2;
  uint64_t value = 0;
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const auto end = rest.find(' ');
    const std::string_view token = rest.substr(0, end);
    ++field;
    if (field == 3 && (token == "Z" || token == "X")) return false;
    if (field == 22) {
      std::from_chars(token.data(), token.data() + token.size(), value);
      return startTime == 0 || value == startTime;
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  return startTime == 0;
}

int64_t parseRfc3339Ns(const std::string& text) {
  struct tm tm {};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return 0;
  int64_t ns = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 9) ns = ns * 10 + (*rest - '0');
      ++digits;
      ++rest;
    }
    for (; digits < 9; ++digits) ns *= 10;
  }
  int64_t offset = 0;  // seconds east of UTC
  if (*rest == '+' || *rest == '-') {
    const int sign = *rest == '-' ? -1 : 1;
    int hours = 0, minutes = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hours, &minutes) == 2) offset = sign * (hours * 3600 + minutes * 60);
  }
  return (static_cast<int64_t>(::timegm(&tm)) - offset) * 1000000000LL + ns;
}

}  // namespace bulkhead::runtime::discovery
