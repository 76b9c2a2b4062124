#include "agent_fixture.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "runtime/group.h"
#include "support/layout_builder.h"
#include "support/testbed.h"

namespace bulkhead::agent::testing {

namespace fs = std::filesystem;
using bulkhead::testing::ContainerSpec;
using bulkhead::testing::RuncContainer;

std::vector<json> EventLog::lines() const {
  std::ifstream in(path_, std::ios::binary);
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline yet: a line still being written
    auto parsed = parseJson(line, path_);
    if (parsed) out.push_back(std::move(*parsed));
  }
  return out;
}

std::optional<json> EventLog::waitFor(const Predicate& matches, size_t from, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto all = lines();
    for (size_t i = from; i < all.size(); ++i) {
      if (matches(all[i])) return all[i];
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<json> EventLog::all(const Predicate& matches, size_t from) const {
  std::vector<json> out;
  const auto all = lines();
  for (size_t i = from; i < all.size(); ++i) {
    if (matches(all[i])) out.push_back(all[i]);
  }
  return out;
}

namespace {
std::string field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool ofContainer(const json& j, const std::string& id) {
  const auto it = j.find("container");
  return it != j.end() && it->is_object() && field(*it, "id") == id;
}
}  // namespace

Predicate agentAction(const std::string& action) {
  return [action](const json& j) { return field(j, "type") == "agent" && field(j, "action") == action; };
}
Predicate containerAction(const std::string& action, const std::string& id) {
  return [action, id](const json& j) {
    return field(j, "type") == "container" && field(j, "action") == action && ofContainer(j, id);
  };
}
Predicate ruleAlert(const std::string& rule, const std::string& id) {
  return [rule, id](const json& j) { return field(j, "type") == "alert" && field(j, "rule") == rule && ofContainer(j, id); };
}
Predicate profileAlert(const std::string& kind, const std::string& id) {
  return [kind, id](const json& j) {
    return field(j, "type") == "alert" && field(j, "profile") == kind && ofContainer(j, id);
  };
}
Predicate blockedExec(const std::string& id) {
  return [id](const json& j) { return profileAlert("exec", id)(j) && field(j, "action") == "blocked"; };
}

Result<std::unique_ptr<RunningAgent>> RunningAgent::start(const AgentOptions& options) {
  auto agent = Agent::create(options);
  if (!agent) return std::move(agent).error();
  std::unique_ptr<RunningAgent> r(new RunningAgent());
  r->agent_ = std::move(*agent);
  r->thread_ = std::thread([p = r.get()] { p->status_ = p->agent_->run(p->stop_); });
  return r;
}

RunningAgent::~RunningAgent() { (void)stop(); }

Status RunningAgent::stop() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
    agent_.reset();
  }
  return status_;
}

void AgentE2e::SetUp() {
  BULKHEAD_REQUIRE_TESTBED();
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run containers and load eBPF programs";
  if (bulkhead::testing::findRuntimeBinary("runc").empty()) GTEST_SKIP() << "runc is not installed";
  lowerdir_ = bulkhead::testing::testbedValue("TESTBED_RUNTIME_ROOTFS");
  ASSERT_FALSE(lowerdir_.empty()) << "the test bed has no TESTBED_RUNTIME_ROOTFS";
  dir_ = bulkhead::testing::makeTempDir("agent-e2e");
  stateRoot_ = dir_ + "/state";
  profiles_ = dir_ + "/profiles";
  events_ = dir_ + "/events.jsonl";
  record_ = dir_ + "/record.jsonl";
  fs::create_directories(stateRoot_);
  log_ = std::make_unique<EventLog>(events_);
}

void AgentE2e::TearDown() {
  stopAgent();
  if (HasFailure() && log_) {
    const auto lines = log_->lines();  // the last ones: what led to the failure
    for (size_t i = lines.size() > 60 ? lines.size() - 60 : 0; i < lines.size(); ++i) {
      std::fprintf(stderr, "agent: %s\n", lines[i].dump().c_str());
    }
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

AgentOptions AgentE2e::options(runtime::Mode mode) const {
  AgentOptions o;
  o.profileDir = profiles_;
  o.eventsPath = events_;
  o.recordPath = record_;
  o.hookSocket = dir_ + "/agent.sock";
  o.stateDir = dir_ + "/state";
  o.defaultMode = mode;
  o.statsIntervalMs = 200;
  o.convergeQuietNs = 2LL * 1000000000;
  o.convergeMinEvents = 5;
  o.discovery.runcRoots = {stateRoot_};
  o.discovery.crunRoots = {};
  o.discovery.containerdTaskRoots = {};
  o.discovery.containersRunRoots = {};
  o.discovery.containersIndexes = {};
  return o;
}

void AgentE2e::startAgent(const AgentOptions& o) {
  const size_t from = log_->size();
  auto agent = RunningAgent::start(o);
  ASSERT_TRUE(agent) << agent.error().message;
  agent_ = std::move(*agent);
  ASSERT_TRUE(log_->waitFor(agentAction("started"), from)) << "the agent did not start";
}

void AgentE2e::stopAgent() {
  if (!agent_) return;
  const Status s = agent_->stop();
  EXPECT_TRUE(s.ok()) << s.error().message;
  agent_.reset();
}

std::optional<nlohmann::json> AgentE2e::stopAgentForLastLine() {
  const size_t from = log_->size();
  stopAgent();
  return log_->waitFor(agentAction("stopped"), from);
}

std::unique_ptr<RuncContainer> AgentE2e::prepare(const std::string& image, std::vector<std::string> args,
                                                 nlohmann::json hooks) {
  ContainerSpec spec;
  spec.lowerdir = lowerdir_;
  spec.stateRoot = stateRoot_;
  spec.args = std::move(args);
  spec.annotations["org.opencontainers.image.ref.name"] = image;
  spec.capabilities = bulkhead::testing::dockerDefaultCapabilities();
  spec.hooks = std::move(hooks);
  spec.mounts = mounts_;
  spec.capabilities.insert(spec.capabilities.end(), capabilities_.begin(), capabilities_.end());
  auto c = RuncContainer::prepare(std::move(spec));
  if (!c) {
    ADD_FAILURE() << c.error().message;
    return nullptr;
  }
  return std::move(*c);
}

std::unique_ptr<RuncContainer> AgentE2e::run(const std::string& image, json* started, std::vector<std::string> args) {
  auto c = prepare(image, std::move(args));
  if (!c || !createThenStart(*c, {}, started)) return nullptr;
  return c;
}

std::unique_ptr<RuncContainer> AgentE2e::runProtected(const std::string& image,
                                                      const std::vector<std::string>& executables) {
  writeProfile(protectProfile(image, executables));
  startAgent();
  const size_t from = log_->size();
  auto c = run(image);
  if (!c) return nullptr;
  if (!log_->waitFor(containerAction("protected", c->id()), from)) {
    ADD_FAILURE() << "the exec guard was not armed for " << c->id();
    return nullptr;
  }
  return c;
}

void AgentE2e::expectExecBlocked(RuncContainer& c, const std::string& script, const std::string& program) {
  const size_t from = log_->size();
  const auto r = sh(c, script);
  EXPECT_EQ(r.exitCode, 126) << script << ": " << r.out << r.err;
  auto blocked = log_->waitFor(blockedExec(c.id()), from);
  ASSERT_TRUE(blocked) << "no blocked exec reported for " << program;
  EXPECT_EQ((*blocked)["evidence"]["path"], program);
}

bool AgentE2e::createThenStart(RuncContainer& c, const std::function<bool()>& beforeStart, json* started) {
  const size_t from = log_->size();
  // create, then start once the agent knows the container, as containerd and CRI-O do:
  // `runc run` races discovery for the entry point's exec (the hook test covers that).
  if (auto s = c.create(); !s) {
    ADD_FAILURE() << s.error().message;
    return false;
  }
  auto line = log_->waitFor(containerAction("started", c.id()), from);
  if (!line) {
    ADD_FAILURE() << "the agent did not report container " << c.id();
    return false;
  }
  if (beforeStart && !beforeStart()) return false;
  if (auto s = c.start(); !s) {
    ADD_FAILURE() << s.error().message;
    return false;
  }
  if (started != nullptr) *started = *line;
  return true;
}

std::string groupOf(const std::string& image) {
  runtime::Container c;
  c.image = image;
  c.labels["org.opencontainers.image.ref.name"] = image;
  return runtime::groupIdOf(runtime::selectorOf(c));
}

std::string firstLineOf(const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  std::string line;
  while (line.empty() && std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    std::getline(in, line);
    if (line.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return line;
}

runtime::Profile protectProfile(const std::string& image, const std::vector<std::string>& executables) {
  runtime::Profile p;
  p.group = groupOf(image);
  p.selector.image = image;
  p.selector.labels["org.opencontainers.image.ref.name"] = image;
  p.mode = runtime::Mode::kProtect;
  for (const auto& exe : executables) p.executables[exe] = {};
  p.writeDirs = {"/"};  // writes anywhere: the tests of the write guard name their locations
  return p;
}

void AgentE2e::writeProfile(const runtime::Profile& profile) const {
  fs::create_directories(profiles_);
  const std::string path = profiles_ + "/" + profile.group + ".yaml";
  std::ofstream(path + ".tmp") << runtime::profileToYaml(profile);
  fs::rename(path + ".tmp", path);
}

std::optional<runtime::Profile> AgentE2e::readProfile(const std::string& group) const {
  std::ifstream in(profiles_ + "/" + group + ".yaml", std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto p = runtime::profileFromYaml(text.str(), group);
  if (!p) {
    ADD_FAILURE() << p.error().message;
    return std::nullopt;
  }
  return std::move(*p);
}

bulkhead::testing::CommandResult sh(RuncContainer& c, const std::string& script) {
  return c.exec({"sh", "-c", script});
}

}  // namespace bulkhead::agent::testing
