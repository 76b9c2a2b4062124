// Vulnerability matching: the full scan of the test bed's apps image end to end (read the
// image from a warm layer cache, catalog, match, report), and matching throughput
// (package x advisory-entry pairs per second) on the apps image's SBOM and on a synthetic
// SBOM of every npm, PyPI and Go package the advisory store names. The store is built
// from the shared advisory data (BULKHEAD_ADVISORY_DATA, default ../shared/data/advisories).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "image/image_reader.h"
#include "sbom/sbom.h"
#include "vuln/db/build.h"
#include "vuln/report.h"
#include "vuln/scan.h"

namespace {

using namespace bulkhead;

std::string testbedValue(const std::string& key) {
  const char* env = std::getenv("BULKHEAD_TESTBED_ENV");
  if (env == nullptr) return {};
  std::ifstream in(env);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(key + "=")) return line.substr(key.size() + 1);
  }
  return {};
}

std::string advisoryData() {
  if (const char* env = std::getenv("BULKHEAD_ADVISORY_DATA")) return env;
  return BULKHEAD_DEFAULT_ADVISORY_DATA;
}

const std::string& workDir() {
  static const std::string dir = [] {
    std::string d = std::filesystem::temp_directory_path().string() + "/bulkhead-vuln-bench-" + std::to_string(::getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

const vuln::AdvisoryDb& db() {
  static const vuln::AdvisoryDb store = [] {
    const std::string path = workDir() + "/advisories.db";
    auto built = vuln::buildDatabase(vuln::localFeeds(advisoryData(), vuln::defaultFeeds()), path);
    if (!built) {
      std::cerr << "bench: " << built.error().message << "\n";
      std::exit(2);
    }
    auto opened = vuln::AdvisoryDb::open(path);
    if (!opened) {
      std::cerr << "bench: " << opened.error().message << "\n";
      std::exit(2);
    }
    return std::move(*opened);
  }();
  return store;
}

std::string appsImage() {
  const std::string layout = testbedValue("TESTBED_APPS");
  if (layout.empty()) {
    std::cerr << "bench: the test bed's apps image is needed (BULKHEAD_TESTBED_ENV)\n";
    std::exit(2);
  }
  return "oci:" + layout + ":" + testbedValue("TESTBED_APPS_TAG");
}

image::ReadOptions readOptions() {
  image::ReadOptions options;
  options.cacheDir = workDir() + "/cache";
  options.capture = sbom::sbomCapture();
  return options;
}

const sbom::Sbom& appsSbom() {
  static const sbom::Sbom bom = [] {
    auto img = image::openImage(appsImage(), readOptions());
    if (!img) {
      std::cerr << "bench: " << img.error().message << "\n";
      std::exit(2);
    }
    auto built = sbom::buildSbom(*img);
    if (!built) std::exit(2);
    return std::move(*built);
  }();
  return bom;
}

void BM_ScanAppsImageEndToEnd(benchmark::State& state) {
  (void)db();
  (void)appsSbom();  // the layer cache is warm from here on, as on a second scan
  size_t findings = 0;
  for (auto _ : state) {
    auto img = image::openImage(appsImage(), readOptions());
    auto bom = sbom::buildSbom(*img);
    auto report = vuln::scanSbom(std::move(*bom), db(), {});
    findings = report->findings.size() + report->upstream.size();
    benchmark::DoNotOptimize(vuln::scanJson(*report).dump());
  }
  state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK(BM_ScanAppsImageEndToEnd)->Unit(benchmark::kMillisecond)->UseRealTime();

void matchThroughput(benchmark::State& state, const sbom::Sbom& bom) {
  vuln::StoreAdvisories lookup(db());
  size_t pairs = 0;
  size_t findings = 0;
  for (auto _ : state) {
    auto result = vuln::matchSbom(bom, lookup);
    pairs += result->pairsCompared;
    findings = result->findings.size();
  }
  state.counters["pairs/s"] = benchmark::Counter(static_cast<double>(pairs), benchmark::Counter::kIsRate);
  state.counters["packages"] = static_cast<double>(bom.packages.size());
  state.counters["findings"] = static_cast<double>(findings);
}

void BM_MatchAppsSbom(benchmark::State& state) { matchThroughput(state, appsSbom()); }
BENCHMARK(BM_MatchAppsSbom)->Unit(benchmark::kMillisecond)->UseRealTime();

// Every npm, PyPI and Go package the store names, at a version inside typical ranges.
const sbom::Sbom& syntheticSbom() {
  static const sbom::Sbom bom = [] {
    sbom::Sbom s;
    s.os.id = "debian";
    s.os.versionId = "12";
    std::mt19937 random(42);
    // PyPA's folders are package names; npm's files are numbered, so npm names are listed.
    for (const auto& entry : std::filesystem::directory_iterator(advisoryData() + "/pypa-advisory-database/vulns")) {
      sbom::Package p;
      p.ecosystem = "pypi";
      p.name = entry.path().filename().string();
      p.version = std::to_string(random() % 5) + "." + std::to_string(random() % 20) + "." + std::to_string(random() % 10);
      s.packages.push_back(std::move(p));
    }
    for (const char* name : {"lodash", "express", "minimist", "moment", "qs", "debug", "ms", "mime", "tough-cookie"}) {
      for (const char* version : {"0.0.8", "1.2.3", "2.19.1", "4.16.0", "4.17.4"}) {
        sbom::Package p;
        p.ecosystem = "npm";
        p.name = name;
        p.version = version;
        s.packages.push_back(std::move(p));
      }
    }
    for (const char* version : {"v1.17.5", "v1.19.8", "v1.20.1", "v1.21.0", "v1.22.3"}) {
      sbom::Package p;
      p.ecosystem = "golang";
      p.name = "stdlib";
      p.version = version;
      s.packages.push_back(std::move(p));
    }
    return s;
  }();
  return bom;
}

void BM_MatchSyntheticSbom(benchmark::State& state) { matchThroughput(state, syntheticSbom()); }
BENCHMARK(BM_MatchSyntheticSbom)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(workDir(), ec);
  return 0;
}
