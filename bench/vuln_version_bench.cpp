// Version comparisons per second for every scheme on a realistic mix (versions as they
// appear in images and in advisory feeds, pairs that share long prefixes), and npm range
// and PEP 440 specifier checks per second. Items per second = comparisons or checks.

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "vuln/versions/scheme.h"

namespace {

using namespace bulkhead::vuln;

const std::vector<std::string>& mix(const std::string& scheme) {
  static const std::map<std::string, std::vector<std::string>> kMix = {
      {"deb", {"2.36-9+deb12u4", "2.36-9+deb12u10", "1:2.38.1-5+deb12u3", "3.0.15-1~deb12u1", "3.0.11-1~deb12u2",
               "7.88.1-10+deb12u8", "1.2.13.dfsg-1", "252.33-1~deb12u1", "0.0~git20230101.abcdef-1", "5.2.15-2+b7"}},
      {"rpm", {"2.34-100.el9_4.2", "2.34-83.el9_3.12", "1:3.0.7-27.el9", "3.0.7-25.el9_3", "7.76.1-29.el9_4.1",
               "1.2.11-40.el9", "252-32.el9_4.7", "1.0~rc1^20240101git1-1.fc40", "4.18.2-1.el9", "5.1.8-6.el9_1"}},
      {"apk", {"3.3.1-r0", "3.3.2-r0", "1.36.1-r15", "1.36.1-r29", "2.12.7-r0", "3.1.4_p1-r2", "1.2.13_rc1-r1",
               "8.9.1-r1", "0.14.8_git20230815-r0", "2.40.1-r1"}},
      {"semver", {"4.17.21", "4.17.20", "1.0.0-alpha.1", "1.0.0-alpha.beta", "2.6.9", "3.0.0-rc.1", "0.21.4",
                  "1.6.8", "7.5.4", "10.4.3+build.5"}},
      {"pep440", {"2.31.0", "2.32.3", "1.26.18", "2.0.0rc1", "1.0.post1", "3.1.4.dev2", "23.2", "1!2.0",
                  "42.0.5+ubuntu1", "0.19.1"}},
      {"go", {"v1.21.5", "v1.22.0", "v0.0.0-20230321023759-10a507213a29", "v0.17.0", "v2.5.1+incompatible",
              "v1.2.4-0.20191109021931-daa7c04131f5", "1.20.14", "v0.24.0", "v1.60.1", "v3.0.1"}},
      {"maven", {"2.17.1", "2.15.0", "5.3.31", "6.1.2-SNAPSHOT", "1.2.3.RELEASE", "2.0.0-rc1", "1.0-beta-2",
                 "31.1-jre", "2.13.4.2", "9.4.53.v20231009"}},
      {"gem", {"7.0.8.1", "7.1.3", "1.15.5", "2.0.0.rc1", "3.2.2", "1.13.10", "6.1.7.6", "0.9.0.pre", "2.7.1",
               "1.16.3"}},
      {"cargo", {"1.0.197", "1.0.188", "0.4.20", "1.36.0", "0.11.23", "2.0.0-rc.1", "0.3.30", "1.5.0",
                 "0.38.2", "4.5.4"}},
  };
  return kMix.at(scheme);
}

void compareBench(benchmark::State& state, const std::string& name) {
  const VersionScheme& scheme = *findScheme(name);
  const auto& versions = mix(name);
  size_t i = 0, j = 1;
  for (auto _ : state) {
    auto result = scheme.compare(versions[i], versions[j]);
    benchmark::DoNotOptimize(result);
    if (++j == versions.size()) {
      j = 0;
      if (++i == versions.size()) i = 0;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void npmRangeBench(benchmark::State& state) {
  static const std::vector<std::pair<std::string, std::string>> cases = {
      {"<4.17.21", "4.17.20"},
      {">=2.0.0 <2.6.1 || >=3.0.0 <3.0.1", "2.6.0"},
      {"^1.2.3 || ~2.0.1", "2.0.5"},
      {"<=1.6.7", "1.6.8"},
      {">=7.0.0 <7.5.2 || >=6.0.0 <6.3.1 || <5.7.2", "7.5.4"},
      {"1.x || >=2.5.0 || 5.0.0 - 7.2.3", "3.0.0-rc.1"},
  };
  size_t i = 0;
  for (auto _ : state) {
    auto result = satisfiesNpmRange(cases[i].first, cases[i].second);
    benchmark::DoNotOptimize(result);
    if (++i == cases.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void pep440SpecifierBench(benchmark::State& state) {
  static const std::vector<std::pair<std::string, std::string>> cases = {
      {"<2.32.0", "2.31.0"},
      {">=1.0,<1.26.18", "1.26.17"},
      {">=2.0.0rc1,<2.0.2", "2.0.0rc1"},
      {"~=23.1", "23.2"},
      {"!=1.5.*,>=1.0", "1.5.3"},
      {"<42.0.5", "42.0.5+ubuntu1"},
  };
  size_t i = 0;
  for (auto _ : state) {
    auto result = satisfiesPep440(cases[i].first, cases[i].second);
    benchmark::DoNotOptimize(result);
    if (++i == cases.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(compareBench, deb, std::string("deb"));
BENCHMARK_CAPTURE(compareBench, rpm, std::string("rpm"));
BENCHMARK_CAPTURE(compareBench, apk, std::string("apk"));
BENCHMARK_CAPTURE(compareBench, semver, std::string("semver"));
BENCHMARK_CAPTURE(compareBench, pep440, std::string("pep440"));
BENCHMARK_CAPTURE(compareBench, go, std::string("go"));
BENCHMARK_CAPTURE(compareBench, maven, std::string("maven"));
BENCHMARK_CAPTURE(compareBench, gem, std::string("gem"));
BENCHMARK_CAPTURE(compareBench, cargo, std::string("cargo"));
BENCHMARK(npmRangeBench);
BENCHMARK(pep440SpecifierBench);
BENCHMARK_MAIN();
