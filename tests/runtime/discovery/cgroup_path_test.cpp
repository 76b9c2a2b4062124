// The cgroup path parser on real-world paths of every runtime and driver, and on paths
// that must not match (host services, pod-level cgroups, conmon).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/discovery/cgroup_path.h"
#include "support/layout_builder.h"

namespace bulkhead::runtime {
namespace {

const std::string kId = "3f2a7c9e1b4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
const std::string kPod = "8b1e2f3a-4c5d-6e7f-8091-a2b3c4d5e6f7";
const std::string kPodSystemd = "8b1e2f3a_4c5d_6e7f_8091_a2b3c4d5e6f7";

struct Case {
  std::string path;
  std::string runtime;  // empty: must not match
  std::string id;
  std::string podUid;
};

TEST(CgroupPath, RealWorldPaths) {
  const std::vector<Case> cases = {
      // Docker: systemd and cgroupfs drivers, v1 and v2 spell them the same.
      {"/system.slice/docker-" + kId + ".scope", "docker", kId, ""},
      {"/docker/" + kId, "docker", kId, ""},
      {"/docker/" + kId + "/init.scope", "docker", kId, ""},  // systemd inside the container
      // containerd CRI, systemd driver.
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd + ".slice/cri-containerd-" +
           kId + ".scope",
       "containerd", kId, kPod},
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kPodSystemd + ".slice/cri-containerd-" +
           kId + ".scope",
       "containerd", kId, kPod},
      {"/kubepods.slice/kubepods-pod" + kPodSystemd + ".slice/cri-containerd-" + kId + ".scope", "containerd", kId,
       kPod},  // guaranteed QoS
      // cgroupfs driver (containerd and CRI-O alike).
      {"/kubepods/burstable/pod" + kPod + "/" + kId, "kubernetes", kId, kPod},
      {"/kubepods/besteffort/pod" + kPod + "/" + kId, "kubernetes", kId, kPod},
      {"/kubepods/pod" + kPod + "/" + kId, "kubernetes", kId, kPod},
      {"/kubepods/burstable/pod" + kPod + "/crio-" + kId, "cri-o", kId, kPod},
      // CRI-O, systemd driver.
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd + ".slice/crio-" + kId +
           ".scope",
       "cri-o", kId, kPod},
      {"/system.slice/crio-" + kId + ".scope", "cri-o", kId, ""},
      // podman: systemd (machine.slice, with and without its "container" child) and cgroupfs.
      {"/machine.slice/libpod-" + kId + ".scope", "podman", kId, ""},
      {"/machine.slice/libpod-" + kId + ".scope/container", "podman", kId, ""},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope", "podman", kId, ""},
      {"/libpod_parent/libpod-" + kId, "podman", kId, ""},
      // runc and crun, systemd driver (any ID) and runc's cgroupfs default.
      {"/system.slice/runc-web1.scope", "runc", "web1", ""},
      {"/machine.slice/crun-db_2.scope", "crun", "db_2", ""},
      {"/" + kId, "runc", kId, ""},
      // Must not match.
      {"/", "", "", ""},
      {"/init.scope", "", "", ""},
      {"/system.slice/nginx.service", "", "", ""},
      {"/system.slice/docker.service", "", "", ""},
      {"/system.slice/containerd.service", "", "", ""},
      {"/user.slice/user-1000.slice/session-3.scope", "", "", ""},
      {"/machine.slice/libpod-conmon-" + kId + ".scope", "", "", ""},
      {"/system.slice/crio-conmon-" + kId + ".scope", "", "", ""},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd + ".slice/crio-conmon-" + kId +
           ".scope",
       "", "", ""},
      {"/kubepods/burstable/pod" + kPod, "", "", ""},  // pod level: no container
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd + ".slice", "", "", ""},
      {"/kubepods/burstable", "", "", ""},
      {"/docker", "", "", ""},
      {"/docker/notanid", "", "", ""},
      {"/system.slice/docker-" + kId.substr(0, 12) + ".scope", "", "", ""},  // short ID: not docker's
      {"/system.slice/docker-" + kId + "X.scope", "", "", ""},
      {"/crio-" + kId, "", "", ""},  // crio- without .scope only below a pod
      {"/system.slice/runc-.scope", "", "", ""},
      {"/user.slice/" + kId, "", "", ""},  // a hex name below a host slice is not runc's default
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto match = parseCgroupPath(c.path);
    if (c.runtime.empty()) {
      EXPECT_FALSE(match.has_value()) << match->runtime << " " << match->id;
      continue;
    }
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->runtime, c.runtime);
    EXPECT_EQ(match->id, c.id);
    EXPECT_EQ(match->podUid, c.podUid);
  }
}

TEST(CgroupPath, Cgroup2MountFromMountinfo) {
  const std::string dir = testing::makeTempDir("mountinfo");
  std::ofstream(dir + "/hybrid") << "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                                    "30 22 0:26 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro,mode=755\n"
                                    "31 30 0:27 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw\n"
                                    "32 30 0:28 / /sys/fs/cgroup/cpu rw shared:11 - cgroup cgroup rw,cpu\n";
  std::ofstream(dir + "/escaped") << "31 30 0:27 / /mnt/my\\040cgroup rw shared:10 - cgroup2 none rw\n";
  std::ofstream(dir + "/none") << "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";
  EXPECT_EQ(*findCgroup2Mount(dir + "/hybrid"), "/sys/fs/cgroup/unified");
  EXPECT_EQ(*findCgroup2Mount(dir + "/escaped"), "/mnt/my cgroup");
  auto none = findCgroup2Mount(dir + "/none");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find(dir + "/none"), std::string::npos);
}

TEST(CgroupPath, OwnProcess) {
  auto mount = findCgroup2Mount();
  if (!mount) GTEST_SKIP() << mount.error().message;
  auto path = cgroupPathOfPid(::getpid());
  ASSERT_TRUE(path.ok()) << path.error().message;
  auto id = cgroupIdOfPath(*mount, *path);
  ASSERT_TRUE(id.ok()) << id.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((*mount + *path).c_str(), &st), 0);
  EXPECT_EQ(*id, st.st_ino);
  EXPECT_FALSE(cgroupIdOfPath(*mount, "/no/such/cgroup").ok());
  EXPECT_FALSE(cgroupPathOfPid(-1).ok());
}

TEST(CgroupPath, ResolvePidFromProcFiles) {
  // A synthetic /proc: v1 and v2 lines of a containerd CRI container, and a host process.
  const std::string proc = testing::makeTempDir("proc");
  std::filesystem::create_directories(proc + "/100");
  std::filesystem::create_directories(proc + "/200");
  std::filesystem::create_directories(proc + "/300");
  const std::string scope = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd +
                            ".slice/cri-containerd-" + kId + ".scope";
  std::ofstream(proc + "/100/cgroup") << "12:memory:" << scope << "\n1:name=systemd:" << scope << "\n0::" << scope
                                      << "\n";
  std::ofstream(proc + "/200/cgroup") << "1:name=systemd:/system.slice/sshd.service\n0::/system.slice/sshd.service\n";
  // v1 only knows the container (cgroup2 not used by the runtime).
  std::ofstream(proc + "/300/cgroup") << "4:pids:/docker/" << kId << "\n0::/\n";
  auto a = resolvePid(100, proc);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->runtime, "containerd");
  EXPECT_EQ((*a)->podUid, kPod);
  auto b = resolvePid(200, proc);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  auto c = resolvePid(300, proc);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->runtime, "docker");
  EXPECT_FALSE(resolvePid(400, proc).ok());
}

}  // namespace
}  // namespace bulkhead::runtime
