#pragma once
// Learning and checking against a profile. The same normalization serves both, so that
// what Discover learned is exactly what Monitor and Protect accept:
// - exec: the executable's path inside the container (symlinks resolved by the caller),
//   with the parent task's name;
// - open with write intent: the directory written under; a few volatile places (/tmp,
//   /dev/shm, /run, /proc/self) collapse to their root, so that random file names
//   converge;
// - listen: "tcp/PORT"; connect: "ADDRESS:PORT"; accept: "from ADDRESS".

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/event.h"
#include "runtime/profile.h"

namespace bulkhead::runtime {

// What an event adds to a profile; empty `kind` when the event is not learned.
struct Behavior {
  std::string kind;    // "exec", "write", "listen", "connect", "accept"
  std::string value;   // the normalized path, dir, port or peer
  std::string parent;  // exec only
};

Behavior behaviorOf(const Event& event);

// Adds the event's behavior to the profile; true when that was new.
bool learn(Profile& profile, const Event& event);

// The behavior of `event` the profile does not allow, if any. Parents are checked only
// when the profile records some for that executable.
std::optional<Behavior> deviation(const Profile& profile, const Event& event);

// Convergence: a profile has stopped changing when nothing new was learned for `quietNs`
// and it learned from at least `minEvents` events. Returns true when it just converged.
bool updateConvergence(Profile& profile, int64_t nowNs, int64_t quietNs, uint64_t minEvents);

}  // namespace bulkhead::runtime
