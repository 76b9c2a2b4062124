#include "runtime/rules/rule.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "core/json.h"
#include "core/yaml.h"

namespace bulkhead::runtime {
namespace {

using nlohmann::json;

enum class FieldType : uint8_t { kText, kNumber, kBool };

struct FieldInfo {
  std::string_view name;
  RuleField field;
  FieldType type;
};

constexpr std::array<FieldInfo, 26> kFields{{
    {"kind", RuleField::kKind, FieldType::kText},
    {"path", RuleField::kPath, FieldType::kText},
    {"name", RuleField::kName, FieldType::kText},
    {"comm", RuleField::kComm, FieldType::kText},
    {"parent", RuleField::kParent, FieldType::kText},
    {"args", RuleField::kArgs, FieldType::kText},
    {"detail", RuleField::kDetail, FieldType::kText},
    {"address", RuleField::kAddress, FieldType::kText},
    {"port", RuleField::kPort, FieldType::kNumber},
    {"family", RuleField::kFamily, FieldType::kNumber},
    {"flags", RuleField::kFlags, FieldType::kNumber},
    {"target", RuleField::kTarget, FieldType::kNumber},
    {"uid", RuleField::kUid, FieldType::kNumber},
    {"euid", RuleField::kEuid, FieldType::kNumber},
    {"result", RuleField::kResult, FieldType::kNumber},
    {"write", RuleField::kWrite, FieldType::kBool},
    {"stdio_socket", RuleField::kStdioSocket, FieldType::kBool},
    {"parent_listens", RuleField::kParentListens, FieldType::kBool},
    {"setuid_file", RuleField::kSetuidFile, FieldType::kBool},
    {"new_listen", RuleField::kNewListen, FieldType::kBool},
    {"new_peer", RuleField::kNewPeer, FieldType::kBool},
    {"loopback", RuleField::kLoopback, FieldType::kBool},
    {"in_container", RuleField::kInContainer, FieldType::kBool},
    {"fileless", RuleField::kFileless, FieldType::kBool},
    {"io_uring", RuleField::kIoUring, FieldType::kBool},
    {"written_here", RuleField::kWrittenHere, FieldType::kBool},
}};

const FieldInfo* fieldNamed(std::string_view name) {
  for (const auto& f : kFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FieldInfo& infoOf(RuleField field) {
  for (const auto& f : kFields) {
    if (f.field == field) return f;
  }
  std::abort();  // every RuleField has an entry
}

constexpr int kMaxDepth = 16;
constexpr size_t kMaxValues = 4096;

Result<Condition> parseCondition(const json& node, int depth);

Result<std::vector<Condition>> parseList(const json& node, std::string_view key, int depth) {
  if (!node.is_array() || node.empty()) return makeError("'{}' needs a non-empty list of conditions", key);
  std::vector<Condition> out;
  for (const auto& item : node) {
    auto c = parseCondition(item, depth + 1);
    if (!c) return std::move(c).error();
    out.push_back(std::move(*c));
  }
  return out;
}

Result<Condition> parseFieldTest(const FieldInfo& info, const json& value) {
  Condition c;
  c.field = info.field;
  const auto addValue = [&](const json& v) -> Status {
    if (c.strings.size() + c.numbers.size() >= kMaxValues) return makeError("too many values for '{}'", info.name);
    if (info.type == FieldType::kText) {
      if (!v.is_string()) return makeError("'{}' takes strings, not {}", info.name, jsonText(v));
      c.strings.push_back(v.get<std::string>());
    } else if (info.type == FieldType::kNumber) {
      if (!v.is_number_integer()) return makeError("'{}' takes integers, not {}", info.name, jsonText(v));
      c.numbers.push_back(v.get<int64_t>());
    } else {
      return makeError("'{}' is true or false", info.name);
    }
    return {};
  };
  if (!value.is_object()) {
    c.op = Condition::Op::kEquals;
    if (info.type == FieldType::kBool) {
      if (!value.is_boolean()) return makeError("'{}' is true or false, not {}", info.name, jsonText(value));
      c.boolean = value.get<bool>();
      return c;
    }
    auto s = addValue(value);
    if (!s) return s.error();
    return c;
  }
  if (value.size() != 1) return makeError("'{}' takes one operator (in, prefix, contains, bits_any)", info.name);
  const std::string op = value.begin().key();
  const json& arg = value.begin().value();
  if (op == "in") {
    c.op = Condition::Op::kIn;
  } else if (op == "prefix" && info.type == FieldType::kText) {
    c.op = Condition::Op::kPrefix;
  } else if (op == "contains" && info.type == FieldType::kText) {
    c.op = Condition::Op::kContains;
  } else if (op == "bits_any" && info.type == FieldType::kNumber) {
    c.op = Condition::Op::kBitsAny;
  } else {
    return makeError("operator '{}' does not apply to '{}'", op, info.name);
  }
  if (!arg.is_array() || arg.empty()) return makeError("'{}: {}' needs a non-empty list", info.name, op);
  for (const auto& v : arg) {
    auto s = addValue(v);
    if (!s) return s.error();
  }
  if (info.field == RuleField::kKind) {
    for (const auto& k : c.strings) {
      EventKind kind;
      if (!parseEventKind(k, kind)) return makeError("'{}' is not an event kind", k);
    }
  }
  return c;
}

Result<Condition> parseCondition(const json& node, int depth) {
  if (depth > kMaxDepth) return makeError("conditions nest deeper than {}", kMaxDepth);
  if (!node.is_object()) return makeError("a condition is a mapping, not {}", jsonText(node));
  Condition all;
  all.op = Condition::Op::kAll;
  for (const auto& [key, value] : node.items()) {
    if (key == "all" || key == "any") {
      auto list = parseList(value, key, depth);
      if (!list) return std::move(list).error();
      Condition c;
      c.op = key == "all" ? Condition::Op::kAll : Condition::Op::kAny;
      c.children = std::move(*list);
      all.children.push_back(std::move(c));
    } else if (key == "not") {
      auto inner = parseCondition(value, depth + 1);
      if (!inner) return std::move(inner).error();
      Condition c;
      c.op = Condition::Op::kNot;
      c.children.push_back(std::move(*inner));
      all.children.push_back(std::move(c));
    } else if (const FieldInfo* info = fieldNamed(key)) {
      auto c = parseFieldTest(*info, value);
      if (!c) return std::move(c).error();
      all.children.push_back(std::move(*c));
    } else {
      return makeError("unknown field or operator '{}'", key);
    }
  }
  // Facts read from /proc last: a rule whose cheap tests fail never reads them.
  std::stable_partition(all.children.begin(), all.children.end(), [](const Condition& c) {
    return c.field != RuleField::kStdioSocket && c.field != RuleField::kParentListens;
  });
  return all;
}

Result<std::string> textField(const json& rule, const char* key, bool required) {
  const auto it = rule.find(key);
  if (it == rule.end() || it->is_null()) {
    if (required) return makeError("'{}' is missing", key);
    return std::string();
  }
  if (!it->is_string()) return makeError("'{}' is not a string", key);
  return it->get<std::string>();
}

bool validId(std::string_view id) {
  if (id.size() < 3 || id.size() > 64) return false;
  for (const char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

Result<Rule> parseRule(const json& node) {
  if (!node.is_object()) return makeError("a rule is a mapping");
  Rule rule;
  auto id = textField(node, "id", true);
  if (!id) return std::move(id).error();
  if (!validId(*id)) return makeError("rule ID '{}' is not 3-64 letters, digits, '-' or '_'", *id);
  rule.id = *id;
  const auto ctx = [&](Error e) { return withContext("rule " + rule.id, std::move(e)); };
  for (const auto& [key, target] : {std::pair<const char*, std::string*>{"title", &rule.title},
                                    {"description", &rule.description}, {"severity", &rule.severity}}) {
    auto v = textField(node, key, key != std::string_view("description"));
    if (!v) return ctx(std::move(v).error());
    *target = std::move(*v);
  }
  static const std::set<std::string> kSeverities{"critical", "high", "medium", "low", "info"};
  if (!kSeverities.contains(rule.severity)) return ctx(makeError("severity '{}' is not critical, high, medium, low or info", rule.severity));
  if (const auto m = node.find("mitre"); m != node.end()) {
    if (!m->is_array()) return ctx(makeError("'mitre' is a list of technique IDs"));
    for (const auto& t : *m) {
      if (!t.is_string() || !t.get<std::string>().starts_with("T")) return ctx(makeError("MITRE technique {} is not like T1059.004", jsonText(t)));
      rule.mitre.push_back(t.get<std::string>());
    }
  }
  const auto on = node.find("on");
  if (on == node.end() || !on->is_array() || on->empty()) return ctx(makeError("'on' needs a list of event kinds"));
  for (const auto& k : *on) {
    EventKind kind;
    if (!k.is_string() || !parseEventKind(k.get<std::string>(), kind)) return ctx(makeError("{} is not an event kind", jsonText(k)));
    rule.on.push_back(kind);
  }
  const auto when = node.find("when");
  if (when == node.end()) return ctx(makeError("'when' is missing (use {{}} to match every event of its kinds)"));
  auto condition = parseCondition(*when, 0);
  if (!condition) return ctx(std::move(condition).error());
  rule.when = std::move(*condition);
  return rule;
}

bool isLoopback(const Event& e) {
  if (e.family == AF_INET) return e.address.starts_with("127.");
  if (e.family == AF_INET6) return e.address == "::1" || e.address.starts_with("::ffff:127.");
  return false;
}

std::string_view baseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

struct Subject {
  const Event& event;
  const EventFacts& facts;
  mutable std::string args;  // joined argv, made on first use
  mutable bool argsReady = false;
};

std::string_view textOf(const Subject& s, RuleField field) {
  const Event& e = s.event;
  switch (field) {
    case RuleField::kKind: return eventKindName(e.kind);
    case RuleField::kPath: return e.path;
    case RuleField::kName: return baseName(e.path);
    case RuleField::kComm: return e.comm;
    case RuleField::kParent: return e.parentComm;
    case RuleField::kDetail: return e.detail;
    case RuleField::kAddress: return e.address;
    case RuleField::kArgs:
      if (!s.argsReady) {
        for (const auto& a : e.argv) {
          if (!s.args.empty()) s.args += ' ';
          s.args += a;
        }
        s.argsReady = true;
      }
      return s.args;
    default: return {};
  }
}

int64_t numberOf(const Event& e, RuleField field) {
  switch (field) {
    case RuleField::kPort: return e.port;
    case RuleField::kFamily: return e.family;
    case RuleField::kFlags: return static_cast<int64_t>(e.flags);
    case RuleField::kTarget: return e.targetId;
    case RuleField::kUid: return e.uid;
    case RuleField::kEuid: return e.euid;
    case RuleField::kResult: return e.result;
    default: return 0;
  }
}

bool boolOf(const Subject& s, RuleField field) {
  const Event& e = s.event;
  switch (field) {
    case RuleField::kWrite:
      return writesPath(e);
    case RuleField::kStdioSocket: return s.facts.stdioSocket.get();
    case RuleField::kParentListens: return s.facts.parentListens.get();
    case RuleField::kSetuidFile: return s.facts.setuidFile.get();
    case RuleField::kNewListen: return s.facts.newListen;
    case RuleField::kNewPeer: return s.facts.newPeer;
    case RuleField::kLoopback: return isLoopback(e);
    case RuleField::kInContainer: return s.facts.inContainer;
    case RuleField::kFileless: return e.kind == EventKind::kExec && e.fileless;
    case RuleField::kIoUring: return e.ioUring;
    case RuleField::kWrittenHere: return e.kind == EventKind::kExec && s.facts.writtenHere;
    default: return false;
  }
}

bool evaluate(const Condition& c, const Subject& s) {
  using Op = Condition::Op;
  switch (c.op) {
    case Op::kAll:
      for (const auto& child : c.children) {
        if (!evaluate(child, s)) return false;
      }
      return true;
    case Op::kAny:
      for (const auto& child : c.children) {
        if (evaluate(child, s)) return true;
      }
      return false;
    case Op::kNot: return !evaluate(c.children.front(), s);
    default: break;
  }
  const FieldInfo& info = infoOf(c.field);
  if (info.type == FieldType::kBool) return boolOf(s, c.field) == c.boolean;
  if (info.type == FieldType::kNumber) {
    const int64_t n = numberOf(s.event, c.field);
    for (const int64_t v : c.numbers) {
      if (c.op == Op::kBitsAny ? (n & v) != 0 : n == v) return true;
    }
    return false;
  }
  const std::string_view text = textOf(s, c.field);
  for (const auto& v : c.strings) {
    const bool hit = c.op == Op::kPrefix ? text.starts_with(v)
                     : c.op == Op::kContains ? text.find(v) != std::string_view::npos
                                             : text == v;
    if (hit) return true;
  }
  return false;
}

}  // namespace

Result<std::vector<Rule>> parseRules(std::string_view text, std::string_view what) {
  YamlLimits limits;
  limits.maxBytes = 4u << 20;
  limits.maxDepth = 40;
  auto docs = parseYamlDocuments(text, what, limits);
  if (!docs) return std::move(docs).error();
  std::vector<Rule> rules;
  for (const auto& doc : *docs) {
    if (doc.value.is_null()) continue;
    if (!doc.value.is_array()) return makeError("{}: a rule file is a list of rules", what);
    for (const auto& node : doc.value) {
      auto rule = parseRule(node);
      if (!rule) return withContext(what, std::move(rule).error());
      rule->source = std::string(what);
      rules.push_back(std::move(*rule));
    }
  }
  return rules;
}

Result<std::vector<Rule>> loadRules(const std::vector<std::string>& extraFiles) {
  std::vector<Rule> all;
  const auto add = [&](Result<std::vector<Rule>> parsed) -> Status {
    if (!parsed) return parsed.error();
    for (auto& r : *parsed) {
      for (const auto& existing : all) {
        if (existing.id == r.id) return makeError("rule {} in {} is already defined in {}", r.id, r.source, existing.source);
      }
      all.push_back(std::move(r));
    }
    return {};
  };
  for (const auto& file : builtinRuleFiles()) {
    auto s = add(parseRules(file.text, file.name));
    if (!s) return s.error();
  }
  for (const auto& path : extraFiles) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return makeError("{}: cannot read the rule file", path);
    std::ostringstream text;
    text << in.rdbuf();
    auto s = add(parseRules(text.str(), path));
    if (!s) return s.error();
  }
  return all;
}

bool ruleMatches(const Rule& rule, const Event& event, const EventFacts& facts) {
  bool applies = false;
  for (const auto kind : rule.on) applies = applies || kind == event.kind;
  if (!applies) return false;
  const Subject subject{event, facts, {}, false};
  return evaluate(rule.when, subject);
}

}  // namespace bulkhead::runtime
