// RPM: the header parser on headers built here, and the cataloger on databases made by
// Debian's own rpm from packages this test builds with rpmbuild, checked against
// `rpm -qa` on the same root. rpm 4.18 on Debian writes only sqlite databases (its bdb
// backend is read-only), so the BerkeleyDB Packages files are made with db5.3_load from
// the header blobs of the sqlite one, then checked with rpm's own bdb_ro reader before the
// cataloger reads them.

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "sbom/rpm_db.h"
#include "sbom/rpm_header.h"
#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/loopback_http_server.h"  // EXPECT_CONTAINS
#include "support/tar_builder.h"
#include "support/testbed.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;
namespace stdfs = std::filesystem;

// ---- header blobs made by hand --------------------------------------------------------------

struct HeaderEntry {
  uint32_t tag;
  uint32_t type;
  std::string data;
  uint32_t count;
};

void putBe32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

HeaderEntry str(uint32_t tag, const std::string& s) { return {tag, 6, s + '\0', 1}; }
HeaderEntry strs(uint32_t tag, const std::vector<std::string>& list) {
  std::string data;
  for (const auto& s : list) data += s + '\0';
  return {tag, 8, data, static_cast<uint32_t>(list.size())};
}
HeaderEntry ints(uint32_t tag, const std::vector<uint32_t>& list) {
  std::string data;
  for (const auto v : list) putBe32(data, v);
  return {tag, 4, data, static_cast<uint32_t>(list.size())};
}

std::string makeHeader(const std::vector<HeaderEntry>& entries) {
  std::string index;
  std::string data;
  for (const auto& e : entries) {
    if (e.type == 4) {
      while (data.size() % 4) data.push_back('\0');
    }
    putBe32(index, e.tag);
    putBe32(index, e.type);
    putBe32(index, static_cast<uint32_t>(data.size()));
    putBe32(index, e.count);
    data += e.data;
  }
  std::string out;
  putBe32(out, static_cast<uint32_t>(entries.size()));
  putBe32(out, static_cast<uint32_t>(data.size()));
  return out + index + data;
}

std::vector<HeaderEntry> basicEntries() {
  return {str(rpmtag::kName, "bash"),
          str(rpmtag::kVersion, "5.1.8"),
          str(rpmtag::kRelease, "6.el9_1"),
          str(rpmtag::kArch, "x86_64"),
          str(rpmtag::kLicense, "GPLv3+"),
          str(rpmtag::kSourceRpm, "bash-5.1.8-6.el9_1.src.rpm"),
          str(rpmtag::kVendor, "Rocky Enterprise Software Foundation"),
          ints(rpmtag::kDirIndexes, {0, 0, 1}),
          strs(rpmtag::kBasenames, {"bash", "sh", "bash.1.gz"}),
          strs(rpmtag::kDirnames, {"/usr/bin/", "/usr/share/man/man1/"})};
}

TEST(RpmHeader, ReadsTheTagsAnInventoryNeeds) {
  auto entries = basicEntries();
  entries.push_back(ints(rpmtag::kEpoch, {1}));
  auto h = parseRpmHeader(makeHeader(entries), "hdr");
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->name, "bash");
  EXPECT_EQ(h->version, "5.1.8");
  EXPECT_EQ(h->release, "6.el9_1");
  EXPECT_EQ(h->epoch, 1u);
  EXPECT_EQ(h->arch, "x86_64");
  EXPECT_EQ(h->license, "GPLv3+");
  EXPECT_EQ(h->vendor, "Rocky Enterprise Software Foundation");
  EXPECT_EQ(h->sourceRpm, "bash-5.1.8-6.el9_1.src.rpm");
  EXPECT_EQ(h->files, (std::vector<std::string>{"/usr/bin/bash", "/usr/bin/sh",
                                                "/usr/share/man/man1/bash.1.gz"}));
  EXPECT_TRUE(h->fileError.empty());
  EXPECT_EQ(rpmEvr(*h), "1:5.1.8-6.el9_1");
}

TEST(RpmHeader, OldFilenamesI18nStringsAndNoEpoch) {
  auto h =
      parseRpmHeader(makeHeader({str(rpmtag::kName, "old"),
                                 str(rpmtag::kVersion, "1"),
                                 {rpmtag::kRelease, 9, std::string("2\0ignored\0", 10), 2},
                                 strs(rpmtag::kOldFilenames, {"/etc/old.conf", "/usr/bin/old"})}),
                     "hdr");
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->release, "2");
  EXPECT_FALSE(h->epoch);
  EXPECT_EQ(rpmEvr(*h), "1-2");
  EXPECT_EQ(h->files, (std::vector<std::string>{"/etc/old.conf", "/usr/bin/old"}));
}

TEST(RpmHeader, StructuralErrorsNameTheHeader) {
  const std::string good = makeHeader(basicEntries());
  struct Case {
    std::string blob;
    std::string message;
  };
  std::string hugeIl = good;
  hugeIl[0] = '\x7f';
  std::string longDl = good;
  longDl[4] = '\x10';
  std::string zeroIl(8, '\0');
  const std::vector<Case> cases = {
      {"", "header of 0 bytes is too short"},
      {good.substr(0, 7), "header of 7 bytes is too short"},
      {zeroIl, "header claims 0 index entries"},
      {hugeIl, "index entries (1 to 65535 allowed)"},
      {longDl, "bytes needed"},
      {good.substr(0, good.size() - 1), "bytes needed"},
      {makeHeader({str(rpmtag::kVersion, "1"), str(rpmtag::kRelease, "1")}), "no NAME tag"},
      {makeHeader({str(rpmtag::kName, "a"), str(rpmtag::kRelease, "1")}), "no VERSION tag"},
      {makeHeader({str(rpmtag::kName, ""), str(rpmtag::kVersion, "1"), str(rpmtag::kRelease, "1")}),
       "empty NAME"},
      {makeHeader(
           {ints(rpmtag::kName, {1}), str(rpmtag::kVersion, "1"), str(rpmtag::kRelease, "1")}),
       "tag 1000 (NAME) has type 4, not a string"},
      {makeHeader(
           {{rpmtag::kName, 6, "ab\0", 2}, str(rpmtag::kVersion, "1"), str(rpmtag::kRelease, "1")}),
       "is a string with count 2"},
      {makeHeader({str(rpmtag::kVersion, "1"),
                   str(rpmtag::kRelease, "1"),
                   {rpmtag::kName, 6, "no nul", 1}}),
       "runs past the end of the data"},
      {makeHeader(
           {{rpmtag::kName, 77, "x", 1}, str(rpmtag::kVersion, "1"), str(rpmtag::kRelease, "1")}),
       "unknown type 77"},
      {makeHeader(
           {{rpmtag::kName, 6, "a", 0}, str(rpmtag::kVersion, "1"), str(rpmtag::kRelease, "1")}),
       "has count 0"},
      {makeHeader({str(rpmtag::kName, "a"),
                   str(rpmtag::kVersion, "1"),
                   str(rpmtag::kRelease, "1"),
                   {rpmtag::kEpoch, 4, std::string("\0\0", 2), 1}}),
       "integers do not fit"},
  };
  for (const auto& c : cases) {
    auto h = parseRpmHeader(c.blob, "/var/lib/rpm/rpmdb.sqlite: package 7");
    ASSERT_FALSE(h) << c.message;
    EXPECT_CONTAINS(h.error().message, "/var/lib/rpm/rpmdb.sqlite: package 7: ");
    EXPECT_CONTAINS(h.error().message, c.message);
  }
  // An offset past the data.
  std::string pastData =
      makeHeader({str(rpmtag::kName, "a"), str(rpmtag::kVersion, "1"), str(rpmtag::kRelease, "1")});
  pastData[8 + 8 + 3] = '\x40';  // first entry's offset
  auto h = parseRpmHeader(pastData, "x");
  ASSERT_FALSE(h);
  EXPECT_CONTAINS(h.error().message, "points at offset 64, past the");
  // A string array claiming more strings than bytes.
  auto lying =
      parseRpmHeader(makeHeader({str(rpmtag::kName, "a"),
                                 str(rpmtag::kVersion, "1"),
                                 str(rpmtag::kRelease, "1"),
                                 {rpmtag::kLicense, 8, std::string("a\0", 2), 0x7fffffff}}),
                     "x");
  ASSERT_FALSE(lying);
  EXPECT_CONTAINS(lying.error().message, "claims 2147483647 strings in");
}

TEST(RpmHeader, BadFileListsCostTheFilesNotThePackage) {
  auto withFiles = [](std::vector<HeaderEntry> files, const RpmHeaderLimits& limits = {}) {
    std::vector<HeaderEntry> entries = {str(rpmtag::kName, "p"), str(rpmtag::kVersion, "1"),
                                        str(rpmtag::kRelease, "1")};
    entries.insert(entries.end(), files.begin(), files.end());
    auto h = parseRpmHeader(makeHeader(entries), "hdr", limits);
    if (!h) {
      ADD_FAILURE() << h.error().message;
      return RpmHeader{};
    }
    EXPECT_TRUE(h->files.empty());
    return *h;
  };
  EXPECT_CONTAINS(withFiles({strs(rpmtag::kBasenames, {"a"})}).fileError,
                  "BASENAMES without DIRNAMES");
  EXPECT_CONTAINS(withFiles({strs(rpmtag::kBasenames, {"a", "b"}), strs(rpmtag::kDirnames, {"/"}),
                             ints(rpmtag::kDirIndexes, {0})})
                      .fileError,
                  "2 BASENAMES but 1 DIRINDEXES");
  EXPECT_CONTAINS(withFiles({strs(rpmtag::kBasenames, {"a"}), strs(rpmtag::kDirnames, {"/"}),
                             ints(rpmtag::kDirIndexes, {5})})
                      .fileError,
                  "DIRINDEXES[0] = 5 but there are 1 DIRNAMES");
  EXPECT_CONTAINS(withFiles({
                                strs(rpmtag::kBasenames, {"a"}),
                                strs(rpmtag::kDirnames, {"/"}),
                                ints(rpmtag::kDirIndexes, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                            })
                      .fileError,
                  "1 BASENAMES but 10 DIRINDEXES");
  // Amplification: one long directory name, many one-byte basenames.
  RpmHeaderLimits limits;
  limits.maxFileBytes = 100'000;
  std::vector<std::string> bases(2000, "x");
  std::vector<uint32_t> indexes(2000, 0);
  EXPECT_CONTAINS(
      withFiles({strs(rpmtag::kBasenames, bases), strs(rpmtag::kDirnames, {std::string(1000, 'd')}),
                 ints(rpmtag::kDirIndexes, indexes)},
                limits)
          .fileError,
      "file list over the limit");
  limits = RpmHeaderLimits{};
  limits.maxFiles = 100;
  EXPECT_CONTAINS(withFiles({strs(rpmtag::kBasenames, bases), strs(rpmtag::kDirnames, {"/"}),
                             ints(rpmtag::kDirIndexes, indexes)},
                            limits)
                      .fileError,
                  "over the limit of 100 files");
}

TEST(RpmHeader, SourceRpmNames) {
  auto s = parseSourceRpmName("bulkhead-demo-1.2.3-4.bh1.src.rpm");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "bulkhead-demo");
  EXPECT_EQ(s->version, "1.2.3");
  EXPECT_EQ(s->release, "4.bh1");
  s = parseSourceRpmName("kernel-5.14.0-362.8.1.el9_3.nosrc.rpm");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "kernel");
  EXPECT_EQ(s->release, "362.8.1.el9_3");
  for (const char* bad :
       {"", "nodash.src.rpm", "-1-2.src.rpm", "a--2.src.rpm", "a-1-.src.rpm", "a-1"}) {
    EXPECT_FALSE(parseSourceRpmName(bad)) << bad;
  }
}

TEST(RpmHeader, RandomMutationsNeverCrash) {
  const std::string good = makeHeader(basicEntries());
  uint32_t x = 2463534242u;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string blob = good;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int i = 0; i < flips; ++i) blob[next() % blob.size()] = static_cast<char>(next());
    if (next() % 8 == 0) blob.resize(next() % blob.size());
    auto h = parseRpmHeader(blob, "fuzz");
    if (h) {
      EXPECT_FALSE(h->name.empty());
      EXPECT_LE(h->files.size(), 3u + blob.size());
    }
  }
}

// ---- real databases made by rpm ---------------------------------------------------------------

void writeFile(const std::string& path, const std::string& bytes) {
  stdfs::create_directories(stdfs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool haveTool(const std::string& name) {
  return tb::runCommand({"sh", "-c", "command -v " + name}).exitCode == 0;
}

// Two packages from one spec (an epoch, an SPDX expression, a subpackage whose source rpm
// has another name) and one from a second, native-arch spec with many files so that its
// header needs overflow pages even at 4 KiB.
constexpr const char* kDemoSpec = R"(Name: bulkhead-demo
Version: 1.2.3
Release: 4.bh1
Epoch: 2
Summary: Bulkhead test package
License: MIT AND (GPL-2.0-or-later OR BSD-3-Clause)
Vendor: Bulkhead Tests
BuildArch: noarch

%description
A package built by rpm_test.cpp.

%package -n bulkhead-extra
Summary: Subpackage with its own name
License: Apache-2.0

%description -n bulkhead-extra
Its source rpm is bulkhead-demo.

%install
mkdir -p %{buildroot}/usr/share/bulkhead-demo %{buildroot}/usr/bin
echo hello > %{buildroot}/usr/share/bulkhead-demo/hello.txt
printf '#!/bin/sh\necho extra\n' > %{buildroot}/usr/bin/bulkhead-extra
chmod 755 %{buildroot}/usr/bin/bulkhead-extra

%files
/usr/share/bulkhead-demo

%files -n bulkhead-extra
/usr/bin/bulkhead-extra
)";

constexpr const char* kToolSpec = R"(Name: bulkhead-tool
Version: 0.9
Release: 1
Summary: Bulkhead test tool
License: GPL-3.0-only

%description
Many files, so the header is big.

%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc %{buildroot}/usr/share/bulkhead-tool/data
printf '#!/bin/sh\necho tool\n' > %{buildroot}/usr/bin/bulkhead-tool
chmod 755 %{buildroot}/usr/bin/bulkhead-tool
echo conf > %{buildroot}/etc/bulkhead-tool.conf
for i in $(seq 1 150); do echo $i > %{buildroot}/usr/share/bulkhead-tool/data/file-with-a-rather-long-name-$i.txt; done

%files
/usr/bin/bulkhead-tool
%config(noreplace) /etc/bulkhead-tool.conf
/usr/share/bulkhead-tool
)";

constexpr const char* kFedoraRelease = "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=39\n";

// name, [epoch:]version-release, arch, source name, source [epoch:]version-release, license
using Row =
    std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>;

std::string show(const Row& r) {
  return std::get<0>(r) + " " + std::get<1>(r) + " " + std::get<2>(r) + " " + std::get<3>(r) + " " +
         std::get<4>(r) + " [" + std::get<5>(r) + "]";
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

std::set<Row> rowsOf(const Sbom& sbom) {
  std::set<Row> out;
  for (const auto& p : sbom.packages) {
    if (p.ecosystem != eco::kRpm) continue;
    out.emplace(p.name, p.version, p.architecture, p.sourceName,
                p.sourceVersion.empty() ? p.version : p.sourceVersion,
                p.licenses.empty() ? std::string() : p.licenses.front());
  }
  return out;
}

struct Query {
  std::set<Row> rows;
  std::string error;
};

// What rpm itself says about the database under `root`, with its own source-rpm split.
Query rpmQuery(const std::string& root, const std::string& dbpath = "/var/lib/rpm",
               const std::string& backend = {}) {
  std::vector<std::string> argv = {"rpm", "--root", root, "--dbpath", dbpath};
  if (!backend.empty()) argv.insert(argv.end(), {"--define", "_db_backend " + backend});
  argv.insert(argv.end(),
              {"-qa", "--qf",
               "%{NAME}|%{EPOCHNUM}|%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}|%{ARCH}|"
               "%{SOURCERPM}|%{LICENSE}\\n"});
  const auto result = tb::runCommand(argv);
  Query q;
  if (result.exitCode != 0) q.error = "rpm -qa failed: " + result.err;
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    std::string field;
    while (std::getline(fields, field, '|')) f.push_back(field);
    if (f.size() != 6) {
      q.error += "odd line: " + line + "\n";
      continue;
    }
    const std::string& evr = f[2];
    // EPOCHNUM is 0 without an epoch; the version string carries the epoch only with one.
    if (f[1] != "0" && !evr.starts_with(f[1] + ":")) q.error += "epoch: " + line + "\n";
    std::string src = f[4];
    src = src.substr(0, src.size() - std::string(".src.rpm").size());
    const auto releaseDash = src.rfind('-');
    const auto versionDash = src.rfind('-', releaseDash - 1);
    const std::string epochPrefix =
        evr.find(':') == std::string::npos ? "" : evr.substr(0, evr.find(':') + 1);
    q.rows.emplace(f[0], evr, f[3], src.substr(0, versionDash),
                   epochPrefix + src.substr(versionDash + 1), f[5]);
  }
  return q;
}

// A directory tree as tar entries (relative paths), and a map of path -> bytes to diff.
std::vector<tb::TarEntry> treeEntries(const std::string& root,
                                      const std::map<std::string, std::string>* before,
                                      std::map<std::string, std::string>* snapshot) {
  std::vector<tb::TarEntry> out;
  for (auto it = stdfs::recursive_directory_iterator(root);
       it != stdfs::recursive_directory_iterator(); ++it) {
    const std::string rel =
        it->path().lexically_relative(root).string();  // not relative(): no symlinks followed
    const auto status = it->symlink_status();
    std::string key;
    tb::TarEntry entry;
    if (stdfs::is_symlink(status)) {
      entry = tb::symlink(rel, stdfs::read_symlink(it->path()).string());
      key = "l:" + entry.link;
    } else if (stdfs::is_directory(status)) {
      entry = tb::dir(rel);
      key = "d";
    } else if (stdfs::is_regular_file(status)) {
      entry = tb::file(rel, readFile(it->path().string()),
                       static_cast<uint32_t>(status.permissions()) & 07777);
      key = "f:" + entry.content;
    } else {
      continue;
    }
    if (snapshot) (*snapshot)[rel] = key;
    if (before) {
      auto old = before->find(rel);
      if (old != before->end() && old->second == key) continue;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

struct RpmWorld {
  std::string skip;   // why the tests cannot run here
  std::string error;  // what went wrong building it
  std::string dir;
  std::string root;  // demo + extra, then tool installed
  std::string layer0, layer1;
  Query expected;
  std::map<std::string, std::set<std::string>> ownedFiles;  // rpm -ql
  std::vector<std::pair<uint64_t, std::string>> blobs;      // from rpmdb.sqlite
};

// Builds the packages and the root once: rpmbuild, then rpm -i of the demo spec's two
// packages (snapshot: layer 0), then of the tool (what changed: layer 1).
std::string buildWorld(const std::string& dir) {
  writeFile(dir + "/demo.spec", kDemoSpec);
  writeFile(dir + "/tool.spec", kToolSpec);
  for (const char* spec : {"demo.spec", "tool.spec"}) {
    const auto built = tb::runCommand({"rpmbuild", "--define", "_topdir " + dir + "/top",
                                       "--define", "debug_package %{nil}", "--define",
                                       "_build_id_links none", "--quiet", "-bb", dir + "/" + spec});
    if (built.exitCode != 0) return std::string("rpmbuild ") + spec + ": " + built.err + built.out;
  }
  const std::string root = dir + "/root";
  writeFile(root + "/etc/os-release", kFedoraRelease);
  std::string error;
  auto install = [&](const std::vector<std::string>& rpms) {
    std::vector<std::string> argv = {"rpm",      "--root",       root,
                                     "--dbpath", "/var/lib/rpm", "-i",
                                     "--nodeps", "--noscripts",  "--nosignature"};
    argv.insert(argv.end(), rpms.begin(), rpms.end());
    const auto r = tb::runCommand(argv);
    if (r.exitCode != 0) error += "rpm -i: " + r.err + "\n";
  };
  const std::string rpms = dir + "/top/RPMS/";
  install({rpms + "noarch/bulkhead-demo-1.2.3-4.bh1.noarch.rpm",
           rpms + "noarch/bulkhead-extra-1.2.3-4.bh1.noarch.rpm"});
  std::map<std::string, std::string> snapshot;
  writeFile(dir + "/layer0.tar", tb::makeTar(treeEntries(root, nullptr, &snapshot)));
  std::string toolRpm;
  for (const auto& e : stdfs::directory_iterator(rpms)) {
    if (e.path().filename() == "noarch") continue;
    for (const auto& f : stdfs::directory_iterator(e.path())) toolRpm = f.path().string();
  }
  install({toolRpm});
  writeFile(dir + "/layer1.tar", tb::makeTar(treeEntries(root, &snapshot, nullptr)));
  return error;
}

const RpmWorld& world() {
  static const RpmWorld w = [] {
    RpmWorld out;
    for (const char* tool : {"rpm", "rpmbuild"}) {
      if (!haveTool(tool)) {
        out.skip = std::string(tool) + " is not installed (scripts/setup.sh installs it)";
        return out;
      }
    }
    // ctest runs each test in its own process: the packages and the root are built once,
    // under a lock, in a directory named after everything that goes into them.
    const std::string recipe = std::string(kDemoSpec) + kToolSpec + kFedoraRelease +
                               tb::runCommand({"rpm", "--version"}).out + "layout 1";
    out.dir = (stdfs::temp_directory_path() /
               fmt::format("bulkhead-rpm-test-{:016x}", std::hash<std::string>{}(recipe)))
                  .string();
    const int lock = ::open((out.dir + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
      out.error = "cannot lock " + out.dir + ".lock";
      if (lock >= 0) ::close(lock);
      return out;
    }
    if (!stdfs::exists(out.dir + "/done")) {
      stdfs::remove_all(out.dir);
      out.error = buildWorld(out.dir);
      if (out.error.empty()) writeFile(out.dir + "/done", "");
    }
    ::close(lock);
    if (!out.error.empty()) return out;
    out.root = out.dir + "/root";
    out.layer0 = readFile(out.dir + "/layer0.tar");
    out.layer1 = readFile(out.dir + "/layer1.tar");
    out.expected = rpmQuery(out.root);
    for (const auto& [name, evr, arch, sn, sv, license] : out.expected.rows) {
      const auto listed =
          tb::runCommand({"rpm", "--root", out.root, "--dbpath", "/var/lib/rpm", "-ql", name});
      std::istringstream lines(listed.out);
      std::string line;
      while (std::getline(lines, line)) out.ownedFiles[name].insert(line);
    }
    auto read = readRpmSqlite(
        readFile(out.root + "/var/lib/rpm/rpmdb.sqlite"), "rpmdb.sqlite",
        [&](uint64_t key, std::string_view blob) { out.blobs.emplace_back(key, blob); });
    if (!read) out.error = read.error().message;
    return out;
  }();
  return w;
}

class RpmDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    const RpmWorld& w = world();
    if (!w.skip.empty()) {
      const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");
      if (must && std::string(must) == "1") FAIL() << w.skip;
      GTEST_SKIP() << w.skip;
    }
    ASSERT_TRUE(w.error.empty()) << w.error;
    ASSERT_TRUE(w.expected.error.empty()) << w.expected.error;
    ASSERT_EQ(w.expected.rows.size(), 3u);
  }

  static Sbom catalog(const std::string& input) {
    image::ReadOptions options;
    options.capture = sbomCapture();
    options.cacheDir = tb::makeTempDir("cache");
    auto img = image::openImage(input, options);
    if (!img) throw std::runtime_error(img.error().message);
    auto sbom = buildSbom(*img);
    if (!sbom) throw std::runtime_error(sbom.error().message);
    return std::move(*sbom);
  }

  static std::string openLayout(const std::vector<std::string>& tars) {
    const std::string dir = tb::makeTempDir("layout");
    tb::LayoutBuilder builder(dir);
    builder.writeIndexJson({builder.image(tars)});
    return "oci:" + dir;
  }
};

const Package* find(const Sbom& sbom, std::string_view name) {
  for (const auto& p : sbom.packages) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

TEST_F(RpmDatabase, RpmWritesSqliteHere) {
  const auto backend = tb::runCommand({"rpm", "--eval", "%_db_backend"});
  EXPECT_EQ(backend.out, "sqlite\n");
  EXPECT_EQ(rpmDbFormat(readFile(world().root + "/var/lib/rpm/rpmdb.sqlite")), "sqlite");
}

TEST_F(RpmDatabase, SqliteRootfsEqualsRpmQuery) {
  const Sbom sbom = catalog("rootfs:" + world().root);
  const auto rows = rowsOf(sbom);
  EXPECT_EQ(rows, world().expected.rows) << difference(world().expected.rows, rows);
  EXPECT_TRUE(sbom.warnings.empty()) << ::testing::PrintToString(sbom.warnings);
  std::cout << "rpm -qa: " << world().expected.rows.size()
            << " packages, rootfs SBOM: " << rows.size() << "\n";
  for (const auto& p : sbom.packages) {
    const std::set<std::string> files(p.files.begin(), p.files.end());
    EXPECT_EQ(files, world().ownedFiles.at(p.name)) << p.name;
    EXPECT_EQ(p.locations, std::vector<std::string>{"/var/lib/rpm/rpmdb.sqlite"});
    EXPECT_EQ(p.cataloger, "rpm");
    EXPECT_EQ(p.nameSpace, "fedora");
  }
}

TEST_F(RpmDatabase, SqliteImageLayersEqualRpmQuery) {
  const Sbom sbom = catalog(openLayout({world().layer0, world().layer1}));
  const auto rows = rowsOf(sbom);
  EXPECT_EQ(rows, world().expected.rows) << difference(world().expected.rows, rows);
  std::cout << "rpm -qa: " << world().expected.rows.size()
            << " packages, image SBOM: " << rows.size() << "\n";

  // The database was rewritten in layer 1; each package is in the layer of its files.
  const Package* demo = find(sbom, "bulkhead-demo");
  const Package* extra = find(sbom, "bulkhead-extra");
  const Package* tool = find(sbom, "bulkhead-tool");
  ASSERT_TRUE(demo && extra && tool);
  EXPECT_EQ(demo->layer, 0);
  EXPECT_EQ(extra->layer, 0);
  EXPECT_EQ(tool->layer, 1);
  EXPECT_FALSE(tool->layerDiffId.empty());

  EXPECT_EQ(demo->version, "2:1.2.3-4.bh1");
  EXPECT_EQ(demo->licenses, std::vector<std::string>{"MIT AND (GPL-2.0-or-later OR BSD-3-Clause)"});
  EXPECT_EQ(demo->metadata.at("vendor"), "Bulkhead Tests");
  EXPECT_EQ(demo->purl,
            "pkg:rpm/fedora/bulkhead-demo@1.2.3-4.bh1?arch=noarch&distro=fedora-39&epoch=2");
  EXPECT_EQ(extra->sourceName, "bulkhead-demo");
  EXPECT_EQ(extra->sourceVersion, "");  // same as its own, epoch included
  EXPECT_EQ(extra->metadata.at("sourceRpm"), "bulkhead-demo-1.2.3-4.bh1.src.rpm");
  EXPECT_EQ(
      extra->purl,
      "pkg:rpm/fedora/"
      "bulkhead-extra@1.2.3-4.bh1?arch=noarch&distro=fedora-39&epoch=2&upstream=bulkhead-demo");
  EXPECT_EQ(tool->purl, "pkg:rpm/fedora/bulkhead-tool@0.9-1?arch=x86_64&distro=fedora-39");

  // Ownership: the driver's map from file to package sees rpm's files.
  std::map<std::string, std::string> owner;
  for (const auto& p : sbom.packages) {
    for (const auto& f : p.files) owner[f] = p.name;
  }
  EXPECT_EQ(owner["/usr/bin/bulkhead-tool"], "bulkhead-tool");
  EXPECT_EQ(owner["/usr/bin/bulkhead-extra"], "bulkhead-extra");
  EXPECT_EQ(owner["/usr/share/bulkhead-tool/data/file-with-a-rather-long-name-150.txt"],
            "bulkhead-tool");
}

// ---- BerkeleyDB Packages made with db5.3_load -------------------------------------------------

std::string hexEscape(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (const unsigned char c : bytes) {
    out += '\\';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string key32(uint32_t v, bool bigEndian) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) {
    out[static_cast<size_t>(bigEndian ? 3 - i : i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  return out;
}

struct BdbVariant {
  uint32_t pageSize;
  bool bigEndian;
  int copies;  // extra copies of each header under new keys (many buckets, split pages)
};

// Writes a Packages file like rpm's: key 0 holds the next header number; every other key
// is a header number in the writer's byte order, its value the header blob.
std::string makeBdb(const std::string& path, const BdbVariant& v) {
  const auto& blobs = world().blobs;
  std::string input =
      hexEscape(key32(0, v.bigEndian)) + "\n" +
      hexEscape(key32(static_cast<uint32_t>(blobs.size() * (v.copies + 1) + 1), v.bigEndian)) +
      "\n";
  uint32_t next = 1;
  for (int copy = 0; copy <= v.copies; ++copy) {
    for (const auto& [key, blob] : blobs) {
      input += hexEscape(key32(copy == 0 ? static_cast<uint32_t>(key) : 1000 + next, v.bigEndian)) +
               "\n";
      input += hexEscape(blob) + "\n";
      ++next;
    }
  }
  const std::string inputPath = path + ".load";
  writeFile(inputPath, input);
  stdfs::create_directories(stdfs::path(path).parent_path());
  const auto loaded = tb::runCommand(
      {"db5.3_load", "-T", "-t", "hash", "-c", "db_pagesize=" + std::to_string(v.pageSize), "-c",
       std::string("db_lorder=") + (v.bigEndian ? "4321" : "1234"), "-f", inputPath, path});
  stdfs::remove(inputPath);
  return loaded.exitCode == 0 ? std::string() : "db5.3_load: " + loaded.err;
}

class RpmBerkeleyDb : public RpmDatabase {
 protected:
  void SetUp() override {
    RpmDatabase::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!haveTool("db5.3_load")) {
      const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");
      if (must && std::string(must) == "1") FAIL() << "db5.3_load is not installed";
      GTEST_SKIP()
          << "db5.3_load is not installed (package db5.3-util; scripts/setup.sh installs it)";
    }
  }
};

TEST_F(RpmBerkeleyDb, EveryPageSizeAndByteOrderEqualsRpmQuery) {
  for (const BdbVariant v : {BdbVariant{512, false, 0}, BdbVariant{4096, true, 0},
                             BdbVariant{65536, false, 0}, BdbVariant{1024, true, 0}}) {
    SCOPED_TRACE(::testing::Message()
                 << "page size " << v.pageSize << (v.bigEndian ? " big" : " little") << "-endian");
    const std::string root = tb::makeTempDir("bdb-" + std::to_string(v.pageSize));
    const std::string error = makeBdb(root + "/var/lib/rpm/Packages", v);
    ASSERT_TRUE(error.empty()) << error;
    // rpm's own read-only BerkeleyDB backend agrees the file is a good rpm database.
    const Query byRpm = rpmQuery(root, "/var/lib/rpm", "bdb_ro");
    EXPECT_EQ(byRpm.rows, world().expected.rows) << difference(world().expected.rows, byRpm.rows);
    EXPECT_EQ(rpmDbFormat(readFile(root + "/var/lib/rpm/Packages")), "bdb");

    const Sbom sbom = catalog("rootfs:" + root);
    const auto rows = rowsOf(sbom);
    EXPECT_EQ(rows, world().expected.rows) << difference(world().expected.rows, rows);
    EXPECT_TRUE(sbom.warnings.empty()) << ::testing::PrintToString(sbom.warnings);
    for (const auto& p : sbom.packages) {
      const std::set<std::string> files(p.files.begin(), p.files.end());
      EXPECT_EQ(files, world().ownedFiles.at(p.name)) << p.name;
      EXPECT_EQ(p.locations, std::vector<std::string>{"/var/lib/rpm/Packages"});
    }
    std::cout << "bdb page size " << v.pageSize << (v.bigEndian ? " BE" : " LE")
              << ": rpm -qa (bdb_ro) " << byRpm.rows.size() << ", SBOM " << rows.size() << "\n";
  }
}

TEST_F(RpmBerkeleyDb, ManyRecordsSpreadOverBucketsAndChains) {
  const std::string root = tb::makeTempDir("bdb-many");
  const std::string path = root + "/var/lib/rpm/Packages";
  ASSERT_TRUE(makeBdb(path, {512, false, 100}).empty());
  const std::string bytes = readFile(path);
  size_t records = 0;
  std::set<uint64_t> keys;
  auto read = readRpmBerkeleyDb(bytes, path, [&](uint64_t key, std::string_view blob) {
    ++records;
    keys.insert(key);
    EXPECT_TRUE(parseRpmHeader(blob, "x").ok());
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(*read, 3u * 101);
  EXPECT_EQ(records, 3u * 101);
  EXPECT_EQ(keys.size(), 3u * 101);
  EXPECT_FALSE(keys.count(0));
  const auto listed = tb::runCommand(
      {"rpm", "--root", root, "--dbpath", "/var/lib/rpm", "--define", "_db_backend bdb_ro", "-qa"});
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 3 * 101);
  // The same package many times over is one package in the SBOM.
  const Sbom sbom = catalog("rootfs:" + root);
  EXPECT_EQ(rowsOf(sbom), world().expected.rows);
}

TEST_F(RpmBerkeleyDb, SysimageLocationBehindASymlinkIsReadOnce) {
  const std::string root = tb::makeTempDir("sysimage");
  ASSERT_TRUE(makeBdb(root + "/usr/lib/sysimage/rpm/Packages", {4096, false, 0}).empty());
  stdfs::create_directories(root + "/var/lib");
  stdfs::create_symlink("../../usr/lib/sysimage/rpm", root + "/var/lib/rpm");
  for (const std::string& input :
       {"rootfs:" + root, openLayout({tb::makeTar(treeEntries(root, nullptr, nullptr))})}) {
    const Sbom sbom = catalog(input);
    EXPECT_EQ(rowsOf(sbom), world().expected.rows)
        << input << ::testing::PrintToString(sbom.warnings);
    for (const auto& p : sbom.packages) {
      EXPECT_EQ(p.locations, std::vector<std::string>{"/usr/lib/sysimage/rpm/Packages"}) << input;
    }
  }
}

TEST_F(RpmBerkeleyDb, SqliteWinsOverAStalePackagesFileBesideIt) {
  const std::string root = tb::makeTempDir("both");
  ASSERT_TRUE(makeBdb(root + "/var/lib/rpm/Packages", {4096, false, 0}).empty());
  stdfs::copy_file(world().root + "/var/lib/rpm/rpmdb.sqlite", root + "/var/lib/rpm/rpmdb.sqlite");
  const Sbom sbom = catalog("rootfs:" + root);
  EXPECT_EQ(rowsOf(sbom), world().expected.rows);
  for (const auto& p : sbom.packages) {
    EXPECT_EQ(p.locations, std::vector<std::string>{"/var/lib/rpm/rpmdb.sqlite"});
  }
  ASSERT_EQ(sbom.warnings.size(), 1u);
  EXPECT_CONTAINS(sbom.warnings[0], "/var/lib/rpm/Packages: left out");
}

// ---- hostile BerkeleyDB files ----------------------------------------------------------------

uint32_t le32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(b[at])) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}
void setLe32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

TEST_F(RpmBerkeleyDb, HostileFilesGiveClearErrors) {
  const std::string root = tb::makeTempDir("hostile");
  const std::string path = root + "/Packages";
  ASSERT_TRUE(makeBdb(path, {512, false, 0}).empty());
  const std::string good = readFile(path);
  auto errorOf = [](const std::string& bytes) {
    auto read =
        readRpmBerkeleyDb(bytes, "/var/lib/rpm/Packages", [](uint64_t, std::string_view) {});
    return read ? std::string("no error") : read.error().message;
  };
  EXPECT_EQ(errorOf(good), "no error");
  EXPECT_CONTAINS(errorOf(good.substr(0, 100)), "100 bytes, too short for a BerkeleyDB database");
  EXPECT_CONTAINS(errorOf(good.substr(0, good.size() - 512)), "truncated");
  EXPECT_CONTAINS(errorOf(std::string(4096, 'x')), "not a BerkeleyDB hash database");

  std::string btree = good;
  setLe32(btree, 12, 0x00053162);
  EXPECT_CONTAINS(errorOf(btree), "a BerkeleyDB btree");

  std::string pageSize = good;
  setLe32(pageSize, 20, 777);
  EXPECT_CONTAINS(errorOf(pageSize), "page size 777 is not a power of two");

  std::string encrypted = good;
  encrypted[24] = 1;
  EXPECT_CONTAINS(errorOf(encrypted), "encrypted");

  std::string buckets = good;
  setLe32(buckets, 72, 0x7fffffff);
  EXPECT_CONTAINS(errorOf(buckets), "hash buckets in");

  // Overflow chains: one pointing at itself (a cycle), one at the metadata page, one cut.
  const size_t pages = good.size() / 512;
  size_t overflow = 0;
  for (size_t p = 1; p < pages; ++p) {
    if (static_cast<unsigned char>(good[p * 512 + 25]) == 7 && le32(good, p * 512 + 16) != 0) {
      overflow = p;
      break;
    }
  }
  ASSERT_NE(overflow, 0u) << "no chained overflow page in a 512-byte-page database";
  std::string cycle = good;
  setLe32(cycle, overflow * 512 + 16, static_cast<uint32_t>(overflow));
  EXPECT_CONTAINS(errorOf(cycle), "overflow page " + std::to_string(overflow) + " is used twice");
  std::string toMeta = good;
  setLe32(toMeta, overflow * 512 + 16, 0);
  EXPECT_CONTAINS(errorOf(toMeta), "overflow chain ends after");
  std::string beyond = good;
  setLe32(beyond, overflow * 512 + 16, 0x00ffffff);
  EXPECT_CONTAINS(errorOf(beyond), "is past the last page");
  std::string wrongNumber = good;
  setLe32(wrongNumber, overflow * 512 + 8, 4242);
  EXPECT_CONTAINS(errorOf(wrongNumber),
                  "page " + std::to_string(overflow) + " says it is page 4242");
  std::string longPage = good;
  longPage[overflow * 512 + 22] = static_cast<char>(0xff);
  longPage[overflow * 512 + 23] = static_cast<char>(0x7f);
  EXPECT_CONTAINS(errorOf(longPage), "more than fit or are left");

  // Through the cataloger: a warning that names the file, no packages invented.
  writeFile(root + "/img/var/lib/rpm/Packages", cycle);
  const Sbom sbom = catalog("rootfs:" + root + "/img");
  std::string all;
  for (const auto& w : sbom.warnings) all += w + "\n";
  EXPECT_CONTAINS(all, "/var/lib/rpm/Packages: overflow page");
  for (const auto& row : rowsOf(sbom)) EXPECT_TRUE(world().expected.rows.count(row)) << show(row);
}

TEST_F(RpmBerkeleyDb, RandomCorruptionIsBoundedAndNeverCrashes) {
  const std::string root = tb::makeTempDir("mutate");
  const std::string path = root + "/Packages";
  ASSERT_TRUE(makeBdb(path, {512, false, 8}).empty());
  const std::string good = readFile(path);
  uint32_t x = 88172645u;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  const auto start = std::chrono::steady_clock::now();
  size_t succeeded = 0;
  for (int round = 0; round < 1000; ++round) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(next() % 6);
    for (int i = 0; i < flips; ++i) {
      // Mostly in the metadata and page headers, where the structure lives.
      const size_t page = next() % (bytes.size() / 512);
      const size_t at = page * 512 + (next() % 2 ? next() % 32 : next() % 512);
      bytes[at] = static_cast<char>(next());
    }
    size_t total = 0;
    auto read = readRpmBerkeleyDb(bytes, "m", [&](uint64_t, std::string_view blob) {
      total += blob.size();
      (void)parseRpmHeader(blob, "m");
    });
    if (read) ++succeeded;
    EXPECT_LE(total, bytes.size()) << "every page is read at most once";
  }
  EXPECT_GT(succeeded, 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

// ---- hostile sqlite files ----------------------------------------------------------------------

std::string sqliteBytes(const std::vector<std::string>& statements) {
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  for (const auto& sql : statements) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (error ? error : "?");
      sqlite3_free(error);
    }
  }
  sqlite3_int64 size = 0;
  unsigned char* data = sqlite3_serialize(db, "main", &size, 0);
  std::string out(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
  sqlite3_free(data);
  sqlite3_close(db);
  return out;
}

std::string sqliteError(std::string bytes, const RpmDbLimits& limits = {}) {
  size_t visited = 0;
  auto read = readRpmSqlite(
      std::move(bytes), "/var/lib/rpm/rpmdb.sqlite", [&](uint64_t, std::string_view) { ++visited; },
      limits);
  return read ? "no error, " + std::to_string(visited) + " rows" : read.error().message;
}

TEST(RpmSqlite, HostileSchemasAndContents) {
  EXPECT_CONTAINS(sqliteError("not sqlite at all"),
                  "/var/lib/rpm/rpmdb.sqlite: not an sqlite database");
  EXPECT_CONTAINS(sqliteError(sqliteBytes({"CREATE TABLE Other(x)"})), "no Packages table");
  // A view that never ends: refused before it runs.
  EXPECT_CONTAINS(sqliteError(sqliteBytes(
                      {"CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                       "SELECT x + 1 FROM c) SELECT x AS hnum, zeroblob(100000) AS blob FROM c"})),
                  "Packages is not a plain table");
  EXPECT_CONTAINS(sqliteError(sqliteBytes({"CREATE TABLE Packages(a, b)"})), "no such column");
  // Rows rpm would never write still reach the visitor (the header parser judges them).
  EXPECT_EQ(
      sqliteError(sqliteBytes({"CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB)",
                               "INSERT INTO Packages VALUES (1, NULL), (2, 'text'), (3, x'00')"})),
      "no error, 3 rows");
  RpmDbLimits limits;
  limits.maxRecords = 2;
  EXPECT_CONTAINS(
      sqliteError(sqliteBytes({"CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB)",
                               "INSERT INTO Packages VALUES (1, x'00'), (2, x'00'), (3, x'00')"}),
                  limits),
      "more than 2 packages");
  limits = RpmDbLimits{};
  limits.maxValueBytes = 1000;
  EXPECT_CONTAINS(
      sqliteError(sqliteBytes({"CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB)",
                               "INSERT INTO Packages VALUES (1, zeroblob(5000))"}),
                  limits),
      "too big");
  limits = RpmDbLimits{};
  limits.maxSqliteInstructions = 5000;
  const std::string many =
      sqliteBytes({"CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB)",
                   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5000) "
                   "INSERT INTO Packages(blob) SELECT x'00' FROM c"});
  EXPECT_EQ(sqliteError(many), "no error, 5000 rows");
  EXPECT_CONTAINS(sqliteError(many, limits), "more than 5000 steps");
}

TEST_F(RpmDatabase, CorruptSqliteIsAWarningNamingTheFile) {
  const std::string good = readFile(world().root + "/var/lib/rpm/rpmdb.sqlite");
  const std::string root = tb::makeTempDir("corrupt");
  // Truncated, and the pages after the first filled with junk.
  std::string junk = good;
  for (size_t i = 4096; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 2654435761u) >> 13);
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"truncated", good.substr(0, good.size() / 3)}, {"junk", junk}}) {
    writeFile(root + "/" + name + "/var/lib/rpm/rpmdb.sqlite", bytes);
    const Sbom sbom = catalog("rootfs:" + root + "/" + name);
    ASSERT_FALSE(sbom.warnings.empty()) << name;
    for (const auto& w : sbom.warnings) EXPECT_CONTAINS(w, "/var/lib/rpm/rpmdb.sqlite");
  }
  // Random byte flips anywhere: no crash.
  uint32_t x = 1;
  for (int round = 0; round < 200; ++round) {
    std::string bytes = good;
    for (int i = 0; i < 8; ++i) {
      x = x * 1664525u + 1013904223u;
      bytes[x % bytes.size()] = static_cast<char>(x >> 24);
    }
    (void)readRpmSqlite(std::move(bytes), "flip", [](uint64_t key, std::string_view blob) {
      (void)parseRpmHeader(blob, std::to_string(key));
    });
  }
  // A write-ahead log with content is said to be unread.
  const std::string wal = root + "/wal";
  writeFile(wal + "/var/lib/rpm/rpmdb.sqlite", good);
  writeFile(wal + "/var/lib/rpm/rpmdb.sqlite-wal", std::string(1000, 'w'));
  const Sbom sbom = catalog("rootfs:" + wal);
  EXPECT_EQ(rowsOf(sbom), world().expected.rows);
  ASSERT_EQ(sbom.warnings.size(), 1u);
  EXPECT_CONTAINS(sbom.warnings[0],
                  "/var/lib/rpm/rpmdb.sqlite-wal: 1000 bytes of uncheckpointed changes");
}

}  // namespace
}  // namespace bulkhead::sbom
