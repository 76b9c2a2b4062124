#include "compliance/catalog.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "compliance/builtin_checks.h"
#include "compliance/fact_path.h"
#include "core/yaml.h"
#include "core/stream.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

constexpr size_t kMaxCheckFileBytes = 4u << 20;

// The line of a document path, or of its nearest ancestor.
int lineFor(const YamlDocument& doc, std::string path) {
  while (true) {
    if (auto it = doc.lines.find(path); it != doc.lines.end()) return it->second;
    const size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) return doc.line;
    path = path.substr(0, cut);
  }
}

bool validId(std::string_view id) {
  if (id.size() < 3 || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return id[0] >= 'A' && id[0] <= 'Z';
}

class FileLoader {
 public:
  FileLoader(const YamlDocument& doc, std::string_view name) : doc_(doc), name_(name) {}

  // An error at a document path: "checks/host.yaml:120: check BH-HOST-202: params.op: ...".
  Error fail(const std::string& path, const std::string& checkId, const Error& error) const {
    return Error{fmt::format("{}:{}: {}{}", name_, lineFor(doc_, path),
                             checkId.empty() ? "" : "check " + checkId + ": ", error.message)};
  }

  Result<std::string> text(const json& object, const char* key, const std::string& path,
                           const std::string& id, bool required) const {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      if (required) return fail(path, id, makeError("'{}' is required", key));
      return std::string();
    }
    if (!it->is_string()) return fail(appendKey(path, key), id, makeError("'{}' must be text", key));
    std::string value = it->get<std::string>();
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    if (required && value.empty()) return fail(appendKey(path, key), id, makeError("'{}' is empty", key));
    return value;
  }

  const YamlDocument& doc_;
  std::string name_;
};

}  // namespace

Result<void> Catalog::addYaml(std::string_view text, std::string_view name) {
  YamlLimits limits;
  limits.maxBytes = kMaxCheckFileBytes;
  auto docs = parseYamlDocuments(text, name, limits, true);
  if (!docs) return std::move(docs).error();
  if (docs->size() != 1 || !(*docs)[0].value.is_object()) {
    return makeError("{}: a check file is one YAML mapping (target, sections, checks)", name);
  }
  const YamlDocument& doc = (*docs)[0];
  const json& root = doc.value;
  FileLoader loader(doc, name);
  for (auto it = root.begin(); it != root.end(); ++it) {
    static const std::set<std::string> known = {"target", "benchmark", "sections", "checks"};
    if (!known.count(it.key())) {
      return loader.fail(it.key(), "", makeError("unknown key '{}' (expected target, benchmark, sections, checks)", it.key()));
    }
  }
  auto targetText = loader.text(root, "target", "", "", true);
  if (!targetText) return std::move(targetText).error();
  auto target = parseTarget(*targetText);
  if (!target) return loader.fail("target", "", target.error());
  auto benchmark = loader.text(root, "benchmark", "", "", false);
  if (!benchmark) return std::move(benchmark).error();
  const json sections = root.value("sections", json::object());
  if (!sections.is_object()) return loader.fail("sections", "", makeError("'sections' must map keys to titles"));
  if (!root.contains("checks") || !root["checks"].is_array()) {
    return loader.fail("checks", "", makeError("'checks' must be a list"));
  }

  std::set<std::string> ids;
  for (const auto& c : checks_) ids.insert(c->id);
  std::vector<std::shared_ptr<const Check>> added;
  const json& list = root["checks"];
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = appendIndex("checks", i);
    const json& entry = list[i];
    if (!entry.is_object()) return loader.fail(at, "", makeError("a check must be a mapping"));
    static const std::set<std::string> fields = {
        "id", "section", "benchmark", "reference", "controls", "title", "rationale", "remediation",
        "severity", "automated", "when", "when_reason", "evaluator", "params"};
    auto id = loader.text(entry, "id", at, "", true);
    if (!id) return std::move(id).error();
    for (auto it = entry.begin(); it != entry.end(); ++it) {
      if (!fields.count(it.key())) {
        return loader.fail(appendKey(at, it.key()), *id, makeError("unknown field '{}'", it.key()));
      }
    }
    auto check = std::make_shared<Check>();
    check->id = *id;
    if (!validId(check->id)) {
      return loader.fail(appendKey(at, "id"), *id, makeError("IDs are upper-case letters, digits, '-', '.' and '_'"));
    }
    if (!ids.insert(check->id).second) {
      return loader.fail(appendKey(at, "id"), *id, makeError("duplicate check ID"));
    }
    check->target = *target;
    check->source = fmt::format("{}:{}", name, lineFor(doc, at));
    struct TextField {
      const char* key;
      std::string* into;
      bool required;
    };
    for (const TextField& f : {TextField{"section", &check->section, true},
                               TextField{"benchmark", &check->benchmark, false},
                               TextField{"reference", &check->reference, false},
                               TextField{"title", &check->title, true},
                               TextField{"rationale", &check->rationale, true},
                               TextField{"remediation", &check->remediation, true},
                               TextField{"when_reason", &check->whenReason, false}}) {
      auto value = loader.text(entry, f.key, at, *id, f.required);
      if (!value) return std::move(value).error();
      *f.into = std::move(*value);
    }
    if (check->benchmark.empty()) check->benchmark = *benchmark;
    auto section = sections.find(check->section);
    if (section == sections.end() || !section->is_string()) {
      return loader.fail(appendKey(at, "section"), *id,
                         makeError("section '{}' is not declared under 'sections'", check->section));
    }
    check->sectionTitle = section->get<std::string>();
    if (entry.contains("controls")) {
      const json& controls = entry["controls"];
      if (!controls.is_array()) return loader.fail(appendKey(at, "controls"), *id, makeError("'controls' must be a list"));
      for (const auto& c : controls) {
        if (!c.is_string()) return loader.fail(appendKey(at, "controls"), *id, makeError("'controls' must be a list of text"));
        check->controls.push_back(c.get<std::string>());
      }
    }
    auto severity = loader.text(entry, "severity", at, *id, true);
    if (!severity) return std::move(severity).error();
    auto parsedSeverity = parseSeverity(*severity);
    if (!parsedSeverity) return loader.fail(appendKey(at, "severity"), *id, parsedSeverity.error());
    check->severity = *parsedSeverity;
    if (!entry.contains("automated") || !entry["automated"].is_boolean()) {
      return loader.fail(at, *id, makeError("'automated' (true or false) is required"));
    }
    check->automated = entry["automated"].get<bool>();
    if (entry.contains("when")) {
      auto when = compileCondition(entry["when"]);
      if (!when) return loader.fail(appendKey(at, "when"), *id, withContext("when", when.error()));
      check->when = std::move(*when);
    }
    auto evaluatorText = loader.text(entry, "evaluator", at, *id, false);
    if (!evaluatorText) return std::move(evaluatorText).error();
    const std::string evaluatorName = evaluatorText->empty() ? "assert" : *evaluatorText;
    check->evaluator = findEvaluator(evaluatorName);
    if (check->evaluator == nullptr) {
      std::string known;
      for (const Evaluator* e : evaluators()) known += std::string(known.empty() ? "" : ", ") + e->name();
      return loader.fail(appendKey(at, "evaluator"), *id,
                         makeError("unknown evaluator '{}' (known: {})", evaluatorName, known));
    }
    if (!check->evaluator->supports(check->target)) {
      return loader.fail(appendKey(at, "evaluator"), *id,
                         makeError("evaluator '{}' does not work on target {}", evaluatorName, targetName(check->target)));
    }
    if (!entry.contains("params") && evaluatorName != "manual") {
      return loader.fail(at, *id, makeError("'params' is required for evaluator '{}'", evaluatorName));
    }
    auto params = check->evaluator->compile(entry.value("params", json()));
    if (!params) {
      // Point at the line of the offending part when the error names it ("all[1].op: ...").
      std::string where = appendKey(at, "params");
      const std::string& message = params.error().message;
      if (const size_t colon = message.find(": "); colon != std::string::npos && colon < 120 &&
                                                  message.find(' ') >= colon) {
        const std::string inner = message.substr(0, colon);
        if (!inner.starts_with("params")) where += (inner[0] == '[' ? "" : ".") + inner;
      }
      std::string explained = message;
      if (!explained.starts_with("params")) explained = "params." + explained;
      return loader.fail(where, *id, Error{explained});
    }
    check->params = std::move(*params);
    if (!check->automated && evaluatorName != "manual") {
      return loader.fail(at, *id, makeError("a check with automated: false uses evaluator 'manual'"));
    }
    added.push_back(std::move(check));
  }
  for (auto& c : added) checks_.push_back(std::move(c));
  return {};
}

Result<void> Catalog::addPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path().string());
    }
    if (ec) return makeError("{}: cannot list: {}", path, ec.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) return makeError("{}: no *.yaml check files", path);
  } else {
    files.push_back(path);
  }
  for (const auto& file : files) {
    auto text = readFileBounded(file, kMaxCheckFileBytes);
    if (!text) return std::move(text).error();
    BH_TRY_STATUS(addYaml(*text, file));
  }
  return {};
}

Result<Catalog> Catalog::loadBuiltin() {
  Catalog catalog;
  for (const auto& file : builtinCheckFiles()) {
    BH_TRY_STATUS(catalog.addYaml(file.text, file.name));
  }
  return catalog;
}

const Catalog& Catalog::builtin() {
  static const Catalog catalog = [] {
    auto loaded = loadBuiltin();
    if (!loaded) {
      std::fprintf(stderr, "bulkhead: built-in checks do not load: %s\n", loaded.error().message.c_str());
      std::abort();
    }
    return std::move(*loaded);
  }();
  return catalog;
}

std::vector<const Check*> Catalog::forTarget(Target target) const {
  std::vector<const Check*> out;
  for (const auto& c : checks_) {
    if (c->target == target) out.push_back(c.get());
  }
  return out;
}

const Check* Catalog::find(std::string_view id) const {
  for (const auto& c : checks_) {
    if (c->id == id) return c.get();
  }
  return nullptr;
}

bool Selection::matches(const Check& check) const {
  auto hit = [&](const std::string& pattern) {
    if (fnmatch(pattern.c_str(), check.id.c_str(), 0) == 0) return true;
    if (!check.reference.empty() && pattern == check.reference) return true;
    // Controls are written "C-0057" or "tool ID" ("docker-bench check_2_2"): either part matches.
    return std::any_of(check.controls.begin(), check.controls.end(), [&](const std::string& c) {
      return c == pattern || (c.size() > pattern.size() && c.ends_with(pattern) &&
                              c[c.size() - pattern.size() - 1] == ' ');
    });
  };
  if (!include.empty() && std::none_of(include.begin(), include.end(), hit)) return false;
  return std::none_of(exclude.begin(), exclude.end(), hit);
}

Requirements requirementsOf(const std::vector<const Check*>& checks) {
  Requirements out;
  for (const Check* c : checks) {
    if (c->evaluator && c->params) c->evaluator->require(*c->params, out);
  }
  return out;
}

}  // namespace bulkhead::compliance
