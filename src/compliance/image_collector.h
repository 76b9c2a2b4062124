#pragma once
// The image collector: an image (any source openImage reads) as facts for CIS Docker
// section 4 and Dockle-style checks: config (user, env, healthcheck, ports, volumes),
// history, the merged file system (modes, owners, types), accounts from /etc/passwd,
// /etc/shadow and /etc/group, and the reference's tag or digest.

#include <optional>
#include <string>
#include <vector>

#include "compliance/subject.h"
#include "core/result.h"
#include "image/image_reader.h"

namespace bulkhead::compliance {

struct Account {
  std::string name;
  int64_t uid = -1;
  int64_t gid = -1;
  std::string home;
  std::string shell;
  std::string password;  // "empty", "locked", "set", "unknown"
  std::string passwordSource;  // "/etc/shadow:4" or "/etc/passwd:4"
  int line = 0;
};

struct GroupEntry {
  std::string name;
  int64_t gid = -1;
  std::vector<std::string> members;
  int line = 0;
};

struct Accounts {
  bool passwdExists = false;
  bool shadowExists = false;
  bool groupExists = false;
  std::vector<Account> users;
  std::vector<GroupEntry> groups;
  std::vector<std::string> warnings;
};

// Parsers for the account files; hostile text is bounded (size, lines, fields).
void parsePasswd(std::string_view text, Accounts& out);
void parseShadow(std::string_view text, Accounts& out);
void parseGroup(std::string_view text, Accounts& out);

struct ImageFile {
  std::string path;  // "/usr/bin/su"
  std::string type;  // "file", "directory", "symlink", "hardlink", "char", "block", "fifo", "socket"
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  int layer = -1;
};

struct ImageSnapshot {
  std::string reference;    // as the user wrote it
  std::string description;  // "oci layout /x:tag"
  std::string sourceKind;   // "oci-layout", "oci-archive", "docker-archive", "rootfs", "registry"
  std::string tag;          // "" when the source has none; "latest" when a registry ref implies it
  bool pinnedByDigest = false;
  std::string configDigest;
  std::string manifestDigest;
  std::vector<std::string> repoTags;
  image::ImageConfig config;
  std::vector<ImageFile> files;
  Accounts accounts;
  size_t layers = 0;
  std::vector<std::string> warnings;
};

// Opens the image and takes a snapshot.
Result<ImageSnapshot> collectImage(const std::string& reference, image::ReadOptions options);
ImageSnapshot snapshotImage(const image::Image& img);
Subject imageSubject(const ImageSnapshot& snapshot);

}  // namespace bulkhead::compliance
