#include "fixtures.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "compliance/catalog.h"
#include "compliance/container_collector.h"
#include "compliance/host_collector.h"
#include "compliance/image_collector.h"
#include "compliance/k8s_collector.h"
#include "core/json.h"
#include "support/layout_builder.h"
#include "support/tar_builder.h"
#include "support/testbed.h"

namespace bulkhead::compliance::testing {

using nlohmann::json;
namespace fs = std::filesystem;
using bulkhead::testing::makeTempDir;
using bulkhead::testing::runCommand;
using bulkhead::testing::testbedValue;

std::string dataDir() { return BULKHEAD_COMPLIANCE_TESTDATA; }

std::string writeFile(const std::string& path, const std::string& content, unsigned mode, int uid, int gid) {
  fs::create_directories(fs::path(path).parent_path());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ::chmod(path.c_str(), mode);
  if (::chown(path.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
    // Not root: ownership stays the caller's; tests that need it check geteuid() first.
  }
  return path;
}

std::string runcBinary() {
  for (const char* p : {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/bin/runc", "/usr/local/sbin/runc"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return {};
}

const CheckResult* findResult(const Report& report, const std::string& id, const std::string& subject) {
  for (const auto& r : report.results) {
    if (r.check->id == id && (subject.empty() || r.subject == subject)) return &r;
  }
  return nullptr;
}

std::string mismatches(const FixtureRun& run) {
  std::string out;
  for (const auto& [id, bySubject] : run.expected) {
    for (const auto& [subject, allowed] : bySubject) {
      bool seen = false;
      for (const auto& r : run.report.results) {
        if (r.check->id != id || (!subject.empty() && r.subject != subject)) continue;
        seen = true;
        const std::string status = statusName(r.status);
        if (("|" + allowed + "|").find("|" + status + "|") == std::string::npos) {
          out += fmt::format("{}: {} on {}: {} (wanted {}): {}\n", run.name, id, r.subject, status, allowed, r.message);
          for (const auto& e : r.evidence) out += fmt::format("    {} {} = {} ({})\n", e.file, e.path, e.observed, e.expected);
        }
      }
      if (!seen) out += fmt::format("{}: {} on '{}': no result\n", run.name, id, subject);
    }
  }
  return out;
}

namespace {

std::vector<const Check*> checksOf(Target target) { return Catalog::builtin().forTarget(target); }

// Every automated check of the target must end in `status` (manual ones in "manual").
void expectAll(FixtureRun& run, Target target, const std::string& status) {
  for (const Check* c : checksOf(target)) run.expected[c->id][""] = c->automated ? status : "manual|not_applicable";
}

// ---- host -----------------------------------------------------------------------------------

const char* const kSysctlGood[][2] = {
    {"kernel/kptr_restrict", "2"},        {"kernel/dmesg_restrict", "1"},
    {"kernel/yama/ptrace_scope", "1"},    {"kernel/unprivileged_bpf_disabled", "1"},
    {"net/core/bpf_jit_harden", "2"},     {"kernel/perf_event_paranoid", "2"},
    {"kernel/randomize_va_space", "2"},   {"fs/protected_hardlinks", "1"},
    {"fs/protected_symlinks", "1"},       {"fs/protected_fifos", "1"},
    {"fs/protected_regular", "2"},        {"fs/suid_dumpable", "0"},
    {"kernel/sysrq", "0"},                {"dev/tty/ldisc_autoload", "0"},
    {"vm/unprivileged_userfaultfd", "0"}, {"kernel/kexec_load_disabled", "1"},
    {"net/ipv4/conf/all/route_localnet", "0"}, {"net/ipv4/conf/all/accept_redirects", "0"},
    {"net/ipv6/conf/all/accept_redirects", "0"}, {"net/ipv4/conf/all/send_redirects", "0"},
    {"net/ipv4/conf/all/accept_source_route", "0"}, {"net/ipv4/conf/all/rp_filter", "2"},
    {"net/ipv4/tcp_syncookies", "1"},     {"net/ipv4/conf/all/log_martians", "1"},
};
const char* const kSysctlBad[] = {"0", "0", "0", "0", "0", "1", "1", "0", "0", "0", "0", "2",
                                  "1", "1", "1", "0", "1", "1", "1", "1", "1", "0", "0", "0"};

const char* const kAudited[] = {"/usr/bin/dockerd", "/var/lib/docker", "/etc/docker",
                                "/lib/systemd/system/docker.service", "/run/containerd/containerd.sock",
                                "/lib/systemd/system/docker.socket", "/etc/default/docker",
                                "/etc/containerd/config.toml", "/etc/sysconfig/docker", "/usr/bin/containerd",
                                "/usr/bin/containerd-shim", "/usr/bin/containerd-shim-runc-v1",
                                "/usr/bin/containerd-shim-runc-v2", "/usr/sbin/runc"};

// A host file system with Docker, containerd and runc installed, configured well or badly.
void buildHostRoot(const std::string& root, bool good) {
  const int other = good ? 0 : 1000;   // owner of files that should be root's
  auto f = [&](const std::string& path, const std::string& content, unsigned goodMode, unsigned badMode,
               int gid = 0) {
    writeFile(root + path, content, good ? goodMode : badMode, other, good ? gid : other);
  };
  writeFile(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  writeFile(root + "/etc/group", "root:x:0:\ndocker:x:999:alice\nalice:x:1000:\n");
  fs::create_directories(root + "/etc/docker");
  ::chmod((root + "/etc/docker").c_str(), good ? 0755 : 0777);
  if (::chown((root + "/etc/docker").c_str(), other, other) != 0) {
  }
  json daemon;
  if (good) {
    daemon = {{"icc", false}, {"log-level", "info"}, {"iptables", true}, {"storage-driver", "overlay2"},
              {"hosts", {"unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"}}, {"tlsverify", true},
              {"tlscacert", "/etc/docker/tls/ca.pem"}, {"tlscert", "/etc/docker/tls/server.pem"},
              {"tlskey", "/etc/docker/tls/server-key.pem"}, {"userns-remap", "default"},
              {"authorization-plugins", {"authz-broker"}}, {"log-driver", "syslog"},
              {"no-new-privileges", true}, {"live-restore", true}, {"userland-proxy", false},
              {"seccomp-profile", "/etc/docker/seccomp.json"}, {"experimental", false},
              {"default-ulimits", {{"nofile", {{"Name", "nofile"}, {"Soft", 64000}, {"Hard", 64000}}}}}};
  } else {
    daemon = {{"icc", true}, {"log-level", "debug"}, {"iptables", false},
              {"insecure-registries", {"registry.local:5000"}}, {"storage-driver", "aufs"},
              {"tlscacert", "/etc/docker/tls/ca.pem"}, {"tlscert", "/etc/docker/tls/server.pem"},
              {"tlskey", "/etc/docker/tls/server-key.pem"}, {"log-driver", "json-file"},
              {"no-new-privileges", false}, {"live-restore", false}, {"userland-proxy", true},
              {"seccomp-profile", "unconfined"}, {"experimental", true}};
  }
  f("/etc/docker/daemon.json", daemon.dump(2), 0644, 0666);
  f("/etc/docker/certs.d/registry.example.com/ca.crt", "CA\n", 0444, 0644);
  f("/etc/docker/tls/ca.pem", "CA\n", 0444, 0644);
  f("/etc/docker/tls/server.pem", "CERT\n", 0444, 0666);
  f("/etc/docker/tls/server-key.pem", "KEY\n", 0400, 0644);
  f("/lib/systemd/system/docker.service", "[Service]\nExecStart=/usr/bin/dockerd\n", 0644, 0664);
  f("/lib/systemd/system/docker.socket", "[Socket]\nListenStream=/run/docker.sock\n", 0644, 0666);
  f("/etc/default/docker", "DOCKER_OPTS=\n", 0644, 0666);
  f("/etc/sysconfig/docker", "OPTIONS=\n", 0644, 0666);
  writeFile(root + "/var/run/docker.sock", "", good ? 0660 : 0666, 0, good ? 999 : 0);
  f("/run/containerd/containerd.sock", "", 0660, 0666);
  f("/usr/bin/dockerd", "#!/bin/true\n", 0755, 0755);
  f("/usr/bin/containerd", "#!/bin/true\n", 0755, 0777);
  f("/usr/bin/containerd-shim", "#!/bin/true\n", 0755, 0755);
  f("/usr/bin/containerd-shim-runc-v1", "#!/bin/true\n", 0755, 0755);
  f("/usr/bin/containerd-shim-runc-v2", "#!/bin/true\n", 0755, 0755);
  f("/usr/sbin/runc", "#!/bin/true\n", 0755, 0757);
  f("/etc/containerd/config.toml", "version = 2\n", 0644, 0666);
  fs::create_directories(root + "/var/lib/docker");
  std::string rules;
  if (good) {
    rules = "# Docker (CIS 1.1)\n-a exit,always -F path=/run/containerd -F perm=war -k docker\n";
    for (const char* p : kAudited) rules += fmt::format("-w {} -p rwxa -k docker\n", p);
  } else {
    rules = "-w /etc/passwd -p wa -k identity\n-a always,exit -F arch=b64 -S execve -k exec\n";
  }
  writeFile(root + "/etc/audit/rules.d/docker.rules", rules);
  std::string sysctlConf;
  for (size_t i = 0; i < std::size(kSysctlGood); ++i) {
    writeFile(root + "/proc/sys/" + kSysctlGood[i][0], std::string(good ? kSysctlGood[i][1] : kSysctlBad[i]) + "\n");
    std::string key = kSysctlGood[i][0];
    std::replace(key.begin(), key.end(), '/', '.');
    sysctlConf += fmt::format("{} = {}\n", key, kSysctlGood[i][1]);
  }
  if (good) writeFile(root + "/etc/sysctl.d/60-hardening.conf", sysctlConf);
  std::string mounts = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";
  if (good) mounts += "36 22 8:17 / /var/lib/docker rw,noatime shared:2 - ext4 /dev/sdb1 rw\n";
  writeFile(root + "/proc/1/mountinfo", mounts);
  // The daemon's command line: the bad host also listens on TCP without TLS.
  const std::vector<std::string> argv =
      good ? std::vector<std::string>{"/usr/bin/dockerd", "--containerd=/run/containerd/containerd.sock"}
           : std::vector<std::string>{"/usr/bin/dockerd", "-H", "tcp://0.0.0.0:2375", "--icc=true"};
  std::string cmdline;
  for (const auto& a : argv) cmdline += a + '\0';
  writeFile(root + "/proc/4242/comm", "dockerd\n");
  writeFile(root + "/proc/4242/cmdline", cmdline);
}

// ---- image ----------------------------------------------------------------------------------

using bulkhead::testing::dir;
using bulkhead::testing::file;
using bulkhead::testing::LayoutBuilder;
using bulkhead::testing::TarEntry;

std::string imageWithHistory(const std::string& name, const std::vector<std::vector<TarEntry>>& layers,
                             const json& config, const json& history, const std::string& tag) {
  const std::string directory = makeTempDir(name);
  LayoutBuilder builder(directory);
  json diffIds = json::array();
  json layerDescriptors = json::array();
  for (const auto& entries : layers) {
    const std::string tar = bulkhead::testing::makeTar(entries);
    diffIds.push_back(bulkhead::testing::sha256Digest(tar));
    const std::string blob = bulkhead::testing::gzipBytes(tar);
    layerDescriptors.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                {"digest", builder.putBlob(blob)},
                                {"size", blob.size()}});
  }
  const json cfg = {{"architecture", "amd64"}, {"os", "linux"}, {"config", config}, {"history", history},
                    {"rootfs", {{"type", "layers"}, {"diff_ids", diffIds}}}};
  const std::string configBytes = cfg.dump();
  const json manifest = {{"schemaVersion", 2},
                         {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                         {"config",
                          {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                           {"digest", builder.putBlob(configBytes)},
                           {"size", configBytes.size()}}},
                         {"layers", layerDescriptors}};
  const std::string manifestBytes = manifest.dump();
  const json descriptor = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                           {"digest", builder.putBlob(manifestBytes)},
                           {"size", manifestBytes.size()},
                           {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}};
  builder.writeIndexJson({descriptor}, {tag});
  writeFile(directory + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  return directory + ":" + tag;
}

TarEntry device(std::string path) {
  TarEntry e;
  e.path = std::move(path);
  e.kind = TarEntry::Kind::kCharDevice;
  e.mode = 0660;
  return e;
}

TarEntry owned(TarEntry e, uint32_t mode) {
  e.mode = mode;
  return e;
}

Report runImage(const std::string& reference, Target target = Target::kImage) {
  image::ReadOptions options;
  options.useCache = false;
  auto snapshot = collectImage(reference, options);
  if (!snapshot) {
    Report r;
    r.warnings.push_back(snapshot.error().message);
    return r;
  }
  std::vector<Subject> subjects{imageSubject(*snapshot)};
  return runChecks(checksOf(target), subjects, target, snapshot->description);
}

// ---- container ------------------------------------------------------------------------------

json runcSpec(std::string& error) {
  const std::string runc = runcBinary();
  if (runc.empty()) {
    error = "runc is not installed (scripts/setup.sh installs it)";
    return {};
  }
  const std::string bundle = makeTempDir("runc-spec");
  auto r = runCommand({runc, "spec", "--bundle", bundle});
  if (r.exitCode != 0) {
    error = "runc spec failed: " + r.err;
    return {};
  }
  std::ifstream in(bundle + "/config.json");
  return json::parse(in);
}

Subject bundleSubject(const json& spec, const std::string& name, bool lsm) {
  const std::string bundle = makeTempDir(name);
  writeFile(bundle + "/config.json", spec.dump(2));
  ContainerOptions options;
  auto snapshot = collectContainer(bundle, options);
  if (!snapshot) throw std::runtime_error(snapshot.error().message);
  Subject subject = containerSubject(*snapshot);
  // The host facts say which LSMs this kernel has; the checks are tested with both on.
  subject.facts["host"] = {{"apparmor", lsm}, {"selinux", lsm}};
  return subject;
}

json hardenedSpec(json spec) {
  spec["root"]["readonly"] = true;
  spec["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  spec["process"]["noNewPrivileges"] = true;
  spec["process"]["apparmorProfile"] = "bulkhead-default";
  spec["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2";
  spec["linux"]["namespaces"].push_back({{"type", "user"}});
  spec["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  spec["linux"]["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}});
  spec["linux"]["gidMappings"] = spec["linux"]["uidMappings"];
  spec["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"},
                              {"architectures", {"SCMP_ARCH_X86_64"}},
                              {"syscalls", {{{"names", {"read", "write", "exit_group"}}, {"action", "SCMP_ACT_ALLOW"}}}}};
  spec["linux"]["resources"]["memory"] = {{"limit", 268435456}};
  spec["linux"]["resources"]["cpu"] = {{"shares", 512}};
  spec["linux"]["resources"]["pids"] = {{"limit", 100}};
  spec["mounts"].push_back({{"destination", "/data"}, {"type", "bind"}, {"source", "/srv/app-data"},
                            {"options", {"rbind", "rprivate", "nosuid"}}});
  return spec;
}

json badSpec(json spec) {
  const json caps = {"CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_KILL"};
  for (const char* set : {"bounding", "effective", "permitted", "ambient"}) spec["process"]["capabilities"][set] = caps;
  spec["process"]["noNewPrivileges"] = false;
  spec["process"]["apparmorProfile"] = "unconfined";
  spec["process"]["selinuxLabel"] = "system_u:system_r:spc_t:s0";
  spec["root"]["readonly"] = false;
  spec["linux"]["resources"]["devices"] = json::array({{{"allow", true}, {"access", "rwm"}}});
  spec["linux"]["devices"] = json::array({{{"path", "/dev/sda"}, {"type", "b"}, {"major", 8}, {"minor", 0}}});
  spec["linux"]["namespaces"] = json::array({{{"type", "mount"}}, {{"type", "user"}, {"path", "/proc/1/ns/user"}}});
  spec["linux"]["rootfsPropagation"] = "rshared";
  spec["linux"]["maskedPaths"] = json::array();
  spec["linux"]["readonlyPaths"] = json::array();
  spec["linux"].erase("seccomp");
  for (auto& m : spec["mounts"]) {
    if (m["destination"] == "/sys") m["options"] = {"nosuid", "noexec", "nodev"};
  }
  spec["mounts"].push_back({{"destination", "/host"}, {"type", "bind"}, {"source", "/"}, {"options", {"rbind", "rshared"}}});
  spec["mounts"].push_back({{"destination", "/var/run/docker.sock"}, {"type", "bind"},
                            {"source", "/var/run/docker.sock"}, {"options", {"bind"}}});
  return spec;
}

// Runs a container with runc for real and collects it by ID; empty `error` on success.
Report runLive(const json& spec, const std::string& id, const std::string& name, std::string& error) {
  const std::string runc = runcBinary();
  const std::string bundle = makeTempDir(name);
  writeFile(bundle + "/config.json", spec.dump(2));
  const std::string root = makeTempDir(name + "-state");
  auto started = runCommand({runc, "--root", root, "run", "-d", "--bundle", bundle, id});
  Report report;
  if (started.exitCode != 0) {
    error = fmt::format("runc run failed ({}): {}", started.exitCode, started.err);
    return report;
  }
  // runc returns before its init has exec'd the process: wait until it has its own name.
  const std::string program = fs::path(spec["process"]["args"][0].get<std::string>()).filename();
  for (int i = 0; i < 100; ++i) {
    auto state = runCommand({runc, "--root", root, "state", id});
    if (state.exitCode == 0) {
      const auto pid = json::parse(state.out).value("pid", 0);
      std::ifstream comm(fmt::format("/proc/{}/comm", pid));
      std::string current;
      std::getline(comm, current);
      if (current == program) break;
    }
    ::usleep(20000);
  }
  ContainerOptions options;
  options.runcRoot = root;
  auto snapshot = collectContainer(id, options);
  runCommand({runc, "--root", root, "kill", id, "KILL"});
  for (int i = 0; i < 50; ++i) {
    if (runCommand({runc, "--root", root, "delete", "-f", id}).exitCode == 0) break;
    ::usleep(100000);
  }
  if (!snapshot) {
    error = snapshot.error().message;
    return report;
  }
  std::vector<Subject> subjects{containerSubject(*snapshot)};
  return runChecks(checksOf(Target::kContainer), subjects, Target::kContainer, snapshot->source);
}

}  // namespace

std::vector<FixtureRun> hostFixtures() {
  std::vector<FixtureRun> out;
  for (const bool good : {true, false}) {
    FixtureRun run;
    run.name = good ? "host/good" : "host/bad";
    if (::geteuid() != 0) {
      run.skipReason = "needs root to give the synthetic host's files their owners";
      out.push_back(std::move(run));
      continue;
    }
    const std::string root = makeTempDir(good ? "host-good" : "host-bad");
    buildHostRoot(root, good);
    HostOptions options;
    options.root = root;
    const auto checks = checksOf(Target::kHost);
    auto snapshot = collectHost(options, requirementsOf(checks));
    if (!snapshot) {
      run.skipReason = snapshot.error().message;
      out.push_back(std::move(run));
      continue;
    }
    run.report = runChecks(checks, {hostSubject(*snapshot)}, Target::kHost, "synthetic host");
    expectAll(run, Target::kHost, good ? "pass" : "fail");
    out.push_back(std::move(run));
  }
  return out;
}

std::vector<FixtureRun> imageFixtures() {
  std::vector<FixtureRun> out;
  const std::vector<TarEntry> base = {
      dir("etc"), dir("tmp", 01777), dir("usr"), dir("usr/bin"), dir("opt"),
      file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/home/app:/sbin/nologin\n"),
      owned(file("etc/shadow", "root:*:19000:0:99999:7:::\napp:!:19000::::::\n"), 0640),
      file("etc/group", "root:x:0:\napp:x:10001:\n"),
      file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
      file("usr/bin/app", "#!/bin/sh\necho hi\n", 0755)};
  {
    FixtureRun run;
    run.name = "image/good";
    const json config = {{"User", "app"},
                         {"Env", {"PATH=/usr/bin", "DB_PASSWORD_FILE=/run/secrets/db", "GPG_KEY=ABCDEF"}},
                         {"ExposedPorts", {{"8080/tcp", json::object()}}},
                         {"Volumes", {{"/data", json::object()}}},
                         {"Healthcheck", {{"Test", {"CMD", "/usr/bin/app", "health"}}, {"Interval", 30000000000}}}};
    const json history = json::array(
        {{{"created_by", "/bin/sh -c #(nop) ADD file:3b1e8f in / "}},
         {{"created_by", "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*"}},
         {{"created_by", "RUN /bin/sh -c apk add --no-cache ca-certificates # buildkit"}},
         {{"created_by", "COPY app /usr/bin/app # buildkit"}},
         {{"created_by", "/bin/sh -c #(nop)  USER app"}, {"empty_layer", true}}});
    const std::string ref = imageWithHistory("image-good", {base}, config, history, "1.4.2");
    run.report = runImage(ref);
    expectAll(run, Target::kImage, "pass");
    out.push_back(std::move(run));
  }
  {
    FixtureRun run;
    run.name = "image/bad";
    const json config = {{"Env", {"PATH=/usr/bin", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI", "API_TOKEN=abc123"}},
                         {"ExposedPorts", {{"22/tcp", json::object()}}},
                         {"Volumes", {{"/proc/sys", json::object()}}},
                         {"Healthcheck", {{"Test", {"NONE"}}}}};
    const json history = json::array(
        {{{"created_by", "/bin/sh -c #(nop) ADD file:3b1e8f in / "}},
         {{"created_by", "/bin/sh -c apt-get update"}},
         {{"created_by", "/bin/sh -c apt-get install -y curl openssh-server"}},
         {{"created_by", "/bin/sh -c apt-get -y dist-upgrade"}},
         {{"created_by", "/bin/sh -c apk add curl"}},
         {{"created_by", "/bin/sh -c curl -fsSL https://get.example.com/install.sh | sh"}},
         {{"created_by", "/bin/sh -c sudo make install"}},
         {{"created_by", "|1 DB_PASSWORD=hunter2 /bin/sh -c ./configure --with-db"}},
         {{"created_by", "ADD app.tar.gz /opt/app # buildkit"}}});
    std::vector<TarEntry> layer = {
        dir("etc"), dir("tmp", 01777), dir("usr"), dir("usr/bin"), dir("usr/sbin"), dir("opt"),
        dir("opt/drop", 0777), dir("root"), dir("root/.ssh", 0700), dir("dev"), dir("srv"), dir("srv/app"),
        dir("srv/app/.git"), dir("var"), dir("var/cache"), dir("var/cache/apt"), dir("var/cache/apt/archives"),
        file("etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\nguest:x:1000:1000::/home/guest:/bin/sh\n"
             "build:x:1000:1000::/home/build:/bin/sh\n"),
        owned(file("etc/shadow", "root:*:19000::::::\ntoor:*:19000::::::\nguest::19000::::::\nbuild:!:19000::::::\n"), 0640),
        file("etc/group", "root:x:0:\nguest:x:1000:\nbuild:x:1000:\n"),
        file("usr/bin/su", "ELF", 04755), file("usr/sbin/sshd", "ELF", 0755),
        file("root/.ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n", 0600),
        file("var/cache/apt/archives/curl_7.88.1-10_amd64.deb", "deb", 0644),
        file("opt/shared.conf", "x=1\n", 0666), device("dev/sda")};
    const std::string ref = imageWithHistory("image-bad", {layer}, config, history, "latest");
    run.report = runImage(ref);
    expectAll(run, Target::kImage, "fail");
    out.push_back(std::move(run));
  }
  {
    FixtureRun run;
    run.name = "image/testbed";
    if (bulkhead::testing::testbedEnv() == nullptr) {
      run.skipReason = "no test bed (BULKHEAD_TESTBED_ENV)";
      out.push_back(std::move(run));
      return out;
    }
    run.report = runImage(testbedValue("TESTBED_OCI") + ":" + testbedValue("TESTBED_OCI_TAG"));
    // The real Debian image: runs as nobody, but ships setuid programs and /dev nodes, and
    // has no health check.
    expectAll(run, Target::kImage, "pass");
    for (const char* id : {"BH-IMG-006", "BH-IMG-008", "BH-IMG-024"}) run.expected[id][""] = "fail";
    out.push_back(std::move(run));
  }
  return out;
}

std::vector<FixtureRun> containerFixtures() {
  std::vector<FixtureRun> out;
  std::string error;
  const json spec = runcSpec(error);
  auto skipped = [&](const std::string& name, const std::string& why) {
    FixtureRun run;
    run.name = name;
    run.skipReason = why;
    out.push_back(std::move(run));
  };
  if (!error.empty()) {
    skipped("container/bundles", error);
    return out;
  }
  {
    FixtureRun run;
    run.name = "container/runc-spec-hardened";
    run.report = runChecks(checksOf(Target::kContainer), {bundleSubject(hardenedSpec(spec), "bundle-good", true)},
                           Target::kContainer, "hardened bundle");
    expectAll(run, Target::kContainer, "pass");
    run.expected["BH-CTR-031"][""] = "not_applicable";
    run.expected["BH-CTR-032"][""] = "not_applicable";
    out.push_back(std::move(run));
  }
  {
    FixtureRun run;
    run.name = "container/runc-spec-bad";
    run.report = runChecks(checksOf(Target::kContainer), {bundleSubject(badSpec(spec), "bundle-bad", true)},
                           Target::kContainer, "bad bundle");
    expectAll(run, Target::kContainer, "fail");
    run.expected["BH-CTR-031"][""] = "not_applicable";
    run.expected["BH-CTR-032"][""] = "not_applicable";
    out.push_back(std::move(run));
  }
  {
    // `runc spec` as it comes: what it leaves open and what it gets right.
    FixtureRun run;
    run.name = "container/runc-spec-default";
    run.report = runChecks(checksOf(Target::kContainer), {bundleSubject(spec, "bundle-default", false)},
                           Target::kContainer, "runc spec");
    for (const char* id : {"BH-CTR-003", "BH-CTR-004", "BH-CTR-005", "BH-CTR-006", "BH-CTR-007", "BH-CTR-008",
                           "BH-CTR-009", "BH-CTR-010", "BH-CTR-011", "BH-CTR-012", "BH-CTR-019", "BH-CTR-020",
                           "BH-CTR-021", "BH-CTR-023", "BH-CTR-025", "BH-CTR-027", "BH-CTR-028", "BH-CTR-029"}) {
      run.expected[id][""] = "pass";
    }
    run.expected["BH-CTR-018"][""] = "pass";  // runc spec makes the root read-only
    for (const char* id : {"BH-CTR-014", "BH-CTR-016", "BH-CTR-017", "BH-CTR-022", "BH-CTR-024",
                           "BH-CTR-026"}) {
      run.expected[id][""] = "fail";
    }
    for (const char* id : {"BH-CTR-001", "BH-CTR-002", "BH-CTR-031", "BH-CTR-032"}) run.expected[id][""] = "not_applicable";
    out.push_back(std::move(run));
  }
  // Real containers: runc runs them; bench reads /run/runc-style state and /proc.
  const std::string rootfs = testbedValue("TESTBED_ROOTFS");
  if (rootfs.empty() || ::geteuid() != 0) {
    skipped("container/live", rootfs.empty() ? "no test bed root file system (BULKHEAD_TESTBED_ENV)"
                                             : "needs root to run containers");
    return out;
  }
  json live = spec;
  live["root"] = {{"path", rootfs}, {"readonly", true}};
  live["process"]["terminal"] = false;
  live["process"].erase("rlimits");  // Debian's runc here refuses the spec's RLIMIT_NOFILE
  live["process"]["args"] = {"sleep", "30"};
  {
    FixtureRun run;
    run.name = "container/live-good";
    run.report = runLive(live, fmt::format("bh-test-{}-good", ::getpid()), "live-good", error);
    if (!error.empty()) {
      skipped("container/live-good", error);
    } else {
      run.expected["BH-CTR-031"][""] = "pass";
      run.expected["BH-CTR-032"][""] = "pass";
      run.expected["BH-CTR-009"][""] = "pass";
      run.expected["BH-CTR-018"][""] = "pass";
      out.push_back(std::move(run));
    }
  }
  {
    // An "sshd" (sleep under that name) in a container that shares the host's network.
    const std::string fake = makeTempDir("fake-sshd");
    fs::copy_file("/usr/bin/sleep", fake + "/sshd", fs::copy_options::overwrite_existing);
    ::chmod((fake + "/sshd").c_str(), 0755);
    json bad = live;
    json namespaces = json::array();
    for (const auto& n : bad["linux"]["namespaces"]) {
      if (n["type"] != "network") namespaces.push_back(n);
    }
    bad["linux"]["namespaces"] = namespaces;
    bad["mounts"].push_back({{"destination", "/mnt"}, {"type", "bind"}, {"source", fake}, {"options", {"rbind", "ro"}}});
    bad["process"]["args"] = {"/mnt/sshd", "30"};
    FixtureRun run;
    run.name = "container/live-bad";
    error.clear();
    run.report = runLive(bad, fmt::format("bh-test-{}-bad", ::getpid()), "live-bad", error);
    if (!error.empty()) {
      skipped("container/live-bad", error);
    } else {
      run.expected["BH-CTR-031"][""] = "fail";
      run.expected["BH-CTR-032"][""] = "fail";
      run.expected["BH-CTR-009"][""] = "fail";
      out.push_back(std::move(run));
    }
  }
  return out;
}

std::vector<FixtureRun> k8sFixtures() {
  std::vector<FixtureRun> out;
  FixtureRun run;
  run.name = "k8s/manifests";
  auto manifests = collectK8s({dataDir() + "/k8s"});
  if (!manifests) {
    run.skipReason = manifests.error().message;
    out.push_back(std::move(run));
    return out;
  }
  const auto checks = checksOf(Target::kK8s);
  run.report = runChecks(checks, manifests->workloads, Target::kK8s, "test manifests");
  auto words = [](const std::string& text) {
    std::vector<std::string> list;
    std::istringstream in(text);
    for (std::string w; in >> w;) list.push_back(w);
    return list;
  };
  for (const auto& subject : manifests->workloads) {
    const json annotations = subject.facts["metadata"].value("annotations", json::object());
    std::set<std::string> listed;
    for (const char* status : {"fail", "pass", "not_applicable"}) {
      const std::string key = std::string("bulkhead.test/") + status;
      if (!annotations.contains(key)) continue;
      for (const auto& id : words(annotations[key].get<std::string>())) {
        if (id == "*") continue;
        run.expected[id][subject.name] = status;
        listed.insert(id);
      }
    }
    if (annotations.value("bulkhead.test/pass", std::string()) == "*") {
      for (const Check* c : checks) {
        if (!listed.count(c->id)) run.expected[c->id][subject.name] = "pass|not_applicable";
      }
    }
  }
  out.push_back(std::move(run));
  return out;
}

}  // namespace bulkhead::compliance::testing
