#pragma once
// Bounded JSON parsing for hostile documents: size and nesting depth are checked before
// the parser sees the text.

#include <nlohmann/json.hpp>

#include <string_view>

#include "core/result.h"

namespace bulkhead {

struct JsonLimits {
  size_t maxBytes = 8u << 20;
  int maxDepth = 64;
};

// `what` names the document in errors ("manifest sha256:..", "/etc/docker/daemon.json").
Result<nlohmann::json> parseJson(std::string_view text, std::string_view what,
                                 const JsonLimits& limits = {});

// Typed accessors that never throw: a missing or mistyped field gives the fallback.
// JSON text that never throws: strings from hostile input may hold invalid UTF-8, which
// is written as U+FFFD. indent < 0: one line.
std::string jsonText(const nlohmann::json& value, int indent = -1);

std::string jsonString(const nlohmann::json& object, std::string_view key,
                       std::string fallback = {});
bool jsonBool(const nlohmann::json& object, std::string_view key, bool fallback = false);
int64_t jsonInt(const nlohmann::json& object, std::string_view key, int64_t fallback = 0);
const nlohmann::json* jsonObject(const nlohmann::json& object, std::string_view key);
const nlohmann::json* jsonArray(const nlohmann::json& object, std::string_view key);

}  // namespace bulkhead
