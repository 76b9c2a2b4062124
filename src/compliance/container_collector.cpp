#include "compliance/container_collector.h"

#include <dirent.h>
#include <fmt/format.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "compliance/fact_path.h"
#include "core/json.h"
#include "core/stream.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

// OCI namespace type -> name under /proc/PID/ns and libcontainer's name.
struct NamespaceName {
  const char* oci;
  const char* proc;
  const char* libcontainer;
};
const NamespaceName kNamespaces[] = {
    {"pid", "pid", "NEWPID"},   {"network", "net", "NEWNET"},  {"ipc", "ipc", "NEWIPC"},
    {"uts", "uts", "NEWUTS"},   {"mount", "mnt", "NEWNS"},     {"user", "user", "NEWUSER"},
    {"cgroup", "cgroup", "NEWCGROUP"},
};

const char* const kCapSets[] = {"bounding", "effective", "permitted", "inheritable", "ambient"};

json stringList(const json& value) {
  json out = json::array();
  if (!value.is_array()) return out;
  for (const auto& v : value) {
    if (v.is_string()) out.push_back(v);
  }
  return out;
}

std::string str(const json& object, const char* key) { return jsonString(object, key); }

json mountFacts(const std::string& destination, const std::string& type, const std::string& source,
                const json& options) {
  json m = {{"destination", destination}, {"type", type}, {"source", source}, {"options", options}};
  bool bind = type == "bind";
  bool readonly = false;
  std::string propagation;
  for (const auto& o : options) {
    if (!o.is_string()) continue;
    const std::string& opt = o.get_ref<const std::string&>();
    if (opt == "bind" || opt == "rbind") bind = true;
    if (opt == "ro") readonly = true;
    if (opt == "rw") readonly = false;
    if (opt == "shared" || opt == "rshared" || opt == "slave" || opt == "rslave" || opt == "private" ||
        opt == "rprivate" || opt == "unbindable" || opt == "runbindable") {
      propagation = opt;
    }
  }
  m["bind"] = bind;
  m["readonly"] = readonly;
  m["propagation"] = propagation;
  return m;
}

json seccompFacts(const std::string& defaultAction, size_t rules) {
  return {{"defaultAction", defaultAction},
          {"syscalls", rules},
          {"allowsAll", defaultAction == "SCMP_ACT_ALLOW" && rules == 0}};
}

bool allDevices(const json& rules) {
  for (const auto& r : rules) {
    if (!r.is_object() || !jsonBool(r, "allow")) continue;
    const std::string type = jsonString(r, "type");
    const bool anyType = type.empty() || type == "a";
    const bool anyMajor = !r.contains("major") || r["major"].is_null() || r["major"] == -1;
    const bool anyMinor = !r.contains("minor") || r["minor"].is_null() || r["minor"] == -1;
    const std::string access = jsonString(r, "access", "rwm");
    if (anyType && anyMajor && anyMinor && access.find('w') != std::string::npos) return true;
  }
  return false;
}

void setOrigin(ContainerSnapshot& s, const std::string& fact, const std::string& file, const std::string& path) {
  s.origins[fact] = {file, path};
}

}  // namespace

Result<ContainerSnapshot> parseOciConfig(std::string_view text, std::string_view what) {
  JsonLimits limits;
  limits.maxBytes = kMaxOciConfigBytes;
  limits.maxDepth = 32;
  auto parsed = parseJson(text, what, limits);
  if (!parsed) return std::move(parsed).error();
  const json& spec = *parsed;
  if (!spec.is_object()) return makeError("{}: not a JSON object (an OCI runtime config)", what);
  if (!spec.contains("ociVersion") && !spec.contains("process") && !spec.contains("linux")) {
    return makeError("{}: not an OCI runtime config (no ociVersion, process or linux)", what);
  }
  ContainerSnapshot s;
  s.configFile = std::string(what);
  json& f = s.facts;
  const std::string file(what);
  f["ociVersion"] = str(spec, "ociVersion");
  const json empty = json::object();
  const json& process = spec.contains("process") && spec["process"].is_object() ? spec["process"] : empty;
  const json& linux = spec.contains("linux") && spec["linux"].is_object() ? spec["linux"] : empty;
  const json& root = spec.contains("root") && spec["root"].is_object() ? spec["root"] : empty;

  f["root"] = {{"path", str(root, "path")}, {"readonly", jsonBool(root, "readonly")}};
  setOrigin(s, "root", file, "root");

  json p;
  const json& user = process.contains("user") && process["user"].is_object() ? process["user"] : empty;
  p["user"] = {{"uid", jsonInt(user, "uid")}, {"gid", jsonInt(user, "gid")}};
  p["args"] = stringList(process.value("args", json()));
  json env = json::array();
  for (const auto& e : stringList(process.value("env", json()))) {
    const std::string& kv = e.get_ref<const std::string&>();
    const size_t eq = kv.find('=');
    env.push_back({{"name", kv.substr(0, eq)}, {"value", eq == std::string::npos ? "" : kv.substr(eq + 1)}});
  }
  p["env"] = std::move(env);
  p["terminal"] = jsonBool(process, "terminal");
  p["noNewPrivileges"] = jsonBool(process, "noNewPrivileges");
  p["apparmorProfile"] = process.contains("apparmorProfile") && process["apparmorProfile"].is_string() &&
                                 !process["apparmorProfile"].get<std::string>().empty()
                             ? process["apparmorProfile"]
                             : json();
  p["selinuxLabel"] = process.contains("selinuxLabel") && process["selinuxLabel"].is_string() &&
                              !process["selinuxLabel"].get<std::string>().empty()
                          ? process["selinuxLabel"]
                          : json();
  json caps = json::object();
  if (process.contains("capabilities")) {
    const json& c = process["capabilities"];
    for (const char* set : kCapSets) {
      // Specs before 1.0 gave one flat list for every set.
      caps[set] = c.is_array() ? stringList(c) : c.is_object() ? stringList(c.value(set, json())) : json::array();
    }
  } else {
    for (const char* set : kCapSets) caps[set] = json::array();
  }
  p["capabilities"] = std::move(caps);
  json rlimits = json::array();
  if (process.contains("rlimits") && process["rlimits"].is_array()) {
    for (const auto& r : process["rlimits"]) {
      if (!r.is_object()) continue;
      rlimits.push_back({{"type", str(r, "type")}, {"hard", r.value("hard", json())}, {"soft", r.value("soft", json())}});
    }
  }
  p["rlimits"] = std::move(rlimits);
  p["oomScoreAdj"] = process.value("oomScoreAdj", json());
  f["process"] = std::move(p);
  setOrigin(s, "process", file, "process");

  // Namespaces: a missing entry means the host's namespace; a path joins an existing one.
  json namespaces = json::object();
  json namespacePaths = json::object();
  for (const auto& n : kNamespaces) namespaces[n.oci] = "host";
  if (linux.contains("namespaces") && linux["namespaces"].is_array()) {
    for (const auto& entry : linux["namespaces"]) {
      if (!entry.is_object()) continue;
      const std::string type = str(entry, "type");
      if (!namespaces.contains(type)) continue;
      const std::string path = str(entry, "path");
      if (path.empty()) {
        namespaces[type] = "private";
      } else {
        std::string proc;
        for (const auto& n : kNamespaces) {
          if (type == n.oci) proc = n.proc;
        }
        namespaces[type] = path == "/proc/1/ns/" + proc ? "host" : "shared";
        namespacePaths[type] = path;
      }
    }
  }
  f["namespaces"] = std::move(namespaces);
  f["namespacePaths"] = std::move(namespacePaths);
  setOrigin(s, "namespaces", file, "linux.namespaces");
  s.notes["namespaces"] = "a type missing from linux.namespaces shares the host's namespace";

  json mounts = json::array();
  if (spec.contains("mounts") && spec["mounts"].is_array()) {
    for (const auto& m : spec["mounts"]) {
      if (!m.is_object()) continue;
      mounts.push_back(mountFacts(str(m, "destination"), str(m, "type"), str(m, "source"),
                                  stringList(m.value("options", json()))));
    }
  }
  f["mounts"] = std::move(mounts);
  setOrigin(s, "mounts", file, "mounts");

  json devices = json::array();
  if (linux.contains("devices") && linux["devices"].is_array()) {
    for (const auto& d : linux["devices"]) {
      if (!d.is_object()) continue;
      devices.push_back({{"path", str(d, "path")}, {"type", str(d, "type")}, {"major", d.value("major", json())},
                         {"minor", d.value("minor", json())}});
    }
  }
  f["devices"] = std::move(devices);
  setOrigin(s, "devices", file, "linux.devices");

  const json& resources = linux.contains("resources") && linux["resources"].is_object() ? linux["resources"] : empty;
  json rules = json::array();
  if (resources.contains("devices") && resources["devices"].is_array()) {
    for (const auto& r : resources["devices"]) {
      if (!r.is_object()) continue;
      rules.push_back({{"allow", jsonBool(r, "allow")}, {"type", str(r, "type")}, {"major", r.value("major", json())},
                       {"minor", r.value("minor", json())}, {"access", str(r, "access")}});
    }
  }
  f["allDevicesAllowed"] = allDevices(rules);
  f["deviceRules"] = std::move(rules);
  setOrigin(s, "deviceRules", file, "linux.resources.devices");
  setOrigin(s, "allDevicesAllowed", file, "linux.resources.devices");

  json res = json::object();
  auto number = [](const json& object, const char* section, const char* key) -> json {
    if (!object.contains(section) || !object[section].is_object()) return json();
    const json& v = object[section].value(key, json());
    return v.is_number() ? v : json();
  };
  if (json v = number(resources, "memory", "limit"); !v.is_null() && v.get<double>() > 0) res["memoryLimit"] = v;
  if (json v = number(resources, "cpu", "shares"); !v.is_null() && v.get<double>() > 0) res["cpuShares"] = v;
  if (json v = number(resources, "cpu", "quota"); !v.is_null() && v.get<double>() > 0) res["cpuQuota"] = v;
  if (json v = number(resources, "pids", "limit"); !v.is_null() && v.get<double>() > 0) res["pidsLimit"] = v;
  f["resources"] = std::move(res);
  setOrigin(s, "resources.memoryLimit", file, "linux.resources.memory.limit");
  setOrigin(s, "resources.cpuShares", file, "linux.resources.cpu.shares");
  setOrigin(s, "resources.cpuQuota", file, "linux.resources.cpu.quota");
  setOrigin(s, "resources.pidsLimit", file, "linux.resources.pids.limit");
  setOrigin(s, "resources", file, "linux.resources");

  if (linux.contains("seccomp") && linux["seccomp"].is_object()) {
    const json& sc = linux["seccomp"];
    const size_t rulesCount = sc.contains("syscalls") && sc["syscalls"].is_array() ? sc["syscalls"].size() : 0;
    f["seccomp"] = seccompFacts(str(sc, "defaultAction"), rulesCount);
  }
  setOrigin(s, "seccomp", file, "linux.seccomp");
  f["rootfsPropagation"] = str(linux, "rootfsPropagation");
  setOrigin(s, "rootfsPropagation", file, "linux.rootfsPropagation");
  f["maskedPaths"] = stringList(linux.value("maskedPaths", json()));
  setOrigin(s, "maskedPaths", file, "linux.maskedPaths");
  f["readonlyPaths"] = stringList(linux.value("readonlyPaths", json()));
  setOrigin(s, "readonlyPaths", file, "linux.readonlyPaths");
  f["sysctl"] = linux.contains("sysctl") && linux["sysctl"].is_object() ? linux["sysctl"] : json::object();
  setOrigin(s, "sysctl", file, "linux.sysctl");
  f["cgroupsPath"] = str(linux, "cgroupsPath");
  setOrigin(s, "cgroupsPath", file, "linux.cgroupsPath");
  f["hostname"] = str(spec, "hostname");
  f["uidMappings"] = linux.contains("uidMappings") && linux["uidMappings"].is_array() ? linux["uidMappings"].size() : 0;
  setOrigin(s, "uidMappings", file, "linux.uidMappings");
  return s;
}

namespace {

// libcontainer's seccomp actions (runc 1.1, configs.Action).
std::string seccompAction(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  static const char* const names[] = {"", "SCMP_ACT_KILL", "SCMP_ACT_ERRNO", "SCMP_ACT_TRAP", "SCMP_ACT_ALLOW",
                                      "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_KILL_THREAD",
                                      "SCMP_ACT_KILL_PROCESS"};
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i > 0 && i < static_cast<int64_t>(std::size(names))) return names[i];
  }
  return "unknown";
}

std::string propagationName(int64_t flags) {
  const bool rec = (flags & 0x4000) != 0;  // MS_REC
  if (flags & (1 << 20)) return rec ? "rshared" : "shared";
  if (flags & (1 << 19)) return rec ? "rslave" : "slave";
  if (flags & (1 << 18)) return rec ? "rprivate" : "private";
  if (flags & (1 << 17)) return rec ? "runbindable" : "unbindable";
  return "";
}

std::string deviceType(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) {
    const int64_t c = v.get<int64_t>();
    if (c == 'a' || c == 'c' || c == 'b' || c == 'p' || c == 'u') return std::string(1, static_cast<char>(c));
  }
  return "";
}

}  // namespace

Result<void> applyRuncState(ContainerSnapshot& s, std::string_view text, std::string_view what) {
  JsonLimits limits;
  limits.maxBytes = kMaxRuncStateBytes;
  limits.maxDepth = 32;
  auto parsed = parseJson(text, what, limits);
  if (!parsed) return std::move(parsed).error();
  const json& state = *parsed;
  if (!state.is_object() || !state.contains("config") || !state["config"].is_object()) {
    return makeError("{}: not a runc state file (no config object)", what);
  }
  const json& c = state["config"];
  const std::string file(what);
  s.stateFile = file;
  json& f = s.facts;
  json runtime = {{"id", str(state, "id")},
                  {"pid", state.value("init_process_pid", json())},
                  {"start", state.value("init_process_start", json())},
                  {"created", str(state, "created")},
                  {"stateFile", file},
                  {"status", "unknown"}};
  std::string bundle;
  for (const auto& label : stringList(c.value("labels", json()))) {
    const std::string& l = label.get_ref<const std::string&>();
    if (l.starts_with("bundle=")) bundle = l.substr(7);
  }
  runtime["bundle"] = bundle;
  json namespacePaths = json::object();
  if (state.contains("namespace_paths") && state["namespace_paths"].is_object()) {
    for (auto it = state["namespace_paths"].begin(); it != state["namespace_paths"].end(); ++it) {
      if (it->is_string()) namespacePaths[it.key()] = *it;
    }
  }
  runtime["namespacePaths"] = std::move(namespacePaths);
  f["runtime"] = std::move(runtime);
  setOrigin(s, "runtime", file, "");

  if (!f.contains("root")) f["root"] = {{"path", ""}, {"readonly", false}};
  f["root"]["path"] = str(c, "rootfs");
  f["root"]["readonly"] = jsonBool(c, "readonlyfs");
  setOrigin(s, "root.readonly", file, "config.readonlyfs");
  setOrigin(s, "root.path", file, "config.rootfs");

  if (!f.contains("process")) {
    f["process"] = {{"user", {{"uid", json()}, {"gid", json()}}}, {"args", json::array()}, {"env", json::array()},
                    {"rlimits", json::array()}};
  }
  json& p = f["process"];
  p["noNewPrivileges"] = jsonBool(c, "no_new_privileges");
  setOrigin(s, "process.noNewPrivileges", file, "config.no_new_privileges");
  const std::string apparmor = str(c, "apparmor_profile");
  p["apparmorProfile"] = apparmor.empty() ? json() : json(apparmor);
  setOrigin(s, "process.apparmorProfile", file, "config.apparmor_profile");
  const std::string label = str(c, "process_label");
  p["selinuxLabel"] = label.empty() ? json() : json(label);
  setOrigin(s, "process.selinuxLabel", file, "config.process_label");
  json caps = json::object();
  const json& sc = c.contains("capabilities") && c["capabilities"].is_object() ? c["capabilities"] : json::object();
  for (const char* set : kCapSets) {
    std::string key = set;
    key[0] = static_cast<char>(key[0] - 'a' + 'A');
    caps[set] = stringList(sc.value(key, json()));
  }
  p["capabilities"] = std::move(caps);
  setOrigin(s, "process.capabilities", file, "config.capabilities");
  p["oomScoreAdj"] = c.value("oom_score_adj", json());

  json namespaces = json::object();
  for (const auto& n : kNamespaces) namespaces[n.oci] = "host";
  json nsPaths = json::object();
  if (c.contains("namespaces") && c["namespaces"].is_array()) {
    for (const auto& entry : c["namespaces"]) {
      if (!entry.is_object()) continue;
      const std::string type = str(entry, "type");
      for (const auto& n : kNamespaces) {
        if (type != n.libcontainer) continue;
        const std::string path = str(entry, "path");
        if (path.empty()) {
          namespaces[n.oci] = "private";
        } else {
          namespaces[n.oci] = path == std::string("/proc/1/ns/") + n.proc ? "host" : "shared";
          nsPaths[n.oci] = path;
        }
      }
    }
  }
  f["namespaces"] = std::move(namespaces);
  f["namespacePaths"] = std::move(nsPaths);
  setOrigin(s, "namespaces", file, "config.namespaces");

  json mounts = json::array();
  if (c.contains("mounts") && c["mounts"].is_array()) {
    for (const auto& m : c["mounts"]) {
      if (!m.is_object()) continue;
      const int64_t flags = jsonInt(m, "flags");
      json options = json::array();
      if (flags & 1) options.push_back("ro");          // MS_RDONLY
      if (flags & 4096) options.push_back((flags & 0x4000) ? "rbind" : "bind");  // MS_BIND, MS_REC
      int64_t propagation = 0;
      if (m.contains("propagation_flags") && m["propagation_flags"].is_array()) {
        for (const auto& pf : m["propagation_flags"]) {
          if (pf.is_number_integer()) propagation |= pf.get<int64_t>();
        }
      }
      if (const std::string name = propagationName(propagation); !name.empty()) options.push_back(name);
      const std::string device = str(m, "device");
      mounts.push_back(mountFacts(str(m, "destination"), device, str(m, "source"), options));
    }
  }
  f["mounts"] = std::move(mounts);
  setOrigin(s, "mounts", file, "config.mounts");

  json devices = json::array();
  if (c.contains("devices") && c["devices"].is_array()) {
    for (const auto& d : c["devices"]) {
      if (!d.is_object()) continue;
      devices.push_back({{"path", str(d, "path")}, {"type", deviceType(d.value("type", json()))},
                         {"major", d.value("major", json())}, {"minor", d.value("minor", json())}});
    }
  }
  f["devices"] = std::move(devices);
  setOrigin(s, "devices", file, "config.devices");

  const json& cg = c.contains("cgroups") && c["cgroups"].is_object() ? c["cgroups"] : json::object();
  json rules = json::array();
  if (cg.contains("devices") && cg["devices"].is_array()) {
    for (const auto& r : cg["devices"]) {
      if (!r.is_object()) continue;
      json rule = {{"allow", jsonBool(r, "allow")}, {"type", deviceType(r.value("type", json()))},
                   {"major", r.value("major", json())}, {"minor", r.value("minor", json())},
                   {"access", str(r, "permissions")}};
      rules.push_back(std::move(rule));
    }
  }
  f["allDevicesAllowed"] = allDevices(rules);
  f["deviceRules"] = std::move(rules);
  setOrigin(s, "deviceRules", file, "config.cgroups.devices");
  setOrigin(s, "allDevicesAllowed", file, "config.cgroups.devices");
  json res = json::object();
  auto positive = [&](const char* key) -> json {
    const json& v = cg.value(key, json());
    return v.is_number() && v.get<double>() > 0 ? v : json();
  };
  if (json v = positive("memory"); !v.is_null()) res["memoryLimit"] = v;
  if (json v = positive("cpu_shares"); !v.is_null()) res["cpuShares"] = v;
  if (json v = positive("cpu_quota"); !v.is_null()) res["cpuQuota"] = v;
  if (json v = positive("pids_limit"); !v.is_null()) res["pidsLimit"] = v;
  f["resources"] = std::move(res);
  setOrigin(s, "resources.memoryLimit", file, "config.cgroups.memory");
  setOrigin(s, "resources.cpuShares", file, "config.cgroups.cpu_shares");
  setOrigin(s, "resources.cpuQuota", file, "config.cgroups.cpu_quota");
  setOrigin(s, "resources.pidsLimit", file, "config.cgroups.pids_limit");
  setOrigin(s, "resources", file, "config.cgroups");
  f["cgroupsPath"] = str(cg, "path");
  setOrigin(s, "cgroupsPath", file, "config.cgroups.path");

  if (c.contains("seccomp") && c["seccomp"].is_object()) {
    const json& scmp = c["seccomp"];
    const size_t count = scmp.contains("syscalls") && scmp["syscalls"].is_array() ? scmp["syscalls"].size() : 0;
    f["seccomp"] = seccompFacts(seccompAction(scmp.value("default_action", json())), count);
  } else {
    f.erase("seccomp");
  }
  setOrigin(s, "seccomp", file, "config.seccomp");
  f["rootfsPropagation"] = propagationName(jsonInt(c, "rootPropagation"));
  setOrigin(s, "rootfsPropagation", file, "config.rootPropagation");
  f["maskedPaths"] = stringList(c.value("mask_paths", json()));
  setOrigin(s, "maskedPaths", file, "config.mask_paths");
  f["readonlyPaths"] = stringList(c.value("readonly_paths", json()));
  setOrigin(s, "readonlyPaths", file, "config.readonly_paths");
  f["sysctl"] = c.contains("sysctl") && c["sysctl"].is_object() ? c["sysctl"] : json::object();
  setOrigin(s, "sysctl", file, "config.sysctl");
  f["hostname"] = str(c, "hostname");
  f["uidMappings"] = c.contains("uid_mappings") && c["uid_mappings"].is_array() ? c["uid_mappings"].size() : 0;
  setOrigin(s, "uidMappings", file, "config.uid_mappings");
  return {};
}

namespace {

bool inodeOf(const std::string& path, ino_t& inode, dev_t& dev) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  inode = st.st_ino;
  dev = st.st_dev;
  return true;
}

std::string readLine(const std::string& path, size_t max = 4096) {
  std::ifstream in(path);
  std::string line;
  if (!in) return line;
  std::getline(in, line);
  if (line.size() > max) line.resize(max);
  return line;
}

// Field 22 of /proc/PID/stat: the start time, after the parenthesised command name.
std::string startTime(const std::string& statLine) {
  const size_t close = statLine.rfind(')');
  if (close == std::string::npos) return {};
  size_t pos = close + 2;
  for (int field = 3; field < 22 && pos < statLine.size(); ++field) {
    pos = statLine.find(' ', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  return statLine.substr(pos, statLine.find(' ', pos) - pos);
}

}  // namespace

void addLiveFacts(ContainerSnapshot& s, const std::string& procDir) {
  json& runtime = s.facts["runtime"];
  if (!runtime.is_object()) return;
  const json pidValue = runtime.value("pid", json());
  if (!pidValue.is_number_integer() || pidValue.get<int64_t>() <= 0) return;
  const int64_t pid = pidValue.get<int64_t>();
  const std::string base = fmt::format("{}/{}", procDir, pid);
  const std::string stat = readLine(base + "/stat");
  const json start = runtime.value("start", json());
  const std::string expected = start.is_number() ? std::to_string(start.get<uint64_t>()) : "";
  if (stat.empty() || (!expected.empty() && startTime(stat) != expected)) {
    runtime["status"] = "stopped";
    return;
  }
  runtime["status"] = "running";
  // Namespaces as the kernel has them: the same inode as the host's is the host's. The
  // host's are PID 1's, or this process's where PID 1's cannot be read (some sandboxes
  // deny it even to root); bench runs on the host, in its namespaces.
  json hostNamespaces = json::object();
  std::string reference;
  for (const auto& n : kNamespaces) {
    ino_t a = 0, b = 0;
    dev_t da = 0, db = 0;
    if (!inodeOf(fmt::format("{}/ns/{}", base, n.proc), a, da)) continue;
    std::string ref = fmt::format("{}/1/ns/{}", procDir, n.proc);
    if (!inodeOf(ref, b, db)) {
      ref = fmt::format("{}/self/ns/{}", procDir, n.proc);
      if (!inodeOf(ref, b, db)) continue;
    }
    reference = ref.substr(0, ref.rfind('/'));
    const bool host = a == b && da == db;
    hostNamespaces[n.oci] = host;
    json& current = s.facts["namespaces"][n.oci];
    if (host) {
      current = "host";
    } else if (!current.is_string() || current.get<std::string>() == "host") {
      current = "private";
    }
  }
  runtime["hostNamespaces"] = std::move(hostNamespaces);
  if (!reference.empty()) {
    s.origins["namespaces"] = {base + "/ns", ""};
    s.notes["namespaces"] = fmt::format("compared with {}: the same inode is the host's namespace", reference);
    s.origins["runtime.hostNamespaces"] = {base + "/ns", ""};
    s.notes["runtime.hostNamespaces"] = fmt::format("true when the inode equals {}'s", reference);
  }
  // Processes in the container's PID namespace (as `ps` inside it would list them).
  json processes = json::array();
  ino_t pidNs = 0;
  dev_t pidDev = 0;
  if (inodeOf(base + "/ns/pid", pidNs, pidDev)) {
    if (DIR* dir = ::opendir(procDir.c_str())) {
      size_t seen = 0;
      while (dirent* entry = ::readdir(dir)) {
        if (++seen > (1u << 20) || processes.size() >= 4096) break;
        const char* name = entry->d_name;
        if (name[0] < '1' || name[0] > '9') continue;
        ino_t ns = 0;
        dev_t dev = 0;
        if (!inodeOf(fmt::format("{}/{}/ns/pid", procDir, name), ns, dev) || ns != pidNs || dev != pidDev) continue;
        const std::string comm = readLine(fmt::format("{}/{}/comm", procDir, name), 64);
        processes.push_back({{"pid", std::atoi(name)}, {"comm", comm}, {"name", comm}});
      }
      ::closedir(dir);
    }
  }
  runtime["processes"] = std::move(processes);
}

namespace {

std::vector<std::string> stateRoots(const ContainerOptions& options) {
  if (!options.runcRoot.empty()) return {options.runcRoot};
  std::vector<std::string> roots = {"/run/runc", "/run/docker/runtime-runc/moby"};
  glob_t g{};
  if (::glob("/run/containerd/runc/*", GLOB_ONLYDIR, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc && i < 64; ++i) roots.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return roots;
}

bool isFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<ContainerSnapshot> collectContainer(const std::string& target, const ContainerOptions& options) {
  std::string configFile;
  std::string stateFile;
  if (isDirectory(target) && isFile(target + "/config.json")) {
    configFile = target + "/config.json";
  } else if (isFile(target)) {
    if (target.ends_with("state.json")) {
      stateFile = target;
    } else {
      configFile = target;
    }
  } else {
    const bool validId = !target.empty() && target.size() < 256 && target.find('/') == std::string::npos &&
                         target != "." && target != "..";
    std::vector<std::string> looked;
    if (validId) {
      for (const auto& root : stateRoots(options)) {
        const std::string candidate = root + "/" + target + "/state.json";
        looked.push_back(candidate);
        if (isFile(candidate)) {
          stateFile = candidate;
          break;
        }
      }
    }
    if (stateFile.empty()) {
      return makeError("{}: no bundle directory with config.json, no config.json or state.json file, and no "
                       "runc container of that ID (looked for {})",
                       target, looked.empty() ? std::string("a valid ID") : fmt::format("{}", fmt::join(looked, ", ")));
    }
  }
  ContainerSnapshot snapshot;
  std::string stateText;
  if (!stateFile.empty()) {
    auto text = readFileBounded(stateFile, kMaxRuncStateBytes);
    if (!text) return std::move(text).error();
    stateText = std::move(*text);
    // The bundle's config.json holds what state.json lacks (process user, args, rlimits).
    JsonLimits limits;
    limits.maxBytes = kMaxRuncStateBytes;
    if (auto state = parseJson(stateText, stateFile, limits); state && state->is_object()) {
      const json config = state->value("config", json::object());
      for (const auto& label : stringList(config.is_object() ? config.value("labels", json()) : json())) {
        const std::string& l = label.get_ref<const std::string&>();
        if (l.starts_with("bundle=") && isFile(l.substr(7) + "/config.json")) configFile = l.substr(7) + "/config.json";
      }
    }
  }
  if (!configFile.empty()) {
    auto text = readFileBounded(configFile, kMaxOciConfigBytes);
    if (!text) return std::move(text).error();
    auto parsed = parseOciConfig(*text, configFile);
    if (!parsed) return std::move(parsed).error();
    snapshot = std::move(*parsed);
  }
  // A namespace joined by path is the host's when it is the same namespace as ours.
  if (const json* paths = snapshot.facts.contains("namespacePaths") ? &snapshot.facts["namespacePaths"] : nullptr;
      paths != nullptr && paths->is_object()) {
    for (const auto& n : kNamespaces) {
      auto it = paths->find(n.oci);
      if (it == paths->end() || !it->is_string()) continue;
      ino_t a = 0, b = 0;
      dev_t da = 0, db = 0;
      if (inodeOf(it->get<std::string>(), a, da) &&
          (inodeOf(fmt::format("{}/1/ns/{}", options.procDir, n.proc), b, db) ||
           inodeOf(fmt::format("{}/self/ns/{}", options.procDir, n.proc), b, db)) &&
          a == b && da == db) {
        snapshot.facts["namespaces"][n.oci] = "host";
      }
    }
  }
  if (!stateFile.empty()) {
    BH_TRY_STATUS(applyRuncState(snapshot, stateText, stateFile));
    addLiveFacts(snapshot, options.procDir);
    const json& runtime = snapshot.facts["runtime"];
    snapshot.source = fmt::format("runc container {} ({})", jsonString(runtime, "id"), stateFile);
  } else {
    const std::string dir = configFile.substr(0, configFile.rfind('/'));
    snapshot.source = configFile.ends_with("/config.json") ? "bundle " + (dir.empty() ? "/" : dir) : configFile;
  }
  json host = {{"apparmor", false}, {"selinux", false}};
  if (std::string v = readLine(options.sysDir + "/module/apparmor/parameters/enabled"); !v.empty() && v[0] == 'Y') {
    host["apparmor"] = true;
  }
  host["selinux"] = isFile(options.sysDir + "/fs/selinux/enforce");
  snapshot.facts["host"] = std::move(host);
  return snapshot;
}

Subject containerSubject(const ContainerSnapshot& s) {
  Subject subject;
  subject.target = Target::kContainer;
  subject.name = s.source.empty() ? "container" : s.source;
  subject.file = !s.configFile.empty() ? s.configFile : s.stateFile;
  subject.facts = s.facts;
  subject.facts["source"] = s.source;
  for (const auto& [fact, origin] : s.origins) {
    auto note = s.notes.find(fact);
    subject.addOrigin(fact, Origin{origin.first, origin.second, note == s.notes.end() ? "" : note->second});
  }
  subject.addOrigin("host", Origin{"/sys", "", "this host's kernel"});
  return subject;
}

}  // namespace bulkhead::compliance
