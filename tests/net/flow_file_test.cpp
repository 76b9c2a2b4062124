// The .flow format (support/flow_recorder.h) and the committed corpus of recorded flows
// (tests/net/flows/, recorded by capture_test.cpp): no test bed needed.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "net/protocol/detector.h"
#include "support/flow_recorder.h"
#include "support/layout_builder.h"

namespace bulkhead::net {
namespace {

namespace fs = std::filesystem;
using bulkhead::testing::FlowRecord;
using bulkhead::testing::loadFlow;
using bulkhead::testing::saveFlow;

TEST(FlowFile, SaveThenLoadGivesTheSameBytes) {
  const std::string dir = bulkhead::testing::makeTempDir("flow");
  FlowRecord flow;
  flow.transport = Transport::Udp;
  flow.serverPort = 5353;
  flow.client = {0x00, 0x0a, '\n', 0xff};
  flow.server = {'b', 'u', 'l', 'k', '\n', 0x00};
  ASSERT_TRUE(saveFlow(dir + "/x.flow", flow).ok());
  auto back = loadFlow(dir + "/x.flow");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->transport, Transport::Udp);
  EXPECT_EQ(back->serverPort, 5353);
  EXPECT_EQ(back->client, flow.client);
  EXPECT_EQ(back->server, flow.server);
  const FlowSample sample = back->sample();
  EXPECT_EQ(sample.client.size(), 4u);
  EXPECT_EQ(sample.server.size(), 6u);
  fs::remove_all(dir);
}

TEST(FlowFile, RejectsWhatIsNotAFlow) {
  const std::string dir = bulkhead::testing::makeTempDir("flow");
  const std::pair<const char*, std::string> cases[] = {
      {"empty", ""},
      {"no newline", "bulkhead-flow 1 tcp 80 0 0"},
      {"magic", "bulkhead-flaw 1 tcp 80 0 0\n"},
      {"version", "bulkhead-flow 2 tcp 80 0 0\n"},
      {"transport", "bulkhead-flow 1 sctp 80 0 0\n"},
      {"port", "bulkhead-flow 1 tcp 70000 0 0\n"},
      {"short", "bulkhead-flow 1 tcp 80 3 3\nabcde"},
      {"long", "bulkhead-flow 1 tcp 80 1 1\nabc"},
      {"fields", "bulkhead-flow 1 tcp 80 1\na"},
      {"sign", "bulkhead-flow 1 tcp 80 -1 2\na"},
  };
  for (const auto& [name, text] : cases) {
    const std::string path = dir + "/" + name + ".flow";
    std::ofstream(path, std::ios::binary) << text;
    EXPECT_FALSE(loadFlow(path).ok()) << name;
  }
  EXPECT_FALSE(loadFlow(dir + "/missing.flow").ok());
  fs::remove_all(dir);
}

// Each recorded flow is named <protocol>-<client>.flow: identify() must still say so.
TEST(FlowCorpus, EachRecordedFlowIsIdentifiedAsItsNameSays) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(BULKHEAD_NET_FLOWS)) {
    if (entry.path().extension() != ".flow") continue;
    ++count;
    const std::string name = entry.path().filename().string();
    EXPECT_LT(fs::file_size(entry.path()), 8192u) << name << ": keep corpus flows under 8 KiB";
    auto flow = loadFlow(entry.path().string());
    ASSERT_TRUE(flow) << flow.error().message;
    const Detection d = identify(flow->sample());
    EXPECT_TRUE(d.matched()) << name;
    EXPECT_EQ(d.id.protocol, name.substr(0, name.find('-'))) << name;
  }
  EXPECT_GE(count, 11) << "the corpus in " << BULKHEAD_NET_FLOWS << " is incomplete";
}

}  // namespace
}  // namespace bulkhead::net
