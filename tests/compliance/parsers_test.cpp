// Parsers of hostile input: audit rules, the dockerd command line and daemon.json, OCI
// config.json, runc state.json, account files and Kubernetes manifests. Each gives a clear
// error naming the file, or a bounded result.

#include <gtest/gtest.h>

#include "compliance/audit_rules.h"
#include "compliance/container_collector.h"
#include "compliance/docker_daemon.h"
#include "compliance/image_collector.h"
#include "compliance/k8s_collector.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

TEST(AuditRules, WatchesAndSyscallRules) {
  AuditRules rules;
  ASSERT_TRUE(parseAuditRules(R"(# Docker
-D
-b 8192
-w /usr/bin/dockerd -p rwxa -k docker
-a exit,always -F path=/run/containerd -F perm=war -k docker
-a always,exit -F dir=/etc/docker -F perm=wa -F key=docker-dir
-a always,exit -F path!=/tmp -S open
-w
-W /usr/bin/runc
    -w /usr/bin/runc   -k   runc
-e 2
)", "/etc/audit/rules.d/docker.rules", rules).ok());
  ASSERT_EQ(rules.rules.size(), 4u);
  EXPECT_EQ(rules.rules[0].watch, "/usr/bin/dockerd");
  EXPECT_EQ(rules.rules[0].line, 4);
  EXPECT_EQ(rules.rules[0].key, "docker");
  EXPECT_EQ(rules.rules[1].paths, std::vector<std::string>{"/run/containerd"});
  EXPECT_EQ(rules.rules[2].dirs, std::vector<std::string>{"/etc/docker"});
  EXPECT_EQ(rules.rules[2].key, "docker-dir");
  EXPECT_EQ(rules.rules[3].watch, "/usr/bin/runc");
  ASSERT_EQ(rules.warnings.size(), 1u);
  EXPECT_EQ(rules.warnings[0], "/etc/audit/rules.d/docker.rules:8: -w needs a value");
  AuditRules hostile;
  EXPECT_FALSE(parseAuditRules(std::string("-w /x\0", 6), "bin.rules", hostile).ok());
  EXPECT_FALSE(parseAuditRules(std::string(kMaxAuditRuleFileBytes + 1, 'a'), "big.rules", hostile).ok());
  ASSERT_TRUE(parseAuditRules(std::string(100000, '-') + "\n-w /ok\n", "long.rules", hostile).ok());
  EXPECT_EQ(hostile.warnings.size(), 1u);
  EXPECT_EQ(hostile.rules.size(), 1u);
}

CommandLine cmdline(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& a : argv) text += a + '\0';
  auto parsed = parseDockerdCmdline(text, "/proc/1/cmdline");
  EXPECT_TRUE(parsed.ok());
  return *parsed;
}

TEST(DockerDaemon, CommandLineFlagsOverrideDaemonJsonUnderItsKeys) {
  const auto args = cmdline({"/usr/bin/dockerd", "-H", "fd://", "-Htcp://0.0.0.0:2375", "--icc=false", "--iptables",
                             "--insecure-registry", "a:5000", "--insecure-registry=b:5000", "-l", "debug", "-D",
                             "--default-ulimit", "nofile=1024:2048", "--log-opt", "max-size=10m", "--graph", "/srv/docker",
                             "positional", "--", "--ignored=1"});
  auto daemon = parseDaemonJson(R"({"icc": true, "log-level": "info", "live-restore": true})", "daemon.json");
  ASSERT_TRUE(daemon.ok());
  const auto merged = mergeDaemonSettings(*daemon, args);
  const json& e = merged.effective;
  EXPECT_EQ(e["icc"], false);
  EXPECT_EQ(e["iptables"], true);
  EXPECT_EQ(e["hosts"], json::array({"fd://", "tcp://0.0.0.0:2375"}));
  EXPECT_EQ(e["insecure-registries"], json::array({"a:5000", "b:5000"}));
  EXPECT_EQ(e["log-level"], "debug");
  EXPECT_EQ(e["debug"], true);
  EXPECT_EQ(e["live-restore"], true);
  EXPECT_EQ(e["default-ulimits"]["nofile"], (json{{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 2048}}));
  EXPECT_EQ(e["log-opts"]["max-size"], "10m");
  EXPECT_EQ(e["data-root"], "/srv/docker");
  EXPECT_FALSE(e.contains("ignored"));
  EXPECT_EQ(merged.origin.at("icc").source, "cmdline");
  EXPECT_EQ(merged.origin.at("icc").field, "--icc");
  EXPECT_EQ(merged.origin.at("live-restore").source, "daemon.json");
  EXPECT_EQ(merged.conflicts, (std::vector<std::string>{"icc", "log-level"}));
}

TEST(DockerDaemon, HostileDaemonJsonAndCmdline) {
  EXPECT_FALSE(parseDaemonJson("[1]", "/etc/docker/daemon.json").ok());
  auto bad = parseDaemonJson("{\"icc\": }", "/etc/docker/daemon.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("/etc/docker/daemon.json: invalid JSON"), std::string::npos);
  EXPECT_FALSE(parseDaemonJson(std::string(40, '[') + std::string(40, ']'), "d.json").ok());
  EXPECT_FALSE(parseDaemonJson(std::string(kMaxDaemonJsonBytes + 1, ' '), "d.json").ok());
  EXPECT_FALSE(parseDockerdCmdline(std::string(kMaxCmdlineBytes + 1, 'a'), "/proc/9/cmdline").ok());
  const auto odd = cmdline({"dockerd", "--hosts=x", "-Hfd://", "--log-opts=y", "--log-opt", "a=b", "-", "--=x", "--icc=maybe",
                            "--default-ulimit", "weird", "-H"});
  const auto merged = mergeDaemonSettings(json::object(), odd);
  EXPECT_TRUE(merged.effective.is_object());
  EXPECT_EQ(merged.effective["hosts"], json::array({"fd://", ""}));  // found by compliance_daemon_fuzz
  EXPECT_EQ(merged.effective["icc"], "maybe");
}

TEST(OciConfig, NormalizesOldAndNewSpecs) {
  auto s = parseOciConfig(R"({"ociVersion": "0.6.0",
    "process": {"user": {"uid": 1000}, "capabilities": ["CAP_KILL"], "env": ["A=1", "B"]},
    "root": {"path": "rootfs"},
    "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"},
                             {"type": "ipc", "path": "/proc/1/ns/ipc"}],
              "resources": {"memory": {"limit": 0}, "pids": {"limit": 64},
                            "devices": [{"allow": true, "access": "rwm"}]}},
    "mounts": [{"destination": "/data", "type": "none", "source": "/srv", "options": ["rbind", "ro", "rshared"]}]})",
                          "b/config.json");
  ASSERT_TRUE(s.ok()) << s.error().message;
  const json& f = s->facts;
  EXPECT_EQ(f["process"]["capabilities"]["bounding"], json::array({"CAP_KILL"}));
  EXPECT_EQ(f["process"]["capabilities"]["ambient"], json::array({"CAP_KILL"}));
  EXPECT_EQ(f["process"]["env"][1], (json{{"name", "B"}, {"value", ""}}));
  EXPECT_EQ(f["namespaces"]["pid"], "private");
  EXPECT_EQ(f["namespaces"]["network"], "shared");
  EXPECT_EQ(f["namespaces"]["ipc"], "host");
  EXPECT_EQ(f["namespaces"]["uts"], "host");
  EXPECT_FALSE(f["resources"].contains("memoryLimit"));  // 0 is no limit
  EXPECT_EQ(f["resources"]["pidsLimit"], 64);
  EXPECT_EQ(f["allDevicesAllowed"], true);
  EXPECT_EQ(f["mounts"][0]["bind"], true);
  EXPECT_EQ(f["mounts"][0]["readonly"], true);
  EXPECT_EQ(f["mounts"][0]["propagation"], "rshared");
  EXPECT_EQ(s->origins.at("namespaces").second, "linux.namespaces");

  for (const char* bad : {"[]", "{}", "{\"process\": 5, \"linux\": []}", "not json"}) {
    auto r = parseOciConfig(bad, "bad/config.json");
    if (r.ok()) continue;  // wrong types inside a real-looking spec are tolerated
    EXPECT_NE(r.error().message.find("bad/config.json"), std::string::npos) << bad;
  }
  EXPECT_FALSE(parseOciConfig("[]", "x/config.json").ok());
  auto typed = parseOciConfig(R"({"ociVersion": 1, "process": {"capabilities": "x", "user": [], "rlimits": [1]},
    "linux": {"namespaces": "x", "resources": {"memory": {"limit": "big"}}, "seccomp": 1}, "mounts": {}})", "t.json");
  ASSERT_TRUE(typed.ok());
  EXPECT_TRUE(typed->facts["process"]["capabilities"]["bounding"].empty());
}

TEST(RuncState, OverlaysWhatRuncApplied) {
  auto s = parseOciConfig(R"({"ociVersion": "1.0.2", "process": {"user": {"uid": 0}, "noNewPrivileges": false}})", "b/config.json");
  ASSERT_TRUE(s.ok());
  const std::string state = R"({"id": "web", "init_process_pid": 0, "created": "2024-01-01T00:00:00Z",
    "config": {"rootfs": "/b/rootfs", "readonlyfs": true, "no_new_privileges": true,
      "namespaces": [{"type": "NEWPID", "path": ""}, {"type": "NEWNET", "path": "/proc/1/ns/net"}],
      "capabilities": {"Bounding": ["CAP_CHOWN"], "Effective": null},
      "mounts": [{"source": "/srv", "destination": "/data", "device": "bind", "flags": 20481,
                  "propagation_flags": [1064960]}],
      "cgroups": {"memory": 1048576, "pids_limit": 10, "cpu_shares": 0,
                  "devices": [{"type": 97, "major": -1, "minor": -1, "permissions": "rwm", "allow": true}]},
      "seccomp": {"default_action": 2, "syscalls": [{}]},
      "mask_paths": ["/proc/kcore"], "labels": ["bundle=/b"]}})";
  ASSERT_TRUE(applyRuncState(*s, state, "/run/runc/web/state.json").ok());
  const json& f = s->facts;
  EXPECT_EQ(f["runtime"]["id"], "web");
  EXPECT_EQ(f["runtime"]["bundle"], "/b");
  EXPECT_EQ(f["process"]["user"]["uid"], 0);  // from config.json
  EXPECT_EQ(f["process"]["noNewPrivileges"], true);  // what runc applied wins
  EXPECT_EQ(f["root"]["readonly"], true);
  EXPECT_EQ(f["namespaces"]["pid"], "private");
  EXPECT_EQ(f["namespaces"]["network"], "host");
  EXPECT_EQ(f["process"]["capabilities"]["effective"], json::array());
  EXPECT_EQ(f["mounts"][0]["options"], json::array({"ro", "rbind", "rshared"}));
  EXPECT_EQ(f["resources"]["memoryLimit"], 1048576);
  EXPECT_FALSE(f["resources"].contains("cpuShares"));
  EXPECT_EQ(f["allDevicesAllowed"], true);
  EXPECT_EQ(f["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(s->origins.at("process.noNewPrivileges").first, "/run/runc/web/state.json");

  ContainerSnapshot empty;
  auto bad = applyRuncState(empty, R"({"id": "x"})", "/run/runc/x/state.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("/run/runc/x/state.json: not a runc state file"), std::string::npos);
  EXPECT_FALSE(applyRuncState(empty, "{", "s.json").ok());
}

TEST(Accounts, PasswdShadowGroup) {
  Accounts a;
  parsePasswd("root:x:0:0:root:/root:/bin/bash\n# comment\nnopw::1000:1000::/:/bin/sh\nshort:x\nodd:x:notanumber:1\n", a);
  parseShadow("root:$6$abc:19000::::::\nnopw:!:1\n", a);
  parseGroup("root:x:0:\nstaff:x:50:a,b,,c\nbad\n", a);
  ASSERT_EQ(a.users.size(), 3u);
  EXPECT_EQ(a.users[0].password, "set");
  EXPECT_EQ(a.users[0].passwordSource, "/etc/shadow:1");
  EXPECT_EQ(a.users[1].password, "empty");  // empty in passwd: shadow is not consulted
  EXPECT_EQ(a.users[2].uid, -1);
  EXPECT_EQ(a.groups[1].members, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(a.warnings.empty());
}

TEST(K8sManifests, MalformedYamlNamesFileAndLine) {
  K8sManifests out;
  auto r = parseK8sManifests("apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n", "pod.yaml", out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("pod.yaml:"), std::string::npos) << r.error().message;
  ASSERT_TRUE(parseK8sManifests("kind: Service\n---\n- 1\n---\nfoo: bar\n---\nkind: Deployment\nspec: {}\n---\n", "x.yaml", out).ok());
  EXPECT_EQ(out.skippedKinds["Service"], 1u);
  EXPECT_TRUE(out.workloads.empty());
  EXPECT_EQ(out.warnings.size(), 3u);  // not an object, no kind, no pod spec
}

TEST(K8sManifests, EveryWorkloadKindLandsItsPodSpecAtSpec) {
  K8sManifests out;
  ASSERT_TRUE(parseK8sManifests(R"(
kind: CronJob
metadata: {name: c, namespace: n}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {annotations: {a: b}}
        spec:
          containers:
            - name: x
              image: y
              securityContext:
                capabilities: {add: [cap_net_admin, SYS_TIME]}
)", "cron.yaml", out).ok());
  ASSERT_EQ(out.workloads.size(), 1u);
  const Subject& s = out.workloads[0];
  EXPECT_EQ(s.name, "CronJob n/c");
  EXPECT_EQ(s.facts["longRunning"], false);
  EXPECT_EQ(s.facts["podMetadata"]["annotations"]["a"], "b");
  EXPECT_EQ(s.facts["spec"]["containers"][0]["securityContext"]["capabilities"]["add"],
            json::array({"NET_ADMIN", "SYS_TIME"}));
  const Location loc = s.locate("spec.containers[0].image");
  EXPECT_EQ(loc.file, "cron.yaml");
  EXPECT_EQ(loc.path, "spec.jobTemplate.spec.template.spec.containers[0].image");
  EXPECT_EQ(loc.line, 12);
  const Location missing = s.locate("spec.containers[0].securityContext.privileged");
  EXPECT_EQ(missing.line, 13);  // the nearest field that is there
}

}  // namespace
}  // namespace bulkhead::compliance
