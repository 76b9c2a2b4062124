#include "support/runc_container.h"

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/json.h"
#include "support/layout_builder.h"

namespace bulkhead::testing {

namespace fs = std::filesystem;

namespace {

constexpr long kCgroup2Magic = 0x63677270;
constexpr long kTmpfsMagic = 0x01021994;

// cgroup v1 with cgroup2 at /sys/fs/cgroup/unified. crun refuses such hosts when the
// unified hierarchy has controllers; in a private mount namespace where cgroup2 is bind
// mounted at /sys/fs/cgroup it sees a pure cgroup2 host and makes the container's cgroup
// in the real unified hierarchy, as it would on a cgroup2 host.
bool hybridCgroups() {
  struct statfs root {}, unified {};
  return ::statfs("/sys/fs/cgroup", &root) == 0 && static_cast<long>(root.f_type) == kTmpfsMagic &&
         ::statfs("/sys/fs/cgroup/unified", &unified) == 0 && static_cast<long>(unified.f_type) == kCgroup2Magic;
}

bool isCrun(const std::string& binary) { return fs::path(binary).filename() == "crun"; }

Result<nlohmann::json> baseSpec(const std::string& binary) {
  const std::string dir = makeTempDir("spec");
  auto r = runCommand({binary, "spec", "--bundle", dir});
  if (r.exitCode != 0) return makeError("{} spec failed: {}", binary, r.err);
  std::ifstream in(dir + "/config.json");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  fs::remove_all(dir);
  return parseJson(text, binary + " spec");
}

}  // namespace

std::string findRuntimeBinary(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/usr/local/bin/", "/sbin/", "/bin/"}) {
    const std::string path = dir + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

Result<std::unique_ptr<RuncContainer>> RuncContainer::prepare(ContainerSpec spec) {
  static std::atomic<int> counter{0};
  if (spec.id.empty()) spec.id = fmt::format("bh-{}-{}", ::getpid(), counter++);
  if (spec.lowerdir.empty()) return makeError("container {}: no lower directory for the overlay", spec.id);
  std::unique_ptr<RuncContainer> c(new RuncContainer(spec));
  c->binary_ = findRuntimeBinary(spec.runtime);
  if (c->binary_.empty()) return makeError("{} is not installed", spec.runtime);
  c->dir_ = makeTempDir("ctr-" + spec.id);
  c->bundle_ = c->dir_ + "/bundle";
  c->root_ = spec.stateRoot.empty() ? c->dir_ + "/state" : spec.stateRoot;
  for (const char* d : {"/bundle/rootfs", "/upper", "/overlay-work"}) fs::create_directories(c->dir_ + d);
  fs::create_directories(c->root_);
  const std::string options =
      fmt::format("lowerdir={},upperdir={}/upper,workdir={}/overlay-work", spec.lowerdir, c->dir_, c->dir_);
  if (::mount("overlay", c->rootfs().c_str(), "overlay", 0, options.c_str()) != 0) {
    return makeError("mount overlay on {} ({}): {}", c->rootfs(), options, std::strerror(errno));
  }
  c->mounted_ = true;

  auto base = baseSpec(findRuntimeBinary("runc").empty() ? c->binary_ : findRuntimeBinary("runc"));
  if (!base) return std::move(base).error();
  nlohmann::json& config = *base;
  config["root"] = {{"path", "rootfs"}, {"readonly", false}};
  auto& process = config["process"];
  process["terminal"] = false;
  process.erase("rlimits");  // Debian's runc here refuses the spec's RLIMIT_NOFILE
  process["args"] = spec.args;
  for (const auto& e : spec.env) process["env"].push_back(e);
  for (const auto& cap : spec.capabilities) {
    for (const char* set : {"bounding", "effective", "permitted"}) {
      auto& list = process["capabilities"][set];
      if (std::find(list.begin(), list.end(), cap) == list.end()) list.push_back(cap);
    }
  }
  if (!spec.annotations.empty()) config["annotations"] = spec.annotations;
  for (const auto& m : spec.mounts) config["mounts"].push_back(m);
  if (!spec.hooks.is_null()) config["hooks"] = spec.hooks;
  if (!spec.cgroupsPath.empty()) config["linux"]["cgroupsPath"] = spec.cgroupsPath;
  if (!spec.newNetwork) {
    nlohmann::json namespaces = nlohmann::json::array();
    for (const auto& n : config["linux"]["namespaces"]) {
      if (n.value("type", "") != "network") namespaces.push_back(n);
    }
    config["linux"]["namespaces"] = namespaces;
  } else if (!spec.networkNamespace.empty()) {
    for (auto& n : config["linux"]["namespaces"]) {
      if (n.value("type", "") == "network") n["path"] = spec.networkNamespace;
    }
  }
  // crun on cgroup2 installs a BPF device filter, which this kernel refuses; the
  // container's cgroup and everything discovery reads stay the same without it.
  if (isCrun(c->binary_) && hybridCgroups()) config["linux"].erase("resources");
  c->config_ = config;
  std::ofstream(c->bundle_ + "/config.json") << config.dump(2);
  return c;
}

std::vector<std::string> dockerDefaultCapabilities() {
  return {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",  "CAP_FOWNER",           "CAP_MKNOD",
          "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",  "CAP_SETFCAP",          "CAP_SETPCAP",
          "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
}

RuncContainer::~RuncContainer() {
  if (!binary_.empty() && fs::exists(root_ + "/" + spec_.id)) {
    runtime({"kill", spec_.id, "KILL"});
    for (int i = 0; i < 50; ++i) {
      if (runtime({"delete", "-f", spec_.id}).exitCode == 0) break;
      ::usleep(100000);
    }
  }
  if (initPidfd_ >= 0) {
    ::syscall(SYS_pidfd_send_signal, initPidfd_, SIGKILL, nullptr, 0);
    ::close(initPidfd_);
  }
  if (mounted_ && ::umount2(rootfs().c_str(), MNT_DETACH) != 0) {
    std::fprintf(stderr, "umount %s: %s\n", rootfs().c_str(), std::strerror(errno));
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

CommandResult RuncContainer::runtime(const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  if (isCrun(binary_) && hybridCgroups()) {
    argv = {"unshare", "-m", "sh", "-c",
            "mount --make-rprivate / && mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup && exec \"$0\" \"$@\""};
  }
  argv.push_back(binary_);
  argv.push_back("--root");
  argv.push_back(root_);
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv);
}

namespace {
Status check(const CommandResult& r, const std::string& what) {
  if (r.exitCode == 0) return {};
  return makeError("{} failed ({}): {}", what, r.exitCode, r.err);
}
}  // namespace

Status RuncContainer::create() {
  auto s = check(runtime({"create", "--bundle", bundle_, spec_.id}), binary_ + " create " + spec_.id);
  if (s.ok()) holdInit();
  return s;
}
Status RuncContainer::start() { return check(runtime({"start", spec_.id}), binary_ + " start " + spec_.id); }
Status RuncContainer::runDetached() {
  auto s = check(runtime({"run", "-d", "--bundle", bundle_, spec_.id}), binary_ + " run -d " + spec_.id);
  if (s.ok()) holdInit();
  return s;
}
CommandResult RuncContainer::exec(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"exec", spec_.id};
  argv.insert(argv.end(), args.begin(), args.end());
  return runtime(argv);
}
Status RuncContainer::kill(const std::string& signal) {
  return check(runtime({"kill", spec_.id, signal}), binary_ + " kill " + spec_.id);
}
Status RuncContainer::remove() {
  Status last;
  for (int i = 0; i < 50; ++i) {
    last = check(runtime({"delete", "-f", spec_.id}), binary_ + " delete " + spec_.id);
    if (last.ok()) return last;
    ::usleep(50000);
  }
  return last;
}

namespace {
nlohmann::json stateOf(RuncContainer& c) {
  auto r = c.runtime({"state", c.id()});
  if (r.exitCode != 0) return {};
  auto parsed = parseJson(r.out, "state");
  return parsed ? *parsed : nlohmann::json();
}
}  // namespace

void RuncContainer::holdInit() {
  if (initPidfd_ >= 0) return;
  if (const int init = pid(); init > 0) initPidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, init, 0));
}

int RuncContainer::pid() {
  const auto state = stateOf(*this);
  return state.is_object() ? static_cast<int>(jsonInt(state, "pid")) : 0;
}
std::string RuncContainer::status() {
  const auto state = stateOf(*this);
  return state.is_object() ? jsonString(state, "status") : std::string();
}

}  // namespace bulkhead::testing
