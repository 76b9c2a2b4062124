// Debian packages: var/lib/dpkg/status (what dpkg-query -W lists: every paragraph whose
// Status says "installed"), and var/lib/dpkg/status.d/ (one file per package, as
// distroless images ship them). File lists come from var/lib/dpkg/info/<pkg>[:arch].list,
// licenses from machine-readable /usr/share/doc/<pkg>/copyright files.

#include <set>

#include "sbom/catalogers/catalogers.h"
#include "sbom/deb822.h"

namespace bulkhead::sbom {
namespace {

constexpr std::string_view kStatus = "var/lib/dpkg/status";
constexpr std::string_view kStatusDir = "var/lib/dpkg/status.d/";
constexpr std::string_view kInfoDir = "var/lib/dpkg/info/";
constexpr size_t kMaxStatusBytes = 64u << 20;
constexpr size_t kMaxListBytes = 8u << 20;
constexpr size_t kMaxCopyrightBytes = 1u << 20;

std::string field(const Paragraph& p, const char* name) {
  auto it = p.find(name);
  return it == p.end() ? std::string() : it->second;
}

// "Status: install ok installed": the last word is the state; half-installed,
// config-files and not-installed packages are not on the system.
bool installed(const Paragraph& p) {
  const std::string status = field(p, "Status");
  if (status.empty()) return true;  // status.d files carry no Status field
  const auto space = status.rfind(' ');
  const std::string state = space == std::string::npos ? status : status.substr(space + 1);
  return state == "installed";
}

// "Source: name (version)" or "Source: name".
void splitSource(const std::string& source, std::string& name, std::string& version) {
  const auto paren = source.find(" (");
  if (paren == std::string::npos) {
    name = source;
    return;
  }
  name = source.substr(0, paren);
  const auto close = source.find(')', paren);
  if (close != std::string::npos) version = source.substr(paren + 2, close - paren - 2);
}

// DEP-5 copyright files: every "License: <short name>" line, deduplicated.
std::vector<std::string> licensesOf(std::string_view copyright) {
  std::set<std::string> found;
  size_t start = 0;
  while (start < copyright.size()) {
    size_t end = copyright.find('\n', start);
    if (end == std::string_view::npos) end = copyright.size();
    std::string_view line = copyright.substr(start, end - start);
    start = end + 1;
    if (!line.starts_with("License:")) continue;
    line.remove_prefix(8);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (!line.empty() && line.size() < 200) found.emplace(line);
  }
  return {found.begin(), found.end()};
}

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

class DpkgCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "dpkg"; }
  bool osPackages() const override { return true; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    image::CaptureRule db;
    db.name = "dpkg-db";
    db.exact = {std::string(kStatus)};
    db.prefixes = {std::string(kStatusDir)};
    db.maxBytes = kMaxStatusBytes;
    spec.add(std::move(db));
    image::CaptureRule lists;
    lists.name = "dpkg-lists";
    lists.prefixes = {std::string(kInfoDir)};
    lists.suffixes = {".list"};
    lists.maxBytes = kMaxListBytes;
    spec.add(std::move(lists));
    image::CaptureRule copyright;
    copyright.name = "dpkg-copyright";
    copyright.prefixes = {"usr/share/doc/"};
    copyright.suffixes = {"/copyright"};
    copyright.maxBytes = kMaxCopyrightBytes;
    copyright.transform = [](std::string_view path, std::string_view data) -> std::optional<std::string> {
      // usr/share/doc/<pkg>/copyright only, reduced to its license names.
      if (std::count(path.begin(), path.end(), '/') != 4) {
        return std::nullopt;
      }
      std::string out;
      for (const auto& l : licensesOf(data)) out += l + '\n';
      return out;
    };
    spec.add(std::move(copyright));
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    const auto& img = ctx.image;
    std::vector<std::pair<std::string, std::string>> databases;  // path, text
    if (img.fs.find(kStatus) != nullptr) {
      auto text = img.readFile(kStatus, kMaxStatusBytes);
      if (!text) {
        ctx.warnings.push_back(text.error().message);
      } else {
        databases.emplace_back(std::string(kStatus), std::move(*text));
      }
    }
    for (auto it = img.fs.nodes().lower_bound(kStatusDir);
         it != img.fs.nodes().end() && it->first.starts_with(kStatusDir); ++it) {
      if (it->second.type != image::EntryType::kFile || it->first.ends_with(".md5sums")) continue;
      auto text = img.readFile(it->first, kMaxStatusBytes);
      if (!text) {
        ctx.warnings.push_back(text.error().message);
        continue;
      }
      databases.emplace_back(it->first, std::move(*text));
    }
    for (const auto& [path, text] : databases) {
      auto paragraphs = parseDeb822(text, "/" + path);
      if (!paragraphs) {
        ctx.warnings.push_back(paragraphs.error().message);
        continue;
      }
      for (const auto& para : *paragraphs) {
        if (!installed(para)) continue;
        Package p;
        p.ecosystem = eco::kDeb;
        p.name = field(para, "Package");
        p.version = field(para, "Version");
        if (p.name.empty() || p.version.empty()) {
          ctx.warnings.push_back(fmt::format("/{}: a paragraph without Package or Version", path));
          continue;
        }
        p.nameSpace = ctx.image.os.id.empty() ? "debian" : ctx.image.os.id;
        p.architecture = field(para, "Architecture");
        splitSource(field(para, "Source"), p.sourceName, p.sourceVersion);
        if (p.sourceName.empty()) p.sourceName = p.name;
        p.locations.push_back("/" + path);
        if (auto maintainer = field(para, "Maintainer"); !maintainer.empty()) {
          p.metadata["maintainer"] = maintainer;
        }
        attachFiles(ctx, p);
        if (auto licenses = img.derived("usr/share/doc/" + p.name + "/copyright")) {
          p.licenses = lines(*licenses);
        }
        out.push_back(std::move(p));
      }
    }
    return {};
  }

 private:
  // The .list file names the package's files; its layer is the layer that installed it.
  static void attachFiles(const CatalogContext& ctx, Package& p) {
    for (const std::string& list : {std::string(kInfoDir) + p.name + ":" + p.architecture + ".list",
                                    std::string(kInfoDir) + p.name + ".list"}) {
      const auto* node = ctx.image.fs.find(list);
      if (node == nullptr) continue;
      auto text = ctx.image.readFile(list, kMaxListBytes);
      if (!text) continue;
      p.layer = node->layer;
      for (auto& f : lines(*text)) {
        if (f != "/.") p.files.push_back(std::move(f));
      }
      return;
    }
  }
};

}  // namespace

std::unique_ptr<Cataloger> makeDpkgCataloger() { return std::make_unique<DpkgCataloger>(); }

}  // namespace bulkhead::sbom
