// Alpine's installed database: the parser on hand-written databases in the format apk
// writes (apk-tools' database.c: one block per package, blank lines between), and the
// cataloger on images built from them, hostile ones included.

#include <gtest/gtest.h>

#include <map>

#include "sbom/apk_db.h"
#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/loopback_http_server.h"  // EXPECT_CONTAINS
#include "support/tar_builder.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;

// As apk 2.14 writes it on Alpine 3.19 (checksums shortened, a few packages).
constexpr const char* kInstalled =
    "C:Q1rOFSfXgdaIi2GnDpXzhPZwG3OC4=\n"
    "P:musl\n"
    "V:1.2.4_git20230717-r4\n"
    "A:x86_64\n"
    "S:407446\n"
    "I:663552\n"
    "T:the musl c library (libc) implementation\n"
    "U:https://musl.libc.org/\n"
    "L:MIT\n"
    "o:musl\n"
    "m:Timo Teräs <timo.teras@iki.fi>\n"
    "t:1700000000\n"
    "c:0a3f5c1d2e3b4a5968778695a4b3c2d1e0f1a2b3\n"
    "p:so:libc.musl-x86_64.so.1=1\n"
    "F:lib\n"
    "R:ld-musl-x86_64.so.1\n"
    "a:0:0:755\n"
    "Z:Q1aDRcN7aq5dNzuoVKUNvQ4EMfOe0=\n"
    "R:libc.musl-x86_64.so.1\n"
    "a:0:0:777\n"
    "Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=\n"
    "\n"
    "C:Q1Z8Xq8+Yb2jOpcmdqTSvhV3mNqQ8=\n"
    "P:busybox\n"
    "V:1.36.1-r15\n"
    "A:x86_64\n"
    "S:513616\n"
    "I:950272\n"
    "T:Size optimized toolbox of many common UNIX utilities\n"
    "U:https://busybox.net/\n"
    "L:GPL-2.0-only\n"
    "o:busybox\n"
    "m:Sören Tempel <soeren+alpine@soeren-tempel.net>\n"
    "t:1700000001\n"
    "c:1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e\n"
    "D:so:libc.musl-x86_64.so.1\n"
    "p:/bin/sh cmd:busybox=1.36.1-r15 cmd:sh=1.36.1-r15\n"
    "r:busybox-initscripts\n"
    "F:bin\n"
    "R:busybox\n"
    "a:0:0:755\n"
    "Z:Q1WUwBY0eOGgzgVxTZxJBZPyQUicI=\n"
    "R:sh\n"
    "a:0:0:777\n"
    "Z:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=\n"
    "F:etc\n"
    "F:etc/securetty\n"
    "\n"
    "C:Q1cZkzYl0Qk0Xq3yHlJvS5ZlU4H4Y=\n"
    "P:libcrypto3\n"
    "V:3.1.4-r5\n"
    "A:x86_64\n"
    "S:1711522\n"
    "I:4317184\n"
    "T:Crypto library from openssl\n"
    "U:https://www.openssl.org/\n"
    "L:Apache-2.0\n"
    "o:openssl\n"
    "m:Ariadne Conill <ariadne@dereferenced.org>\n"
    "t:1700000002\n"
    "c:2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f\n"
    "D:so:libc.musl-x86_64.so.1\n"
    "p:so:libcrypto.so.3=3\n"
    "F:etc/ssl\n"
    "R:openssl.cnf\n"
    "Z:Q1vLMt0Yb8Cn5Y5pqWVpkTTj0tKa8=\n"
    "F:usr/lib\n"
    "R:libcrypto.so.3\n"
    "a:0:0:755\n"
    "Z:Q1Rhh0V5xy2lH7Z3GMo7tVvdnLaS0=\n"
    "\n"
    "C:Q1OldStyleLicense00000000000000=\n"
    "P:scanelf\n"
    "V:1.3.7-r2\n"
    "A:x86_64\n"
    "L:GPL-2.0-only AND (MIT OR BSD-2-Clause)\n"
    "o:pax-utils\n"
    "F:usr/bin\n"
    "R:scanelf\n"
    "\n";

constexpr const char* kAlpineRelease =
    "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n"
    "HOME_URL=\"https://alpinelinux.org/\"\n";

const ApkPackage* byName(const ApkDatabase& db, std::string_view name) {
  for (const auto& p : db.packages) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

TEST(ApkDb, ParsesTheFieldsApkWrites) {
  auto db = parseApkInstalled(kInstalled, "/lib/apk/db/installed");
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_TRUE(db->warnings.empty()) << ::testing::PrintToString(db->warnings);
  ASSERT_EQ(db->packages.size(), 4u);

  const ApkPackage& musl = *byName(*db, "musl");
  EXPECT_EQ(musl.version, "1.2.4_git20230717-r4");
  EXPECT_EQ(musl.architecture, "x86_64");
  EXPECT_EQ(musl.origin, "musl");
  EXPECT_EQ(musl.license, "MIT");
  EXPECT_EQ(musl.maintainer, "Timo Teräs <timo.teras@iki.fi>");
  EXPECT_EQ(musl.url, "https://musl.libc.org/");
  EXPECT_EQ(musl.commit, "0a3f5c1d2e3b4a5968778695a4b3c2d1e0f1a2b3");
  EXPECT_EQ(musl.files,
            (std::vector<std::string>{"/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"}));
  EXPECT_EQ(musl.line, 1u);

  const ApkPackage& busybox = *byName(*db, "busybox");
  EXPECT_EQ(busybox.files,
            (std::vector<std::string>{"/bin/busybox", "/bin/sh"}));  // F: without R: owns no file

  const ApkPackage& crypto = *byName(*db, "libcrypto3");
  EXPECT_EQ(crypto.origin, "openssl");
  EXPECT_EQ(crypto.files,
            (std::vector<std::string>{"/etc/ssl/openssl.cnf", "/usr/lib/libcrypto.so.3"}));
}

TEST(ApkDb, EdgeCasesOfTheLineFormat) {
  // No trailing newline, CRLF, files before any F: (the root directory), a trailing slash
  // on a directory, unknown letters, several blank lines between blocks.
  const std::string text =
      "P:a\r\nV:1-r0\r\nR:rootfile\r\nF:usr/share/\r\nR:x\r\nY:unknown letter\r\n\r\n\r\n\n"
      "P:b\nV:2-r0\nF:\nR:top";
  auto db = parseApkInstalled(text, "db");
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_EQ(db->packages.size(), 2u);
  EXPECT_EQ(db->packages[0].files, (std::vector<std::string>{"/rootfile", "/usr/share/x"}));
  EXPECT_EQ(db->packages[1].files, (std::vector<std::string>{"/top"}));
  EXPECT_EQ(db->packages[1].line, 10u);
  EXPECT_TRUE(db->warnings.empty()) << ::testing::PrintToString(db->warnings);
}

TEST(ApkDb, IncompleteBlocksAndBadLinesAreWarningsWithLineNumbers) {
  const std::string text =
      "P:noversion\n\n"
      "V:1.0-r0\nA:x86_64\n\n"
      "P:good\nV:1-r0\nthis line has no colon\n:\nXY:two letters\n\n";
  auto db = parseApkInstalled(text, "/lib/apk/db/installed");
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_EQ(db->packages.size(), 1u);
  EXPECT_EQ(db->packages[0].name, "good");
  std::string all;
  for (const auto& w : db->warnings) all += w + "\n";
  EXPECT_CONTAINS(all, "/lib/apk/db/installed: line 1: a package without V: (version)");
  EXPECT_CONTAINS(all, "/lib/apk/db/installed: line 3: a package without P: (name)");
  EXPECT_CONTAINS(all, "line 8: expected 'X:value'");
  EXPECT_CONTAINS(all, "line 9: expected 'X:value'");
  EXPECT_CONTAINS(all, "line 10: expected 'X:value'");
}

TEST(ApkDb, WarningsAreCapped) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "garbage\n";
  ApkLimits limits;
  limits.maxWarnings = 5;
  auto db = parseApkInstalled(text, "db", limits);
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_EQ(db->warnings.size(), 6u);
  EXPECT_EQ(db->warnings.back(), "db: 995 more warnings");
}

TEST(ApkDb, LimitsStopHostileDatabases) {
  ApkLimits limits;
  limits.maxPackages = 2;
  auto many = parseApkInstalled("P:a\nV:1\n\nP:b\nV:1\n\nP:c\nV:1\n", "db", limits);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().message, "db: more than 2 packages");

  // One long directory, many one-letter files: the paths would be far bigger than the input.
  limits = ApkLimits{};
  limits.maxPathBytes = 1u << 20;
  std::string amplify = "P:a\nV:1\nF:" + std::string(4000, 'd') + "\n";
  for (int i = 0; i < 1000; ++i) amplify += "R:f\n";
  auto big = parseApkInstalled(amplify, "/lib/apk/db/installed", limits);
  ASSERT_FALSE(big);
  EXPECT_CONTAINS(big.error().message, "/lib/apk/db/installed: line ");
  EXPECT_CONTAINS(big.error().message, "file paths add up to more than 1048576 bytes");

  limits = ApkLimits{};
  limits.maxFiles = 10;
  std::string files = "P:a\nV:1\nF:d\n";
  for (int i = 0; i < 11; ++i) files += "R:f" + std::to_string(i) + "\n";
  auto tooMany = parseApkInstalled(files, "db", limits);
  ASSERT_FALSE(tooMany);
  EXPECT_CONTAINS(tooMany.error().message, "more than 10 files");

  // A directory name over PATH_MAX: its files are left out, the package stays.
  auto longDir =
      parseApkInstalled("P:a\nV:1\nF:" + std::string(5000, 'x') + "\nR:f\nF:ok\nR:g\n", "db");
  ASSERT_TRUE(longDir) << longDir.error().message;
  ASSERT_EQ(longDir->packages.size(), 1u);
  EXPECT_EQ(longDir->packages[0].files, std::vector<std::string>{"/ok/g"});
  ASSERT_EQ(longDir->warnings.size(), 1u);
  EXPECT_CONTAINS(longDir->warnings[0], "db: line 3: directory name longer than 4096 bytes");
}

TEST(ApkDb, BinaryGarbageNeverCrashes) {
  std::string junk;
  uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1103515245u + 12345u;
    junk.push_back(static_cast<char>(x >> 24));
  }
  for (size_t cut : {size_t{0}, size_t{1}, size_t{2}, size_t{777}, junk.size()}) {
    auto db = parseApkInstalled(std::string_view(junk).substr(0, cut), "junk");
    if (db) {
      for (const auto& p : db->packages) EXPECT_FALSE(p.name.empty());
    }
  }
  // Every prefix of a real database parses.
  const std::string real = kInstalled;
  for (size_t cut = 0; cut <= real.size(); cut += 7) {
    auto db = parseApkInstalled(std::string_view(real).substr(0, cut), "prefix");
    ASSERT_TRUE(db) << db.error().message;
  }
}

// ---- the cataloger on images ----------------------------------------------------------------

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

const Package* find(const Sbom& sbom, std::string_view name) {
  for (const auto& p : sbom.packages) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

TEST(ApkCataloger, AlpineImageWithTwoLayers) {
  // Layer 0: the base system. Layer 1: `apk add curl` rewrote the database and added files.
  const std::string base = tb::makeTar({
      tb::dir("etc"),
      tb::file("etc/os-release", kAlpineRelease),
      tb::file("etc/alpine-release", "3.19.1\n"),
      tb::dir("lib"),
      tb::file("lib/ld-musl-x86_64.so.1",
               "\x7f"
               "ELF musl",
               0755),
      tb::symlink("lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1"),
      tb::dir("bin"),
      tb::file("bin/busybox",
               "\x7f"
               "ELF busybox",
               0755),
      tb::symlink("bin/sh", "/bin/busybox"),
      tb::file("etc/ssl/openssl.cnf", "# openssl\n"),
      tb::file("usr/lib/libcrypto.so.3",
               "\x7f"
               "ELF crypto",
               0755),
      tb::file("usr/bin/scanelf",
               "\x7f"
               "ELF scanelf",
               0755),
      tb::file("lib/apk/db/installed", kInstalled),
  });
  const std::string curl =
      "C:Q1curl000000000000000000000000=\nP:curl\nV:8.5.0-r0\nA:x86_64\nL:curl\no:curl\n"
      "m:Natanael Copa <ncopa@alpinelinux.org>\nD:so:libc.musl-x86_64.so.1\nF:usr/bin\nR:curl\n"
      "a:0:0:755\nZ:Q1abc=\n\n";
  const std::string added = tb::makeTar({
      tb::file("lib/apk/db/installed", std::string(kInstalled) + curl),
      tb::file("usr/bin/curl",
               "\x7f"
               "ELF curl",
               0755),
  });
  const Opened o = openLayers({base, added});
  EXPECT_EQ(o.image.os.id, "alpine");
  ASSERT_EQ(o.sbom.packages.size(), 5u) << ::testing::PrintToString(o.sbom.warnings);
  for (const auto& p : o.sbom.packages) {
    EXPECT_EQ(p.ecosystem, eco::kApk);
    EXPECT_EQ(p.nameSpace, "alpine");
    EXPECT_EQ(p.cataloger, "apk");
    EXPECT_EQ(p.locations, std::vector<std::string>{"/lib/apk/db/installed"});
  }

  const Package& musl = *find(o.sbom, "musl");
  EXPECT_EQ(musl.purl, "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1");
  EXPECT_EQ(musl.licenses, std::vector<std::string>{"MIT"});
  EXPECT_EQ(musl.layer, 0);  // its files are in layer 0, although the database was rewritten in 1
  EXPECT_EQ(musl.layerDiffId, o.image.layers[0].diffId.str());

  const Package& crypto = *find(o.sbom, "libcrypto3");
  EXPECT_EQ(crypto.sourceName, "openssl");
  EXPECT_EQ(crypto.purl,
            "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl");
  EXPECT_EQ(crypto.metadata.at("maintainer"), "Ariadne Conill <ariadne@dereferenced.org>");
  EXPECT_EQ(crypto.metadata.at("url"), "https://www.openssl.org/");

  const Package& scanelf = *find(o.sbom, "scanelf");
  EXPECT_EQ(scanelf.licenses, std::vector<std::string>{"GPL-2.0-only AND (MIT OR BSD-2-Clause)"});
  EXPECT_EQ(scanelf.sourceName, "pax-utils");

  const Package& curlPackage = *find(o.sbom, "curl");
  EXPECT_EQ(curlPackage.layer, 1);
  EXPECT_EQ(curlPackage.layerDiffId, o.image.layers[1].diffId.str());
  EXPECT_EQ(curlPackage.files, std::vector<std::string>{"/usr/bin/curl"});
}

TEST(ApkCataloger, OldSpaceSeparatedLicensesAreSplit) {
  const Opened o = openLayers({tb::makeTar({
      tb::file("lib/apk/db/installed", "P:old\nV:1.0-r0\nA:x86\nL:MIT BSD  GPL2+\n\n"),
  })});
  ASSERT_EQ(o.sbom.packages.size(), 1u);
  EXPECT_EQ(o.sbom.packages[0].licenses, (std::vector<std::string>{"MIT", "BSD", "GPL2+"}));
  // No os-release: the namespace falls back to alpine, no distro qualifier, and the origin
  // defaults to the package itself.
  EXPECT_EQ(o.sbom.packages[0].purl, "pkg:apk/alpine/old@1.0-r0?arch=x86");
}

TEST(ApkCataloger, HostileDatabasesGiveWarningsNamingTheFile) {
  // Junk: no packages and no crash.
  std::string junk;
  for (int i = 0; i < 50000; ++i) junk.push_back(static_cast<char>((i * 2654435761u) >> 24));
  const Opened a = openLayers({tb::makeTar({tb::file("lib/apk/db/installed", junk)})});
  for (const auto& w : a.sbom.warnings) EXPECT_CONTAINS(w, "/lib/apk/db/installed");

  // Amplification past the default limit: 4 KiB directory, 20,000 files = 80 MiB of paths
  // from 84 KiB of input.
  std::string amplify = "P:a\nV:1\nF:" + std::string(4000, 'd') + "\n";
  for (int i = 0; i < 20000; ++i) amplify += "R:" + std::to_string(i % 10) + "\n";
  const Opened b = openLayers({tb::makeTar({tb::file("lib/apk/db/installed", amplify)})});
  EXPECT_TRUE(b.sbom.packages.empty());
  ASSERT_EQ(b.sbom.warnings.size(), 1u) << ::testing::PrintToString(b.sbom.warnings);
  EXPECT_CONTAINS(b.sbom.warnings[0], "/lib/apk/db/installed: line ");
  EXPECT_CONTAINS(b.sbom.warnings[0], "file paths add up to more than");

  // The database as a directory or a symlink out of the image: nothing, no crash.
  const Opened c = openLayers({tb::makeTar({
      tb::dir("lib/apk/db"),
      tb::symlink("lib/apk/db/installed", "../../../../../../etc/shadow"),
  })});
  EXPECT_TRUE(c.sbom.packages.empty());
}

}  // namespace
}  // namespace bulkhead::sbom
