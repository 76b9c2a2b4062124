#include "compliance/operators.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

const json* present(const json* value) {
  return (value != nullptr && !value->is_null()) ? value : nullptr;
}

// A number from a number or a numeric string.
std::optional<double> asNumber(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_boolean()) return std::nullopt;
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.empty() || s.size() > 40) return std::nullopt;
    std::string trimmed = s;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
    double out = 0;
    const char* begin = trimmed.data();
    const char* end = begin + trimmed.size();
    auto [ptr, ec] = std::from_chars(begin, end, out);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

bool looselyEqual(const json& a, const json& b) {
  if (a == b) return true;
  if ((a.is_string() && b.is_number()) || (a.is_number() && b.is_string())) {
    auto x = asNumber(a);
    auto y = asNumber(b);
    return x && y && *x == *y;
  }
  return false;
}

std::vector<json> asList(const json& value) {
  if (value.is_array()) return std::vector<json>(value.begin(), value.end());
  return {value};
}

bool listHas(const json& list, const json& item) {
  for (const auto& e : asList(list)) {
    if (looselyEqual(e, item)) return true;
  }
  return false;
}

std::string asText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

// Octal digits, from a string ("0644", "644") or from an integer written in octal digits
// in YAML (644): check files always mean modes in octal.
Result<uint32_t> parseOctal(const json& value) {
  std::string digits = value.is_string()            ? value.get<std::string>()
                       : value.is_number_unsigned() ? std::to_string(value.get<uint64_t>())
                       : value.is_number_integer()  ? std::to_string(value.get<int64_t>())
                                                    : std::string();
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
    digits = digits.substr(2);
  }
  if (digits.empty() || digits.size() > 7) return makeError("'{}' is not an octal mode", value.dump());
  uint32_t out = 0;
  for (const char c : digits) {
    if (c < '0' || c > '7') return makeError("'{}' is not an octal mode", value.dump());
    out = out * 8 + static_cast<uint32_t>(c - '0');
  }
  return out;
}

std::string octal(uint32_t mode) { return fmt::format("{:04o}", mode); }

}  // namespace

const std::vector<OpInfo>& allOperators() {
  static const std::vector<OpInfo> ops = {
      {Op::kEq, "eq", true, "equal (numbers by value; \"1\" equals 1)"},
      {Op::kNeq, "neq", true, "not equal"},
      {Op::kIn, "in", true, "equal to one of a list"},
      {Op::kNotIn, "not_in", true, "equal to none of a list"},
      {Op::kExists, "exists", false, "present and not null"},
      {Op::kAbsent, "absent", false, "missing or null"},
      {Op::kEmpty, "empty", false, "absent, \"\", [] or {}"},
      {Op::kNotEmpty, "not_empty", false, "present and not empty"},
      {Op::kRegex, "regex", true, "a string matching an ECMAScript regex, or one of a list"},
      {Op::kNotRegex, "not_regex", true, "absent, or a string matching none of the regexes"},
      {Op::kLt, "lt", true, "a number below"},
      {Op::kLte, "lte", true, "a number at most"},
      {Op::kGt, "gt", true, "a number above"},
      {Op::kGte, "gte", true, "a number at least"},
      {Op::kModeAtMost, "mode_at_most", true, "a file mode with no permission bit beyond the octal mode"},
      {Op::kBitsAny, "bits_any", true, "an integer with any of the octal bits set"},
      {Op::kBitsNone, "bits_none", true, "an integer with none of the octal bits set"},
      {Op::kContains, "contains", true, "a list holding the value, or a string holding it"},
      {Op::kNotContains, "not_contains", true, "the opposite of contains"},
      {Op::kContainsAny, "contains_any", true, "a list sharing an element with the list"},
      {Op::kContainsNone, "contains_none", true, "a list sharing no element with the list"},
      {Op::kSubsetOf, "subset_of", true, "every element (or the scalar) is in the list"},
      {Op::kUnique, "unique", false, "a list without duplicates"},
      {Op::kUnder, "under", true, "a path equal to or below one of the paths"},
      {Op::kNotUnder, "not_under", true, "a path equal to or below none of the paths"},
  };
  return ops;
}

const char* opName(Op op) {
  for (const auto& info : allOperators()) {
    if (info.op == op) return info.name;
  }
  return "?";
}

Result<Op> parseOp(std::string_view name) {
  for (const auto& info : allOperators()) {
    if (name == info.name) return info.op;
  }
  std::string known;
  for (const auto& info : allOperators()) known += std::string(known.empty() ? "" : ", ") + info.name;
  return makeError("unknown operator '{}' (known: {})", name, known);
}

std::string renderValue(const json* value, size_t maxChars) {
  if (value == nullptr || value->is_null()) return "absent";
  std::string text = value->is_string() ? value->get<std::string>()
                                        : value->dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > maxChars) text = text.substr(0, maxChars) + "...";
  return text;
}

std::string cleanPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& p : parts) {
    out += '/';
    out += p;
  }
  if (out.empty()) out = "/";
  if (!path.empty() && path[0] != '/') out = out.substr(1);  // stays relative
  return out;
}

bool boundedRegexSearch(const std::regex& re, std::string_view text) {
  constexpr size_t kWindow = 4096;
  constexpr size_t kStep = 3072;
  if (text.size() <= kWindow) return std::regex_search(text.begin(), text.end(), re);
  for (size_t start = 0; start < text.size(); start += kStep) {
    const std::string_view window = text.substr(start, kWindow);
    if (std::regex_search(window.begin(), window.end(), re)) return true;
    if (start + kWindow >= text.size()) break;
  }
  return false;
}

Result<Operand> Operand::compile(Op op, const json& value, bool hasValue) {
  Operand operand;
  operand.op_ = op;
  bool takesValue = true;
  for (const auto& info : allOperators()) {
    if (info.op == op) takesValue = info.takesValue;
  }
  if (takesValue && !hasValue) return makeError("operator '{}' needs a value", opName(op));
  if (!takesValue && hasValue) return makeError("operator '{}' takes no value", opName(op));
  operand.value_ = value;
  switch (op) {
    case Op::kRegex:
    case Op::kNotRegex: {
      for (const auto& item : asList(value)) {
        if (!item.is_string()) return makeError("regex '{}' is not a string", item.dump());
        std::string pattern = item.get<std::string>();
        auto flags = std::regex::ECMAScript | std::regex::optimize;
        if (pattern.starts_with("(?i)")) {
          pattern = pattern.substr(4);
          flags |= std::regex::icase;
        }
        try {
          operand.regexes_.emplace_back(pattern, flags);
        } catch (const std::regex_error& e) {
          return makeError("bad regex '{}': {}", item.get<std::string>(), e.what());
        }
        operand.patterns_.push_back(item.get<std::string>());
      }
      break;
    }
    case Op::kModeAtMost:
    case Op::kBitsAny:
    case Op::kBitsNone: {
      auto bits = parseOctal(value);
      if (!bits) return std::move(bits).error();
      operand.bits_ = *bits;
      break;
    }
    case Op::kLt:
    case Op::kLte:
    case Op::kGt:
    case Op::kGte:
      if (!asNumber(value)) return makeError("operator '{}' needs a number, not {}", opName(op), value.dump());
      break;
    case Op::kUnder:
    case Op::kNotUnder:
      for (const auto& item : asList(value)) {
        if (!item.is_string() || item.get<std::string>().empty()) {
          return makeError("operator '{}' needs paths, not {}", opName(op), item.dump());
        }
        operand.paths_.push_back(cleanPath(item.get<std::string>()));
      }
      break;
    case Op::kIn:
    case Op::kNotIn:
    case Op::kContainsAny:
    case Op::kContainsNone:
    case Op::kSubsetOf:
      if (!value.is_array()) return makeError("operator '{}' needs a list", opName(op));
      break;
    default:
      break;
  }
  return operand;
}

bool Operand::test(const json* observedIn, std::string* detail) const {
  const json* observed = present(observedIn);
  auto numberCompare = [&](auto compare) {
    if (observed == nullptr) return false;
    auto x = asNumber(*observed);
    auto y = asNumber(value_);
    return x && y && compare(*x, *y);
  };
  switch (op_) {
    case Op::kEq:
      if (observed == nullptr) return value_.is_null();
      return looselyEqual(*observed, value_);
    case Op::kNeq:
      if (observed == nullptr) return !value_.is_null();
      return !looselyEqual(*observed, value_);
    case Op::kIn:
      if (observed == nullptr) return listHas(value_, json());
      return listHas(value_, *observed);
    case Op::kNotIn:
      if (observed == nullptr) return !listHas(value_, json());
      return !listHas(value_, *observed);
    case Op::kExists:
      return observed != nullptr;
    case Op::kAbsent:
      return observed == nullptr;
    case Op::kEmpty:
    case Op::kNotEmpty: {
      const bool empty = observed == nullptr ||
                         (observed->is_string() && observed->get_ref<const std::string&>().empty()) ||
                         ((observed->is_array() || observed->is_object()) && observed->empty());
      return op_ == Op::kEmpty ? empty : !empty;
    }
    case Op::kRegex:
    case Op::kNotRegex: {
      bool matched = false;
      if (observed != nullptr && !observed->is_object() && !observed->is_array()) {
        const std::string text = asText(*observed);
        for (size_t i = 0; i < regexes_.size() && !matched; ++i) {
          matched = boundedRegexSearch(regexes_[i], text);
        }
      }
      return op_ == Op::kRegex ? matched : !matched;
    }
    case Op::kLt: return numberCompare([](double a, double b) { return a < b; });
    case Op::kLte: return numberCompare([](double a, double b) { return a <= b; });
    case Op::kGt: return numberCompare([](double a, double b) { return a > b; });
    case Op::kGte: return numberCompare([](double a, double b) { return a >= b; });
    case Op::kModeAtMost:
    case Op::kBitsAny:
    case Op::kBitsNone: {
      if (observed == nullptr || !observed->is_number_integer()) return op_ == Op::kBitsNone;
      const auto mode = static_cast<uint32_t>(observed->get<int64_t>()) & 07777u;
      if (op_ == Op::kModeAtMost) {
        const uint32_t extra = mode & ~bits_;
        if (extra != 0 && detail) *detail = fmt::format("{} has {} beyond {}", octal(mode), octal(extra), octal(bits_));
        return extra == 0;
      }
      const uint32_t common = mode & bits_;
      if (common != 0 && detail) *detail = fmt::format("{} has bits {}", octal(mode), octal(common));
      return op_ == Op::kBitsAny ? common != 0 : common == 0;
    }
    case Op::kContains:
    case Op::kNotContains: {
      bool has = false;
      if (observed != nullptr) {
        if (observed->is_array()) {
          has = listHas(*observed, value_);
        } else if (observed->is_string()) {
          has = observed->get_ref<const std::string&>().find(asText(value_)) != std::string::npos;
        } else {
          has = looselyEqual(*observed, value_);
        }
      }
      return op_ == Op::kContains ? has : !has;
    }
    case Op::kContainsAny:
    case Op::kContainsNone: {
      std::vector<std::string> shared;
      if (observed != nullptr) {
        for (const auto& item : asList(*observed)) {
          if (listHas(value_, item)) shared.push_back(asText(item));
        }
      }
      if (!shared.empty() && detail) *detail = fmt::format("has {}", fmt::join(shared, ", "));
      return op_ == Op::kContainsAny ? !shared.empty() : shared.empty();
    }
    case Op::kSubsetOf: {
      if (observed == nullptr) return true;
      std::vector<std::string> extra;
      for (const auto& item : asList(*observed)) {
        if (!listHas(value_, item)) extra.push_back(asText(item));
      }
      if (!extra.empty() && detail) *detail = fmt::format("not allowed: {}", fmt::join(extra, ", "));
      return extra.empty();
    }
    case Op::kUnique: {
      if (observed == nullptr || !observed->is_array()) return true;
      std::set<std::string> seen;
      std::set<std::string> duplicates;
      for (const auto& item : *observed) {
        const std::string key = asText(item);
        if (!seen.insert(key).second) duplicates.insert(key);
      }
      if (!duplicates.empty() && detail) *detail = fmt::format("duplicates: {}", fmt::join(duplicates, ", "));
      return duplicates.empty();
    }
    case Op::kUnder:
    case Op::kNotUnder: {
      bool under = false;
      if (observed != nullptr && observed->is_string()) {
        const std::string path = cleanPath(observed->get_ref<const std::string&>());
        for (const auto& base : paths_) {
          if (path == base || base == "/" || (path.size() > base.size() && path.starts_with(base) &&
                                              path[base.size()] == '/')) {
            under = true;
            if (detail) *detail = fmt::format("{} is under {}", path, base);
            break;
          }
        }
      }
      return op_ == Op::kUnder ? under : !under;
    }
  }
  return false;
}

std::string Operand::describe() const {
  const std::string v = renderValue(&value_, 200);
  switch (op_) {
    case Op::kEq: return "== " + v;
    case Op::kNeq: return "!= " + v;
    case Op::kIn: return "one of " + v;
    case Op::kNotIn: return "none of " + v;
    case Op::kExists: return "set";
    case Op::kAbsent: return "not set";
    case Op::kEmpty: return "empty";
    case Op::kNotEmpty: return "not empty";
    case Op::kRegex: return fmt::format("matches /{}/", fmt::join(patterns_, "/ or /"));
    case Op::kNotRegex: return fmt::format("does not match /{}/", fmt::join(patterns_, "/ or /"));
    case Op::kLt: return "< " + v;
    case Op::kLte: return "<= " + v;
    case Op::kGt: return "> " + v;
    case Op::kGte: return ">= " + v;
    case Op::kModeAtMost: return "mode " + octal(bits_) + " or stricter";
    case Op::kBitsAny: return "has any of bits " + octal(bits_);
    case Op::kBitsNone: return "has none of bits " + octal(bits_);
    case Op::kContains: return "contains " + v;
    case Op::kNotContains: return "does not contain " + v;
    case Op::kContainsAny: return "contains any of " + v;
    case Op::kContainsNone: return "contains none of " + v;
    case Op::kSubsetOf: return "only " + v;
    case Op::kUnique: return "no duplicates";
    case Op::kUnder: return fmt::format("under {}", fmt::join(paths_, ", "));
    case Op::kNotUnder: return fmt::format("not under {}", fmt::join(paths_, ", "));
  }
  return "?";
}

}  // namespace bulkhead::compliance
