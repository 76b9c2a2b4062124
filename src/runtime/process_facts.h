#pragma once
// Facts about a live process that rules need beyond the event (collect, then evaluate):
// read from /proc right after the event, while the process usually still runs. A process
// that is already gone yields "false" facts, never an error.

#include <sys/types.h>

#include <string>

namespace bulkhead::runtime {

// stdin or stdout of `pid` is a socket (a shell wired to the network).
bool stdioIsSocket(pid_t pid, const std::string& proc = "/proc");
// `pid` holds a listening TCP socket (a network service).
bool holdsListeningSocket(pid_t pid, const std::string& proc = "/proc");
// The executable `pid` runs has the set-user-ID bit.
bool runsSetuidFile(pid_t pid, const std::string& proc = "/proc");

}  // namespace bulkhead::runtime
