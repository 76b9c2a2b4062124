// Discovery on synthetic state directories shaped like each runtime's: runc (and
// containerd's runc root), crun, containerd v2 tasks, podman and CRI-O; broken and
// oversized files; a state whose init is dead.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/json.h"
#include "runtime/discovery/annotations.h"
#include "runtime/discovery/discovery.h"
#include "support/layout_builder.h"

namespace bulkhead::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kId1 = std::string(64, 'a');
const std::string kId2 = std::string(64, 'b');
const std::string kId3 = std::string(64, 'c');
const std::string kId4 = std::string(64, 'd');

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

uint64_t startTimeOf(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string rest = text.substr(text.rfind(')') + 2);
  std::istringstream fields(rest);
  std::string field;
  for (int i = 3; i <= 22; ++i) fields >> field;
  return std::stoull(field);
}

// A PID that no longer runs.
int deadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

class Synthetic : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::makeTempDir("state");
    options_.runcRoots = {dir_ + "/run/runc", dir_ + "/run/containerd/runc"};
    options_.crunRoots = {dir_ + "/run/crun"};
    options_.containerdTaskRoots = {dir_ + "/run/containerd/io.containerd.runtime.v2.task"};
    options_.containersRunRoots = {dir_ + "/run/containers/storage/overlay-containers"};
    options_.containersIndexes = {dir_ + "/var/lib/containers/storage/overlay-containers/containers.json"};
  }

  // runc's state.json: annotations travel as config labels, with runc's "bundle=".
  void runcState(const std::string& root, const std::string& id, int pid, uint64_t start, const json& annotations) {
    json labels = json::array();
    for (const auto& [k, v] : annotations.items()) labels.push_back(k + "=" + v.get<std::string>());
    labels.push_back("bundle=/bundles/" + id);
    const json state = {{"id", id},
                        {"init_process_pid", pid},
                        {"init_process_start", start},
                        {"created", "2024-05-01T10:00:00.5Z"},
                        {"config", {{"rootfs", "/bundles/" + id + "/rootfs"}, {"labels", labels}}},
                        {"cgroup_paths", {{"", "/sys/fs/cgroup/unified/" + id}}},
                        {"rootless", false}};
    write(root + "/" + id + "/state.json", state.dump());
  }

  std::string dir_;
  DiscoveryOptions options_;
};

TEST_F(Synthetic, RuncStateAndContainerdCriMetadata) {
  const int self = ::getpid();
  const uint64_t start = startTimeOf(self);
  // containerd: runc state under <runc root>/k8s.io/<id>, the shim's bundle with CRI annotations.
  const json cri = {{"io.kubernetes.cri.container-type", "container"},
                    {"io.kubernetes.cri.sandbox-name", "web-7d4b9c-x2x4z"},
                    {"io.kubernetes.cri.sandbox-namespace", "shop"},
                    {"io.kubernetes.cri.sandbox-uid", "8b1e2f3a-4c5d-6e7f-8091-a2b3c4d5e6f7"},
                    {"io.kubernetes.cri.container-name", "nginx"},
                    {"io.kubernetes.cri.image-name", "docker.io/library/nginx:1.25"}};
  runcState(dir_ + "/run/containerd/runc/k8s.io", kId1, self, start, cri);
  const std::string task = dir_ + "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + kId1;
  write(task + "/config.json", json({{"ociVersion", "1.0.2"}, {"annotations", cri}}).dump());
  write(task + "/init.pid", std::to_string(self));
  // The pod's sandbox (pause) container.
  const json sandbox = {{"io.kubernetes.cri.container-type", "sandbox"},
                        {"io.kubernetes.cri.sandbox-name", "web-7d4b9c-x2x4z"}};
  runcState(dir_ + "/run/containerd/runc/k8s.io", kId2, self, start, sandbox);
  // A plain runc container.
  runcState(dir_ + "/run/runc", "plain", self, start, json{{"org.opencontainers.image.ref.name", "bookworm"}});

  Discovery discovery(options_);
  auto result = discovery.scan();
  EXPECT_TRUE(result.errors.empty());
  ASSERT_EQ(result.containers.size(), 3u);
  std::map<std::string, Container> byId;
  for (auto& c : result.containers) byId[c.id] = c;
  const Container& app = byId.at(kId1);
  EXPECT_EQ(app.runtime, "containerd");
  EXPECT_EQ(app.pid, self);
  EXPECT_EQ(app.name, "nginx");
  EXPECT_EQ(app.image, "docker.io/library/nginx:1.25");
  EXPECT_EQ(app.podName, "web-7d4b9c-x2x4z");
  EXPECT_EQ(app.podNamespace, "shop");
  EXPECT_EQ(app.podUid, "8b1e2f3a-4c5d-6e7f-8091-a2b3c4d5e6f7");
  EXPECT_EQ(app.bundle, "/bundles/" + kId1);
  EXPECT_EQ(app.labels.at("io.containerd.namespace"), "k8s.io");
  EXPECT_EQ(app.labels.count(discovery::kSandboxLabel), 0u);
  EXPECT_EQ(app.createdNs, 1714557600500000000);
  // The cgroup is the one the test process runs in: what /proc says wins over the state.
  EXPECT_FALSE(app.cgroupPath.empty());
  if (!discovery.cgroup2Mount().empty()) {
    EXPECT_NE(app.cgroupId, 0u);
  }
  EXPECT_EQ(byId.at(kId2).labels.at(discovery::kSandboxLabel), "true");
  EXPECT_EQ(byId.at("plain").runtime, "runc");
  EXPECT_EQ(byId.at("plain").image, "bookworm");
  EXPECT_EQ(byId.at("plain").name, "plain");
}

TEST_F(Synthetic, Crun) {
  const int self = ::getpid();
  const std::string dir = dir_ + "/run/crun/web";
  write(dir + "/status", json({{"pid", self},
                               {"process-start-time", startTimeOf(self)},
                               {"cgroup-path", "/web"},
                               {"scope", ""},
                               {"rootfs", "/bundles/web/rootfs"},
                               {"systemd-cgroup", false},
                               {"bundle", "/bundles/web"},
                               {"created", "2024-05-01T10:00:00.000001Z"},
                               {"owner", "root"},
                               {"detached", true}})
                             .dump());
  write(dir + "/config.json", json({{"annotations", {{"io.podman.annotations.autoremove", "FALSE"}}}}).dump());
  Discovery discovery(options_);
  auto result = discovery.scan();
  ASSERT_EQ(result.containers.size(), 1u);
  const Container& c = result.containers[0];
  EXPECT_EQ(c.id, "web");
  EXPECT_EQ(c.runtime, "crun");
  EXPECT_EQ(c.bundle, "/bundles/web");
  EXPECT_EQ(c.labels.at("io.podman.annotations.autoremove"), "FALSE");
}

TEST_F(Synthetic, PodmanAndCrio) {
  const int self = ::getpid();
  const std::string root = dir_ + "/run/containers/storage/overlay-containers";
  // podman: io.container.manager=libpod; name and image from containers/storage's index.
  write(root + "/" + kId3 + "/userdata/config.json",
        json({{"root", {{"path", "/var/lib/containers/storage/overlay/x/merged"}}},
              {"annotations", {{"io.container.manager", "libpod"}, {"io.podman.annotations.init", "FALSE"}}}})
            .dump());
  write(root + "/" + kId3 + "/userdata/pidfile", std::to_string(self) + "\n");
  const json meta = {{"image-name", "docker.io/library/redis:7"}, {"name", "cache"}};
  write(options_.containersIndexes[0],
        json::array({{{"id", kId3}, {"names", {"cache"}}, {"metadata", meta.dump()}}}).dump());
  // CRI-O with its Kubernetes annotations; the runc state of the same container.
  const json crio = {{"io.kubernetes.cri-o.ContainerType", "container"},
                     {"io.kubernetes.pod.name", "api-0"},
                     {"io.kubernetes.pod.namespace", "prod"},
                     {"io.kubernetes.pod.uid", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
                     {"io.kubernetes.container.name", "api"},
                     {"io.kubernetes.cri-o.ImageName", "registry.example.com/api@sha256:" + std::string(64, '1')},
                     {"io.kubernetes.cri-o.Labels",
                      json({{"app", "api"}, {"io.kubernetes.pod.name", "api-0"}}).dump()}};
  write(root + "/" + kId4 + "/userdata/config.json", json({{"annotations", crio}}).dump());
  write(root + "/" + kId4 + "/userdata/pidfile", std::to_string(self));
  runcState(dir_ + "/run/runc", kId4, self, startTimeOf(self), crio);
  // A CRI-O pause container.
  write(root + "/" + kId1 + "/userdata/config.json",
        json({{"annotations", {{"io.kubernetes.cri-o.ContainerType", "sandbox"}}}}).dump());
  write(root + "/" + kId1 + "/userdata/pidfile", std::to_string(self));

  Discovery discovery(options_);
  auto result = discovery.scan();
  EXPECT_TRUE(result.errors.empty()) << result.errors[0].message;
  std::map<std::string, Container> byId;
  for (auto& c : result.containers) byId[c.id] = c;
  ASSERT_EQ(byId.size(), 3u);
  EXPECT_EQ(byId.at(kId3).runtime, "podman");
  EXPECT_EQ(byId.at(kId3).name, "cache");
  EXPECT_EQ(byId.at(kId3).image, "docker.io/library/redis:7");
  EXPECT_EQ(byId.at(kId3).rootfs, "/var/lib/containers/storage/overlay/x/merged");
  const Container& api = byId.at(kId4);
  EXPECT_EQ(api.runtime, "cri-o");
  EXPECT_EQ(api.name, "api");
  EXPECT_EQ(api.podName, "api-0");
  EXPECT_EQ(api.podNamespace, "prod");
  EXPECT_EQ(api.podUid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  EXPECT_EQ(api.imageDigest, "sha256:" + std::string(64, '1'));
  EXPECT_EQ(api.labels.at("app"), "api");
  EXPECT_EQ(api.bundle, "/bundles/" + kId4);  // runc's state is authoritative
  EXPECT_EQ(byId.at(kId1).labels.at(discovery::kSandboxLabel), "true");
}

TEST_F(Synthetic, BrokenOversizedAndDead) {
  const int self = ::getpid();
  runcState(dir_ + "/run/runc", "good", self, startTimeOf(self), json::object());
  write(dir_ + "/run/runc/broken/state.json", "{\"id\": \"broken\", \"init_process_pid\": ");
  write(dir_ + "/run/runc/array/state.json", "[1, 2, 3]");
  write(dir_ + "/run/runc/deep/state.json", std::string(10000, '[') + std::string(10000, ']'));
  {
    fs::create_directories(dir_ + "/run/runc/big");
    std::ofstream big(dir_ + "/run/runc/big/state.json");
    big << "{\"id\": \"big\", \"pad\": \"" << std::string(5u << 20, 'x') << "\"}";
  }
  runcState(dir_ + "/run/runc", "dead", deadPid(), 0, json::object());
  // A live PID with another start time: the PID was reused, the container is gone.
  runcState(dir_ + "/run/runc", "reused", self, startTimeOf(self) + 1, json::object());
  write(dir_ + "/run/crun/badcrun/status", "not json");
  write(dir_ + "/run/containerd/io.containerd.runtime.v2.task/default/x/init.pid", "12abc");
  write(dir_ + "/run/containers/storage/overlay-containers/" + kId2 + "/userdata/pidfile", std::to_string(self));
  write(dir_ + "/run/containers/storage/overlay-containers/" + kId2 + "/userdata/config.json", "{");

  Discovery discovery(options_);
  auto result = discovery.scan();
  ASSERT_EQ(result.containers.size(), 1u);
  EXPECT_EQ(result.containers[0].id, "good");
  std::string all;
  for (const auto& e : result.errors) all += e.message + "\n";
  for (const char* file : {"/run/runc/broken/state.json", "/run/runc/array/state.json", "/run/runc/deep/state.json",
                           "/run/runc/big/state.json", "/run/crun/badcrun/status", "/userdata/config.json"}) {
    EXPECT_NE(all.find(file), std::string::npos) << file << " not named in:\n" << all;
  }
  EXPECT_NE(all.find("larger than"), std::string::npos) << all;
}

TEST(Annotations, RuncLabels) {
  std::string bundle;
  auto a = discovery::annotationsFromRuncLabels(json::array({"a=b=c", "bundle=/x", "novalue", 7}), &bundle);
  EXPECT_EQ(bundle, "/x");
  EXPECT_EQ(a, json({{"a", "b=c"}}));
  Container c;
  discovery::applyAnnotations(c, json({{"io.kubernetes.cri-o.Labels", "{not json"}, {"n", 1}}));
  EXPECT_EQ(c.labels.size(), 1u);  // the broken Labels value is kept as it is, nothing else added
}

}  // namespace
}  // namespace bulkhead::runtime
