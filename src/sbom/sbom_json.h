#pragma once
// Bulkhead's own SBOM JSON (docs/formats/sbom-json.md), the table shown on terminals, and
// what the three document writers share: reproducible document identity (timestamp,
// UUID), the small SPDX license table, and the Bulkhead facts that no standard field
// holds (layer, owner, cataloger, locations), named the same way in every format so that
// the reader can take them back.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sbom/package.h"
#include "sbom/sbom.h"

namespace bulkhead::sbom {

// Fixed values make documents reproducible (tests); empty ones are generated.
struct DocumentOptions {
  std::string timestamp;  // RFC 3339 UTC, "2024-05-01T12:00:00Z"; empty: now
  std::string uuid;       // lower-case 8-4-4-4-12; empty: a random version 4 UUID
  std::string toolVersion = BULKHEAD_VERSION;
};

// "2024-05-01T12:00:00Z", now.
std::string utcTimestamp();
// A random (version 4) UUID from the OS's CSPRNG.
std::string randomUuid();
// The options' values, or generated ones.
std::string documentTimestamp(const DocumentOptions& options);
std::string documentUuid(const DocumentOptions& options);

// --- Licenses -------------------------------------------------------------------------
// A small table of common SPDX license ids (not the whole list): the canonical spelling
// of `license` when it is one of them (matched case-insensitively), else "".
std::string spdxLicenseId(std::string_view license);
// The canonical spelling of `license` when it is a compound SPDX expression (AND, OR,
// WITH, parentheses) of known ids, LicenseRef-s and exceptions, else "".
std::string spdxExpression(std::string_view license);
// Every id of the table, for tests that check it against the official license list.
const std::vector<std::string_view>& knownSpdxLicenseIds();
const std::vector<std::string_view>& knownSpdxExceptionIds();

// --- Bulkhead facts -------------------------------------------------------------------
// Property names, as CycloneDX properties, SPDX comment lines and in the reader.
namespace prop {
inline constexpr std::string_view kCataloger = "bulkhead:cataloger";
inline constexpr std::string_view kLayer = "bulkhead:layer";  // 0-based index into the image's layers
inline constexpr std::string_view kLayerDiffId = "bulkhead:layerDiffId";
inline constexpr std::string_view kLocation = "bulkhead:location";  // one per location
inline constexpr std::string_view kOwnedBy = "bulkhead:ownedBy";
inline constexpr std::string_view kSourceName = "bulkhead:sourceName";
inline constexpr std::string_view kSourceVersion = "bulkhead:sourceVersion";
inline constexpr std::string_view kArchitecture = "bulkhead:architecture";
inline constexpr std::string_view kMetadataPrefix = "bulkhead:metadata:";
// Of the subject.
inline constexpr std::string_view kSubject = "bulkhead:subject";
inline constexpr std::string_view kSourceKind = "bulkhead:sourceKind";
inline constexpr std::string_view kManifestDigest = "bulkhead:manifestDigest";
inline constexpr std::string_view kConfigDigest = "bulkhead:configDigest";
inline constexpr std::string_view kRepoTag = "bulkhead:repoTag";  // one per tag
inline constexpr std::string_view kImageArchitecture = "bulkhead:imageArchitecture";
inline constexpr std::string_view kOsId = "bulkhead:os:id";
inline constexpr std::string_view kOsVersionId = "bulkhead:os:versionId";
inline constexpr std::string_view kOsCodename = "bulkhead:os:codename";
inline constexpr std::string_view kOsPrettyName = "bulkhead:os:prettyName";
inline constexpr std::string_view kOsSource = "bulkhead:os:source";
}  // namespace prop

using Properties = std::vector<std::pair<std::string, std::string>>;

// The facts of a package that the standard fields of CycloneDX and SPDX do not hold.
Properties packageProperties(const Package& package);
// Takes one of them back; unknown names are ignored. False when the value is malformed.
bool applyPackageProperty(Package& package, std::string_view name, std::string_view value);
// The same for the subject: source kind, digests, tags, architecture and OS.
Properties subjectProperties(const Sbom& sbom);
bool applySubjectProperty(Sbom& sbom, std::string_view name, std::string_view value);

// Properties as "name=value" lines (for SPDX comments); backslashes and line breaks in
// values are escaped, so any value survives.
std::string propertiesToLines(const Properties& properties);
Properties propertiesFromLines(std::string_view text);

// --- Documents ------------------------------------------------------------------------
inline constexpr std::string_view kBulkheadSbomSchema = "bulkhead.sbom/v1";

nlohmann::json bulkheadJson(const Sbom& sbom, const DocumentOptions& options = {});
// Serialised; never throws (invalid UTF-8 from a hostile image is replaced).
std::string writeBulkheadJson(const Sbom& sbom, const DocumentOptions& options = {});
// NAME, VERSION, TYPE, LAYER, OWNED BY; then a count per type.
std::string writeTable(const Sbom& sbom);

// nlohmann's dump that replaces invalid UTF-8 instead of throwing.
std::string dumpJson(const nlohmann::json& document);

}  // namespace bulkhead::sbom
