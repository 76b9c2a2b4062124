// An event flood from a container into the smallest ring buffer (one page): every event is
// delivered, counted as dropped, or counted as a merged repeat, per kind, in the agent's
// output, and the agent keeps up with what comes after. Whether anything is dropped depends
// on how fast the agent drains the ring on this machine; the accounting must hold either way.

#include <fstream>

#include "agent_fixture.h"
#include "core/json.h"

namespace bulkhead::agent::testing {
namespace {

TEST_F(AgentE2e, FloodIsDeliveredOrCountedNeverSilent) {
  AgentOptions o = options();
  o.ringBufferBytes = 4096;
  startAgent(o);
  auto c = run("bulkhead-test/flood:1");
  ASSERT_TRUE(c);
  constexpr int kWriters = 4, kOpensEach = 25000, kOpens = kWriters * kOpensEach;
  const size_t from = log_->size();
  const std::string writer =
      "python3 -c 'for i in range(" + std::to_string(kOpensEach) + "): open(\"/tmp/flood%d\" % (i % 5000), \"w\").close()'";
  auto r = sh(*c, writer + " & " + writer + " & " + writer + " & " + writer + " & wait");
  ASSERT_EQ(r.exitCode, 0) << r.err;

  // Still attributing and judging after the flood.
  const size_t mark = log_->size();
  ASSERT_EQ(sh(*c, "cat /etc/shadow >/dev/null").exitCode, 0);
  EXPECT_TRUE(log_->waitFor(ruleAlert("BH-RT-0007", c->id()), mark));
  stopAgent();

  // Received + dropped opens account for every open the loop made.
  uint64_t recorded = 0;
  std::ifstream in(record_);
  for (std::string line; std::getline(in, line);) {
    auto e = parseJson(line, record_);
    if (e && e->value("kind", "") == "open" && e->value("path", "").rfind("/tmp/flood", 0) == 0) ++recorded;
  }
  auto stopped = log_->waitFor(agentAction("stopped"), from);
  ASSERT_TRUE(stopped);
  const uint64_t dropped = (*stopped)["byKind"].value("open", uint64_t{0});
  const uint64_t merged = (*stopped)["mergedByKind"].value("open", uint64_t{0});
  if (dropped > 0) {
    EXPECT_TRUE(log_->waitFor(agentAction("events-dropped"), from)) << "drops were not reported as they happened";
  }
  // Each writer cycles through 5000 files: more distinct opens than the ring holds, and
  // repeats the kernel counts as merged when a file comes round again within a second.
  EXPECT_GE(recorded + dropped + merged, static_cast<uint64_t>(kOpens))
      << recorded << " recorded + " << dropped << " dropped + " << merged << " merged";
  std::printf("flood: %d opens -> %llu delivered, %llu dropped, %llu merged (open), %s received in all\n", kOpens,
              static_cast<unsigned long long>(recorded), static_cast<unsigned long long>(dropped),
              static_cast<unsigned long long>(merged), (*stopped)["received"].dump().c_str());
}

}  // namespace
}  // namespace bulkhead::agent::testing
