// Ruby gems from the installed specifications RubyGems and Bundler write
// (<GEM_HOME>/specifications/, vendor/bundle/ruby/<v>/specifications/). Gem sources'
// own *.gemspec files are full Ruby programs and are not read.

#include "sbom/catalogers/ruby.h"

#include "sbom/catalogers/catalogers.h"

namespace bulkhead::sbom {
namespace ruby {
namespace {

constexpr size_t kMaxLiteralBytes = 4096;
constexpr size_t kMaxLicenses = 64;

bool identChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // Reads the attribute assignment at `pos` ("s.name = ..."): the value's literals.
  void skipBlanks() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool consume(std::string_view token) {
    if (text_.substr(pos_).starts_with(token)) {
      pos_ += token.size();
      return true;
    }
    return false;
  }
  // A string literal with an optional ".freeze"; nullopt (position unchanged) when there
  // is none at the cursor.
  std::optional<std::string> literal() {
    const size_t start = pos_;
    std::optional<std::string> value;
    if (consume("\"")) {
      value = quoted('"', true);
    } else if (consume("'")) {
      value = quoted('\'', false);
    } else if (consume("%q") || consume("%Q") || consume("%")) {
      value = percent();
    }
    if (!value) {
      pos_ = start;
      return std::nullopt;
    }
    consume(".freeze");
    return value;
  }
  // ["a".freeze, "b"] (line breaks allowed inside).
  std::vector<std::string> literalArray() {
    std::vector<std::string> out;
    if (!consume("[")) return out;
    while (pos_ < text_.size() && out.size() < kMaxLicenses) {
      while (pos_ < text_.size() &&
             (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
              text_[pos_] == '\r' || text_[pos_] == ',')) {
        ++pos_;
      }
      if (consume("]")) break;
      auto item = literal();
      if (!item) break;
      out.push_back(std::move(*item));
    }
    return out;
  }
  size_t& pos() { return pos_; }
  std::string_view text() const { return text_; }

 private:
  std::optional<std::string> quoted(char close, bool escapes) {
    std::string out;
    while (pos_ < text_.size() && out.size() <= kMaxLiteralBytes) {
      const char c = text_[pos_++];
      if (c == close) return out;
      if (c == '\n') return std::nullopt;
      if (c == '\\' && pos_ < text_.size()) {
        const char next = text_[pos_++];
        if (!escapes && next != close && next != '\\') out += '\\';
        out += next;
        continue;
      }
      out += c;
    }
    return std::nullopt;
  }
  std::optional<std::string> percent() {
    if (pos_ >= text_.size()) return std::nullopt;
    const char open = text_[pos_++];
    const char close = open == '{'   ? '}'
                       : open == '(' ? ')'
                       : open == '[' ? ']'
                       : open == '<' ? '>'
                                     : open;
    if (identChar(open) || open == ' ') return std::nullopt;
    return quoted(close, false);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

struct Assignment {
  std::string attribute;
  size_t valueAt = 0;
};

// Every "<ident>.<attribute> = " at the start of a line (after indentation).
std::vector<Assignment> assignments(std::string_view text) {
  std::vector<Assignment> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    size_t i = start;
    start = end + 1;
    while (i < end && (text[i] == ' ' || text[i] == '\t')) ++i;
    const size_t receiver = i;
    while (i < end && identChar(text[i])) ++i;
    if (i == receiver || i >= end || text[i] != '.') continue;
    const size_t name = ++i;
    while (i < end && identChar(text[i])) ++i;
    if (i == name) continue;
    std::string attribute(text.substr(name, i - name));
    while (i < end && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= end || text[i] != '=' || (i + 1 < end && (text[i + 1] == '=' || text[i + 1] == '~')))
      continue;
    ++i;
    out.push_back(Assignment{std::move(attribute), i});
  }
  return out;
}

}  // namespace

Result<lang::Parsed> parseGemspec(std::string_view text, std::string_view what) {
  if (text.size() > kMaxGemspecBytes) {
    return makeError("{}: {} bytes exceed the limit of {}", what, text.size(), kMaxGemspecBytes);
  }
  Package p;
  std::string platform;
  Scanner scan(text);
  for (const auto& a : assignments(text)) {
    scan.pos() = a.valueAt;
    scan.skipBlanks();
    if (a.attribute == "name" && p.name.empty()) {
      p.name = scan.literal().value_or("");
    } else if (a.attribute == "version" && p.version.empty()) {
      if (scan.consume("Gem::Version.new(")) scan.skipBlanks();
      p.version = scan.literal().value_or("");
    } else if (a.attribute == "licenses" && p.licenses.empty()) {
      p.licenses = scan.literalArray();
    } else if (a.attribute == "license" && p.licenses.empty()) {
      if (auto l = scan.literal(); l && !l->empty()) p.licenses.push_back(std::move(*l));
    } else if (a.attribute == "platform" && platform.empty()) {
      platform = scan.literal().value_or("");
    }
  }
  if (p.name.empty()) return makeError("{}: no s.name = \"...\" assignment", what);
  if (p.version.empty()) return makeError("{}: no s.version = \"...\" assignment", what);
  if (!platform.empty() && platform != "ruby") p.metadata["platform"] = std::move(platform);
  lang::Parsed out;
  out.packages.push_back(std::move(p));
  return out;
}

bool isInstalledGemspec(std::string_view path) {
  if (!path.ends_with(".gemspec") || lang::baseName(path).size() <= 8) return false;
  std::string_view dir = lang::parentOf(path);
  if (lang::baseName(dir) == "default") dir = lang::parentOf(dir);
  return lang::baseName(dir) == "specifications";
}

}  // namespace ruby

namespace {

class RubyCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "ruby"; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    auto rule = lang::parsingRule("ruby-gemspec", 1, ruby::kMaxGemspecBytes, &ruby::parseGemspec,
                                  &ruby::isInstalledGemspec);
    rule.suffixes = {".gemspec"};
    spec.add(std::move(rule));
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    for (const auto& path : lang::filesEndingWith(ctx.image, {".gemspec"})) {
      if (!ruby::isInstalledGemspec(path)) continue;
      auto parsed = lang::parsedFile(ctx, path, ruby::kMaxGemspecBytes);
      if (!parsed || parsed->packages.empty()) continue;
      Package p = std::move(parsed->packages.front());
      p.ecosystem = eco::kGem;
      p.locations = {"/" + path};
      if (lang::baseName(lang::parentOf(path)) == "default") p.metadata["default"] = "true";
      out.push_back(std::move(p));
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<Cataloger> makeRubyCataloger() { return std::make_unique<RubyCataloger>(); }

}  // namespace bulkhead::sbom
