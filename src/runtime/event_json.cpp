#include "runtime/event_json.h"

#include <array>
#include <ctime>

#include <fmt/format.h>

#include "core/json.h"

namespace bulkhead::runtime {

using nlohmann::json;

std::string isoTimeNs(int64_t ns) {
  const std::time_t seconds = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:09d}Z", buf.data(), ns % 1000000000);
}

json eventToJson(const Event& e) {
  json j = {{"kind", eventKindName(e.kind)}, {"timeNs", e.timeNs}, {"pid", e.pid}, {"tid", e.tid},
            {"ppid", e.ppid}, {"uid", e.uid}, {"euid", e.euid}, {"gid", e.gid}, {"cgroupId", e.cgroupId}, {"comm", e.comm}};
  if (!e.container.empty()) j["container"] = e.container;
  if (!e.link.empty()) j["link"] = e.link;
  if (!e.caller.empty()) j["caller"] = e.caller;
  if (!e.parentComm.empty()) j["parentComm"] = e.parentComm;
  if (!e.path.empty()) j["path"] = e.path;
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (!e.argv.empty()) j["argv"] = e.argv;
  if (e.flags != 0) j["flags"] = e.flags;
  if (e.targetId != 0) j["targetId"] = e.targetId;
  if (e.kind == EventKind::kExit) j["exitCode"] = e.exitCode;
  if (hasResult(e)) j["result"] = e.result;
  if (e.fileless) j["fileless"] = true;
  if (e.killed) j["killed"] = true;
  if (e.unguarded) j["unguarded"] = true;
  if (e.ioUring) j["ioUring"] = true;
  if (e.family != 0) {
    j["family"] = e.family;
    if (e.kind != EventKind::kSocket) {  // a socket just made has no address yet
      j["address"] = e.address;
      j["port"] = e.port;
      if (e.localPort != 0) j["localPort"] = e.localPort;
    }
  }
  return j;
}

Result<Event> eventFromJson(const json& j) {
  if (!j.is_object()) return makeError("an event is a JSON object");
  Event e;
  const auto str = [&](const char* key, std::string& out) -> Status {
    const auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_string() || it->get_ref<const std::string&>().size() > 65536) return makeError("'{}' is not a string", key);
    out = it->get<std::string>();
    return {};
  };
  const auto num = [&](const char* key, auto& out) -> Status {
    const auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_number_integer()) return makeError("'{}' is not an integer", key);
    out = it->get<std::remove_reference_t<decltype(out)>>();
    return {};
  };
  std::string kind;
  if (auto s = str("kind", kind); !s) return s.error();
  if (!parseEventKind(kind, e.kind)) return makeError("'kind' {} is not an event kind", jsonText(json(kind)));
  for (const auto& s : {num("timeNs", e.timeNs), num("pid", e.pid), num("tid", e.tid), num("ppid", e.ppid),
                        num("uid", e.uid), num("euid", e.euid), num("gid", e.gid), num("cgroupId", e.cgroupId), num("flags", e.flags),
                        num("targetId", e.targetId), num("exitCode", e.exitCode), num("result", e.result), num("family", e.family),
                        num("port", e.port), num("localPort", e.localPort), str("comm", e.comm),
                        str("parentComm", e.parentComm), str("path", e.path), str("detail", e.detail),
                        str("address", e.address), str("container", e.container), str("link", e.link),
                        str("caller", e.caller)}) {
    if (!s) return s.error();
  }
  if (const auto it = j.find("argv"); it != j.end()) {
    if (!it->is_array() || it->size() > 4096) return makeError("'argv' is not a list of strings");
    for (const auto& a : *it) {
      if (!a.is_string()) return makeError("'argv' holds {}", jsonText(a));
      e.argv.push_back(a.get<std::string>());
    }
  }
  for (const auto& [key, out] : {std::pair<const char*, bool*>{"fileless", &e.fileless}, {"killed", &e.killed},
                                 {"unguarded", &e.unguarded}, {"ioUring", &e.ioUring}}) {
    const auto it = j.find(key);
    if (it == j.end()) continue;
    if (!it->is_boolean()) return makeError("'{}' is not true or false", key);
    *out = it->get<bool>();
  }
  return e;
}

}  // namespace bulkhead::runtime
