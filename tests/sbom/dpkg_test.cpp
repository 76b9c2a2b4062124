// The dpkg cataloger on the test bed's real Debian image, checked against dpkg-query run on
// the same root file system, and on distroless-style status.d/ layers built here.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/loopback_http_server.h"  // EXPECT_CONTAINS
#include "support/tar_builder.h"
#include "support/testbed.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;
namespace stdfs = std::filesystem;

// name, version, architecture, source name, source version: what dpkg-query prints.
using Row = std::tuple<std::string, std::string, std::string, std::string, std::string>;

std::set<Row> rowsOf(const Sbom& sbom) {
  std::set<Row> out;
  for (const auto& p : sbom.packages) {
    if (p.ecosystem != eco::kDeb) continue;
    out.emplace(p.name, p.version, p.architecture, p.sourceName.empty() ? p.name : p.sourceName,
                p.sourceVersion.empty() ? p.version : p.sourceVersion);
  }
  return out;
}

std::string show(const Row& r) {
  return std::get<0>(r) + " " + std::get<1>(r) + " " + std::get<2>(r) + " " + std::get<3>(r) + " " +
         std::get<4>(r);
}

std::string difference(const std::set<Row>& expected, const std::set<Row>& actual) {
  std::string out;
  for (const auto& r : expected) {
    if (!actual.count(r)) out += "  missing: " + show(r) + "\n";
  }
  for (const auto& r : actual) {
    if (!expected.count(r)) out += "  extra:   " + show(r) + "\n";
  }
  return out;
}

const Package* find(const Sbom& sbom, std::string_view name) {
  for (const auto& p : sbom.packages) {
    if (p.ecosystem == eco::kDeb && p.name == name) return &p;
  }
  return nullptr;
}

// purl percent-encoding of a Debian version (the characters dpkg versions may hold).
std::string purlEncode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '+') {
      out += "%2B";
    } else if (c == ':') {
      out += "%3A";
    } else if (c == '~') {
      out += '~';
    } else {
      out += c;
    }
  }
  return out;
}

// The test bed's image and root file system, opened and catalogued once for all tests.
class TestbedDpkg : public ::testing::Test {
 protected:
  struct Shared {
    std::set<Row> dpkgQuery;
    std::string queryError;
    std::optional<image::Image> oci;
    std::optional<Sbom> ociSbom;
    std::optional<image::Image> rootfs;
    std::optional<Sbom> rootfsSbom;
    std::string error;
  };

  static Shared& shared() {
    static Shared s = [] {
      Shared out;
      const std::string root = tb::testbedValue("TESTBED_ROOTFS");
      const auto query = tb::runCommand(
          {"dpkg-query", "--admindir=" + root + "/var/lib/dpkg", "-W", "-f",
           "${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\n"});
      if (query.exitCode != 0) out.queryError = "dpkg-query failed: " + query.err;
      std::istringstream lines(query.out);
      std::string line;
      while (std::getline(lines, line)) {
        std::istringstream words(line);
        Row r;
        words >> std::get<0>(r) >> std::get<1>(r) >> std::get<2>(r) >> std::get<3>(r) >>
            std::get<4>(r);
        out.dpkgQuery.insert(r);
      }
      image::ReadOptions options;
      options.capture = sbomCapture();
      // Shared by the test processes ctest starts (entries are keyed by digest and capture
      // rules and written atomically), so the image's layers are read once per run.
      options.cacheDir = (stdfs::temp_directory_path() / "bulkhead-sbom-test-layer-cache").string();
      auto open = [&](const std::string& input, std::optional<image::Image>& img,
                      std::optional<Sbom>& sbom) {
        auto opened = image::openImage(input, options);
        if (!opened) {
          out.error += input + ": " + opened.error().message + "\n";
          return;
        }
        img.emplace(std::move(*opened));
        auto built = buildSbom(*img);
        if (!built) {
          out.error += input + ": " + built.error().message + "\n";
          return;
        }
        sbom.emplace(std::move(*built));
      };
      open(tb::testbedValue("TESTBED_OCI") + ":" + tb::testbedValue("TESTBED_OCI_TAG"), out.oci,
           out.ociSbom);
      open("rootfs:" + root, out.rootfs, out.rootfsSbom);
      return out;
    }();
    return s;
  }

  void SetUp() override {
    BULKHEAD_REQUIRE_TESTBED();
    const Shared& s = shared();
    ASSERT_TRUE(s.queryError.empty()) << s.queryError;
    ASSERT_TRUE(s.error.empty()) << s.error;
    ASSERT_GT(s.dpkgQuery.size(), 50u);
  }
};

TEST_F(TestbedDpkg, OciImageListEqualsDpkgQuery) {
  const Shared& s = shared();
  const auto rows = rowsOf(*s.ociSbom);
  EXPECT_EQ(rows, s.dpkgQuery) << difference(s.dpkgQuery, rows);
  RecordProperty("packages", static_cast<int>(rows.size()));
  std::cout << "dpkg-query: " << s.dpkgQuery.size() << " packages, oci image SBOM: " << rows.size()
            << "\n";
}

TEST_F(TestbedDpkg, RootfsListEqualsDpkgQuery) {
  const Shared& s = shared();
  const auto rows = rowsOf(*s.rootfsSbom);
  EXPECT_EQ(rows, s.dpkgQuery) << difference(s.dpkgQuery, rows);
  std::cout << "dpkg-query: " << s.dpkgQuery.size() << " packages, rootfs SBOM: " << rows.size()
            << "\n";
}

TEST_F(TestbedDpkg, FilesNameTheirOwners) {
  for (const Sbom* sbom : {&*shared().ociSbom, &*shared().rootfsSbom}) {
    std::map<std::string, std::string> owner;
    for (const auto& p : sbom->packages) {
      for (const auto& f : p.files) owner.emplace(f, p.name);
    }
    EXPECT_EQ(owner["/usr/bin/dpkg"], "dpkg") << sbom->subject;
    EXPECT_EQ(owner["/bin/bash"], "bash") << sbom->subject;
    EXPECT_EQ(owner["/usr/bin/dpkg-query"], "dpkg") << sbom->subject;
    // Multi-Arch: same packages keep their list as <name>:<arch>.list.
    const Package* libc = find(*sbom, "libc6");
    ASSERT_NE(libc, nullptr);
    EXPECT_FALSE(libc->files.empty()) << "libc6 has no files in " << sbom->subject;
    // Every deb package but the ones without a file list owns files.
    for (const auto& p : sbom->packages) {
      if (p.ecosystem == eco::kDeb) {
        EXPECT_FALSE(p.files.empty()) << p.name << " in " << sbom->subject;
      }
    }
  }
}

// Licenses come from "License:" lines of usr/share/doc/<pkg>/copyright (DEP-5 files); the
// test greps each file itself.
TEST_F(TestbedDpkg, LicensesMatchTheCopyrightFiles) {
  const Shared& s = shared();
  const std::string root = tb::testbedValue("TESTBED_ROOTFS");
  size_t compared = 0;
  size_t withLicenses = 0;
  for (const auto& p : s.rootfsSbom->packages) {
    if (p.ecosystem != eco::kDeb) continue;
    const std::string doc = root + "/usr/share/doc/" + p.name;
    const std::string copyright = doc + "/copyright";
    if (stdfs::is_symlink(doc) || stdfs::is_symlink(copyright) ||
        !stdfs::is_regular_file(copyright)) {
      continue;
    }
    const auto grep = tb::runCommand({"grep", "-h", "^License:", copyright});
    std::set<std::string> expected;
    std::istringstream lines(grep.out);
    std::string line;
    while (std::getline(lines, line)) {
      line = line.substr(8);
      line.erase(0, line.find_first_not_of(" \t"));
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
      if (!line.empty()) expected.insert(line);
    }
    const std::set<std::string> actual(p.licenses.begin(), p.licenses.end());
    EXPECT_EQ(actual, expected) << p.name;
    ++compared;
    if (!expected.empty()) ++withLicenses;
  }
  EXPECT_GT(compared, 50u);
  EXPECT_GT(withLicenses, 40u);

  // One DEP-5 package checked by name.
  const Package* dpkg = find(*s.rootfsSbom, "dpkg");
  ASSERT_NE(dpkg, nullptr);
  const std::set<std::string> dpkgLicenses(dpkg->licenses.begin(), dpkg->licenses.end());
  EXPECT_TRUE(dpkgLicenses.count("GPL-2+")) << ::testing::PrintToString(dpkg->licenses);

  // The image's layer 1 replaced usr/share/doc/procps and layer 2 hid usr/share/doc/openssl
  // behind an opaque directory: those copyright files are gone from the image, so are the
  // licenses, while the rootfs still has them.
  for (const char* name : {"procps", "openssl"}) {
    const Package* inImage = find(*s.ociSbom, name);
    const Package* inRoot = find(*s.rootfsSbom, name);
    ASSERT_NE(inImage, nullptr) << name;
    ASSERT_NE(inRoot, nullptr) << name;
    EXPECT_TRUE(inImage->licenses.empty())
        << name << ": " << ::testing::PrintToString(inImage->licenses);
    EXPECT_FALSE(inRoot->licenses.empty()) << name;
  }
}

TEST_F(TestbedDpkg, EveryPackageIsInTheFirstLayer) {
  const Shared& s = shared();
  ASSERT_FALSE(s.oci->layers.empty());
  const std::string first = s.oci->layers[0].diffId.str();
  for (const auto& p : s.ociSbom->packages) {
    if (p.ecosystem != eco::kDeb) continue;
    EXPECT_EQ(p.layer, 0) << p.name;
    EXPECT_EQ(p.layerDiffId, first) << p.name;
    EXPECT_EQ(p.locations, std::vector<std::string>{"/var/lib/dpkg/status"}) << p.name;
  }
  for (const auto& p : s.rootfsSbom->packages) {
    EXPECT_EQ(p.layer, -1) << p.name;
    EXPECT_TRUE(p.layerDiffId.empty()) << p.name;
  }
}

TEST_F(TestbedDpkg, PurlsFollowThePurlSpec) {
  const Shared& s = shared();
  const Package* bash = find(*s.ociSbom, "bash");
  ASSERT_NE(bash, nullptr);
  ASSERT_FALSE(bash->sourceVersion.empty()) << "bash is a binNMU in bookworm (+bN)";
  // pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2
  EXPECT_EQ(bash->purl, "pkg:deb/debian/bash@" + purlEncode(bash->version) +
                            "?arch=amd64&distro=debian-12&upstream=bash%40" +
                            purlEncode(bash->sourceVersion));
  // Source with another name and the same version: the name alone.
  const Package* libc = find(*s.ociSbom, "libc6");
  ASSERT_NE(libc, nullptr);
  EXPECT_EQ(libc->purl, "pkg:deb/debian/libc6@" + purlEncode(libc->version) +
                            "?arch=amd64&distro=debian-12&upstream=glibc");
  // Its own source: no upstream qualifier.
  const Package* dpkg = find(*s.ociSbom, "dpkg");
  ASSERT_NE(dpkg, nullptr);
  EXPECT_EQ(dpkg->purl,
            "pkg:deb/debian/dpkg@" + purlEncode(dpkg->version) + "?arch=amd64&distro=debian-12");
  // Architecture-independent packages say so.
  for (const auto& p : s.ociSbom->packages) {
    if (p.ecosystem == eco::kDeb && p.architecture == "all") {
      EXPECT_CONTAINS(p.purl, "?arch=all&distro=debian-12");
    }
  }
}

// ---- status.d (distroless) ----------------------------------------------------------------

constexpr const char* kOsRelease =
    "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\n"
    "VERSION=\"Debian GNU/Linux 12 "
    "(bookworm)\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n";

constexpr const char* kLibc6 =
    "Package: libc6\n"
    "Source: glibc\n"
    "Version: 2.36-9+deb12u4\n"
    "Architecture: amd64\n"
    "Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\n"
    "Installed-Size: 12986\n"
    "Depends: libgcc-s1\n"
    "Section: libs\n"
    "Priority: optional\n"
    "Multi-Arch: same\n"
    "Homepage: https://www.gnu.org/software/libc/libc.html\n"
    "Description: GNU C Library: Shared libraries\n"
    " Contains the standard libraries that are used by nearly all programs on\n"
    " the system.\n";

constexpr const char* kBaseFiles =
    "Package: base-files\n"
    "Version: 12.4+deb12u5\n"
    "Architecture: amd64\n"
    "Maintainer: Santiago Vila <sanvila@debian.org>\n"
    "Essential: yes\n"
    "Description: Debian base system miscellaneous files\n";

constexpr const char* kLibssl3 =
    "Package: libssl3\n"
    "Source: openssl (3.0.11-1~deb12u2)\n"
    "Version: 3.0.11-1~deb12u2+b1\n"
    "Architecture: amd64\n"
    "Description: Secure Sockets Layer toolkit - shared libraries\n";

struct Opened {
  image::Image image;
  Sbom sbom;
};

Opened openLayers(const std::vector<std::string>& tars) {
  const std::string dir = tb::makeTempDir("layout");
  tb::LayoutBuilder builder(dir);
  builder.writeIndexJson({builder.image(tars)});
  image::ReadOptions options;
  options.capture = sbomCapture();
  options.cacheDir = tb::makeTempDir("cache");
  auto img = image::openImage("oci:" + dir, options);
  if (!img) throw std::runtime_error(img.error().message);
  auto sbom = buildSbom(*img);
  if (!sbom) throw std::runtime_error(sbom.error().message);
  return Opened{std::move(*img), std::move(*sbom)};
}

TEST(DpkgStatusD, DistrolessPackagesOneFilePerPackage) {
  const std::string layer0 = tb::makeTar({
      tb::dir("etc"),
      tb::file("etc/os-release", kOsRelease),
      tb::dir("var/lib/dpkg/status.d"),
      tb::file("var/lib/dpkg/status.d/libc6", kLibc6),
      tb::file("var/lib/dpkg/status.d/libc6.md5sums",
               "6f6ef5dbb4a8c0e1c4c2f1c2e8c5f2aa  lib/x86_64-linux-gnu/libc.so.6\n"),
      tb::file("var/lib/dpkg/status.d/base-files", kBaseFiles),
      tb::file("var/lib/dpkg/status.d/base-files.md5sums", "0123  etc/debian_version\n"),
      tb::file("lib/x86_64-linux-gnu/libc.so.6",
               "\x7f"
               "ELF"),
  });
  const std::string layer1 = tb::makeTar({
      tb::file("var/lib/dpkg/status.d/libssl3", kLibssl3),
      tb::file("var/lib/dpkg/status.d/libssl3.md5sums",
               "abcd  usr/lib/x86_64-linux-gnu/libssl.so.3\n"),
      tb::file("var/lib/dpkg/status.d/broken", "Package: broken\n no field before this\n"),
  });
  const Opened o = openLayers({layer0, layer1});
  std::map<std::string, const Package*> byName;
  for (const auto& p : o.sbom.packages) {
    EXPECT_EQ(p.ecosystem, eco::kDeb) << p.name;
    byName[p.name] = &p;
  }
  ASSERT_EQ(byName.size(), 3u) << ::testing::PrintToString(o.sbom.warnings);

  const Package& libc = *byName.at("libc6");
  EXPECT_EQ(libc.version, "2.36-9+deb12u4");
  EXPECT_EQ(libc.sourceName, "glibc");
  EXPECT_EQ(libc.sourceVersion, "");
  EXPECT_EQ(libc.architecture, "amd64");
  EXPECT_EQ(libc.locations, std::vector<std::string>{"/var/lib/dpkg/status.d/libc6"});
  EXPECT_EQ(libc.layer, 0);
  EXPECT_EQ(libc.layerDiffId, o.image.layers[0].diffId.str());
  EXPECT_EQ(libc.purl,
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc");
  EXPECT_EQ(libc.metadata.at("maintainer"), "GNU Libc Maintainers <debian-glibc@lists.debian.org>");

  const Package& base = *byName.at("base-files");
  EXPECT_EQ(base.sourceName, "base-files");
  EXPECT_EQ(base.purl, "pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12");

  const Package& ssl = *byName.at("libssl3");
  EXPECT_EQ(ssl.version, "3.0.11-1~deb12u2+b1");
  EXPECT_EQ(ssl.sourceName, "openssl");
  EXPECT_EQ(ssl.sourceVersion, "3.0.11-1~deb12u2");
  EXPECT_EQ(ssl.layer, 1);
  EXPECT_EQ(ssl.layerDiffId, o.image.layers[1].diffId.str());
  EXPECT_EQ(ssl.purl,
            "pkg:deb/debian/"
            "libssl3@3.0.11-1~deb12u2%2Bb1?arch=amd64&distro=debian-12&upstream=openssl%403.0.11-1~"
            "deb12u2");

  // The malformed file is a warning that names it; the .md5sums files are not packages.
  bool named = false;
  for (const auto& w : o.sbom.warnings)
    named = named || w.find("/var/lib/dpkg/status.d/broken") != std::string::npos;
  EXPECT_TRUE(named) << ::testing::PrintToString(o.sbom.warnings);
}

TEST(DpkgStatusD, StatusAndStatusDTogetherAndRemovedPackages) {
  // A status file with one installed, one removed-but-configured and one half-installed
  // package: only the installed one is on the system.
  const std::string status =
      "Package: keep\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\n"
      "Package: gone\nStatus: deinstall ok config-files\nVersion: 2.0\nArchitecture: amd64\n\n"
      "Package: half\nStatus: install reinstreq half-installed\nVersion: 3.0\nArchitecture: "
      "amd64\n";
  const Opened o = openLayers({tb::makeTar({
      tb::file("etc/os-release", kOsRelease),
      tb::file("var/lib/dpkg/status", status),
      tb::file("var/lib/dpkg/info/keep.list", "/.\n/usr\n/usr/bin\n/usr/bin/keep\n"),
      tb::file("usr/bin/keep", "#!/bin/sh\n", 0755),
      tb::file("var/lib/dpkg/status.d/extra",
               "Package: extra\nVersion: 4.0\nArchitecture: amd64\n"),
  })});
  std::set<std::string> names;
  for (const auto& p : o.sbom.packages) names.insert(p.name);
  EXPECT_EQ(names, (std::set<std::string>{"keep", "extra"}));
  for (const auto& p : o.sbom.packages) {
    if (p.name == "keep") {
      EXPECT_EQ(p.files, (std::vector<std::string>{"/usr", "/usr/bin", "/usr/bin/keep"}));
      EXPECT_EQ(p.layer, 0);
    }
  }
}

TEST(DpkgStatusD, HostileStatusFilesAreWarningsNotCrashes) {
  std::string junk;
  for (int i = 0; i < 20000; ++i) junk.push_back(static_cast<char>((i * 7919) & 0xff));
  const Opened o = openLayers({tb::makeTar({
      tb::file("var/lib/dpkg/status", junk),
      tb::file("var/lib/dpkg/status.d/noversion", "Package: x\nArchitecture: amd64\n"),
      tb::file("var/lib/dpkg/status.d/ok", "Package: ok\nVersion: 1\nArchitecture: amd64\n"),
  })});
  ASSERT_EQ(o.sbom.packages.size(), 1u);
  EXPECT_EQ(o.sbom.packages[0].name, "ok");
  std::string all;
  for (const auto& w : o.sbom.warnings) all += w + "\n";
  EXPECT_CONTAINS(all, "/var/lib/dpkg/status");
  EXPECT_CONTAINS(all, "/var/lib/dpkg/status.d/noversion");
}

}  // namespace
}  // namespace bulkhead::sbom
