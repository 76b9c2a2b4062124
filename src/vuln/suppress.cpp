#include "vuln/suppress.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "core/json.h"
#include "core/stream.h"
#include "vuln/importers/yaml_json.h"

namespace bulkhead::vuln {
namespace {

using nlohmann::json;

constexpr size_t kMaxFileBytes = 4u << 20;
constexpr size_t kMaxEntries = 100'000;

bool isDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// "pkg:npm/%40scope/x@1.0?arch=y" -> "pkg:npm/%40scope/x" (and the version in `version`).
std::string purlBase(std::string_view purl, std::string* version = nullptr) {
  if (const auto cut = purl.find_first_of("?#"); cut != std::string_view::npos) purl = purl.substr(0, cut);
  const auto at = purl.rfind('@');
  const auto slash = purl.rfind('/');
  if (at != std::string_view::npos && (slash == std::string_view::npos || at > slash)) {
    if (version != nullptr) *version = std::string(purl.substr(at + 1));
    purl = purl.substr(0, at);
  }
  return std::string(purl);
}

// A product purl names the package: same type/namespace/name, and the same version
// when the product names one.
bool purlNames(std::string_view product, const sbom::Package& package) {
  if (package.purl.empty() || !product.starts_with("pkg:")) return false;
  std::string productVersion;
  std::string packageVersion;
  if (purlBase(product, &productVersion) != purlBase(package.purl, &packageVersion)) return false;
  return productVersion.empty() || productVersion == packageVersion;
}

bool packageMatches(std::string_view wanted, const sbom::Package& package) {
  if (wanted.empty()) return true;
  if (wanted.starts_with("pkg:")) return purlNames(wanted, package);
  const std::string full = package.nameSpace.empty() ? package.name : package.nameSpace + "/" + package.name;
  return wanted == package.name || wanted == full;
}

bool namesFinding(const std::vector<std::string>& ids, const Finding& finding) {
  for (const auto& id : ids) {
    if (std::find(finding.ids.begin(), finding.ids.end(), id) != finding.ids.end()) return true;
  }
  return false;
}

Result<IgnoreRule> ruleFrom(const json& entry, std::string origin) {
  if (!entry.is_object()) return makeError("{}: not a mapping", origin);
  IgnoreRule rule;
  rule.origin = std::move(origin);
  for (const auto& [key, value] : entry.items()) {
    if (!value.is_string()) return makeError("{}: '{}' is not a string", rule.origin, key);
    const auto& text = value.get_ref<const std::string&>();
    if (key == "id") {
      rule.id = text;
    } else if (key == "package") {
      rule.package = text;
    } else if (key == "expires") {
      rule.expires = text;
    } else if (key == "reason" || key == "statement") {
      rule.reason = text;
    } else {
      return makeError("{}: unknown key '{}' (id, package, expires, reason)", rule.origin, key);
    }
  }
  if (rule.id.empty()) return makeError("{}: no id", rule.origin);
  if (rule.reason.empty()) return makeError("{}: no reason (say why {} is ignored)", rule.origin, rule.id);
  if (!rule.expires.empty() && !isDate(rule.expires)) {
    return makeError("{}: expires '{}' is not a date (YYYY-MM-DD)", rule.origin, rule.expires);
  }
  return rule;
}

// Plain lines: "ID", "ID # reason"; blank lines and comments skipped.
Result<std::vector<IgnoreRule>> parsePlainIgnore(std::string_view text, std::string_view what) {
  std::vector<IgnoreRule> out;
  size_t lineNumber = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++lineNumber;
    std::string_view reason;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) {
      reason = trim(line.substr(hash + 1));
      line = line.substr(0, hash);
    }
    line = trim(line);
    if (line.empty()) continue;
    if (line.find_first_of(" \t:") != std::string_view::npos) {
      return makeError("{}: line {}: expected one id per line, got '{:.80}'", what, lineNumber, line);
    }
    if (out.size() >= kMaxEntries) return makeError("{}: more than {} entries", what, kMaxEntries);
    IgnoreRule rule;
    rule.id = std::string(line);
    rule.reason = reason.empty() ? "listed in the ignore file" : std::string(reason);
    rule.origin = fmt::format("{}: line {}", what, lineNumber);
    out.push_back(std::move(rule));
  }
  return out;
}

}  // namespace

Result<std::vector<IgnoreRule>> parseIgnoreFile(std::string_view text, std::string_view what) {
  if (text.size() > kMaxFileBytes) return makeError("{}: larger than {} bytes", what, kMaxFileBytes);
  // A mapping with `ignore:` or a list: YAML (JSON is YAML); otherwise plain id lines.
  const auto first = text.find_first_not_of(" \t\r\n");
  const bool structured = first != std::string_view::npos &&
                          (text[first] == '{' || text[first] == '[' || text[first] == '-' ||
                           text.substr(first).starts_with("ignore:"));
  if (!structured) return parsePlainIgnore(text, what);
  ImportLimits limits;
  limits.maxFileBytes = kMaxFileBytes;
  limits.maxListItems = kMaxEntries;
  auto doc = parseYamlAsJson(text, limits);
  if (!doc) return withContext(what, doc.error());
  const json* list = &*doc;
  if (doc->is_object()) {
    if (!doc->contains("ignore")) return makeError("{}: no 'ignore' list", what);
    list = &(*doc)["ignore"];
  }
  if (list->is_null()) return std::vector<IgnoreRule>{};
  if (!list->is_array()) return makeError("{}: 'ignore' is not a list", what);
  std::vector<IgnoreRule> out;
  for (size_t i = 0; i < list->size(); ++i) {
    auto rule = ruleFrom((*list)[i], fmt::format("{}: entry {}", what, i + 1));
    if (!rule) return rule.error();
    out.push_back(std::move(*rule));
  }
  return out;
}

Result<std::vector<VexStatement>> parseOpenVex(std::string_view text, std::string_view what) {
  auto doc = parseJson(text, what);
  if (!doc) return doc.error();
  if (!doc->is_object()) return makeError("{}: not an OpenVEX document (a JSON object)", what);
  const std::string context = jsonString(*doc, "@context");
  if (!context.starts_with("https://openvex.dev/ns")) {
    return makeError("{}: not an OpenVEX document (@context is '{:.80}')", what, context);
  }
  const json* statements = jsonArray(*doc, "statements");
  if (statements == nullptr) return makeError("{}: no 'statements' list", what);
  std::vector<VexStatement> out;
  for (size_t i = 0; i < statements->size() && i < kMaxEntries; ++i) {
    const json& s = (*statements)[i];
    VexStatement st;
    st.origin = fmt::format("{}: statement {}", what, i + 1);
    if (!s.is_object()) return makeError("{}: not an object", st.origin);
    st.status = jsonString(s, "status");
    st.justification = jsonString(s, "justification");
    if (st.justification.empty()) st.justification = jsonString(s, "impact_statement");
    if (const json* v = jsonObject(s, "vulnerability")) {
      for (const char* key : {"name", "@id"}) {
        if (auto id = jsonString(*v, key); !id.empty()) st.vulnerabilities.push_back(id);
      }
      if (const json* aliases = jsonArray(*v, "aliases")) {
        for (const auto& a : *aliases) {
          if (a.is_string()) st.vulnerabilities.push_back(a.get<std::string>());
        }
      }
    }
    if (const json* products = jsonArray(s, "products")) {
      for (const auto& p : *products) {
        if (p.is_string()) {
          st.products.push_back(p.get<std::string>());
          continue;
        }
        if (!p.is_object()) continue;
        if (auto id = jsonString(p, "@id"); !id.empty()) st.products.push_back(id);
        if (const json* identifiers = jsonObject(p, "identifiers")) {
          if (auto purl = jsonString(*identifiers, "purl"); !purl.empty()) st.products.push_back(purl);
        }
        if (const json* subs = jsonArray(p, "subcomponents")) {
          for (const auto& sub : *subs) {
            if (!sub.is_object()) continue;
            if (auto id = jsonString(sub, "@id"); !id.empty()) st.products.push_back(id);
          }
        }
      }
    }
    if (st.vulnerabilities.empty()) return makeError("{}: no vulnerability name", st.origin);
    if (st.status != "not_affected" && st.status != "fixed" && st.status != "affected" &&
        st.status != "under_investigation") {
      return makeError("{}: unknown status '{:.40}'", st.origin, st.status);
    }
    if (st.status == "not_affected" && st.justification.empty()) {
      return makeError("{}: not_affected needs a justification or impact_statement", st.origin);
    }
    out.push_back(std::move(st));
  }
  return out;
}

Status loadIgnoreFile(const std::string& path, Suppressions& into) {
  auto text = readFileBounded(path, kMaxFileBytes);
  if (!text) return text.error();
  auto rules = parseIgnoreFile(*text, path);
  if (!rules) return rules.error();
  into.rules.insert(into.rules.end(), rules->begin(), rules->end());
  return {};
}

Status loadOpenVex(const std::string& path, Suppressions& into) {
  auto text = readFileBounded(path, kMaxFileBytes);
  if (!text) return text.error();
  auto statements = parseOpenVex(*text, path);
  if (!statements) return statements.error();
  into.vex.insert(into.vex.end(), statements->begin(), statements->end());
  return {};
}

std::optional<std::string> suppressionFor(const Finding& finding, const sbom::Package& package,
                                          const Suppressions& suppressions, std::string_view today) {
  for (const auto& rule : suppressions.rules) {
    if (!rule.expires.empty() && std::string_view(rule.expires) < today) continue;
    if (!namesFinding({rule.id}, finding) || !packageMatches(rule.package, package)) continue;
    return fmt::format("{}: {}", rule.origin, rule.reason);
  }
  // The last statement about a vulnerability and product wins, as OpenVEX documents are
  // read in order.
  const VexStatement* last = nullptr;
  for (const auto& st : suppressions.vex) {
    if (!namesFinding(st.vulnerabilities, finding)) continue;
    const bool product = std::any_of(st.products.begin(), st.products.end(),
                                     [&](const std::string& p) { return purlNames(p, package); });
    if (product) last = &st;
  }
  if (last != nullptr && (last->status == "not_affected" || last->status == "fixed")) {
    return fmt::format("{}: {}{}{}", last->origin, last->status, last->justification.empty() ? "" : ": ",
                       last->justification);
  }
  return std::nullopt;
}

std::vector<std::string> expiredRules(const Suppressions& suppressions, std::string_view today) {
  std::vector<std::string> out;
  for (const auto& rule : suppressions.rules) {
    if (!rule.expires.empty() && std::string_view(rule.expires) < today) {
      out.push_back(fmt::format("{}: the rule for {} expired on {}; it no longer applies", rule.origin,
                                rule.id, rule.expires));
    }
  }
  return out;
}

std::string todayUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

}  // namespace bulkhead::vuln
