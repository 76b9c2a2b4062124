#pragma once
// YAML feeds (OSV in YAML, Alpine secdb) are converted to nlohmann::json under limits, so
// each importer has one code path for both serialisations.

#include <nlohmann/json.hpp>

#include <string_view>

#include "core/result.h"
#include "vuln/importers/importer.h"

namespace bulkhead::vuln {

// Parses YAML (or JSON, a subset) into JSON values: scalars stay strings. Bounded by the
// limits' file size, nesting depth and list sizes; never throws.
Result<nlohmann::json> parseYamlAsJson(std::string_view text, const ImportLimits& limits);

// JSON files through core/json.h with the importer's limits.
Result<nlohmann::json> parseJsonBounded(std::string_view text, std::string_view what,
                                        const ImportLimits& limits);

// Field access for hostile records: the string at `key` if it is a string of at most
// limits.maxStringBytes; `error` is set when present with the wrong type or too long.
std::string stringField(const nlohmann::json& object, std::string_view key,
                        const ImportLimits& limits, std::string* error);
// A list of strings (non-strings and empty strings dropped); error on wrong type/size.
std::vector<std::string> stringList(const nlohmann::json& object, std::string_view key,
                                    const ImportLimits& limits, std::string* error);

}  // namespace bulkhead::vuln
