// Python packages: the core metadata file of every installed distribution, wherever it is
// (site-packages, dist-packages, virtualenvs, editable installs' .egg-info). The location
// is the metadata file itself, so the driver's ownership check marks Debian's python3-*
// copies (whose .list files name it) as owned by the deb.

#include "sbom/catalogers/python.h"

#include <set>

#include "sbom/catalogers/catalogers.h"

namespace bulkhead::sbom {
namespace python {
namespace {

constexpr size_t kMaxHeaders = 20'000;
constexpr size_t kMaxLicenseBytes = 200;

struct Header {
  std::string name;
  std::string value;
};

// "Name: value" lines with continuation lines, until the first blank line.
std::vector<Header> headersOf(std::string_view text) {
  std::vector<Header> out;
  size_t start = 0;
  while (start < text.size() && out.size() < kMaxHeaders) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (lang::trim(line).empty()) break;  // the body (long description) follows
    if (line.front() == ' ' || line.front() == '\t') {
      if (!out.empty() && out.back().value.size() < (64u << 10)) {
        out.back().value += '\n';
        out.back().value += std::string(lang::trim(line));
      }
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;  // not a header: tolerated
    out.push_back(Header{std::string(lang::trim(line.substr(0, colon))),
                         std::string(lang::trim(line.substr(colon + 1)))});
  }
  return out;
}

}  // namespace

Result<lang::Parsed> parseMetadata(std::string_view text, std::string_view what) {
  if (text.size() > kMaxMetadataBytes) {
    return makeError("{}: {} bytes exceed the limit of {}", what, text.size(), kMaxMetadataBytes);
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Package p;
  std::string expression;
  std::string license;
  std::vector<std::string> classifiers;
  std::string summary;
  for (auto& h : headersOf(text)) {
    if (lang::equalsIgnoreCase(h.name, "Name")) {
      if (p.name.empty()) p.name = std::move(h.value);
    } else if (lang::equalsIgnoreCase(h.name, "Version")) {
      if (p.version.empty()) p.version = std::move(h.value);
    } else if (lang::equalsIgnoreCase(h.name, "License-Expression")) {
      expression = std::move(h.value);
    } else if (lang::equalsIgnoreCase(h.name, "License")) {
      license = std::move(h.value);
    } else if (lang::equalsIgnoreCase(h.name, "Classifier")) {
      constexpr std::string_view kPrefix = "License ::";
      if (h.value.starts_with(kPrefix)) {
        // "License :: OSI Approved :: MIT License" -> "MIT License".
        std::string_view last = h.value;
        if (const auto sep = last.rfind("::"); sep != std::string_view::npos) {
          last = lang::trim(last.substr(sep + 2));
        }
        if (!last.empty() && last != "OSI Approved" && last.size() <= kMaxLicenseBytes) {
          classifiers.emplace_back(last);
        }
      }
    }
  }
  if (p.name.empty() || p.version.empty()) {
    return makeError("{}: no {} header", what, p.name.empty() ? "Name" : "Version");
  }
  if (p.name.find('\n') != std::string::npos || p.version.find('\n') != std::string::npos) {
    return makeError("{}: Name or Version spans several lines", what);
  }
  // A License header is sometimes the whole license text: only a short one-liner names it.
  const bool licenseNames = !license.empty() && license.size() <= kMaxLicenseBytes &&
                            license.find('\n') == std::string::npos && license != "UNKNOWN";
  if (!expression.empty() && expression.size() <= 4 * kMaxLicenseBytes) {
    p.licenses.push_back(std::move(expression));
  } else if (licenseNames) {
    p.licenses.push_back(std::move(license));
  } else {
    std::set<std::string> seen;
    for (auto& c : classifiers) {
      if (seen.insert(c).second) p.licenses.push_back(std::move(c));
    }
  }
  lang::Parsed out;
  out.packages.push_back(std::move(p));
  return out;
}

bool isMetadataPath(std::string_view path) {
  const std::string_view dir = lang::baseName(lang::parentOf(path));
  const std::string_view file = lang::baseName(path);
  if (file == "METADATA") return dir.size() > 10 && dir.ends_with(".dist-info");
  if (file == "PKG-INFO")
    return (dir.size() > 9 && dir.ends_with(".egg-info")) || dir == "EGG-INFO";
  return file.size() > 9 && file.ends_with(".egg-info");
}

}  // namespace python

namespace {

class PythonCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "python"; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    auto rule = lang::parsingRule("python-metadata", 1, python::kMaxMetadataBytes,
                                  &python::parseMetadata, &python::isMetadataPath);
    rule.suffixes = {".dist-info/METADATA", ".egg-info/PKG-INFO", "/EGG-INFO/PKG-INFO",
                     ".egg-info"};
    spec.add(std::move(rule));
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    for (const auto& path : lang::filesEndingWith(
             ctx.image,
             {".dist-info/METADATA", ".egg-info/PKG-INFO", "/EGG-INFO/PKG-INFO", ".egg-info"})) {
      if (!python::isMetadataPath(path)) continue;
      auto parsed = lang::parsedFile(ctx, path, python::kMaxMetadataBytes);
      if (!parsed || parsed->packages.empty()) continue;
      Package p = std::move(parsed->packages.front());
      p.ecosystem = eco::kPypi;
      p.locations = {"/" + path};
      const std::string_view file = lang::baseName(path);
      const std::string_view dist = file.ends_with(".egg-info") ? path : lang::parentOf(path);
      p.metadata["sitePackages"] = "/" + std::string(lang::parentOf(dist));
      p.metadata["format"] = file == "METADATA" ? "dist-info" : "egg-info";
      out.push_back(std::move(p));
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<Cataloger> makePythonCataloger() { return std::make_unique<PythonCataloger>(); }

}  // namespace bulkhead::sbom
