#pragma once
// Java archives (jar, war, ear, and Jenkins' jpi/hpi) from hostile images: the Maven
// coordinates they declare, including those of archives nested inside them
// (WEB-INF/lib/*.jar, BOOT-INF/lib/*.jar, lib/*.jar in an ear).
//
// One package per META-INF/maven/<group>/<artifact>/pom.properties. An archive without
// any falls back to its META-INF/MANIFEST.MF and its file name (name-1.2.3.jar).
//
// The archive is read from memory with libarchive's seekable zip reader (a jar always has
// a central directory; the streaming reader would have to inflate a hostile entry to skip
// it). Entry count, central directory size, bytes inflated and nesting depth are bounded;
// a broken or hostile archive gives warnings naming the entry, never a crash.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bulkhead::sbom {

struct JavaArchiveLimits {
  size_t maxEntries = 200'000;           // zip entries, over the archive and all nested ones
  uint64_t maxCentralDirectoryBytes = 16u << 20;  // per archive: libarchive keeps it in memory
  uint64_t maxTotalBytes = 256u << 20;   // bytes inflated, over the whole tree
  uint64_t maxNestedBytes = 64u << 20;   // one nested archive
  size_t maxMetadataBytes = 1u << 20;    // one pom.properties or MANIFEST.MF
  int maxDepth = 4;                      // the archive itself is depth 1
  size_t maxPackages = 10'000;
};

// What one archive (or one nested archive) declares.
struct JavaCoordinates {
  enum class Source { kPomProperties, kManifest, kFileName };
  Source source = Source::kPomProperties;
  std::string groupId;
  std::string artifactId;  // for manifest/file-name fallbacks: the best guess of the name
  std::string version;
  // "" for the archive itself; "WEB-INF/lib/a.jar", or "BOOT-INF/lib/a.jar!/lib/b.jar" two
  // levels down.
  std::string nestedPath;
  std::string pomPath;  // "META-INF/maven/g/a/pom.properties"
  std::vector<std::string> licenses;  // MANIFEST Bundle-License
  // From the manifest, for people and for matchers that key on them.
  std::string implementationTitle;
  std::string implementationVendor;
  std::string bundleSymbolicName;

  bool operator==(const JavaCoordinates&) const = default;
};

struct JavaArchiveInfo {
  std::vector<JavaCoordinates> packages;
  std::vector<std::string> warnings;  // "WEB-INF/lib/x.jar: not a zip archive"

  bool operator==(const JavaArchiveInfo&) const = default;
};

const char* javaSourceName(JavaCoordinates::Source source);

// True for the names handled here: *.jar, *.war, *.ear, *.jpi, *.hpi (any case).
bool isJavaArchiveName(std::string_view path);

// Reads `bytes` (a zip archive named `fileName`, which gives the fallback name/version).
// An error only when the archive itself cannot be opened; problems inside it are warnings.
Result<JavaArchiveInfo> scanJavaArchive(std::string_view bytes, std::string_view fileName,
                                        const JavaArchiveLimits& limits = {});

// The small text form kept in the layer cache by the capture transform, and back.
std::string encodeJavaArchiveInfo(const JavaArchiveInfo& info);
Result<JavaArchiveInfo> decodeJavaArchiveInfo(std::string_view text, std::string_view what);

// Parsers, exposed for tests.
// java.util.Properties text: "key=value", "key: value", "key value", comments, line
// continuations, \uXXXX escapes. Later keys win.
std::map<std::string, std::string> parseJavaProperties(std::string_view text);
// The main section of a MANIFEST.MF (up to the first blank line): "Name: value" with
// 72-byte continuation lines. Keys are lower-cased.
std::map<std::string, std::string> parseJavaManifest(std::string_view text);
// "commons-lang3-3.12.0.jar" -> {"commons-lang3", "3.12.0"}; "app.jar" -> {"app", ""}.
// The version starts at the first "-" followed by a digit.
std::pair<std::string, std::string> splitJavaArchiveName(std::string_view fileName);

}  // namespace bulkhead::sbom
