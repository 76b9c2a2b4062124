// Redis: RESP, the client's first command as an array of bulk strings ("*2\r\n$4\r\nAUTH\r\n
// ..."), or an inline PING, HELLO or AUTH. Attribute: command (the first word, upper case;
// arguments are never kept, they may hold passwords).
#include <charconv>

#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {
namespace {

enum class Step { No, More, Yes };

// "<prefix><digits>\r\n" at the start of text, up to max; moves text past it.
Step readCount(std::string_view& text, char prefix, long max, long& n) {
  if (text.empty()) return Step::More;
  if (text[0] != prefix) return Step::No;
  const auto end = text.find("\r\n");
  if (end == std::string_view::npos) return text.size() < 12 ? Step::More : Step::No;
  const auto [ptr, ec] = std::from_chars(text.data() + 1, text.data() + end, n);
  if (ec != std::errc() || ptr != text.data() + end || n < 1 || n > max) return Step::No;
  text.remove_prefix(end + 2);
  return Step::Yes;
}

bool isCommandWord(std::string_view w) {
  if (w.empty() || w.size() > 32) return false;
  for (const char c : w) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.' || c == '|')) {
      return false;
    }
  }
  return true;
}

std::string upper(std::string_view w) {
  std::string out(w);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}

class RedisDetector final : public Detector {
 public:
  std::string_view name() const override { return "redis"; }

  Detection detect(const FlowSample& flow) const override {
    std::string_view text = asText(flow.client);
    if (text.empty()) return Detection::needMore();
    if (text[0] != '*') return inlineCommand(text);
    long items = 0, length = 0;
    Step s = readCount(text, '*', 1024 * 1024, items);
    if (s == Step::Yes) s = readCount(text, '$', 512L * 1024 * 1024, length);
    if (s != Step::Yes) return s == Step::More ? Detection::needMore() : Detection::noMatch();
    if (text.size() < static_cast<std::size_t>(length) + 2) {
      return length <= 32 ? Detection::needMore() : Detection::noMatch();
    }
    const std::string_view word = text.substr(0, static_cast<std::size_t>(length));
    if (text.substr(word.size(), 2) != "\r\n" || !isCommandWord(word)) return Detection::noMatch();
    Identification id{"redis", {}};
    id.add("command", upper(word));
    return Detection::match(std::move(id));
  }

 private:
  // An inline command: only the handshakes a client starts with, then a RESP reply.
  static Detection inlineCommand(std::string_view text) {
    const auto end = text.find("\r\n");
    const std::string_view word = text.substr(0, std::min(end, text.find(' ')));
    for (const std::string_view known : {"PING", "HELLO", "AUTH"}) {
      if (equalsIgnoreCase(word, known) && end != std::string_view::npos) {
        Identification id{"redis", {}};
        id.add("command", std::string(known));
        return Detection::match(std::move(id));
      }
    }
    return Detection::noMatch();
  }
};

}  // namespace

const Detector& redisDetector() {
  static const RedisDetector d;
  return d;
}

}  // namespace bulkhead::net
