#include "compliance/condition.h"

#include <fmt/format.h>

#include <set>

#include "compliance/fact_path.h"
#include "compliance/operators.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

// Errors carry the position of the offending part ("all[1].op: unknown operator").
Error at(const std::string& where, Error error) {
  if (where.empty()) return error;
  return withContext(where, std::move(error));
}

Result<void> onlyKeys(const json& spec, const std::set<std::string>& allowed, const std::string& where) {
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (!allowed.count(it.key())) {
      std::string list;
      for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
      return at(where, makeError("unknown key '{}' (expected {})", it.key(), list));
    }
  }
  return {};
}

// A path in a condition: a fact path, or "@" (the element) or "@key" (its key).
struct LeafPath {
  enum class Kind { kFact, kSelf, kEntryKey } kind = Kind::kFact;
  FactPath fact;
  std::string text;
};

Result<LeafPath> compileLeafPath(const json& value, const std::string& where) {
  if (!value.is_string()) return at(where, makeError("path must be a string"));
  LeafPath out;
  out.text = value.get<std::string>();
  if (out.text == "@") {
    out.kind = LeafPath::Kind::kSelf;
    return out;
  }
  if (out.text == "@key") {
    out.kind = LeafPath::Kind::kEntryKey;
    return out;
  }
  auto parsed = parseFactPath(out.text);
  if (!parsed) return at(where, std::move(parsed).error());
  out.fact = std::move(*parsed);
  return out;
}

std::vector<FactMatch> resolveLeaf(const LeafPath& path, const EvalContext& ctx) {
  switch (path.kind) {
    case LeafPath::Kind::kSelf:
      return {FactMatch{ctx.currentPath, ctx.current.is_null() ? nullptr : &ctx.current, nullptr}};
    case LeafPath::Kind::kEntryKey: {
      if (ctx.entryKey == nullptr) return {FactMatch{ctx.currentPath + " (key)", nullptr, nullptr}};
      auto key = std::make_shared<json>(*ctx.entryKey);
      return {FactMatch{ctx.currentPath + " (key)", key.get(), key}};
    }
    case LeafPath::Kind::kFact:
      break;
  }
  auto matches = resolveFactPath(path.fact, ctx.root, ctx.current, ctx.currentPath);
  if (matches.empty()) {
    // A wildcard over nothing: judge "absent" once, under the path as written.
    const std::string prefix = path.fact.fromRoot || ctx.currentPath.empty() ? "" : ctx.currentPath + ".";
    matches.push_back(FactMatch{prefix + path.text, nullptr, nullptr});
  }
  return matches;
}

class Leaf final : public Condition {
 public:
  Leaf(LeafPath path, Op op, std::optional<Operand> operand, std::optional<FactPath> valuePath,
       std::optional<json> fallback)
      : path_(std::move(path)), op_(op), operand_(std::move(operand)), valuePath_(std::move(valuePath)),
        default_(std::move(fallback)) {}

  ConditionResult evaluate(const EvalContext& ctx) const override {
    ConditionResult result;
    // The expected value may come from the facts themselves (value_path).
    std::optional<Operand> dynamic;
    const Operand* operand = operand_ ? &*operand_ : nullptr;
    if (valuePath_) {
      const auto matches = resolveFactPath(*valuePath_, ctx.root, ctx.current, ctx.currentPath);
      const json expected = !matches.empty() && matches[0].value != nullptr ? *matches[0].value : json();
      auto compiled = Operand::compile(op_, expected, true);
      if (!compiled) {
        result.holds = false;
        result.observations.push_back(Observation{valuePath_->text, ctx.label, renderValue(&expected),
                                                  compiled.error().message, "", false});
        return result;
      }
      dynamic = std::move(*compiled);
      operand = &*dynamic;
    }
    const auto matches = resolveLeaf(path_, ctx);
    for (const auto& match : matches) {
      const json* value = match.value;
      Observation obs;
      obs.path = match.path;
      obs.label = ctx.label;
      if (value == nullptr && default_) {
        value = &*default_;
        obs.observed = fmt::format("not set (default {})", renderValue(value));
      } else if (value != nullptr && value->is_number_integer() &&
                 (op_ == Op::kModeAtMost || op_ == Op::kBitsAny || op_ == Op::kBitsNone)) {
        obs.observed = fmt::format("{:04o}", value->get<int64_t>() & 07777);  // modes read in octal
      } else {
        obs.observed = renderValue(value);
      }
      obs.expected = operand->describe();
      obs.holds = operand->test(value, &obs.detail);
      result.holds = result.holds && obs.holds;
      if (result.observations.size() < kMaxListedElements) {
        result.observations.push_back(std::move(obs));
      } else {
        ++result.omitted;
      }
    }
    return result;
  }
  void paths(std::vector<std::string>& out) const override {
    out.push_back(path_.text);
    if (valuePath_) out.push_back(valuePath_->text);
  }

 private:
  LeafPath path_;
  Op op_;
  std::optional<Operand> operand_;
  std::optional<FactPath> valuePath_;
  std::optional<json> default_;
};

class AllOf final : public Condition {
 public:
  explicit AllOf(std::vector<std::shared_ptr<const Condition>> parts) : parts_(std::move(parts)) {}
  ConditionResult evaluate(const EvalContext& ctx) const override {
    ConditionResult passed;
    ConditionResult failed;
    failed.holds = false;
    bool anyFailed = false;
    for (const auto& part : parts_) {
      ConditionResult r = part->evaluate(ctx);
      anyFailed = anyFailed || !r.holds;
      ConditionResult& into = r.holds ? passed : failed;
      for (auto& o : r.observations) into.observations.push_back(std::move(o));
      into.omitted += r.omitted;
    }
    if (anyFailed) return failed;
    passed.holds = true;
    return passed;
  }
  void paths(std::vector<std::string>& out) const override {
    for (const auto& p : parts_) p->paths(out);
  }

 private:
  std::vector<std::shared_ptr<const Condition>> parts_;
};

class AnyOf final : public Condition {
 public:
  explicit AnyOf(std::vector<std::shared_ptr<const Condition>> parts) : parts_(std::move(parts)) {}
  ConditionResult evaluate(const EvalContext& ctx) const override {
    ConditionResult failed;
    failed.holds = false;
    for (const auto& part : parts_) {
      ConditionResult r = part->evaluate(ctx);
      if (r.holds) return r;
      for (auto& o : r.observations) failed.observations.push_back(std::move(o));
      failed.omitted += r.omitted;
    }
    return failed;
  }
  void paths(std::vector<std::string>& out) const override {
    for (const auto& p : parts_) p->paths(out);
  }

 private:
  std::vector<std::shared_ptr<const Condition>> parts_;
};

class Not final : public Condition {
 public:
  explicit Not(std::shared_ptr<const Condition> part) : part_(std::move(part)) {}
  ConditionResult evaluate(const EvalContext& ctx) const override {
    ConditionResult r = part_->evaluate(ctx);
    r.holds = !r.holds;
    for (auto& o : r.observations) {
      if (!o.expected.starts_with("forbidden: ")) o.expected = "forbidden: " + o.expected;
      o.holds = !o.holds;
    }
    return r;
  }
  void paths(std::vector<std::string>& out) const override { part_->paths(out); }

 private:
  std::shared_ptr<const Condition> part_;
};

class Each final : public Condition {
 public:
  Each(std::vector<FactPath> lists, std::shared_ptr<const Condition> where,
       std::shared_ptr<const Condition> check, std::optional<FactPath> label)
      : lists_(std::move(lists)), where_(std::move(where)), assert_(std::move(check)),
        label_(std::move(label)) {}

  ConditionResult evaluate(const EvalContext& ctx) const override {
    ConditionResult result;
    size_t checked = 0;
    size_t total = 0;
    size_t failing = 0;
    std::string firstList;
    for (const auto& list : lists_) {
      for (const auto& match : resolveFactPath(list, ctx.root, ctx.current, ctx.currentPath)) {
        if (firstList.empty()) firstList = match.path;
        if (match.value == nullptr) continue;
        const json& container = *match.value;
        auto visit = [&](const json& element, const std::string& path, const std::string* key) {
          ++total;
          EvalContext inner{ctx.root, element, path, key, {}};
          inner.label = labelOf(inner, element, key);
          // Nested lists keep the outer element's name: "shell / 22".
          if (!ctx.label.empty()) inner.label = inner.label.empty() ? ctx.label : ctx.label + " / " + inner.label;
          if (where_ && !where_->evaluate(inner).holds) return;
          ++checked;
          ConditionResult r = assert_->evaluate(inner);
          if (r.holds) return;
          ++failing;
          if (failing > kMaxListedElements) {
            ++result.omitted;
            return;
          }
          for (auto& o : r.observations) result.observations.push_back(std::move(o));
          result.omitted += r.omitted;
        };
        if (container.is_array()) {
          for (size_t i = 0; i < container.size(); ++i) {
            visit(container[i], appendIndex(match.path, i), nullptr);
          }
        } else if (container.is_object()) {
          for (auto it = container.begin(); it != container.end(); ++it) {
            visit(it.value(), appendKey(match.path, it.key()), &it.key());
          }
        }
      }
    }
    result.holds = failing == 0;
    if (result.holds) {
      Observation summary;
      summary.path = firstList;
      summary.observed = checked == total ? fmt::format("{} element(s)", total)
                                          : fmt::format("{} of {} element(s) selected", checked, total);
      summary.expected = "every selected element complies";
      summary.holds = true;
      result.observations.push_back(std::move(summary));
    }
    return result;
  }

  void paths(std::vector<std::string>& out) const override {
    for (const auto& l : lists_) out.push_back(l.text);
    if (where_) where_->paths(out);
    assert_->paths(out);
  }

 private:
  std::string labelOf(const EvalContext& inner, const json& element, const std::string* key) const {
    if (label_) {
      auto matches = resolveFactPath(*label_, inner.root, element, inner.currentPath);
      if (!matches.empty() && matches[0].value != nullptr) return renderValue(matches[0].value, 120);
      return {};
    }
    if (key != nullptr) return *key;
    if (element.is_object()) {
      for (const char* field : {"name", "path", "destination"}) {
        auto it = element.find(field);
        if (it != element.end() && it->is_string()) return it->get<std::string>();
      }
      return {};
    }
    return renderValue(&element, 120);
  }

  std::vector<FactPath> lists_;
  std::shared_ptr<const Condition> where_;
  std::shared_ptr<const Condition> assert_;
  std::optional<FactPath> label_;
};

Result<std::shared_ptr<const Condition>> compileAt(const json& spec, const std::string& where,
                                                   int depth);

Result<std::vector<std::shared_ptr<const Condition>>> compileList(const json& spec,
                                                                  const std::string& where,
                                                                  int depth) {
  if (!spec.is_array() || spec.empty()) return at(where, makeError("needs a non-empty list of conditions"));
  std::vector<std::shared_ptr<const Condition>> parts;
  for (size_t i = 0; i < spec.size(); ++i) {
    auto part = compileAt(spec[i], appendIndex(where, i), depth + 1);
    if (!part) return std::move(part).error();
    parts.push_back(std::move(*part));
  }
  return parts;
}

Result<std::shared_ptr<const Condition>> compileAt(const json& spec, const std::string& where,
                                                   int depth) {
  if (depth > 32) return at(where, makeError("conditions nested deeper than 32 levels"));
  if (!spec.is_object()) return at(where, makeError("a condition must be a mapping"));
  if (spec.contains("all")) {
    BH_TRY_STATUS(onlyKeys(spec, {"all"}, where));
    auto parts = compileList(spec["all"], appendKey(where, "all"), depth);
    if (!parts) return std::move(parts).error();
    return std::shared_ptr<const Condition>(std::make_shared<AllOf>(std::move(*parts)));
  }
  if (spec.contains("any")) {
    BH_TRY_STATUS(onlyKeys(spec, {"any"}, where));
    auto parts = compileList(spec["any"], appendKey(where, "any"), depth);
    if (!parts) return std::move(parts).error();
    return std::shared_ptr<const Condition>(std::make_shared<AnyOf>(std::move(*parts)));
  }
  if (spec.contains("not")) {
    BH_TRY_STATUS(onlyKeys(spec, {"not"}, where));
    auto part = compileAt(spec["not"], appendKey(where, "not"), depth + 1);
    if (!part) return std::move(part).error();
    return std::shared_ptr<const Condition>(std::make_shared<Not>(std::move(*part)));
  }
  if (spec.contains("each")) {
    BH_TRY_STATUS(onlyKeys(spec, {"each", "where", "assert", "label"}, where));
    std::vector<FactPath> lists;
    const json& each = spec["each"];
    for (const auto& item : each.is_array() ? each : json::array({each})) {
      if (!item.is_string()) return at(appendKey(where, "each"), makeError("must be a path or a list of paths"));
      auto path = parseFactPath(item.get<std::string>());
      if (!path) return at(appendKey(where, "each"), std::move(path).error());
      lists.push_back(std::move(*path));
    }
    if (lists.empty()) return at(appendKey(where, "each"), makeError("names no list"));
    if (!spec.contains("assert")) return at(where, makeError("'each' needs an 'assert' condition"));
    std::shared_ptr<const Condition> filter;
    if (spec.contains("where")) {
      auto w = compileAt(spec["where"], appendKey(where, "where"), depth + 1);
      if (!w) return std::move(w).error();
      filter = std::move(*w);
    }
    auto check = compileAt(spec["assert"], appendKey(where, "assert"), depth + 1);
    if (!check) return std::move(check).error();
    std::optional<FactPath> label;
    if (spec.contains("label")) {
      if (!spec["label"].is_string()) return at(appendKey(where, "label"), makeError("must be a path"));
      auto l = parseFactPath(spec["label"].get<std::string>());
      if (!l) return at(appendKey(where, "label"), std::move(l).error());
      label = std::move(*l);
    }
    return std::shared_ptr<const Condition>(
        std::make_shared<Each>(std::move(lists), std::move(filter), std::move(*check), std::move(label)));
  }
  if (spec.contains("path")) {
    BH_TRY_STATUS(onlyKeys(spec, {"path", "op", "value", "value_path", "default"}, where));
    auto path = compileLeafPath(spec["path"], appendKey(where, "path"));
    if (!path) return std::move(path).error();
    if (!spec.contains("op") || !spec["op"].is_string()) {
      return at(where, makeError("a leaf needs 'op' (an operator name)"));
    }
    auto op = parseOp(spec["op"].get<std::string>());
    if (!op) return at(appendKey(where, "op"), std::move(op).error());
    const bool hasValue = spec.contains("value");
    std::optional<Operand> operand;
    std::optional<FactPath> valuePath;
    if (spec.contains("value_path")) {
      if (hasValue) return at(where, makeError("give 'value' or 'value_path', not both"));
      if (*op == Op::kRegex || *op == Op::kNotRegex || *op == Op::kModeAtMost || *op == Op::kBitsAny ||
          *op == Op::kBitsNone || *op == Op::kUnder || *op == Op::kNotUnder) {
        return at(appendKey(where, "value_path"), makeError("operator '{}' needs a literal value", opName(*op)));
      }
      if (!spec["value_path"].is_string()) return at(appendKey(where, "value_path"), makeError("must be a path"));
      auto vp = parseFactPath(spec["value_path"].get<std::string>());
      if (!vp) return at(appendKey(where, "value_path"), std::move(vp).error());
      valuePath = std::move(*vp);
    } else {
      auto compiled = Operand::compile(*op, hasValue ? spec["value"] : json(), hasValue);
      if (!compiled) return at(hasValue ? appendKey(where, "value") : where, std::move(compiled).error());
      operand = std::move(*compiled);
    }
    std::optional<json> fallback;
    if (spec.contains("default")) fallback = spec["default"];
    return std::shared_ptr<const Condition>(std::make_shared<Leaf>(std::move(*path), *op, std::move(operand),
                                                                   std::move(valuePath), std::move(fallback)));
  }
  return at(where, makeError("a condition needs one of: path (with op), all, any, not, each"));
}

}  // namespace

Result<std::shared_ptr<const Condition>> compileCondition(const json& spec) {
  return compileAt(spec, "", 0);
}

ConditionResult evaluateCondition(const Condition& condition, const json& facts) {
  EvalContext ctx{facts, facts, "", nullptr, {}};
  return condition.evaluate(ctx);
}

}  // namespace bulkhead::compliance
