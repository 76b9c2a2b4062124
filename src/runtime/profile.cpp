#include "runtime/profile.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <chrono>
#include <ctime>
#include <utility>

#include "core/json.h"
#include "core/yaml.h"

namespace bulkhead::runtime {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<Mode, std::string_view>, 3> kModes{
    {{Mode::kDiscover, "discover"}, {Mode::kMonitor, "monitor"}, {Mode::kProtect, "protect"}}};

std::string isoTime(int64_t ns) {
  if (ns <= 0) return "";
  const std::time_t seconds = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

Result<int64_t> parseIsoTime(const json& value, std::string_view field) {
  if (value.is_null()) return int64_t{0};
  if (!value.is_string()) return makeError("{} is not a time string", field);
  const std::string text = value.get<std::string>();
  if (text.empty()) return int64_t{0};
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return makeError("{} '{}' is not a UTC time like 2026-01-31T12:00:00Z", field, text);
  return static_cast<int64_t>(timegm(&tm)) * 1000000000;
}

// Strings are always double-quoted on output, so that a label value such as "yes" or
// "0644" reads back as the same string.
void emitString(YAML::Emitter& out, const std::string& value) { out << YAML::DoubleQuoted << value; }

Result<std::set<std::string>> stringSet(const json& doc, const char* key, const ProfileLimits& limits) {
  std::set<std::string> out;
  const auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return out;
  if (!it->is_array()) return makeError("'{}' must be a list of strings", key);
  if (it->size() > limits.maxEntries) return makeError("'{}' has {} entries, more than the limit of {}", key, it->size(), limits.maxEntries);
  for (const auto& item : *it) {
    if (!item.is_string()) return makeError("'{}' holds {}, not a string", key, jsonText(item));
    out.insert(item.get<std::string>());
  }
  return out;
}

}  // namespace

std::string_view modeName(Mode mode) {
  for (const auto& [m, name] : kModes) {
    if (m == mode) return name;
  }
  return "discover";
}

bool parseMode(std::string_view name, Mode& out) {
  for (const auto& [m, n] : kModes) {
    if (n == name) {
      out = m;
      return true;
    }
  }
  return false;
}

std::string profileToYaml(const Profile& p) {
  YAML::Emitter out;
  out << YAML::Comment("Bulkhead behavior profile (policy as code): what this workload group may do.");
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "bulkhead.dev/v1";
  out << YAML::Key << "kind" << YAML::Value << "Profile";
  out << YAML::Key << "group" << YAML::Value;
  emitString(out, p.group);
  out << YAML::Key << "mode" << YAML::Value << std::string(modeName(p.mode));
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "image" << YAML::Value;
  emitString(out, p.selector.image);
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : p.selector.labels) {
    out << YAML::Key;
    emitString(out, k);
    out << YAML::Value;
    emitString(out, v);
  }
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "learning" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "created" << YAML::Value << isoTime(p.createdNs);
  out << YAML::Key << "lastChange" << YAML::Value << isoTime(p.lastChangeNs);
  out << YAML::Key << "events" << YAML::Value << p.events;
  out << YAML::Key << "converged" << YAML::Value << p.converged;
  out << YAML::EndMap;
  out << YAML::Key << "executables" << YAML::Value << YAML::BeginSeq;
  for (const auto& [path, parents] : p.executables) {
    out << YAML::BeginMap << YAML::Key << "path" << YAML::Value;
    emitString(out, path);
    out << YAML::Key << "parents" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& parent : parents) emitString(out, parent);
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
  const auto list = [&](const char* key, const std::set<std::string>& items) {
    out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    for (const auto& item : items) emitString(out, item);
    out << YAML::EndSeq;
  };
  list("writeDirs", p.writeDirs);
  list("listenPorts", p.listenPorts);
  list("peers", p.peers);
  list("links", p.links);
  list("callers", p.callers);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

Result<Profile> profileFromYaml(std::string_view text, std::string_view what, const ProfileLimits& limits) {
  YamlLimits yamlLimits;
  yamlLimits.maxBytes = limits.maxBytes;
  yamlLimits.maxDepth = 8;
  yamlLimits.maxNodes = limits.maxEntries * 8 + 1000;
  auto docs = parseYamlDocuments(text, what, yamlLimits);
  if (!docs) return std::move(docs).error();
  if (docs->size() != 1) return makeError("{}: expected one YAML document, found {}", what, docs->size());
  const json& doc = docs->front().value;
  const auto fail = [&](const Error& e) { return withContext(what, e); };
  if (!doc.is_object()) return makeError("{}: a profile is a mapping with kind: Profile", what);
  if (doc.value("kind", json()) != "Profile") return makeError("{}: kind is not Profile", what);
  const json apiVersion = doc.value("apiVersion", json());
  if (apiVersion != "bulkhead.dev/v1") return makeError("{}: apiVersion {} is not bulkhead.dev/v1", what, jsonText(apiVersion));
  Profile p;
  const json group = doc.value("group", json());
  if (!group.is_string() || group.get<std::string>().empty()) return makeError("{}: 'group' must be a non-empty string", what);
  p.group = group.get<std::string>();
  const json mode = doc.value("mode", json("discover"));
  if (!mode.is_string() || !parseMode(mode.get<std::string>(), p.mode)) {
    return makeError("{}: mode {} is not one of discover, monitor, protect", what, jsonText(mode));
  }
  if (const auto sel = doc.find("selector"); sel != doc.end() && !sel->is_null()) {
    if (!sel->is_object()) return makeError("{}: 'selector' must be a mapping", what);
    const json image = sel->value("image", json(""));
    if (!image.is_string()) return makeError("{}: selector.image must be a string", what);
    p.selector.image = image.get<std::string>();
    if (const auto labels = sel->find("labels"); labels != sel->end() && !labels->is_null()) {
      if (!labels->is_object()) return makeError("{}: selector.labels must be a mapping", what);
      for (const auto& [k, v] : labels->items()) {
        if (!v.is_string()) return makeError("{}: selector label '{}' is not a string (quote it)", what, k);
        p.selector.labels[k] = v.get<std::string>();
      }
    }
  }
  if (const auto learning = doc.find("learning"); learning != doc.end() && learning->is_object()) {
    auto created = parseIsoTime(learning->value("created", json()), "learning.created");
    if (!created) return fail(created.error());
    auto changed = parseIsoTime(learning->value("lastChange", json()), "learning.lastChange");
    if (!changed) return fail(changed.error());
    p.createdNs = *created;
    p.lastChangeNs = *changed;
    const json events = learning->value("events", json(0));
    p.events = events.is_number_integer() && events.get<int64_t>() > 0 ? events.get<uint64_t>() : 0;
    p.converged = learning->value("converged", json(false)) == true;
  }
  if (const auto execs = doc.find("executables"); execs != doc.end() && !execs->is_null()) {
    if (!execs->is_array()) return makeError("{}: 'executables' must be a list", what);
    if (execs->size() > limits.maxEntries) return makeError("{}: more than {} executables", what, limits.maxEntries);
    for (const auto& e : *execs) {
      const json path = e.is_object() ? e.value("path", json()) : e;
      if (!path.is_string() || path.get<std::string>().empty() || path.get<std::string>()[0] != '/') {
        return makeError("{}: executable {} needs an absolute 'path'", what, jsonText(e));
      }
      auto& parents = p.executables[path.get<std::string>()];
      if (!e.is_object()) continue;
      auto list = stringSet(e, "parents", limits);
      if (!list) return fail(list.error());
      parents = std::move(*list);
    }
  }
  auto writes = stringSet(doc, "writeDirs", limits);
  if (!writes) return fail(writes.error());
  auto ports = stringSet(doc, "listenPorts", limits);
  if (!ports) return fail(ports.error());
  auto peers = stringSet(doc, "peers", limits);
  if (!peers) return fail(peers.error());
  p.writeDirs = std::move(*writes);
  p.listenPorts = std::move(*ports);
  p.peers = std::move(*peers);
  auto links = stringSet(doc, "links", limits);
  if (!links) return fail(links.error());
  p.links = std::move(*links);
  auto callers = stringSet(doc, "callers", limits);
  if (!callers) return fail(callers.error());
  p.callers = std::move(*callers);
  return p;
}

}  // namespace bulkhead::runtime
