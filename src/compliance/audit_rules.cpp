#include "compliance/audit_rules.h"

#include <fmt/format.h>

namespace bulkhead::compliance {
namespace {

constexpr size_t kMaxRules = 100000;
constexpr size_t kMaxLine = 64 * 1024;

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

Result<void> parseAuditRules(std::string_view text, std::string_view file, AuditRules& out) {
  if (text.size() > kMaxAuditRuleFileBytes) {
    return makeError("{}: audit rule file of {} bytes exceeds the limit of {} bytes", file, text.size(),
                     kMaxAuditRuleFileBytes);
  }
  if (text.find('\0') != std::string_view::npos) return makeError("{}: not a text file (holds a NUL byte)", file);
  int lineNo = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNo;
    if (line.size() > kMaxLine) {
      out.warnings.push_back(fmt::format("{}:{}: line longer than {} bytes ignored", file, lineNo, kMaxLine));
      continue;
    }
    const auto w = words(line);
    if (w.empty() || w[0][0] == '#') continue;
    if (out.rules.size() >= kMaxRules) {
      out.warnings.push_back(fmt::format("{}:{}: more than {} rules; the rest is ignored", file, lineNo, kMaxRules));
      break;
    }
    AuditRule rule;
    rule.file = std::string(file);
    rule.line = lineNo;
    rule.text = std::string(line.substr(0, 300));
    while (!rule.text.empty() && (rule.text.back() == '\r' || rule.text.back() == ' ')) rule.text.pop_back();
    bool isRule = false;
    bool bad = false;
    for (size_t i = 0; i < w.size() && !bad; ++i) {
      const std::string_view opt = w[i];
      auto next = [&]() -> std::string_view {
        if (i + 1 >= w.size()) {
          out.warnings.push_back(fmt::format("{}:{}: {} needs a value", file, lineNo, opt));
          bad = true;
          return {};
        }
        return w[++i];
      };
      if (opt == "-w") {
        rule.watch = std::string(next());
        isRule = true;
      } else if (opt == "-p") {
        rule.perms = std::string(next());
      } else if (opt == "-k") {
        rule.key = std::string(next());
      } else if (opt == "-a" || opt == "-A") {
        (void)next();
        isRule = true;
      } else if (opt == "-F") {
        const std::string_view field = next();
        const size_t eq = field.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        if (field[eq - 1] == '!' || field[eq - 1] == '<' || field[eq - 1] == '>') continue;  // not a match
        const std::string_view name = field.substr(0, eq);
        const std::string value(field.substr(eq + 1));
        if (name == "path") rule.paths.push_back(value);
        if (name == "dir") rule.dirs.push_back(value);
        if (name == "key") rule.key = value;
      } else if (opt == "-W" || opt == "-D" || opt == "-b" || opt == "-f" || opt == "-e" || opt == "-r" ||
                 opt == "-S" || opt == "-C" || opt == "-i" || opt == "-c" || opt.starts_with("--")) {
        // Removals, control settings and syscall lists do not make a watch.
        if (opt == "-W") isRule = false;
        if (opt != "-D" && opt != "-i" && opt != "-c" && !opt.starts_with("--")) (void)next();
        if (opt == "-W") break;
      }
    }
    if (bad) continue;
    if (isRule && (!rule.watch.empty() || !rule.paths.empty() || !rule.dirs.empty())) {
      out.rules.push_back(std::move(rule));
    }
  }
  return {};
}

}  // namespace bulkhead::compliance
