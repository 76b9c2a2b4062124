#pragma once
// Runs a program and waits for it: argv[0] looked up on PATH, `input` written to its
// standard input, its standard error kept (at most 64 KiB) for the error message. The
// child starts in the calling thread's namespaces, so a thread that joined a container's
// network namespace runs the program there. No shell is involved.

#include <string>
#include <vector>

#include "core/result.h"

namespace bulkhead {

// Fails when the program cannot start or exits other than 0; the error names the program,
// its exit status and the first line of what it wrote to standard error.
Status runProgram(const std::vector<std::string>& argv, const std::string& input = {});

}  // namespace bulkhead
