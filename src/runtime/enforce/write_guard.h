#pragma once
// Protect's write enforcement: in the container's mount namespace its root mount is made
// read-only, and each allowed write location on it is bound writable over itself. A write
// anywhere else on the root file system (an open for writing, a creation, a rename, a
// removal, a mode or owner change) then fails with EROFS before anything changes, enforced
// by the kernel at no cost per call. The container's other mounts (volumes, tmpfs, /proc,
// /dev) are left as they are.
// - A location that does not exist (yet) is allowed through its nearest existing parent
//   below the root, so that the application can make it; none when that is the root.
// - Locations are opened without following symbolic links (RESOLVE_NO_SYMLINKS): a
//   directory the container replaced with a link to / cannot become a writable view of it.
// - "/" among the locations allows every write: nothing is changed (what an earlier call
//   did is undone).
// - A root the runtime made read-only stays so, and gets no writable binds.
// - A root with files open for writing on it cannot be made read-only (EBUSY: a container
//   already running when its group goes to Protect). Then each entry of the root that is
//   not a location, nor a parent of one, is bound read-only over itself instead (files and
//   directories; links, other mounts and special files are left): new opens for writing
//   there fail with EROFS, descriptors already open keep working. New entries directly in
//   the root and in the locations' parents stay writable (`unguarded`) until the root can
//   be made read-only (retryReadOnlyRoot, once the files are closed) or the container's
//   next start.
// The binds are recognized again from the namespace's mountinfo (a bind of the root file
// system's own directory at that same path), so that an agent that restarts replaces or
// removes them rather than stacking new ones.

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/result.h"

namespace bulkhead::runtime {

struct WriteGuardResult {
  std::vector<std::string> writable;   // directories left writable, as the container sees them
  std::vector<std::string> skipped;    // locations not on the root mount, or with no parent but the root
  std::vector<std::string> readOnly;   // for a root busy with writers: the entries bound read-only
  std::vector<std::string> unguarded;  // and the directories whose new entries stay writable
  bool rootBusy = false;               // files were open for writing on the root: readOnly holds its entries
  bool enforced = false;               // the root mount (or, rootBusy, its entries) read-only by this guard
};

// Applies (or re-applies, replacing the binds of an earlier call) in the mount namespace of
// pid; `guardedBefore`: an earlier call enforced it (a read-only root is then ours). Refused
// for a process in the caller's own mount namespace.
Result<WriteGuardResult> protectWrites(pid_t pid, const std::vector<std::string>& locations, bool guardedBefore);

// For a root that was busy with writers (`applied.rootBusy`): makes it read-only now if no
// file is open for writing on it any more, the locations bound writable first and the
// read-only binds then dropped, so that no moment leaves more writable or less. True (and
// `applied` updated) if done; false, with nothing changed, while the root is still busy.
Result<bool> retryReadOnlyRoot(pid_t pid, WriteGuardResult& applied);

// True while the guard is as `applied` left it (a container with CAP_SYS_ADMIN can remount
// or unmount its mounts): the root mount read-only with exactly its writable binds, or for
// a busy root exactly its read-only binds.
Result<bool> writesGuardedAsApplied(pid_t pid, const WriteGuardResult& applied);

// True when the namespace holds what an earlier protectWrites left with a read-only root
// (its writable binds: an agent that stopped while the group was in Protect). Read-only
// binds, and a read-only root with no bind, are told from the runtime's by the agent's mark.
Result<bool> writeGuardLeft(pid_t pid);

// Undoes protectWrites: its binds detached, the root mount writable again.
Status releaseWrites(pid_t pid);

}  // namespace bulkhead::runtime
