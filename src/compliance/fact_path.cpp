#include "compliance/fact_path.h"

#include <fmt/format.h>

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

}  // namespace

Result<FactPath> parseFactPath(std::string_view text) {
  FactPath path;
  path.text = std::string(text);
  size_t i = 0;
  auto fail = [&](std::string_view why) {
    return makeError("path '{}': {} at offset {}", text, why, i);
  };
  if (text.empty()) return makeError("empty path");
  if (text.size() > 1024) return makeError("path of {} characters is too long", text.size());
  if (text[0] == '$') {
    path.fromRoot = true;
    i = 1;
    if (i < text.size() && text[i] == '.') ++i;
  }
  bool expectSegment = i < text.size();
  while (i < text.size()) {
    const char c = text[i];
    if (c == '[') {
      const size_t close = text.find(']', i);
      if (close == std::string_view::npos) return fail("unclosed '['");
      if (i + 1 < text.size() && text[i + 1] == '"') {
        // Quoted key: scan for the closing quote, honouring backslash escapes.
        std::string key;
        size_t j = i + 2;
        bool closed = false;
        for (; j < text.size(); ++j) {
          if (text[j] == '\\' && j + 1 < text.size()) {
            key += text[++j];
          } else if (text[j] == '"') {
            closed = true;
            break;
          } else {
            key += text[j];
          }
        }
        if (!closed || j + 1 >= text.size() || text[j + 1] != ']') return fail("bad quoted key");
        path.segments.push_back({PathSegment::Kind::kKey, std::move(key), 0});
        i = j + 2;
      } else {
        const std::string_view inside = text.substr(i + 1, close - i - 1);
        if (inside == "*") {
          path.segments.push_back({PathSegment::Kind::kWildcard, {}, 0});
        } else {
          if (inside.empty() || inside.size() > 9) return fail("bad index");
          size_t index = 0;
          for (const char d : inside) {
            if (d < '0' || d > '9') return fail("bad index");
            index = index * 10 + static_cast<size_t>(d - '0');
          }
          path.segments.push_back({PathSegment::Kind::kIndex, {}, index});
        }
        i = close + 1;
      }
      expectSegment = false;
      continue;
    }
    if (c == '.') {
      if (expectSegment) return fail("empty segment");
      ++i;
      expectSegment = true;
      if (i >= text.size()) return fail("trailing '.'");
      continue;
    }
    // A word: up to the next '.' or '['.
    size_t end = i;
    while (end < text.size() && text[end] != '.' && text[end] != '[') ++end;
    const std::string_view word = text.substr(i, end - i);
    if (word == "@keys") {
      path.segments.push_back({PathSegment::Kind::kKeys, {}, 0});
    } else if (word == "@length") {
      path.segments.push_back({PathSegment::Kind::kLength, {}, 0});
    } else if (!word.empty() && word[0] == '@') {
      return fail("unknown function (known: @keys, @length)");
    } else {
      path.segments.push_back({PathSegment::Kind::kKey, std::string(word), 0});
    }
    i = end;
    expectSegment = false;
  }
  return path;
}

namespace {

void walk(const std::vector<PathSegment>& segments, size_t at, const json* value,
          std::string concrete, std::vector<FactMatch>& out, size_t limit) {
  if (out.size() >= limit) return;
  if (at == segments.size()) {
    FactMatch match;
    match.path = std::move(concrete);
    match.value = (value != nullptr && !value->is_null()) ? value : nullptr;
    out.push_back(std::move(match));
    return;
  }
  const PathSegment& seg = segments[at];
  // Names segments [from, to) after `path`, so evidence can say which field is missing.
  auto describe = [&](std::string path, size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      const PathSegment& s = segments[k];
      switch (s.kind) {
        case PathSegment::Kind::kKey: path = appendKey(path, s.key); break;
        case PathSegment::Kind::kIndex: path = appendIndex(path, s.index); break;
        case PathSegment::Kind::kWildcard: path += "[*]"; break;
        case PathSegment::Kind::kKeys: path += ".@keys"; break;
        case PathSegment::Kind::kLength: path += ".@length"; break;
      }
    }
    return path;
  };
  // A missing value: functions further on still have an answer (no keys, length 0).
  auto missing = [&]() {
    for (size_t k = at + 1; k < segments.size(); ++k) {
      if (segments[k].kind == PathSegment::Kind::kKeys ||
          segments[k].kind == PathSegment::Kind::kLength) {
        walk(segments, k, nullptr, describe(concrete, at, k), out, limit);
        return;
      }
    }
    out.push_back(FactMatch{describe(concrete, at, segments.size()), nullptr, nullptr});
  };
  const bool present = value != nullptr && !value->is_null();
  switch (seg.kind) {
    case PathSegment::Kind::kKey: {
      if (present && value->is_object()) {
        auto it = value->find(seg.key);
        if (it != value->end()) {
          walk(segments, at + 1, &*it, appendKey(concrete, seg.key), out, limit);
          return;
        }
      }
      missing();
      return;
    }
    case PathSegment::Kind::kIndex: {
      if (present && value->is_array() && seg.index < value->size()) {
        walk(segments, at + 1, &(*value)[seg.index], appendIndex(concrete, seg.index), out, limit);
        return;
      }
      missing();
      return;
    }
    case PathSegment::Kind::kWildcard: {
      if (!present) return;
      if (value->is_array()) {
        for (size_t k = 0; k < value->size() && out.size() < limit; ++k) {
          walk(segments, at + 1, &(*value)[k], appendIndex(concrete, k), out, limit);
        }
      } else if (value->is_object()) {
        for (auto it = value->begin(); it != value->end() && out.size() < limit; ++it) {
          walk(segments, at + 1, &it.value(), appendKey(concrete, it.key()), out, limit);
        }
      }
      return;
    }
    case PathSegment::Kind::kKeys: {
      auto keys = std::make_shared<json>(json::array());
      if (present && value->is_object()) {
        for (auto it = value->begin(); it != value->end(); ++it) keys->push_back(it.key());
      }
      const std::string path = concrete + ".@keys";
      if (at + 1 == segments.size()) {
        out.push_back(FactMatch{path, keys.get(), keys});
      } else {
        // Only @length may follow @keys; anything else sees a list of strings.
        std::vector<FactMatch> inner;
        walk(segments, at + 1, keys.get(), path, inner, limit);
        for (auto& m : inner) {
          if (!m.owned && m.value != nullptr) m.owned = keys;
          out.push_back(std::move(m));
        }
      }
      return;
    }
    case PathSegment::Kind::kLength: {
      size_t length = 0;
      if (present) {
        if (value->is_array() || value->is_object()) {
          length = value->size();
        } else if (value->is_string()) {
          length = value->get_ref<const std::string&>().size();
        } else {
          length = 1;
        }
      }
      auto result = std::make_shared<json>(length);
      const std::string path = concrete + ".@length";
      if (at + 1 == segments.size()) {
        out.push_back(FactMatch{path, result.get(), result});
      } else {
        out.push_back(FactMatch{describe(path, at + 1, segments.size()), nullptr, nullptr});
      }
      return;
    }
  }
}

}  // namespace

std::vector<FactMatch> resolveFactPath(const FactPath& path, const json& root,
                                       const json& current, const std::string& currentPath,
                                       size_t limit) {
  std::vector<FactMatch> out;
  if (path.fromRoot) {
    walk(path.segments, 0, &root, "", out, limit);
  } else {
    walk(path.segments, 0, &current, currentPath, out, limit);
  }
  return out;
}

}  // namespace bulkhead::compliance
