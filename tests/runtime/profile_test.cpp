// Profiles as files: what is exported reads back the same, edits by hand are honoured, and
// hostile files fail with a message naming the file and the problem.

#include <gtest/gtest.h>

#include "runtime/group.h"
#include "runtime/profile.h"

namespace bulkhead::runtime {
namespace {

Profile sample() {
  Profile p;
  p.group = "nginx-1a2b3c4d";
  p.selector.image = "127.0.0.1:5000/web/nginx:1.25";
  p.selector.labels = {{"app", "web"}, {"tier", "yes"}, {"mode", "0644"}};
  p.mode = Mode::kMonitor;
  p.executables["/usr/sbin/nginx"] = {"runc:[2:INIT]"};
  p.executables["/usr/bin/dash"] = {"nginx", "sh"};
  p.writeDirs = {"/var/log/nginx/", "/tmp/"};
  p.listenPorts = {"tcp/80"};
  p.peers = {"10.0.0.5:6379", "from 10.0.0.7"};
  p.links = {"group:redis-5e6f7a8b tcp/6379"};
  p.callers = {"group:client-0a0b0c0d tcp/80", "address:10.0.0.7 tcp/80"};
  p.createdNs = 1764000000LL * 1000000000;
  p.lastChangeNs = 1764000600LL * 1000000000;
  p.events = 1234;
  p.converged = true;
  return p;
}

TEST(Profile, RoundTripsThroughYaml) {
  const Profile p = sample();
  const std::string yaml = profileToYaml(p);
  auto back = profileFromYaml(yaml, "nginx.yaml");
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << yaml;
  EXPECT_EQ(*back, p) << yaml;
  // Label values that YAML 1.1 would read as booleans or octal stay strings.
  EXPECT_EQ(back->selector.labels.at("tier"), "yes");
  EXPECT_EQ(back->selector.labels.at("mode"), "0644");
}

TEST(Profile, HandEditedFileIsRead) {
  const char* text = R"(apiVersion: bulkhead.dev/v1
kind: Profile
group: redis-00000000
mode: protect
executables:
  - path: /usr/bin/redis-server
  - /usr/bin/redis-cli
listenPorts: [tcp/6379]
)";
  auto p = profileFromYaml(text, "edited.yaml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->mode, Mode::kProtect);
  EXPECT_TRUE(p->executables.contains("/usr/bin/redis-server"));
  EXPECT_TRUE(p->executables.contains("/usr/bin/redis-cli"));
  EXPECT_TRUE(p->listenPorts.contains("tcp/6379"));
}

TEST(Profile, BadFilesNameTheFileAndTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"kind: Policy\n", "kind is not Profile"},
      {"apiVersion: bulkhead.dev/v1\nkind: Profile\ngroup: g\nmode: enforce\n", "mode \"enforce\""},
      {"apiVersion: bulkhead.dev/v1\nkind: Profile\nmode: protect\n", "'group'"},
      {"apiVersion: bulkhead.dev/v1\nkind: Profile\ngroup: g\nexecutables: [{path: bin/sh}]\n", "absolute 'path'"},
      {"apiVersion: bulkhead.dev/v1\nkind: Profile\ngroup: g\nlearning: {created: yesterday}\n", "learning.created"},
      {"apiVersion: bulkhead.dev/v1\nkind: Profile\ngroup: g\nlistenPorts: [80, 443]\n", "listenPorts"},
      {"[a, [b, [c, [d, [e, [f, [g, [h, [i, [j]]]]]]]]]]\n", "bad.yaml"},
      {"a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e]\n",
       "bad.yaml"},
  };
  ProfileLimits limits;
  limits.maxEntries = 1000;
  for (const auto& [text, expected] : cases) {
    auto p = profileFromYaml(text, "bad.yaml", limits);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_NE(p.error().message.find("bad.yaml"), std::string::npos) << p.error().message;
    EXPECT_NE(p.error().message.find(expected), std::string::npos) << p.error().message;
  }
}

TEST(Group, ReplicasShareAGroupAndOtherWorkloadsDoNot) {
  Container a;
  a.image = "registry.example/shop/cart:2.1";
  a.labels = {{"app", "cart"}, {"pod-template-hash", "7d9f"}, {"io.kubernetes.pod.uid", "u-1"}};
  a.podNamespace = "shop";
  Container b = a;
  b.labels["pod-template-hash"] = "8e0a";
  b.labels["io.kubernetes.pod.uid"] = "u-2";
  Container c = a;
  c.labels["app"] = "checkout";
  const auto ga = groupIdOf(selectorOf(a));
  EXPECT_EQ(ga, groupIdOf(selectorOf(b)));
  EXPECT_NE(ga, groupIdOf(selectorOf(c)));
  EXPECT_TRUE(ga.starts_with("cart-")) << ga;
  EXPECT_EQ(selectorOf(a).labels.count("pod-template-hash"), 0u);
  EXPECT_EQ(selectorOf(a).labels.at("io.kubernetes.pod.namespace"), "shop");
}

}  // namespace
}  // namespace bulkhead::runtime
