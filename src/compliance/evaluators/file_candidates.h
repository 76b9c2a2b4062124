#pragma once
// Shared by the host evaluators that look at files: which files a check names, through
// `path`/`paths` (absolute paths), `glob` (a pattern the host collector expanded) and
// `from` (a fact whose value names a file, such as docker.effective.tlscacert).

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "compliance/evaluator.h"
#include "compliance/fact_path.h"

namespace bulkhead::compliance {

struct FileCandidates {
  std::vector<std::string> paths;
  std::vector<std::string> globs;
  std::vector<FactPath> from;

  // Reads path/paths/glob/from out of `params`; the keys it used are added to `used`.
  static Result<FileCandidates> parse(const nlohmann::json& params, std::vector<std::string>& used);
  void require(Requirements& out) const;
  void factPaths(std::vector<std::string>& out) const;
  // Every file named, in order, without duplicates.
  std::vector<std::string> resolve(const nlohmann::json& facts) const;
  std::string describe() const;
};

// The host facts of one file (facts.files[path]), or nullptr when it was not gathered.
const nlohmann::json* fileFacts(const nlohmann::json& facts, const std::string& path);
bool fileExists(const nlohmann::json* file);

// Checks that a params mapping has only the given keys.
Result<void> onlyParams(const nlohmann::json& params, const std::vector<std::string>& allowed);

}  // namespace bulkhead::compliance
