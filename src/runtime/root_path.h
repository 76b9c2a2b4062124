#pragma once
// Paths inside a container's root file system, resolved the way the kernel resolves them
// for the container: symbolic links are followed relative to the container's root (an
// absolute link target never escapes to the host), ".." stops at the root. The result is
// the path as the container sees it ("/bin/sh" -> "/usr/bin/dash"), which is also how
// fanotify reports a file opened inside the container.

#include <string>
#include <string_view>

#include "core/result.h"

namespace bulkhead::runtime {

// `rootFd` is an O_PATH or O_DIRECTORY descriptor of the container's root; `path` is
// absolute. At most 40 links are followed, as the kernel does. A missing final component
// is returned as is; a missing directory on the way is an error.
Result<std::string> resolveInRoot(int rootFd, std::string_view path);

// The same for every component but the last, which is kept as named: the name a rename,
// link, symlink or unlink made or removed is not followed ("/tmp/link-to-usr-bin/ls" ->
// "/usr/bin/ls", even when ls is itself a link).
Result<std::string> resolveParentInRoot(int rootFd, std::string_view path);

// The ELF interpreter (PT_INTERP) of the executable at `path` inside the root, or the
// interpreter of a "#!" script; empty when it has none. Bounded reads of untrusted files.
Result<std::string> interpreterOf(int rootFd, std::string_view path);

}  // namespace bulkhead::runtime
