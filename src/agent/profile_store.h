#pragma once
// Profiles on disk, one YAML file per group (<dir>/<group>.yaml): the agent saves what it
// learned and picks up files that were edited or dropped in (policy as code).

#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "runtime/profile.h"

namespace bulkhead::agent {

class ProfileStore {
 public:
  explicit ProfileStore(std::string dir) : dir_(std::move(dir)) {}
  Status init();
  std::string pathOf(const std::string& group) const { return dir_ + "/" + group + ".yaml"; }
  // Profiles whose file changed since the last call (new, edited); errors name the file.
  std::vector<runtime::Profile> changed(std::vector<Error>& errors);
  Status save(const runtime::Profile& profile);

 private:
  std::string dir_;
  std::map<std::string, int64_t> seen_;  // file -> mtime (ns) when last read or written
};

}  // namespace bulkhead::agent
