#include "core/json.h"

namespace bulkhead {
namespace {

// Deepest nesting of objects and arrays, outside strings; stops early past `limit`.
int nestingDepth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<nlohmann::json> parseJson(std::string_view text, std::string_view what,
                                 const JsonLimits& limits) {
  if (text.size() > limits.maxBytes) {
    return makeError("{}: JSON document of {} bytes exceeds the limit of {} bytes", what,
                     text.size(), limits.maxBytes);
  }
  if (nestingDepth(text, limits.maxDepth) > limits.maxDepth) {
    return makeError("{}: JSON nesting deeper than {} levels", what, limits.maxDepth);
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return makeError("{}: invalid JSON: {}", what, e.what());
  }
}

std::string jsonString(const nlohmann::json& object, std::string_view key,
                       std::string fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

bool jsonBool(const nlohmann::json& object, std::string_view key, bool fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

int64_t jsonInt(const nlohmann::json& object, std::string_view key, int64_t fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return fallback;
  return it->get<int64_t>();
}

const nlohmann::json* jsonObject(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return nullptr;
  return &*it;
}

const nlohmann::json* jsonArray(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return nullptr;
  return &*it;
}

std::string jsonText(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace bulkhead
