// HTTP/1.x: a request line "METHOD target HTTP/1.x" from the client, or a status line
// "HTTP/1.x NNN" from the server. Attributes: method, path, host, version, user_agent,
// status.
#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {
namespace {

constexpr std::string_view kMethods[] = {"GET",     "HEAD",  "POST",  "PUT",    "DELETE",
                                         "OPTIONS", "PATCH", "TRACE", "CONNECT"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool isVersion(std::string_view v) {
  return v.size() == 8 && v.substr(0, 7) == "HTTP/1." && (v[7] == '0' || v[7] == '1');
}

// The next line (without its CR LF), or false when the sample ends before a line feed.
bool nextLine(std::string_view& text, std::string_view& line) {
  const auto nl = text.find('\n');
  if (nl == std::string_view::npos) return false;
  line = text.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  text.remove_prefix(nl + 1);
  return true;
}

// Status from the server's first line, when it is one.
void addStatus(std::string_view server, Identification& id) {
  std::string_view line;
  if (server.size() >= 12 && isVersion(server.substr(0, 8)) && server[8] == ' ' &&
      nextLine(server, line)) {
    id.add("status", printable(line.substr(9, 3), 3));
  }
}

class Http1Detector final : public Detector {
 public:
  std::string_view name() const override { return "http"; }

  Detection detect(const FlowSample& flow) const override {
    std::string_view text = asText(flow.client);
    const std::string_view server = asText(flow.server);
    if (text.empty()) {
      if (server.size() >= 9 && isVersion(server.substr(0, 8)) && server[8] == ' ') {
        Identification id{"http", {}};
        id.add("version", std::string(server.substr(5, 3)));
        addStatus(server, id);
        return Detection::match(std::move(id));
      }
      return couldBecome(server, "HTTP/1.") || server.empty() ? Detection::needMore()
                                                              : Detection::noMatch();
    }
    std::string_view method;
    for (const auto m : kMethods) {
      if (text.size() > m.size() && text.substr(0, m.size()) == m && text[m.size()] == ' ') {
        method = m;
        break;
      }
      if (text.size() <= m.size() && m.substr(0, text.size()) == text) {
        return Detection::needMore();  // "GE" or "GET" could still become "GET "
      }
    }
    if (method.empty()) return Detection::noMatch();

    std::string_view line;
    if (!nextLine(text, line)) {
      // A request line longer than the sample is not worth waiting for.
      return flow.client.size() < kMaxSample ? Detection::needMore() : Detection::noMatch();
    }
    const auto first = line.find(' ');
    const auto last = line.rfind(' ');
    if (first == last) return Detection::noMatch();
    const std::string_view target = line.substr(first + 1, last - first - 1);
    const std::string_view version = line.substr(last + 1);
    if (!isVersion(version) || target.empty() || !isPrintable(target) ||
        target.find(' ') != std::string_view::npos) {
      return Detection::noMatch();
    }
    Identification id{"http", {}};
    id.add("method", std::string(method));
    id.add("path", printable(target, 1024));
    id.add("version", std::string(version.substr(5)));
    while (nextLine(text, line) && !line.empty()) {
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) break;
      const std::string_view key = line.substr(0, colon);
      if (equalsIgnoreCase(key, "host")) id.add("host", printable(trim(line.substr(colon + 1))));
      if (equalsIgnoreCase(key, "user-agent")) {
        id.add("user_agent", printable(trim(line.substr(colon + 1))));
      }
    }
    addStatus(server, id);
    return Detection::match(std::move(id));
  }
};

}  // namespace

const Detector& http1Detector() {
  static const Http1Detector d;
  return d;
}

}  // namespace bulkhead::net
