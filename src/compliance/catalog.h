#pragma once
// The catalogue of checks: the YAML files built into the binary (src/compliance/checks/,
// embedded at build time) plus any the user adds with --checks. Loading validates every
// check fully (fields, evaluator, parameters, operators, regexes); an error names the
// file, the line and the check.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compliance/check.h"
#include "compliance/evaluator.h"
#include "core/result.h"

namespace bulkhead::compliance {

class Catalog {
 public:
  // The built-in checks. Aborts loudly if they do not load: that is a build defect, and a
  // unit test loads them on every build.
  static const Catalog& builtin();
  // Loads the built-in checks, returning what is wrong instead of aborting.
  static Result<Catalog> loadBuiltin();

  // Adds the checks of one YAML file; `name` appears in errors and in Check::source.
  Result<void> addYaml(std::string_view text, std::string_view name);
  // Adds a file, or every *.yaml / *.yml file of a directory (sorted by name).
  Result<void> addPath(const std::string& path);

  const std::vector<std::shared_ptr<const Check>>& checks() const { return checks_; }
  std::vector<const Check*> forTarget(Target target) const;
  const Check* find(std::string_view id) const;

 private:
  std::vector<std::shared_ptr<const Check>> checks_;
};

// Which checks to run: `include` (empty: all) and `exclude` hold check IDs, shell-style
// patterns ("BH-HOST-3*"), or a benchmark reference or control ("2.2", "C-0057").
struct Selection {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool matches(const Check& check) const;
};

// Everything the selected checks need collected.
Requirements requirementsOf(const std::vector<const Check*>& checks);

}  // namespace bulkhead::compliance
