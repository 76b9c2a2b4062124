#include "core/yaml.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

#include <charconv>
#include <cmath>


namespace bulkhead {
namespace {

bool plainWord(std::string_view key) {
  if (key.empty()) return false;
  for (const char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}


using nlohmann::json;

int lineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

bool isDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok = base == 8    ? (c >= '0' && c <= '7')
                    : base == 10 ? (c >= '0' && c <= '9')
                                 : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
    if (!ok) return false;
  }
  return true;
}

// Resolves a plain scalar as YAML 1.1 (go-yaml v2) does.
json resolvePlain(const std::string& text) {
  static const char* const kNull[] = {"", "~", "null", "Null", "NULL"};
  // Not "y"/"n": Kubernetes reads those as strings in string fields (namespace: n), and no
  // boolean field is realistically written that way.
  static const char* const kTrue[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const char* const kFalse[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  for (const char* s : kNull) {
    if (text == s) return json();
  }
  for (const char* s : kTrue) {
    if (text == s) return true;
  }
  for (const char* s : kFalse) {
    if (text == s) return false;
  }
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  std::string digits;
  for (const char c : body) {
    if (c != '_') digits += c;  // YAML 1.1 allows "1_000"
  }
  int base = 0;
  std::string_view number = digits;
  if (number.size() > 2 && number[0] == '0' && (number[1] == 'x' || number[1] == 'X')) {
    base = 16;
    number.remove_prefix(2);
  } else if (number.size() > 2 && number[0] == '0' && (number[1] == 'o' || number[1] == 'O')) {
    base = 8;
    number.remove_prefix(2);
  } else if (number.size() > 1 && number[0] == '0' && isDigits(number, 8)) {
    base = 8;
    number.remove_prefix(1);
  } else if (isDigits(number, 10)) {
    base = 10;
  }
  if (base != 0 && isDigits(number, base)) {
    uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value, base);
    if (ec == std::errc() && ptr == number.data() + number.size()) {
      if (!negative) return value <= static_cast<uint64_t>(INT64_MAX) ? json(static_cast<int64_t>(value)) : json(value);
      if (value <= static_cast<uint64_t>(INT64_MAX)) return json(-static_cast<int64_t>(value));
    }
    return text;  // out of range: keep the text
  }
  if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf") return text;
  // Floats: digits with one dot and/or an exponent.
  bool sawDigit = false;
  bool sawDot = false;
  bool sawExp = false;
  bool valid = !body.empty();
  for (size_t i = 0; i < body.size() && valid; ++i) {
    const char c = body[i];
    if (c >= '0' && c <= '9') {
      sawDigit = true;
    } else if (c == '.' && !sawDot && !sawExp) {
      sawDot = true;
    } else if ((c == 'e' || c == 'E') && sawDigit && !sawExp) {
      sawExp = true;
      if (i + 1 < body.size() && (body[i + 1] == '-' || body[i + 1] == '+')) ++i;
      if (i + 1 >= body.size()) valid = false;
    } else if (c != '_') {
      valid = false;
    }
  }
  if (valid && sawDigit && (sawDot || sawExp)) {
    double value = 0;
    std::string clean;
    for (const char c : text) {
      if (c != '_' && c != '+') clean += c;
    }
    auto [ptr, ec] = std::from_chars(clean.data(), clean.data() + clean.size(), value);
    if (ec == std::errc() && ptr == clean.data() + clean.size() && std::isfinite(value)) return value;
  }
  return text;
}

// Counts what the parser produces, without building anything. yaml-cpp 0.7 can return
// empty documents forever after some malformed flow collections (found by
// compliance_yaml_fuzz), so documents are counted before YAML::LoadAll is trusted.
class Counter final : public YAML::EventHandler {
 public:
  size_t events = 0;
  void OnDocumentStart(const YAML::Mark&) override { ++events; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { ++events; }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { ++events; }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override { ++events; }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    ++events;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    ++events;
  }
  void OnMapEnd() override {}
};

class Converter {
 public:
  Converter(std::string_view what, const YamlLimits& limits, bool recordLines)
      : what_(what), limits_(limits), recordLines_(recordLines) {}

  Result<json> convert(const YAML::Node& node, const std::string& path, int depth,
                       std::map<std::string, int>* lines) {
    if (++nodes_ > limits_.maxNodes) {
      return makeError("{}:{}: more than {} YAML nodes (aliases expanded); refusing to go on", what_,
                       lineOf(node), limits_.maxNodes);
    }
    if (depth > limits_.maxDepth) {
      return makeError("{}:{}: YAML nested deeper than {} levels", what_, lineOf(node), limits_.maxDepth);
    }
    if (recordLines_ && lines != nullptr && lines->size() < limits_.maxNodes) {
      const int line = lineOf(node);
      if (line > 0) lines->emplace(path, line);
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json();
      case YAML::NodeType::Scalar: {
        const std::string& text = node.Scalar();
        const std::string& tag = node.Tag();
        if (tag == "?") return resolvePlain(text);
        if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "!!str") return json(text);
        if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:bool" ||
            tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:null") {
          return resolvePlain(text);
        }
        return json(text);  // unknown tags: keep the text
      }
      case YAML::NodeType::Sequence: {
        json out = json::array();
        size_t index = 0;
        for (const auto& item : node) {
          auto value = convert(item, appendIndex(path, index++), depth + 1, lines);
          if (!value) return value;
          out.push_back(std::move(*value));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        json out = json::object();
        std::vector<YAML::Node> keep;  // iterator values are temporaries
        for (const auto& entry : node) {
          const YAML::Node& keyNode = entry.first;
          if (!keyNode.IsScalar()) {
            return makeError("{}:{}: mapping key is not a scalar", what_, lineOf(keyNode));
          }
          const std::string& key = keyNode.Scalar();
          if (key == "<<" && keyNode.Tag() == "?") {
            keep.push_back(entry.second);
            continue;
          }
          if (out.contains(key)) {
            return makeError("{}:{}: duplicate mapping key '{}'", what_, lineOf(keyNode), key);
          }
          const std::string childPath = appendKey(path, key);
          auto value = convert(entry.second, childPath, depth + 1, lines);
          if (!value) return value;
          out[key] = std::move(*value);
          // A field's line is its key's, even when its value starts on the next line.
          if (recordLines_ && lines != nullptr && lineOf(keyNode) > 0) (*lines)[childPath] = lineOf(keyNode);
        }
        // Merge keys: the mapping's own keys win, then earlier merged mappings.
        for (const auto& merge : keep) {
          std::vector<YAML::Node> sources;
          if (merge.IsMap()) {
            sources.push_back(merge);
          } else if (merge.IsSequence()) {
            for (const auto& s : merge) sources.push_back(s);
          } else {
            return makeError("{}:{}: merge key '<<' needs a mapping", what_, lineOf(merge));
          }
          for (const auto& source : sources) {
            if (!source.IsMap()) return makeError("{}:{}: merge key '<<' needs a mapping", what_, lineOf(source));
            auto merged = convert(source, path, depth + 1, nullptr);
            if (!merged) return merged;
            for (auto it = merged->begin(); it != merged->end(); ++it) {
              if (!out.contains(it.key())) out[it.key()] = it.value();
            }
          }
        }
        return out;
      }
    }
    return json();
  }

 private:
  std::string_view what_;
  const YamlLimits& limits_;
  bool recordLines_;
  size_t nodes_ = 0;
};

}  // namespace

Result<std::vector<YamlDocument>> parseYamlDocuments(std::string_view text, std::string_view what,
                                                     const YamlLimits& limits, bool recordLines) {
  if (text.size() > limits.maxBytes) {
    return makeError("{}: YAML document of {} bytes exceeds the limit of {} bytes", what, text.size(),
                     limits.maxBytes);
  }
  if (text.find('\0') != std::string_view::npos) {
    return makeError("{}: not a text file (holds a NUL byte)", what);
  }
  std::vector<YAML::Node> nodes;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    Counter counter;
    size_t documents = 0;
    while (parser.HandleNextDocument(counter)) {
      if (++documents > limits.maxDocuments) {
        return makeError("{}: more than {} YAML documents (or a malformed stream that never ends)", what,
                         limits.maxDocuments);
      }
      if (counter.events > limits.maxNodes) {
        return makeError("{}: more than {} YAML nodes; refusing to go on", what, limits.maxNodes);
      }
    }
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    return makeError("{}:{}: invalid YAML: {}", what, line, e.msg);
  } catch (const std::exception& e) {
    return makeError("{}: invalid YAML: {}", what, e.what());
  }
  if (nodes.size() > limits.maxDocuments) {
    return makeError("{}: {} YAML documents exceed the limit of {}", what, nodes.size(), limits.maxDocuments);
  }
  std::vector<YamlDocument> out;
  out.reserve(nodes.size());
  Converter converter(what, limits, recordLines);
  try {
    for (const auto& node : nodes) {
      YamlDocument doc;
      doc.line = lineOf(node);
      auto value = converter.convert(node, "", 0, recordLines ? &doc.lines : nullptr);
      if (!value) return std::move(value).error();
      doc.value = std::move(*value);
      out.push_back(std::move(doc));
    }
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    return makeError("{}:{}: invalid YAML: {}", what, line, e.msg);
  } catch (const std::exception& e) {
    return makeError("{}: invalid YAML: {}", what, e.what());
  }
  return out;
}

std::string appendKey(const std::string& base, std::string_view key) {
  if (plainWord(key)) return base.empty() ? std::string(key) : base + "." + std::string(key);
  std::string quoted = "[\"";
  for (const char c : key) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += "\"]";
  return base + quoted;
}

std::string appendIndex(const std::string& base, size_t index) {
  return fmt::format("{}[{}]", base, index);
}

}  // namespace bulkhead
