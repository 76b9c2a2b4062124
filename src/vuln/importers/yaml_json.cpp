#include "vuln/importers/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <exception>

#include "core/json.h"

namespace bulkhead::vuln {
namespace {

struct Converter {
  const ImportLimits& limits;
  size_t nodes = 0;
  std::string error;

  bool convert(const YAML::Node& node, nlohmann::json& out, int depth) {
    if (depth > limits.maxDepth) {
      error = fmt::format("nesting deeper than {}", limits.maxDepth);
      return false;
    }
    // Aliases may repeat a node many times: the node count bounds the expansion.
    if (++nodes > limits.maxNodes) {
      error = "too many nodes";
      return false;
    }
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        out = nullptr;
        return true;
      case YAML::NodeType::Scalar: {
        const std::string& text = node.Scalar();
        if (text.size() > limits.maxStringBytes * 4) {
          error = "string longer than the limit";
          return false;
        }
        out = text;
        return true;
      }
      case YAML::NodeType::Sequence: {
        if (node.size() > limits.maxListItems) {
          error = fmt::format("list of more than {} items", limits.maxListItems);
          return false;
        }
        out = nlohmann::json::array();
        for (const auto& item : node) {
          nlohmann::json value;
          if (!convert(item, value, depth + 1)) return false;
          out.push_back(std::move(value));
        }
        return true;
      }
      case YAML::NodeType::Map: {
        if (node.size() > limits.maxListItems) {
          error = fmt::format("map of more than {} keys", limits.maxListItems);
          return false;
        }
        out = nlohmann::json::object();
        for (const auto& item : node) {
          if (!item.first.IsScalar()) {
            error = "a map key is not a scalar";
            return false;
          }
          nlohmann::json value;
          if (!convert(item.second, value, depth + 1)) return false;
          out[item.first.Scalar()] = std::move(value);
        }
        return true;
      }
    }
    return true;
  }
};

}  // namespace

Result<nlohmann::json> parseYamlAsJson(std::string_view text, const ImportLimits& limits) {
  if (text.size() > limits.maxFileBytes) {
    return makeError("{} bytes, more than the limit of {}", text.size(), limits.maxFileBytes);
  }
  // yaml-cpp recurses per flow level: refuse deep nesting before it sees the text.
  if (flowNestingDepth(text) > limits.maxDepth) {
    return makeError("nesting deeper than {}", limits.maxDepth);
  }
  if (text.find('\0') != std::string_view::npos) return makeError("binary data (NUL byte)");
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    Converter converter{limits, 0, {}};
    nlohmann::json out;
    if (!converter.convert(root, out, 0)) return makeError("{}", converter.error);
    return out;
  } catch (const YAML::Exception& e) {
    return makeError("invalid YAML: line {}: {}", e.mark.line + 1, e.msg);
  } catch (const std::exception& e) {
    return makeError("invalid YAML: {}", e.what());
  }
}

Result<nlohmann::json> parseJsonBounded(std::string_view text, std::string_view what,
                                        const ImportLimits& limits) {
  JsonLimits jl;
  jl.maxBytes = limits.maxFileBytes;
  jl.maxDepth = limits.maxDepth;
  return parseJson(text, what, jl);
}

std::string stringField(const nlohmann::json& object, std::string_view key,
                        const ImportLimits& limits, std::string* error) {
  if (!object.is_object()) return {};
  const auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return {};
  if (!it->is_string()) {
    if (error && error->empty()) *error = fmt::format("\"{}\" is not a string", key);
    return {};
  }
  const auto& text = it->get_ref<const std::string&>();
  if (text.size() > limits.maxStringBytes) {
    if (error && error->empty()) {
      *error = fmt::format("\"{}\" is longer than {} bytes", key, limits.maxStringBytes);
    }
    return {};
  }
  return text;
}

std::vector<std::string> stringList(const nlohmann::json& object, std::string_view key,
                                    const ImportLimits& limits, std::string* error) {
  std::vector<std::string> out;
  if (!object.is_object()) return out;
  const auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_array()) {
    if (error && error->empty()) *error = fmt::format("\"{}\" is not a list", key);
    return out;
  }
  if (it->size() > limits.maxListItems) {
    if (error && error->empty()) {
      *error = fmt::format("\"{}\" has more than {} items", key, limits.maxListItems);
    }
    return out;
  }
  for (const auto& item : *it) {
    if (!item.is_string()) continue;
    const auto& text = item.get_ref<const std::string&>();
    if (text.empty() || text.size() > limits.maxStringBytes) continue;
    out.push_back(text);
  }
  return out;
}

}  // namespace bulkhead::vuln
