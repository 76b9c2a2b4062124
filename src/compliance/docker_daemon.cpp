#include "compliance/docker_daemon.h"

#include <fmt/format.h>

#include "core/json.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

enum class Kind { kBool, kString, kList, kMap, kUlimits };

struct FlagSpec {
  const char* flag;  // long flag name
  const char* key;   // daemon.json key
  Kind kind;
};

// dockerd flags whose daemon.json key or type differs from a plain string of the same name.
const FlagSpec kFlags[] = {
    {"icc", "icc", Kind::kBool},
    {"iptables", "iptables", Kind::kBool},
    {"ip6tables", "ip6tables", Kind::kBool},
    {"ip-forward", "ip-forward", Kind::kBool},
    {"ip-masq", "ip-masq", Kind::kBool},
    {"ipv6", "ipv6", Kind::kBool},
    {"userland-proxy", "userland-proxy", Kind::kBool},
    {"live-restore", "live-restore", Kind::kBool},
    {"no-new-privileges", "no-new-privileges", Kind::kBool},
    {"experimental", "experimental", Kind::kBool},
    {"tls", "tls", Kind::kBool},
    {"tlsverify", "tlsverify", Kind::kBool},
    {"selinux-enabled", "selinux-enabled", Kind::kBool},
    {"debug", "debug", Kind::kBool},
    {"init", "init", Kind::kBool},
    {"rootless", "rootless", Kind::kBool},
    {"insecure-registry", "insecure-registries", Kind::kList},
    {"registry-mirror", "registry-mirrors", Kind::kList},
    {"authorization-plugin", "authorization-plugins", Kind::kList},
    {"storage-opt", "storage-opts", Kind::kList},
    {"host", "hosts", Kind::kList},
    {"label", "labels", Kind::kList},
    {"dns", "dns", Kind::kList},
    {"dns-opt", "dns-opts", Kind::kList},
    {"dns-search", "dns-search", Kind::kList},
    {"exec-opt", "exec-opts", Kind::kList},
    {"log-opt", "log-opts", Kind::kMap},
    {"default-ulimit", "default-ulimits", Kind::kUlimits},
    {"graph", "data-root", Kind::kString},
};

struct ShortFlag {
  char letter;
  const char* flag;
  bool boolean;
};
const ShortFlag kShort[] = {{'H', "host", false},        {'D', "debug", true},   {'l', "log-level", false},
                            {'s', "storage-driver", false}, {'g', "graph", false}, {'p', "pidfile", false},
                            {'G', "group", false},       {'b', "bridge", false}};

const FlagSpec* findFlag(std::string_view name) {
  for (const auto& f : kFlags) {
    if (name == f.flag) return &f;
  }
  return nullptr;
}

bool isBoolFlag(std::string_view name) {
  const FlagSpec* f = findFlag(name);
  return f != nullptr && f->kind == Kind::kBool;
}

json boolValue(const std::string& text) {
  if (text == "true" || text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "True") return true;
  if (text == "false" || text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "False") return false;
  return text;  // dockerd would refuse it; keep what was written
}

// "nofile=1024:2048" -> {"Name": "nofile", "Soft": 1024, "Hard": 2048}, as daemon.json has it.
json ulimitValue(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) return text;
  json out = {{"Name", text.substr(0, eq)}};
  const std::string limits = text.substr(eq + 1);
  const size_t colon = limits.find(':');
  auto number = [](const std::string& s) -> json {
    try {
      size_t used = 0;
      const long long v = std::stoll(s, &used);
      if (used == s.size()) return v;
    } catch (...) {
    }
    return s;
  };
  out["Soft"] = number(limits.substr(0, colon));
  out["Hard"] = number(colon == std::string::npos ? limits : limits.substr(colon + 1));
  return out;
}

}  // namespace

Result<CommandLine> parseDockerdCmdline(std::string_view cmdline, std::string_view what) {
  if (cmdline.size() > kMaxCmdlineBytes) {
    return makeError("{}: command line of {} bytes exceeds the limit of {} bytes", what, cmdline.size(),
                     kMaxCmdlineBytes);
  }
  CommandLine out;
  size_t start = 0;
  while (start < cmdline.size()) {
    size_t end = cmdline.find('\0', start);
    if (end == std::string_view::npos) end = cmdline.size();
    out.argv.emplace_back(cmdline.substr(start, end - start));
    start = end + 1;
  }
  for (size_t i = 1; i < out.argv.size(); ++i) {
    const std::string& arg = out.argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;  // positional
    std::string name;
    std::string value;
    bool hasValue = false;
    if (arg[1] == '-') {
      const std::string body = arg.substr(2);
      const size_t eq = body.find('=');
      name = body.substr(0, eq);
      if (eq != std::string::npos) {
        value = body.substr(eq + 1);
        hasValue = true;
      }
      if (name.empty()) continue;
      if (!hasValue) {
        if (isBoolFlag(name)) {
          value = "true";
        } else if (i + 1 < out.argv.size()) {
          value = out.argv[++i];
        }
      }
    } else {
      // Short flags: "-H", "-Hunix://...", "-H=..", "-D".
      const ShortFlag* spec = nullptr;
      for (const auto& s : kShort) {
        if (arg[1] == s.letter) spec = &s;
      }
      if (spec == nullptr) continue;
      name = spec->flag;
      if (spec->boolean) {
        value = arg.size() > 3 && arg[2] == '=' ? arg.substr(3) : "true";
      } else if (arg.size() > 2) {
        value = arg[2] == '=' ? arg.substr(3) : arg.substr(2);
      } else if (i + 1 < out.argv.size()) {
        value = out.argv[++i];
      }
    }
    out.flags.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

Result<json> parseDaemonJson(std::string_view text, std::string_view what) {
  JsonLimits limits;
  limits.maxBytes = kMaxDaemonJsonBytes;
  limits.maxDepth = 32;
  auto parsed = parseJson(text, what, limits);
  if (!parsed) return parsed;
  if (!parsed->is_object()) return makeError("{}: not a JSON object", what);
  return parsed;
}

DaemonSettings mergeDaemonSettings(const json& daemonJson, const CommandLine& cmdline) {
  DaemonSettings out;
  if (daemonJson.is_object()) {
    for (auto it = daemonJson.begin(); it != daemonJson.end(); ++it) {
      out.effective[it.key()] = it.value();
      out.origin[it.key()] = EffectiveSetting{"daemon.json", it.key()};
    }
  }
  std::map<std::string, bool> fromFlags;  // keys already replaced by a flag
  for (const auto& [flag, value] : cmdline.flags) {
    const FlagSpec* spec = findFlag(flag);
    const std::string key = spec ? spec->key : flag;
    const Kind kind = spec ? spec->kind : Kind::kString;
    if (!fromFlags[key]) {
      if (out.origin.count(key) && out.origin[key].source == "daemon.json") out.conflicts.push_back(key);
      fromFlags[key] = true;
      if (kind == Kind::kList) out.effective[key] = json::array();
      if (kind == Kind::kMap || kind == Kind::kUlimits) out.effective[key] = json::object();
    }
    out.origin[key] = EffectiveSetting{"cmdline", "--" + flag};
    // Two spellings can reach the same key with different kinds ("--hosts=x", then "-H"):
    // the later one decides the shape.
    if (kind == Kind::kList && !out.effective[key].is_array()) out.effective[key] = json::array();
    if ((kind == Kind::kMap || kind == Kind::kUlimits) && !out.effective[key].is_object()) {
      out.effective[key] = json::object();
    }
    switch (kind) {
      case Kind::kBool: out.effective[key] = boolValue(value); break;
      case Kind::kString: out.effective[key] = value; break;
      case Kind::kList: out.effective[key].push_back(value); break;
      case Kind::kMap: {
        const size_t eq = value.find('=');
        out.effective[key][value.substr(0, eq)] = eq == std::string::npos ? "" : value.substr(eq + 1);
        break;
      }
      case Kind::kUlimits: {
        json limit = ulimitValue(value);
        const std::string name = limit.is_object() ? limit.value("Name", value) : value;
        out.effective[key][name] = std::move(limit);
        break;
      }
    }
  }
  return out;
}

}  // namespace bulkhead::compliance
