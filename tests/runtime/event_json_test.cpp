// Recorded events (agent run --record) are read back by replay: every field survives the
// round trip, and a line that is not an event is refused with the field named.

#include "runtime/event_json.h"

#include <gtest/gtest.h>

namespace bulkhead::runtime {
namespace {

TEST(EventJson, EveryFieldSurvivesTheRoundTrip) {
  Event e;
  e.kind = EventKind::kConnect;
  e.timeNs = 1'764'950'400'123'456'789;
  e.pid = 42;
  e.tid = 43;
  e.ppid = 1;
  e.uid = 1000;
  e.euid = 33;  // neither the default nor the real uid
  e.gid = 1000;
  e.cgroupId = 987654321;
  e.comm = "curl";
  e.parentComm = "bash";
  e.path = "/usr/bin/curl";
  e.detail = "detail";
  e.argv = {"curl", "-s", "http://198.51.100.7/"};
  e.flags = 0x241;
  e.targetId = -5;
  e.family = 2;
  e.address = "198.51.100.7";
  e.port = 80;
  e.localPort = 41000;
  e.container = "c1";
  e.link = "address:198.51.100.7 tcp/80";
  e.caller = "group:web-1a2b3c4d tcp/8080";
  e.fileless = true;
  e.killed = true;
  e.ioUring = true;
  e.unguarded = true;
  auto back = eventFromJson(eventToJson(e));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(eventToJson(*back), eventToJson(e));
  EXPECT_EQ(back->uid, 1000u);
  EXPECT_EQ(back->euid, 33u);
  EXPECT_EQ(back->argv, e.argv);
  EXPECT_EQ(back->localPort, 41000);
  EXPECT_EQ(back->link, e.link);
  EXPECT_EQ(back->caller, e.caller);
  EXPECT_TRUE(back->fileless && back->killed && back->ioUring && back->unguarded);

  // A connect made by its system call carries the call's result; a refused one's too.
  e.ioUring = false;
  e.result = -111;  // ECONNREFUSED
  back = eventFromJson(eventToJson(e));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(eventToJson(e)["result"], -111);
  EXPECT_EQ(back->result, -111);
}

TEST(EventJson, ARecordingWithoutTheEffectiveUidStillReads) {
  auto e = eventFromJson(nlohmann::json::parse(R"({"kind": "exec", "pid": 7, "uid": 33, "path": "/bin/sh"})"));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->uid, 33u);
  EXPECT_EQ(e->euid, 0u);
}

TEST(EventJson, WrongTypesAreRefusedByName) {
  for (const char* text : {R"({"kind": "exec", "euid": "root"})", R"({"kind": "nope"})", R"([1])",
                           R"({"kind": "exec", "argv": [1]})", R"({"kind": "exec", "fileless": 1})",
                           R"({"kind": "open", "ioUring": "yes"})"}) {
    auto e = eventFromJson(nlohmann::json::parse(text));
    EXPECT_FALSE(e) << text;
  }
  auto e = eventFromJson(nlohmann::json::parse(R"({"kind": "exec", "euid": "root"})"));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("euid"), std::string::npos) << e.error().message;
}

}  // namespace
}  // namespace bulkhead::runtime
