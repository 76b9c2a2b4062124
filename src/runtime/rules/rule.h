#pragma once
// Detection rules for known attack techniques, declared as data (rules/*.yaml, embedded in
// the binary; more can be loaded from files) with stable IDs and MITRE ATT&CK technique
// references. They apply in every mode. A rule is a condition over one event and the
// facts the agent collected about it (EventFacts); the set of fields and operators is
// closed, so a rule file cannot do more than match.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/embedded_file.h"
#include "core/result.h"
#include "runtime/event.h"

namespace bulkhead::runtime {

// A fact the agent reads from /proc only when a rule first asks for it: most events need
// none (a rule tests the cheap fields of its condition first), and reading them for every
// exec cost more than the rest of the agent's work per exec.
class Fact {
 public:
  Fact() = default;
  Fact(bool known) : value_(known) {}  // NOLINT(google-explicit-constructor): a known fact
  explicit Fact(std::function<bool()> read) : read_(std::move(read)) {}
  bool get() const {
    if (!value_) value_ = read_ ? read_() : false;
    return *value_;
  }

 private:
  std::function<bool()> read_;
  mutable std::optional<bool> value_;
};

// What the agent knows about an event beyond the event itself (collected, then judged).
struct EventFacts {
  Fact stdioSocket;             // exec: the new program's stdin or stdout is a socket
  Fact parentListens;           // exec: the parent process has a listening socket
  Fact setuidFile;              // exec: the executable has the set-user-ID bit
  bool newListen = false;       // listen: the group's profile does not have this port
  bool newPeer = false;         // connect: the group's profile does not have this peer
  bool inContainer = false;     // the event comes from a container (not the host)
  bool writtenHere = false;     // exec: the executable was written (or moved or linked into
                                // place) in the container since it started
};

enum class RuleField : uint8_t {
  kKind, kPath, kName, kComm, kParent, kArgs, kDetail, kAddress, kPort, kFamily, kFlags,
  kTarget, kUid, kEuid, kResult, kWrite, kStdioSocket, kParentListens, kSetuidFile, kNewListen, kNewPeer,
  kLoopback, kInContainer, kFileless, kIoUring, kWrittenHere,
};

struct Condition {
  enum class Op : uint8_t { kAll, kAny, kNot, kIn, kPrefix, kContains, kEquals, kBitsAny };
  Op op = Op::kAll;
  RuleField field = RuleField::kKind;
  std::vector<std::string> strings;  // kIn, kPrefix, kContains (kEquals on text fields)
  std::vector<int64_t> numbers;      // kIn on numeric fields, kEquals, kBitsAny
  bool boolean = false;              // kEquals on boolean fields
  std::vector<Condition> children;   // kAll, kAny, kNot (one child)
};

struct Rule {
  std::string id;        // "BH-RT-0001"
  std::string title;
  std::string description;
  std::string severity;  // critical, high, medium, low, info
  std::vector<std::string> mitre;  // "T1059.004"
  std::vector<EventKind> on;       // the event kinds it applies to
  Condition when;
  std::string source;    // "rules/builtin.yaml"
};

// The rules shipped in the binary (src/runtime/rules/*.yaml).
const std::vector<EmbeddedFile>& builtinRuleFiles();

// Parses one rule file; `what` names it in errors (file and rule ID).
Result<std::vector<Rule>> parseRules(std::string_view text, std::string_view what);
// The built-in rules, then each file in `extraFiles`. Duplicate IDs are an error.
Result<std::vector<Rule>> loadRules(const std::vector<std::string>& extraFiles = {});

bool ruleMatches(const Rule& rule, const Event& event, const EventFacts& facts);

}  // namespace bulkhead::runtime
