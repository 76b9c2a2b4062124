// Python: the core-metadata parser on hand-written files (license precedence, folded
// headers, the body), the cataloger on an image with a Debian-owned copy, and the oracle:
// over copies of this host's dist-packages/site-packages metadata, the cataloger finds
// exactly the distributions /usr/bin/python3's importlib.metadata finds.

#include "sbom/catalogers/python.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/json.h"
#include "sbom/catalogers/catalogers.h"
#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/tar_builder.h"
#include "support/testbed.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;
namespace fs = std::filesystem;

struct Catalogued {
  std::vector<Package> packages;
  std::vector<std::string> warnings;
};

Result<image::Image> open(const std::string& input) {
  image::ReadOptions options;
  options.useCache = false;
  options.capture = sbomCapture();
  return image::openImage(input, options);
}

Catalogued catalogImage(const std::string& input) {
  auto image = open(input);
  if (!image) throw std::runtime_error(image.error().message);
  Catalogued out;
  CatalogContext context{*image, out.warnings};
  auto status = makePythonCataloger()->catalog(context, out.packages);
  if (!status) throw std::runtime_error(status.error().message);
  return out;
}

std::string layoutOf(const std::vector<std::vector<tb::TarEntry>>& layers) {
  const std::string dir = tb::makeTempDir("image");
  tb::LayoutBuilder builder(dir + "/layout");
  std::vector<std::string> tars;
  for (const auto& entries : layers) tars.push_back(tb::makeTar(entries));
  builder.writeIndexJson({builder.image(tars)});
  return "oci:" + dir + "/layout";
}

Package parseOne(std::string_view text) {
  auto parsed = python::parseMetadata(text, "/site/x.dist-info/METADATA");
  if (!parsed) throw std::runtime_error(parsed.error().message);
  return parsed->packages.at(0);
}

TEST(PythonMetadata, NameVersionAndLicensePrecedence) {
  const Package p = parseOne(
      "Metadata-Version: 2.4\r\nName: Requests_Toolbelt\r\nVersion: 1.0.0\r\n"
      "License: Apache 2.0\r\nClassifier: License :: OSI Approved :: Apache Software License\r\n"
      "\r\nName: not-this\r\nbody text\r\n");
  EXPECT_EQ(p.name, "Requests_Toolbelt");
  EXPECT_EQ(p.version, "1.0.0");
  EXPECT_EQ(p.licenses, std::vector<std::string>{"Apache 2.0"});
  // License-Expression beats everything.
  EXPECT_EQ(parseOne("Name: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: MIT\n")
                .licenses,
            std::vector<std::string>{"MIT OR Apache-2.0"});
  // A License header holding the license text is no name: the classifiers are used.
  const Package text = parseOne(
      "Name: b\nVersion: 2\nLicense: Copyright (c) 2020 Someone\n        Permission is hereby "
      "granted\n"
      "        free of charge\nClassifier: License :: OSI Approved :: MIT License\n"
      "Classifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved\n"
      "Classifier: Programming Language :: Python\n");
  EXPECT_EQ(text.licenses, std::vector<std::string>{"MIT License"});
  EXPECT_TRUE(parseOne("Name: c\nVersion: 3\nLicense: UNKNOWN\n").licenses.empty());
  // A byte-order mark, odd case and spacing of field names.
  const Package bom = parseOne("\xEF\xBB\xBFname:   spaced  \nVERSION:2.0\n");
  EXPECT_EQ(bom.name, "spaced");
  EXPECT_EQ(bom.version, "2.0");
}

TEST(PythonMetadata, MissingFieldsAreErrorsNamingTheFile) {
  for (std::string_view text :
       {"", "Version: 1\n", "Name: x\n", "\nName: x\nVersion: 1\n", "garbage\x01\xff"}) {
    auto parsed =
        python::parseMetadata(text, "/usr/lib/python3/dist-packages/x.dist-info/METADATA");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find("/usr/lib/python3/dist-packages/x.dist-info/METADATA"),
              std::string::npos);
  }
}

TEST(PythonMetadata, Paths) {
  EXPECT_TRUE(python::isMetadataPath("usr/lib/python3/dist-packages/six-1.16.0.egg-info"));
  EXPECT_TRUE(python::isMetadataPath("venv/lib/python3.12/site-packages/a-1.dist-info/METADATA"));
  EXPECT_TRUE(python::isMetadataPath("src/proj.egg-info/PKG-INFO"));
  EXPECT_TRUE(python::isMetadataPath("site/x-1.0-py3.9.egg/EGG-INFO/PKG-INFO"));
  EXPECT_FALSE(python::isMetadataPath("a/METADATA"));
  EXPECT_FALSE(python::isMetadataPath("a/.dist-info/METADATA"));
  EXPECT_FALSE(python::isMetadataPath("a/x.dist-info/RECORD"));
  EXPECT_FALSE(python::isMetadataPath("a/PKG-INFO"));
}

TEST(PythonCataloger, LocationsOwnershipAndWarnings) {
  const std::string six = "Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n";
  const std::string requests =
      "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n\n" +
      std::string(200'000, 'x');
  const std::string status =
      "Package: python3-six\nStatus: install ok installed\nArchitecture: all\nVersion: "
      "1.16.0-4\n\n";
  auto image = open(layoutOf(
      {{tb::file("var/lib/dpkg/status", status),
        tb::file("var/lib/dpkg/info/python3-six.list",
                 "/.\n/usr/lib/python3/dist-packages/six-1.16.0.egg-info\n/usr/lib/python3/"
                 "dist-packages/six.py\n"),
        tb::file("usr/lib/python3/dist-packages/six-1.16.0.egg-info", six)},
       {tb::file("app/.venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
                 requests),
        tb::file("app/.venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/RECORD",
                 "requests/__init__.py,,\n"),
        tb::file("app/.venv/lib/python3.11/site-packages/broken-1.dist-info/METADATA",
                 "Version: 1\n")}}));
  ASSERT_TRUE(image) << image.error().message;
  auto sbom = buildSbom(*image);
  ASSERT_TRUE(sbom) << sbom.error().message;
  std::vector<const Package*> pypi;
  for (const auto& p : sbom->packages) {
    if (p.ecosystem == eco::kPypi) pypi.push_back(&p);
  }
  ASSERT_EQ(pypi.size(), 2u);
  const Package& req = *pypi[0];
  const Package& s = *pypi[1];
  EXPECT_EQ(req.name, "requests");
  EXPECT_EQ(req.locations,
            std::vector<std::string>{
                "/app/.venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA"});
  EXPECT_EQ(req.metadata.at("sitePackages"), "/app/.venv/lib/python3.11/site-packages");
  EXPECT_EQ(req.layer, 1);
  EXPECT_TRUE(req.ownedBy.empty());
  EXPECT_EQ(req.purl, "pkg:pypi/requests@2.31.0");
  EXPECT_EQ(s.name, "six");
  EXPECT_EQ(s.ownedBy, "deb:python3-six");
  EXPECT_EQ(s.metadata.at("format"), "egg-info");
  EXPECT_EQ(s.licenses, std::vector<std::string>{"MIT"});
  bool warned = false;
  for (const auto& w : sbom->warnings) {
    warned |= w.find("broken-1.dist-info/METADATA") != std::string::npos &&
              w.find("Name") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

// --- Oracle: importlib.metadata over copies of this host's installed distributions. -----

std::vector<std::string> hostSitePackages() {
  std::vector<std::string> out;
  for (const char* d :
       {"/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/dist-packages"}) {
    if (fs::is_directory(d)) out.emplace_back(d);
  }
  auto r = tb::runCommand(
      {"python3", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"});
  if (r.exitCode == 0 && !r.out.empty()) {
    std::string d = r.out.substr(0, r.out.find('\n'));
    if (fs::is_directory(d) && std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  }
  return out;
}

TEST(PythonOracle, EqualsImportlibMetadata) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  const auto sources = hostSitePackages();
  if (sources.empty()) GTEST_SKIP() << "no site-packages on this host";
  // The metadata folders and files only, at their own paths inside a root file system.
  const std::string root = tb::makeTempDir("rootfs");
  std::vector<std::string> copies;
  for (const auto& source : sources) {
    const std::string dest = root + source;
    fs::create_directories(dest);
    copies.push_back(dest);
    for (const auto& entry : fs::directory_iterator(source)) {
      const std::string name = entry.path().filename().string();
      if (!name.ends_with(".dist-info") && !name.ends_with(".egg-info")) continue;
      fs::copy(entry.path(), dest + "/" + name,
               fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    }
  }
  std::vector<std::string> argv = {
      "/usr/bin/python3", "-c",
      "import importlib.metadata as m, json, sys\n"
      "out = []\n"
      "for d in m.distributions(path=sys.argv[1:]):\n"
      "    if d.metadata is not None and d.metadata['Name'] and d.version:\n"
      "        out.append([d.metadata['Name'], d.version])\n"
      "print(json.dumps(out))\n"};
  argv.insert(argv.end(), copies.begin(), copies.end());
  auto r = tb::runCommand(argv);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto doc = parseJson(r.out, "importlib output");
  ASSERT_TRUE(doc) << doc.error().message;
  std::vector<std::pair<std::string, std::string>> expected;
  for (const auto& item : *doc)
    expected.emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
  std::sort(expected.begin(), expected.end());
  ASSERT_GE(expected.size(), 10u);

  const auto result = catalogImage("rootfs:" + root);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& p : result.packages) got.emplace_back(p.name, p.version);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
  for (const auto& w : result.warnings) ADD_FAILURE() << "warning: " << w;
}

}  // namespace
}  // namespace bulkhead::sbom
