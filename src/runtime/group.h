#pragma once
// Workload groups: containers with the same image and the same identifying labels share a
// profile and a mode, wherever and whenever they run. Labels that differ per replica (pod
// UID, template hashes, runtime bookkeeping) are left out of the key.

#include <map>
#include <string>

#include "runtime/container.h"

namespace bulkhead::runtime {

struct GroupSelector {
  std::string image;  // repository and tag (or digest) as the runtime names it
  std::map<std::string, std::string> labels;
  bool operator==(const GroupSelector&) const = default;
};

// The labels of `container` that identify its workload (replica-specific ones removed).
GroupSelector selectorOf(const Container& container);

// A stable, readable group ID: "<image name>-<8 hex of the selector's hash>", e.g.
// "nginx-1a2b3c4d"; "host" for events outside any container.
std::string groupIdOf(const GroupSelector& selector);

}  // namespace bulkhead::runtime
