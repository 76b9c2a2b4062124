#include "sbom/catalogers/lang_support.h"

#include "core/json.h"

namespace bulkhead::sbom::lang {
namespace {

using nlohmann::json;

json stringArray(const std::vector<std::string>& items) {
  json out = json::array();
  for (const auto& item : items) out.push_back(item);
  return out;
}

std::vector<std::string> stringsOf(const json& object, std::string_view key) {
  std::vector<std::string> out;
  if (const json* items = jsonArray(object, key)) {
    for (const auto& item : *items) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

}  // namespace

std::string encodeParsed(const Result<Parsed>& parsed) {
  json out = json::object();
  if (!parsed) {
    out["error"] = parsed.error().message;
  } else {
    json packages = json::array();
    for (const auto& p : parsed->packages) {
      json item = {{"name", p.name}, {"version", p.version}};
      if (!p.nameSpace.empty()) item["namespace"] = p.nameSpace;
      if (!p.licenses.empty()) item["licenses"] = stringArray(p.licenses);
      if (!p.locations.empty()) item["locations"] = stringArray(p.locations);
      if (!p.metadata.empty()) {
        json metadata = json::object();
        for (const auto& [key, value] : p.metadata) metadata[key] = value;
        item["metadata"] = std::move(metadata);
      }
      packages.push_back(std::move(item));
    }
    out["packages"] = std::move(packages);
    if (!parsed->warnings.empty()) out["warnings"] = stringArray(parsed->warnings);
  }
  // Strings from hand-parsed files may hold any bytes: replace what is not UTF-8.
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Parsed> decodeParsed(std::string_view encoded, std::string_view what) {
  auto doc = parseJson(encoded, what, JsonLimits{256u << 20, 8});
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) return makeError("{}: derived data is not an object", what);
  if (auto error = jsonString(*doc, "error"); !error.empty()) return Error{std::move(error)};
  Parsed out;
  out.warnings = stringsOf(*doc, "warnings");
  if (const json* packages = jsonArray(*doc, "packages")) {
    for (const auto& item : *packages) {
      Package p;
      p.name = jsonString(item, "name");
      p.version = jsonString(item, "version");
      p.nameSpace = jsonString(item, "namespace");
      p.licenses = stringsOf(item, "licenses");
      p.locations = stringsOf(item, "locations");
      if (const json* metadata = jsonObject(item, "metadata")) {
        for (const auto& [key, value] : metadata->items()) {
          if (value.is_string()) p.metadata[key] = value.get<std::string>();
        }
      }
      out.packages.push_back(std::move(p));
    }
  }
  return out;
}

image::CaptureRule parsingRule(std::string name, int version, uint64_t maxBytes, Parser parser,
                               std::function<bool(std::string_view path)> wanted) {
  image::CaptureRule rule;
  rule.name = std::move(name);
  rule.version = version;
  rule.maxBytes = maxBytes;
  rule.transform = [parser = std::move(parser), wanted = std::move(wanted)](
                       std::string_view path, std::string_view data) -> std::optional<std::string> {
    if (wanted && !wanted(path)) return std::nullopt;
    return encodeParsed(parser(data, "/" + std::string(path)));
  };
  return rule;
}

std::vector<std::string> filesEndingWith(const image::Image& image,
                                         const std::vector<std::string_view>& suffixes) {
  std::vector<std::string> out;
  for (const auto& [path, node] : image.fs.nodes()) {
    if (node.type != image::EntryType::kFile) continue;
    for (const auto suffix : suffixes) {
      const bool whole = suffix.starts_with('/') && path == suffix.substr(1);
      if (whole || path.ends_with(suffix)) {
        out.push_back(path);
        break;
      }
    }
  }
  return out;
}

std::optional<Parsed> parsedFile(const CatalogContext& context, std::string_view path,
                                 uint64_t maxBytes) {
  const auto* node = context.image.fs.find(path);
  if (node == nullptr) return std::nullopt;
  if (node->size > maxBytes) {
    context.warnings.push_back(fmt::format("/{}: {} bytes exceed the limit of {} bytes; skipped",
                                           path, node->size, maxBytes));
    return std::nullopt;
  }
  auto derived = context.image.derived(path);
  if (!derived) return std::nullopt;  // another rule claimed it, or not a file we want
  auto parsed = decodeParsed(*derived, "/" + std::string(path));
  if (!parsed) {
    context.warnings.push_back(parsed.error().message);
    return std::nullopt;
  }
  for (auto& w : parsed->warnings) context.warnings.push_back(std::move(w));
  parsed->warnings.clear();
  return std::move(*parsed);
}

std::string_view parentOf(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string_view baseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool hasDirectory(const image::Image& image, std::string_view directory) {
  std::string prefix(directory);
  if (!prefix.empty()) prefix += '/';
  auto it = image.fs.nodes().lower_bound(prefix);
  return it != image.fs.nodes().end() && it->first.starts_with(prefix);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                           text.front() == '\n')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

void splitNamespace(std::string_view full, std::string& nameSpace, std::string& name) {
  const auto slash = full.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == full.size()) {
    nameSpace.clear();
    name = std::string(full);
    return;
  }
  nameSpace = std::string(full.substr(0, slash));
  name = std::string(full.substr(slash + 1));
}

}  // namespace bulkhead::sbom::lang
