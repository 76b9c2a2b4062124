// Rust crates: Cargo.lock files (outside cargo's own registry and git checkouts, which hold
// the sources of downloaded crates), and binaries built with cargo-auditable, whose
// .dep-v0 section the shared "elf-packages" rule keeps (binary_capture.h).

#include "sbom/catalogers/rust.h"

#include <zlib.h>

#include <charconv>

#include "core/json.h"
#include "sbom/catalogers/binary_capture.h"
#include "sbom/catalogers/catalogers.h"

namespace bulkhead::sbom {
namespace rust {
namespace {

constexpr int kMaxNesting = 32;

// A TOML value as far as Cargo.lock needs one: strings are kept, anything else is only
// checked for syntax.
struct Value {
  bool isString = false;
  std::string text;
};

class TomlReader {
 public:
  TomlReader(std::string_view text, std::string_view what) : text_(text), what_(what) {}

  // Calls table(name, isArray) for each header and key(name, value) for each pair.
  template <typename OnTable, typename OnKey>
  Status read(OnTable&& table, OnKey&& key) {
    while (true) {
      skipSpaceAndComments(true);
      if (pos_ >= text_.size()) return {};
      if (text_[pos_] == '[') {
        const bool array = text_.substr(pos_).starts_with("[[");
        pos_ += array ? 2 : 1;
        const size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ']' && text_[pos_] != '\n') ++pos_;
        const std::string_view name = lang::trim(text_.substr(start, pos_ - start));
        if (!consume(array ? "]]" : "]") || name.empty()) return fail("malformed table header");
        table(name, array);
      } else {
        auto name = keyName();
        if (!name) return std::move(name).error();
        skipBlanks();
        if (!consume("=")) return fail("expected '=' after a key");
        skipBlanks();
        Value value;
        BH_TRY_STATUS(parseValue(value, 0));
        key(*name, value);
      }
      skipBlanks();
      if (pos_ < text_.size() && text_[pos_] == '#') skipComment();
      if (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') {
        return fail("unexpected text after a value");
      }
    }
  }

 private:
  Error fail(std::string_view why) const {
    size_t line = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) line += text_[i] == '\n';
    return makeError("{}: line {}: {}", what_, line, why);
  }
  bool consume(std::string_view token) {
    if (!text_.substr(pos_).starts_with(token)) return false;
    pos_ += token.size();
    return true;
  }
  void skipBlanks() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  void skipComment() {
    while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
  }
  void skipSpaceAndComments(bool newlines) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) {
        ++pos_;
      } else if (c == '#') {
        skipComment();
      } else {
        return;
      }
    }
  }
  static bool bareKeyChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  }
  // bare, "quoted" or 'literal' keys, dotted ("a.b") joined with '.'.
  Result<std::string> keyName() {
    std::string out;
    while (true) {
      skipBlanks();
      if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'')) {
        Value v;
        BH_TRY_STATUS(parseString(v));
        out += v.text;
      } else {
        const size_t start = pos_;
        while (pos_ < text_.size() && bareKeyChar(text_[pos_])) ++pos_;
        if (pos_ == start) return fail("expected a key");
        out += text_.substr(start, pos_ - start);
      }
      skipBlanks();
      if (!consume(".")) return out;
      out += '.';
    }
  }
  Status parseString(Value& value) {
    const char quote = text_[pos_];
    if (text_.substr(pos_).starts_with(std::string(3, quote)))
      return fail("multi-line strings are not supported");
    ++pos_;
    value.isString = true;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == quote) return {};
      if (c == '\n') {
        --pos_;  // report the line the string started on
        break;
      }
      if (c == '\\' && quote == '"') {
        if (pos_ >= text_.size()) break;
        const char e = text_[pos_++];
        switch (e) {
          case 'n':
            value.text += '\n';
            break;
          case 't':
            value.text += '\t';
            break;
          case 'r':
            value.text += '\r';
            break;
          case 'b':
            value.text += '\b';
            break;
          case 'f':
            value.text += '\f';
            break;
          case '"':
          case '\\':
            value.text += e;
            break;
          case 'u':
          case 'U':
            value.text += '?';
            pos_ += std::min<size_t>(e == 'u' ? 4 : 8, text_.size() - pos_);
            break;
          default:
            return fail("invalid escape in a string");
        }
        continue;
      }
      value.text += c;
    }
    return fail("unterminated string");
  }
  Status parseValue(Value& value, int depth) {
    if (depth > kMaxNesting) return fail("values nested too deeply");
    if (pos_ >= text_.size()) return fail("missing value");
    const char c = text_[pos_];
    if (c == '"' || c == '\'') return parseString(value);
    if (c == '[' || c == '{') {
      const char close = c == '[' ? ']' : '}';
      ++pos_;
      while (true) {
        skipSpaceAndComments(c == '[');  // inline tables stay on one line
        if (pos_ >= text_.size()) return fail("unterminated array or inline table");
        if (consume(std::string_view(&close, 1))) return {};
        if (c == '{') {
          auto name = keyName();
          if (!name) return std::move(name).error();
          skipBlanks();
          if (!consume("=")) return fail("expected '=' in an inline table");
          skipBlanks();
        }
        Value item;
        BH_TRY_STATUS(parseValue(item, depth + 1));
        skipSpaceAndComments(c == '[');
        if (consume(",")) continue;
        if (pos_ < text_.size() && text_[pos_] == close) continue;
        return fail("expected ',' or the end of an array or inline table");
      }
    }
    // Numbers, booleans, dates: one bare token.
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char t = text_[pos_];
      if (t == ' ' || t == '\t' || t == '\n' || t == '\r' || t == ',' || t == ']' || t == '}' ||
          t == '#')
        break;
      ++pos_;
    }
    if (pos_ == start) return fail("missing value");
    value.text = std::string(text_.substr(start, pos_ - start));
    return {};
  }

  std::string_view text_;
  std::string_view what_;
  size_t pos_ = 0;
};

}  // namespace

Result<lang::Parsed> parseCargoLock(std::string_view text, std::string_view what) {
  if (text.size() > kMaxCargoLockBytes) {
    return makeError("{}: {} bytes exceed the limit of {}", what, text.size(), kMaxCargoLockBytes);
  }
  lang::Parsed out;
  struct Crate {
    std::string name, version, source, checksum;
  };
  std::vector<Crate> crates;
  bool inPackage = false;
  bool truncated = false;
  TomlReader reader(text, what);
  auto status = reader.read(
      [&](std::string_view table, bool array) {
        inPackage = array && table == "package";
        if (inPackage) {
          if (crates.size() >= kMaxCrates) {
            inPackage = false;
            truncated = true;
            return;
          }
          crates.emplace_back();
        }
      },
      [&](const std::string& key, const Value& value) {
        if (!inPackage || !value.isString) return;
        Crate& c = crates.back();
        if (key == "name")
          c.name = value.text;
        else if (key == "version")
          c.version = value.text;
        else if (key == "source")
          c.source = value.text;
        else if (key == "checksum")
          c.checksum = value.text;
      });
  if (!status) return status.error();
  if (truncated)
    out.warnings.push_back(
        fmt::format("{}: more than {} packages; the rest ignored", what, kMaxCrates));
  for (auto& c : crates) {
    if (c.name.empty() || c.version.empty()) {
      out.warnings.push_back(fmt::format("{}: a [[package]] without name or version", what));
      continue;
    }
    if (c.source.empty()) continue;  // a workspace member or path dependency: the app itself
    Package p;
    p.name = std::move(c.name);
    p.version = std::move(c.version);
    p.metadata["source"] = std::move(c.source);
    if (!c.checksum.empty()) p.metadata["checksum"] = std::move(c.checksum);
    out.packages.push_back(std::move(p));
  }
  return out;
}

Result<std::string> inflateZlib(std::string_view compressed, size_t maxBytes,
                                std::string_view what) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return makeError("{}: zlib initialisation failed", what);
  std::string out;
  char buffer[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  size_t remaining = compressed.size();
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (z.avail_in == 0 && remaining > 0) {
      const auto chunk = static_cast<uInt>(std::min<size_t>(remaining, 1u << 30));
      z.avail_in = chunk;
      remaining -= chunk;
    }
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR) {
      inflateEnd(&z);
      return makeError("{}: truncated zlib data", what);
    }
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return makeError("{}: corrupt zlib data ({})", what, z.msg ? z.msg : "no detail");
    }
    const size_t produced = sizeof(buffer) - z.avail_out;
    if (out.size() + produced > maxBytes) {
      inflateEnd(&z);
      return makeError("{}: inflates to more than {} bytes", what, maxBytes);
    }
    out.append(buffer, produced);
    if (rc == Z_OK && produced == 0 && z.avail_in == 0 && remaining == 0) {
      inflateEnd(&z);
      return makeError("{}: truncated zlib data", what);
    }
  }
  inflateEnd(&z);
  return out;
}

Result<lang::Parsed> parseCargoAuditable(std::string_view compressed, std::string_view what) {
  auto text = inflateZlib(compressed, kMaxAuditableJsonBytes, what);
  if (!text) return std::move(text).error();
  auto doc = parseJson(*text, what, JsonLimits{kMaxAuditableJsonBytes, 16});
  if (!doc) return std::move(doc).error();
  const nlohmann::json* packages = jsonArray(*doc, "packages");
  if (packages == nullptr) return makeError("{}: cargo-auditable data without \"packages\"", what);
  lang::Parsed out;
  for (const auto& item : *packages) {
    if (out.packages.size() >= kMaxCrates) {
      out.warnings.push_back(
          fmt::format("{}: more than {} packages; the rest ignored", what, kMaxCrates));
      break;
    }
    Package p;
    p.name = jsonString(item, "name");
    p.version = jsonString(item, "version");
    const std::string source = jsonString(item, "source", "crates.io");
    if (p.name.empty() || p.version.empty()) {
      out.warnings.push_back(fmt::format("{}: a package without name or version", what));
      continue;
    }
    if (source == "local" || jsonBool(item, "root")) continue;  // the binary's own crates
    p.metadata["source"] = source;
    p.metadata["kind"] = jsonString(item, "kind", "runtime");
    out.packages.push_back(std::move(p));
  }
  return out;
}

}  // namespace rust

namespace {

bool isCargoSourceCheckout(std::string_view path) {
  return path.find(".cargo/registry/") != std::string_view::npos ||
         path.find(".cargo/git/") != std::string_view::npos;
}

class RustCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "rust"; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    auto rule =
        lang::parsingRule("rust-cargo-lock", 1, rust::kMaxCargoLockBytes, &rust::parseCargoLock,
                          [](std::string_view path) { return !isCargoSourceCheckout(path); });
    rule.exact = {"Cargo.lock"};
    rule.suffixes = {"/Cargo.lock"};
    spec.add(std::move(rule));
    // Binaries: the shared "elf-packages" rule, added last by the binary capture cataloger.
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    const auto& img = ctx.image;
    for (const auto& path : lang::filesEndingWith(img, {"/Cargo.lock"})) {
      if (isCargoSourceCheckout(path)) continue;
      auto parsed = lang::parsedFile(ctx, path, rust::kMaxCargoLockBytes);
      if (!parsed) continue;
      for (auto& p : parsed->packages) {
        p.ecosystem = eco::kCargo;
        p.locations = {"/" + path};
        out.push_back(std::move(p));
      }
    }
    for (const auto& [path, node] : img.fs.nodes()) {
      if (node.type != image::EntryType::kFile || (node.mode & 0111u) == 0) continue;
      auto section = binaryExtract(img, path, kCargoAuditable);
      if (!section) continue;
      auto parsed = rust::parseCargoAuditable(*section, "/" + path + " (.dep-v0)");
      if (!parsed) {
        ctx.warnings.push_back(parsed.error().message);
        continue;
      }
      for (auto& w : parsed->warnings) ctx.warnings.push_back(std::move(w));
      for (auto& p : parsed->packages) {
        p.ecosystem = eco::kCargo;
        p.locations = {"/" + path};
        p.metadata["binary"] = "true";
        out.push_back(std::move(p));
      }
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<Cataloger> makeRustCataloger() { return std::make_unique<RustCataloger>(); }

}  // namespace bulkhead::sbom
