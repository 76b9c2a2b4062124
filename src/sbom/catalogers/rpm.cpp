// RPM packages (RHEL, CentOS, Fedora, Amazon Linux, SUSE, ...). rpm keeps one header
// blob per installed package (rpm_header.cpp) in one of two databases (rpm_db.cpp):
// rpmdb.sqlite (rpm >= 4.16) or the BerkeleyDB hash file Packages (older), in
// var/lib/rpm/ or, on newer distributions, usr/lib/sysimage/rpm/ (var/lib/rpm is then
// often a symlink to it; both are resolved and read once). The version is
// [epoch:]version-release; the source package comes from the SOURCERPM file name.
// gpg-pubkey entries are imported signing keys, not software, and are left out.

#include <set>
#include <tuple>

#include "sbom/catalogers/catalogers.h"
#include "sbom/catalogers/os_support.h"
#include "sbom/rpm_db.h"
#include "sbom/rpm_header.h"

namespace bulkhead::sbom {
namespace {

constexpr std::string_view kDbDirs[] = {"usr/lib/sysimage/rpm/", "var/lib/rpm/"};
constexpr std::string_view kSqliteName = "rpmdb.sqlite";
constexpr std::string_view kBdbName = "Packages";
constexpr std::string_view kNdbName = "Packages.db";
constexpr size_t kMaxDbBytes = 256u << 20;
// File paths over all packages of one image; a real Fedora with 2,000 packages has ~20 MiB.
constexpr size_t kMaxFileBytes = 512u << 20;
constexpr size_t kMaxWarningsPerDb = 20;

struct Database {
  std::string path;  // resolved, relative
  bool sqlite = false;
};

class RpmCataloger final : public Cataloger {
 public:
  std::string_view name() const override { return "rpm"; }
  bool osPackages() const override { return true; }

  void addCaptureRules(image::CaptureSpec& spec) const override {
    image::CaptureRule db;
    db.name = "rpm-db";
    for (const auto dir : kDbDirs) {
      db.exact.push_back(std::string(dir) + std::string(kSqliteName));
      db.exact.push_back(std::string(dir) + std::string(kBdbName));
    }
    db.maxBytes = kMaxDbBytes;
    spec.add(std::move(db));
  }

  Status catalog(const CatalogContext& ctx, std::vector<Package>& out) const override {
    const auto& img = ctx.image;
    std::vector<Database> databases;
    std::set<std::string> seen;
    for (const auto dir : kDbDirs) {
      for (const auto file : {kSqliteName, kBdbName, kNdbName}) {
        auto resolved = img.fs.resolve(std::string(dir) + std::string(file));
        if (!resolved) continue;
        const auto* node = img.fs.find(*resolved);
        if (node == nullptr ||
            (node->type != image::EntryType::kFile && node->type != image::EntryType::kHardlink)) {
          continue;
        }
        if (!seen.insert(*resolved).second) continue;
        if (file == kNdbName) {
          ctx.warnings.push_back(fmt::format(
              "/{}: rpm ndb databases are not read; its packages are missing", *resolved));
          continue;
        }
        databases.push_back({*resolved, file == kSqliteName});
      }
    }
    // rpm uses one backend per directory; when an upgrade left the old Packages next to
    // rpmdb.sqlite, the sqlite one is the live one.
    std::set<std::string> sqliteDirs;
    for (const auto& db : databases) {
      if (db.sqlite) sqliteDirs.insert(db.path.substr(0, db.path.rfind('/') + 1));
    }
    std::set<std::tuple<std::string, std::string, std::string>> emitted;
    size_t fileBudget = kMaxFileBytes;
    for (const auto& db : databases) {
      if (!db.sqlite && sqliteDirs.count(db.path.substr(0, db.path.rfind('/') + 1)) != 0) {
        ctx.warnings.push_back(
            fmt::format("/{}: left out: rpmdb.sqlite beside it is the live database", db.path));
        continue;
      }
      readDatabase(ctx, db, emitted, fileBudget, out);
    }
    return {};
  }

 private:
  static void readDatabase(const CatalogContext& ctx, const Database& db,
                           std::set<std::tuple<std::string, std::string, std::string>>& emitted,
                           size_t& fileBudget, std::vector<Package>& out) {
    const auto& img = ctx.image;
    const std::string where = "/" + db.path;
    auto bytes = img.readFile(db.path, kMaxDbBytes);
    if (!bytes) {
      ctx.warnings.push_back(bytes.error().message);
      return;
    }
    size_t warnings = 0;
    auto warn = [&](std::string message) {
      if (warnings++ < kMaxWarningsPerDb) ctx.warnings.push_back(std::move(message));
    };
    auto visit = [&](uint64_t key, std::string_view blob) {
      RpmHeaderLimits limits;
      limits.maxFileBytes = std::min(limits.maxFileBytes, fileBudget);
      auto header = parseRpmHeader(blob, fmt::format("{}: package {}", where, key), limits);
      if (!header) {
        warn(header.error().message);
        return;
      }
      if (header->name == "gpg-pubkey") return;
      if (!header->fileError.empty()) warn(header->fileError);
      Package p = toPackage(img, std::move(*header), where);
      for (const auto& f : p.files) fileBudget -= std::min(fileBudget, f.size());
      if (!emitted.emplace(p.name, p.version, p.architecture).second) return;
      out.push_back(std::move(p));
    };
    const bool sqlite = rpmDbFormat(*bytes) == "sqlite";
    if (sqlite != db.sqlite) {
      warn(fmt::format("{}: holds a {} database", where, sqlite ? "sqlite" : "non-sqlite"));
    }
    auto read = sqlite ? readRpmSqlite(std::move(*bytes), where, visit)
                       : readRpmBerkeleyDb(*bytes, where, visit);
    if (!read) warn(read.error().message);
    if (sqlite) {
      // Transactions still in the write-ahead log are not in the main file.
      const auto* wal = img.fs.find(db.path + "-wal");
      if (wal != nullptr && wal->size > 0) {
        warn(fmt::format("{}-wal: {} bytes of uncheckpointed changes are not read", where,
                         wal->size));
      }
    }
    if (warnings > kMaxWarningsPerDb) {
      ctx.warnings.push_back(
          fmt::format("{}: {} more warnings", where, warnings - kMaxWarningsPerDb));
    }
  }

  static Package toPackage(const image::Image& img, RpmHeader h, const std::string& where) {
    Package p;
    p.ecosystem = eco::kRpm;
    p.name = h.name;
    p.version = rpmEvr(h);
    p.nameSpace = img.os.id;
    p.architecture = h.arch;
    if (auto source = parseSourceRpmName(h.sourceRpm)) {
      p.sourceName = std::move(source->name);
      // The source package is built from the same spec, so it has the binary's epoch.
      std::string sourceVersion = h.epoch ? fmt::format("{}:", *h.epoch) : std::string();
      sourceVersion += source->version + "-" + source->release;
      if (sourceVersion != p.version) p.sourceVersion = std::move(sourceVersion);
    } else {
      p.sourceName = p.name;
    }
    if (!h.license.empty()) p.licenses.push_back(std::move(h.license));
    p.locations.push_back(where);
    if (!h.vendor.empty()) p.metadata["vendor"] = std::move(h.vendor);
    if (!h.sourceRpm.empty()) p.metadata["sourceRpm"] = std::move(h.sourceRpm);
    p.files = std::move(h.files);
    p.layer = layerOfFiles(img.fs, p.files);
    return p;
  }
};

}  // namespace

std::unique_ptr<Cataloger> makeRpmCataloger() { return std::make_unique<RpmCataloger>(); }

}  // namespace bulkhead::sbom
