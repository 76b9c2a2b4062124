#include "compliance/host_collector.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <deque>
#include <set>

#include "compliance/fact_path.h"
#include "compliance/operators.h"
#include "core/mount_info.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

constexpr size_t kMaxSmallFile = 4u << 20;
constexpr size_t kMaxGlobResults = 1000;
constexpr size_t kMaxProcEntries = 1u << 20;

std::string join(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r + path;
}

// Reads a small file, following symbolic links; never blocks on a FIFO.
Result<std::string> readSmall(const std::string& path, size_t maxBytes = kMaxSmallFile) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return makeError("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError("{}: not a regular file", path);
  }
  std::string out;
  char buffer[16384];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      return makeError("{}: cannot read: {}", path, std::strerror(saved));
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
    if (out.size() > maxBytes) {
      ::close(fd);
      return makeError("{}: larger than {} bytes", path, maxBytes);
    }
  }
  ::close(fd);
  return out;
}

// Resolves a host path inside `root`, following symbolic links as a chroot would (at most
// 40), so an absolute link target does not escape to the auditing machine's own files.
std::string resolveInRoot(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  std::deque<std::string> pending;
  auto push = [&](const std::string& p, bool front) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= p.size()) {
      size_t j = p.find('/', i);
      if (j == std::string::npos) j = p.size();
      if (j > i) parts.push_back(p.substr(i, j - i));
      i = j + 1;
    }
    if (front) {
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_front(*it);
    } else {
      for (auto& part : parts) pending.push_back(part);
    }
  };
  push(path, false);
  std::vector<std::string> done;
  int links = 0;
  while (!pending.empty()) {
    std::string part = pending.front();
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
    std::string current;
    for (const auto& d : done) current += "/" + d;
    struct stat st {};
    if (::lstat(join(root, current).c_str(), &st) != 0) {
      for (const auto& rest : pending) current += "/" + rest;
      return join(root, current);
    }
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) return join(root, current);
      char target[4096];
      const ssize_t n = ::readlink(join(root, current).c_str(), target, sizeof target - 1);
      if (n <= 0) return join(root, current);
      target[n] = '\0';
      done.pop_back();
      if (target[0] == '/') done.clear();
      push(target, true);
    }
  }
  std::string out;
  for (const auto& d : done) out += "/" + d;
  return join(root, out.empty() ? "/" : out);
}

std::map<uint32_t, std::string> readIds(const std::string& file, std::vector<std::string>* dockerMembers,
                                        bool* dockerExists) {
  std::map<uint32_t, std::string> out;
  auto text = readSmall(file);
  if (!text) return out;
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    const std::string line = text->substr(start, end - start);
    start = end + 1;
    std::vector<std::string> fields;
    size_t i = 0;
    while (i <= line.size() && fields.size() < 8) {
      size_t j = line.find(':', i);
      if (j == std::string::npos) j = line.size();
      fields.push_back(line.substr(i, j - i));
      i = j + 1;
    }
    if (fields.size() < 3 || fields[0].empty()) continue;
    uint32_t id = 0;
    bool numeric = !fields[2].empty() && fields[2].size() < 11;
    for (const char c : fields[2]) {
      if (c < '0' || c > '9') numeric = false;
      else id = id * 10 + static_cast<uint32_t>(c - '0');
    }
    if (numeric && !out.count(id)) out[id] = fields[0];
    if (dockerMembers && fields[0] == "docker") {
      if (dockerExists) *dockerExists = true;
      if (fields.size() >= 4) {
        size_t k = 0;
        const std::string& members = fields[3];
        while (k < members.size()) {
          size_t m = members.find(',', k);
          if (m == std::string::npos) m = members.size();
          if (m > k) dockerMembers->push_back(members.substr(k, m - k));
          k = m + 1;
        }
      }
    }
  }
  return out;
}

const char* typeName(mode_t mode) {
  if (S_ISREG(mode)) return "file";
  if (S_ISDIR(mode)) return "directory";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISLNK(mode)) return "symlink";
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISCHR(mode)) return "char";
  if (S_ISBLK(mode)) return "block";
  return "other";
}

class Collector {
 public:
  explicit Collector(const HostOptions& options) {
    root_ = options.root.empty() ? "/" : options.root;
    proc_ = options.procDir.empty() ? join(root_, "/proc") : options.procDir;
    sys_ = options.sysDir.empty() ? join(root_, "/sys") : options.sysDir;
    users_ = readIds(resolveInRoot(root_, "/etc/passwd"), nullptr, nullptr);
  }

  FileStat statFile(const std::string& path) {
    FileStat out;
    struct stat st {};
    const std::string real = resolveInRoot(root_, path);
    if (::stat(real.c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) {
        out.error = fmt::format("{}: cannot stat: {}", path, std::strerror(errno));
      }
      return out;
    }
    out.exists = true;
    out.type = typeName(st.st_mode);
    out.mode = st.st_mode & 07777u;
    out.uid = st.st_uid;
    out.gid = st.st_gid;
    if (auto it = users_.find(st.st_uid); it != users_.end()) out.owner = it->second;
    const auto& names = groups();
    if (auto it = names.find(st.st_gid); it != names.end()) out.group = it->second;
    return out;
  }

  // A path as the audited host sees it: without the --root prefix.
  std::string hostView(const std::string& path) const {
    if (root_ == "/" || root_.empty()) return path;
    std::string r = root_;
    while (r.size() > 1 && r.back() == '/') r.pop_back();
    return path.starts_with(r + "/") ? path.substr(r.size()) : path;
  }

  const std::map<uint32_t, std::string>& groups() {
    if (!groupsRead_) {
      groups_ = readIds(resolveInRoot(root_, "/etc/group"), &snapshot_.dockerGroupMembers,
                        &snapshot_.dockerGroupExists);
      groupsRead_ = true;
    }
    return groups_;
  }

  void addFile(const std::string& path) {
    if (path.empty() || path[0] != '/' || snapshot_.files.count(path)) return;
    snapshot_.files[path] = statFile(path);
  }

  bool exists(const std::string& path) {
    addFile(path);
    return snapshot_.files[path].exists;
  }

  std::string firstExisting(const std::vector<std::string>& candidates) {
    for (const auto& c : candidates) {
      if (exists(c)) return c;
    }
    return {};
  }

  // Finds running processes by name (comm), as pgrep would.
  void scanProcesses() {
    DIR* dir = ::opendir(proc_.c_str());
    if (dir == nullptr) {
      snapshot_.warnings.push_back(fmt::format("{}: cannot list processes: {}", proc_, std::strerror(errno)));
      return;
    }
    size_t seen = 0;
    while (dirent* entry = ::readdir(dir)) {
      if (++seen > kMaxProcEntries) break;
      const char* name = entry->d_name;
      if (name[0] < '1' || name[0] > '9') continue;
      bool numeric = true;
      for (const char* c = name; *c; ++c) numeric = numeric && *c >= '0' && *c <= '9';
      if (!numeric) continue;
      auto comm = readSmall(fmt::format("{}/{}/comm", proc_, name), 4096);
      if (!comm) continue;
      std::string command = *comm;
      while (!command.empty() && command.back() == '\n') command.pop_back();
      std::optional<ProcessInfo>* slot = command == "dockerd"      ? &snapshot_.dockerd
                                         : command == "containerd" ? &snapshot_.containerd
                                                                   : nullptr;
      if (slot == nullptr || slot->has_value()) continue;
      const std::string file = fmt::format("{}/{}/cmdline", proc_, name);
      auto text = readSmall(file, kMaxCmdlineBytes);
      if (!text) continue;
      auto parsed = parseDockerdCmdline(*text, file);
      if (!parsed) {
        snapshot_.warnings.push_back(parsed.error().message);
        continue;
      }
      ProcessInfo info;
      info.pid = std::atoi(name);
      info.cmdlineFile = hostView(file);
      info.cmdline = std::move(*parsed);
      *slot = std::move(info);
    }
    ::closedir(dir);
  }

  void readDaemonConfig() {
    if (snapshot_.dockerd) {
      for (const auto& [flag, value] : snapshot_.dockerd->cmdline.flags) {
        if (flag == "config-file" && !value.empty()) snapshot_.daemonConfigFile = value;
      }
    }
    addFile(snapshot_.daemonConfigFile);
    const FileStat& st = snapshot_.files[snapshot_.daemonConfigFile];
    snapshot_.daemonConfigExists = st.exists;
    if (st.exists) {
      auto text = readSmall(resolveInRoot(root_, snapshot_.daemonConfigFile), kMaxDaemonJsonBytes);
      if (!text) {
        snapshot_.daemonConfigError = fmt::format("{}: {}", snapshot_.daemonConfigFile, text.error().message);
      } else {
        auto parsed = parseDaemonJson(*text, snapshot_.daemonConfigFile);
        if (!parsed) {
          snapshot_.daemonConfigError = parsed.error().message;
        } else {
          snapshot_.daemonConfig = std::move(*parsed);
        }
      }
    }
    const CommandLine none;
    snapshot_.daemon = mergeDaemonSettings(snapshot_.daemonConfig, snapshot_.dockerd ? snapshot_.dockerd->cmdline : none);
    const json& dataRoot = snapshot_.daemon.effective.contains("data-root") ? snapshot_.daemon.effective["data-root"]
                                                                              : json();
    if (dataRoot.is_string() && !dataRoot.get<std::string>().empty()) snapshot_.dataRoot = dataRoot.get<std::string>();
  }

  void readMounts() {
    for (const std::string& candidate : {proc_ + "/1/mountinfo", proc_ + "/self/mountinfo"}) {
      auto text = readSmall(candidate, 16u << 20);
      if (!text) continue;
      snapshot_.mountInfoFile = hostView(candidate);
      const std::string target = cleanPath(snapshot_.dataRoot);
      std::string best;
      for (const MountEntry& m : parseMountInfo(*text)) {
        const std::string clean = cleanPath(m.point);
        const bool contains = clean == "/" || target == clean ||
                              (target.size() > clean.size() && target.starts_with(clean) && target[clean.size()] == '/');
        if (contains && clean.size() >= best.size()) best = clean;
      }
      snapshot_.dataRootMountPoint = best;
      return;
    }
  }

  void readAudit() {
    std::vector<std::string> files;
    const std::string main = "/etc/audit/audit.rules";
    if (exists(main)) files.push_back(main);
    const std::string dir = resolveInRoot(root_, "/etc/audit/rules.d");
    if (DIR* d = ::opendir(dir.c_str())) {
      std::vector<std::string> names;
      while (dirent* entry = ::readdir(d)) {
        const std::string name = entry->d_name;
        if (name.size() > 6 && name.ends_with(".rules")) names.push_back(name);
        if (names.size() > 10000) break;
      }
      ::closedir(d);
      std::sort(names.begin(), names.end());
      for (const auto& n : names) files.push_back("/etc/audit/rules.d/" + n);
    }
    for (const auto& file : files) {
      auto text = readSmall(resolveInRoot(root_, file), kMaxAuditRuleFileBytes);
      if (!text) {
        snapshot_.audit.warnings.push_back(text.error().message);
        continue;
      }
      snapshot_.auditFiles.push_back(file);
      if (auto parsed = parseAuditRules(*text, file, snapshot_.audit); !parsed) {
        snapshot_.audit.warnings.push_back(parsed.error().message);
      }
    }
  }

  void readSysctlConfig(std::map<std::string, std::tuple<std::string, std::string, int>>& configured) {
    // systemd-sysctl order: files sorted by name over the directories, /etc winning over
    // /run and /usr/lib for the same name; /etc/sysctl.conf last. Last assignment wins.
    std::map<std::string, std::string> byName;
    for (const char* dir : {"/usr/lib/sysctl.d", "/lib/sysctl.d", "/run/sysctl.d", "/etc/sysctl.d"}) {
      DIR* d = ::opendir(resolveInRoot(root_, dir).c_str());
      if (d == nullptr) continue;
      size_t count = 0;
      while (dirent* entry = ::readdir(d)) {
        const std::string name = entry->d_name;
        if (name.size() > 5 && name.ends_with(".conf")) byName[name] = std::string(dir) + "/" + name;
        if (++count > 10000) break;
      }
      ::closedir(d);
    }
    std::vector<std::string> files;
    for (const auto& [name, path] : byName) files.push_back(path);
    files.push_back("/etc/sysctl.conf");
    for (const auto& file : files) {
      auto text = readSmall(resolveInRoot(root_, file), 1u << 20);
      if (!text) continue;
      int lineNo = 0;
      size_t start = 0;
      while (start < text->size()) {
        size_t end = text->find('\n', start);
        if (end == std::string::npos) end = text->size();
        std::string line = text->substr(start, end - start);
        start = end + 1;
        ++lineNo;
        const size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#' || line[first] == ';') continue;
        line = line.substr(first);
        if (line[0] == '-') line = line.substr(1);
        const size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        auto trim = [](std::string s) {
          const size_t a = s.find_first_not_of(" \t\r");
          const size_t b = s.find_last_not_of(" \t\r");
          return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
        };
        std::string key = trim(line.substr(0, eq));
        std::replace(key.begin(), key.end(), '/', '.');
        configured[key] = {trim(line.substr(eq + 1)), file, lineNo};
      }
    }
  }

  void readSysctls(const std::set<std::string>& keys) {
    std::map<std::string, std::tuple<std::string, std::string, int>> configured;
    if (!keys.empty()) readSysctlConfig(configured);
    for (const auto& key : keys) {
      SysctlValue v;
      std::string rel = key;
      std::replace(rel.begin(), rel.end(), '.', '/');
      v.file = "/proc/sys/" + rel;
      const std::string real = proc_ + "/sys/" + rel;
      struct stat st {};
      if (::stat(real.c_str(), &st) == 0) {
        v.exists = true;
        auto text = readSmall(real, 64 * 1024);
        if (!text) {
          v.error = text.error().message;
        } else {
          v.text = *text;
          while (!v.text.empty() && (v.text.back() == '\n' || v.text.back() == ' ')) v.text.pop_back();
        }
      }
      if (auto it = configured.find(key); it != configured.end()) {
        v.configuredValue = std::get<0>(it->second);
        v.configuredFile = std::get<1>(it->second);
        v.configuredLine = std::get<2>(it->second);
      }
      snapshot_.sysctls[key] = std::move(v);
    }
  }

  void expandGlobs(const std::set<std::string>& patterns) {
    for (const auto& pattern : patterns) {
      std::vector<std::string>& out = snapshot_.globs[pattern];
      glob_t g{};
      const std::string full = join(root_, pattern);
      if (::glob(full.c_str(), 0, nullptr, &g) == 0) {
        const size_t strip = (root_ == "/" ? 0 : join(root_, "").size());
        for (size_t i = 0; i < g.gl_pathc && out.size() < kMaxGlobResults; ++i) {
          const std::string hostPath = std::string(g.gl_pathv[i]).substr(strip);
          out.push_back(hostPath);
          addFile(hostPath);
        }
      }
      ::globfree(&g);
    }
  }

  Result<HostSnapshot> run(const Requirements& req) {
    snapshot_.root = root_;
    struct stat st {};
    if (::stat(root_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return makeError("{}: not a directory (the host root to audit)", root_);
    }
    groups();
    scanProcesses();
    snapshot_.dockerdBinary = firstExisting({"/usr/bin/dockerd", "/usr/sbin/dockerd", "/usr/local/bin/dockerd",
                                             "/usr/local/sbin/dockerd", "/bin/dockerd"});
    snapshot_.containerdBinary = firstExisting({"/usr/bin/containerd", "/usr/sbin/containerd",
                                                "/usr/local/bin/containerd", "/bin/containerd"});
    snapshot_.runcBinary = firstExisting({"/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc",
                                          "/usr/local/sbin/runc", "/bin/runc", "/sbin/runc"});
    readDaemonConfig();
    readMounts();
    readAudit();
    for (const auto& f : req.files) addFile(f);
    expandGlobs(req.globs);
    readSysctls(req.sysctls);
    snapshot_.apparmor = false;
    if (auto text = readSmall(sys_ + "/module/apparmor/parameters/enabled", 64)) {
      snapshot_.apparmor = !text->empty() && (*text)[0] == 'Y';
    }
    snapshot_.selinux = ::stat((sys_ + "/fs/selinux/enforce").c_str(), &st) == 0;
    // Files named by facts (TLS certificates from the daemon settings): stat them too.
    const Subject interim = hostSubject(snapshot_);
    for (const auto& factPath : req.factFiles) {
      auto path = parseFactPath(factPath);
      if (!path) continue;
      for (const auto& match : resolveFactPath(*path, interim.facts, interim.facts, "")) {
        if (match.value == nullptr) continue;
        for (const auto& item : match.value->is_array() ? *match.value : json::array({*match.value})) {
          if (item.is_string()) addFile(item.get<std::string>());
        }
      }
    }
    return std::move(snapshot_);
  }

 private:
  std::string root_;
  std::string proc_;
  std::string sys_;
  std::map<uint32_t, std::string> users_;
  std::map<uint32_t, std::string> groups_;
  bool groupsRead_ = false;
  HostSnapshot snapshot_;
};

json fileJson(const FileStat& f) {
  json out = {{"exists", f.exists}};
  if (!f.error.empty()) out["error"] = f.error;
  if (!f.exists) return out;
  out["type"] = f.type;
  out["mode"] = f.mode;
  out["uid"] = f.uid;
  out["gid"] = f.gid;
  out["owner"] = f.owner;
  out["group"] = f.group;
  return out;
}

json sysctlValue(const std::string& text) {
  if (text.empty() || text.size() > 19) return text;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return text;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return text;
  }
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return text;
  return value;
}

}  // namespace

Result<HostSnapshot> collectHost(const HostOptions& options, const Requirements& requirements) {
  Collector collector(options);
  return collector.run(requirements);
}

Subject hostSubject(const HostSnapshot& s) {
  Subject subject;
  subject.target = Target::kHost;
  subject.name = s.root == "/" ? "host" : "host " + s.root;
  json& f = subject.facts;
  f["root"] = s.root;
  f["files"] = json::object();
  for (const auto& [path, st] : s.files) {
    f["files"][path] = fileJson(st);
  }
  subject.addOrigin("files", Origin{"", "", "", true});
  f["globs"] = s.globs;

  // Docker.
  json docker;
  docker["binary"] = s.dockerdBinary.empty() ? json() : json(s.dockerdBinary);
  docker["running"] = s.dockerd.has_value();
  docker["pid"] = s.dockerd ? json(s.dockerd->pid) : json();
  docker["args"] = s.dockerd ? json(s.dockerd->cmdline.argv) : json::array();
  docker["configFile"] = s.daemonConfigFile;
  docker["configExists"] = s.daemonConfigExists;
  docker["config"] = s.daemonConfig;
  docker["installed"] = !s.dockerdBinary.empty() || s.dockerd.has_value() || s.daemonConfigExists;
  docker["effective"] = s.daemon.effective;
  docker["conflicts"] = s.daemon.conflicts;
  bool tcp = false;
  if (auto hosts = s.daemon.effective.find("hosts"); hosts != s.daemon.effective.end() && hosts->is_array()) {
    for (const auto& h : *hosts) {
      if (h.is_string() && h.get<std::string>().starts_with("tcp://")) tcp = true;
    }
  }
  docker["listensOnTcp"] = tcp;
  docker["dataRoot"] = s.dataRoot;
  auto dr = s.files.find(s.dataRoot);
  docker["dataRootExists"] = dr != s.files.end() && dr->second.exists;
  docker["dataRootMountPoint"] = s.dataRootMountPoint.empty() ? json() : json(s.dataRootMountPoint);
  docker["dataRootSeparate"] = !s.dataRootMountPoint.empty() && s.dataRootMountPoint == cleanPath(s.dataRoot);
  docker["group"] = {{"exists", s.dockerGroupExists}, {"members", s.dockerGroupMembers}};
  f["docker"] = std::move(docker);
  subject.addOrigin("docker.config", Origin{s.daemonConfigFile, "", ""});
  subject.addOrigin("docker.effective", Origin{s.daemonConfigFile, "", ""});
  for (const auto& [key, origin] : s.daemon.origin) {
    if (origin.source == "cmdline" && s.dockerd) {
      subject.addOrigin(appendKey("docker.effective", key),
                        Origin{s.dockerd->cmdlineFile, origin.field,
                               fmt::format("dockerd command line (pid {})", s.dockerd->pid)});
    } else {
      subject.addOrigin(appendKey("docker.effective", key), Origin{s.daemonConfigFile, appendKey("", key), ""});
    }
  }
  if (s.dockerd) subject.addOrigin("docker.args", Origin{s.dockerd->cmdlineFile, "", ""});
  subject.addOrigin("docker.group", Origin{"/etc/group", "docker", ""});
  subject.addOrigin("docker.dataRootSeparate",
                    Origin{s.mountInfoFile, "", s.dataRootMountPoint.empty()
                                                    ? "no mount information"
                                                    : fmt::format("{} is on the mount at {}", s.dataRoot,
                                                                  s.dataRootMountPoint)});
  if (!s.daemonConfigError.empty()) {
    subject.errors["docker.effective"] = s.daemonConfigError;
    subject.errors["docker.config"] = s.daemonConfigError;
  }

  f["containerd"] = {{"binary", s.containerdBinary.empty() ? json() : json(s.containerdBinary)},
                     {"running", s.containerd.has_value()},
                     {"installed", !s.containerdBinary.empty() || s.containerd.has_value()}};
  f["runc"] = {{"binary", s.runcBinary.empty() ? json() : json(s.runcBinary)}, {"installed", !s.runcBinary.empty()}};

  json rules = json::array();
  for (const auto& r : s.audit.rules) {
    rules.push_back({{"file", r.file}, {"line", r.line}, {"text", r.text}, {"watch", r.watch.empty() ? json() : json(r.watch)},
                     {"perms", r.perms}, {"key", r.key}, {"paths", r.paths}, {"dirs", r.dirs}});
  }
  f["audit"] = {{"files", s.auditFiles}, {"rules", std::move(rules)}, {"warnings", s.audit.warnings}};

  f["sysctl"] = json::object();
  for (const auto& [key, v] : s.sysctls) {
    json entry = {{"exists", v.exists}, {"file", v.file}};
    if (!v.error.empty()) entry["error"] = v.error;
    if (v.exists && v.error.empty()) entry["value"] = sysctlValue(v.text);
    if (v.configuredValue) {
      entry["configured"] = {{"value", sysctlValue(*v.configuredValue)}, {"file", v.configuredFile}, {"line", v.configuredLine}};
    }
    f["sysctl"][key] = std::move(entry);
    subject.addOrigin(appendKey("sysctl", key), Origin{v.file, "", ""});
  }
  f["lsm"] = {{"apparmor", s.apparmor}, {"selinux", s.selinux}};
  f["warnings"] = s.warnings;
  return subject;
}

}  // namespace bulkhead::compliance
