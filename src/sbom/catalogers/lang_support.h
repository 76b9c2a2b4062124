#pragma once
// What the language catalogers (npm, python, ruby, rust, php, dotnet) share.
//
// Each of them parses its manifests inside a capture transform, while the layer streams:
// a 2 MiB package.json with an embedded README, or a 20 MiB lockfile, is kept as the few
// packages it names (encodeParsed), not as text. catalog() decodes them again
// (decodeParsed), adds the file as the location and decides what counts (installed tree
// against lockfile). The parsers are pure functions, called the same way by tests and
// fuzz targets.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "image/image_reader.h"
#include "sbom/cataloger.h"
#include "sbom/package.h"

namespace bulkhead::sbom::lang {

// What a parser found in one file: packages, and per-entry problems that did not stop it.
struct Parsed {
  std::vector<Package> packages;
  std::vector<std::string> warnings;
};

// A parse result as the derived data of a capture rule, and back. Only the fields parsers
// fill travel (name, version, nameSpace, licenses, metadata); an error travels as its
// message. Never throws, whatever bytes the strings hold.
std::string encodeParsed(const Result<Parsed>& parsed);
Result<Parsed> decodeParsed(std::string_view encoded, std::string_view what);

// A capture transform from a parser (text, "/path") -> Result<Parsed>; files for which
// `wanted(path)` is false are not kept. The layer cache keeps derived data by rule name and
// version: bump `version` whenever the parser's output for the same file changes.
using Parser = std::function<Result<Parsed>(std::string_view text, std::string_view what)>;
image::CaptureRule parsingRule(std::string name, int version, uint64_t maxBytes, Parser parser,
                               std::function<bool(std::string_view path)> wanted = {});

// Regular files of the image's merged view whose clean path ends with one of `suffixes`
// (or equals one of them without its leading "/"), in path order.
std::vector<std::string> filesEndingWith(const image::Image& image,
                                         const std::vector<std::string_view>& suffixes);

// The parsed form of `path` (which a parsingRule kept), or nullopt with a warning naming
// the file: too large, unreadable, or malformed. Per-entry warnings are passed on.
std::optional<Parsed> parsedFile(const CatalogContext& context, std::string_view path,
                                 uint64_t maxBytes);

// Path helpers on clean relative paths ("app/node_modules/x/package.json").
std::string_view parentOf(std::string_view path);                          // "app/node_modules/x"
std::string_view baseName(std::string_view path);                          // "package.json"
bool hasDirectory(const image::Image& image, std::string_view directory);  // any entry below it

// Small text helpers for the hand-written parsers.
std::string_view trim(std::string_view text);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// Splits "vendor/name" and "@scope/name" into namespace and name (no slash: no namespace).
void splitNamespace(std::string_view full, std::string& nameSpace, std::string& name);

}  // namespace bulkhead::sbom::lang
