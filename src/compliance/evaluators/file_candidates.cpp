#include "compliance/evaluators/file_candidates.h"

#include <fmt/format.h>

#include <algorithm>

namespace bulkhead::compliance {

using nlohmann::json;

Result<void> onlyParams(const json& params, const std::vector<std::string>& allowed) {
  if (!params.is_object()) return makeError("params: must be a mapping");
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return makeError("params: unknown key '{}' (expected {})", it.key(), fmt::join(allowed, ", "));
    }
  }
  return {};
}

Result<FileCandidates> FileCandidates::parse(const json& params, std::vector<std::string>& used) {
  FileCandidates out;
  auto strings = [&](const char* key, std::vector<std::string>& into) -> Result<void> {
    if (!params.contains(key)) return {};
    used.push_back(key);
    const json& v = params[key];
    for (const auto& item : v.is_array() ? v : json::array({v})) {
      if (!item.is_string() || item.get<std::string>().empty()) {
        return makeError("params.{}: must be a path or a list of paths", key);
      }
      into.push_back(item.get<std::string>());
    }
    return {};
  };
  BH_TRY_STATUS(strings("path", out.paths));
  BH_TRY_STATUS(strings("paths", out.paths));
  BH_TRY_STATUS(strings("glob", out.globs));
  std::vector<std::string> from;
  BH_TRY_STATUS(strings("from", from));
  for (const auto& f : from) {
    auto path = parseFactPath(f);
    if (!path) return withContext("params.from", std::move(path).error());
    out.from.push_back(std::move(*path));
  }
  for (const auto& p : out.paths) {
    if (p[0] != '/') return makeError("params.path: '{}' is not absolute", p);
  }
  if (out.paths.empty() && out.globs.empty() && out.from.empty()) {
    return makeError("params: name the files with path, paths, glob or from");
  }
  return out;
}

void FileCandidates::require(Requirements& out) const {
  out.files.insert(paths.begin(), paths.end());
  out.globs.insert(globs.begin(), globs.end());
  for (const auto& f : from) out.factFiles.insert(f.text);
}

void FileCandidates::factPaths(std::vector<std::string>& out) const {
  for (const auto& p : paths) out.push_back(appendKey("files", p));
  for (const auto& g : globs) out.push_back(appendKey("globs", g));
  for (const auto& f : from) out.push_back(f.text);
}

std::vector<std::string> FileCandidates::resolve(const json& facts) const {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& p : paths) add(p);
  if (const auto* g = facts.contains("globs") ? &facts["globs"] : nullptr; g && g->is_object()) {
    for (const auto& pattern : globs) {
      auto it = g->find(pattern);
      if (it == g->end() || !it->is_array()) continue;
      for (const auto& p : *it) {
        if (p.is_string()) add(p.get<std::string>());
      }
    }
  }
  for (const auto& f : from) {
    for (const auto& match : resolveFactPath(f, facts, facts, "")) {
      if (match.value == nullptr) continue;
      for (const auto& item : match.value->is_array() ? *match.value : json::array({*match.value})) {
        if (item.is_string()) add(item.get<std::string>());
      }
    }
  }
  return out;
}

std::string FileCandidates::describe() const {
  std::vector<std::string> parts = paths;
  parts.insert(parts.end(), globs.begin(), globs.end());
  for (const auto& f : from) parts.push_back("the file named by " + f.text);
  return fmt::format("{}", fmt::join(parts, ", "));
}

const json* fileFacts(const json& facts, const std::string& path) {
  auto files = facts.find("files");
  if (files == facts.end() || !files->is_object()) return nullptr;
  auto it = files->find(path);
  return it == files->end() ? nullptr : &*it;
}

bool fileExists(const json* file) {
  return file != nullptr && file->is_object() && file->value("exists", false);
}

}  // namespace bulkhead::compliance
