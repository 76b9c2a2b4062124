// Reading a whole image through the image library against the single-threaded floor of
// `gzip -dc` over the same layer blobs, in one run. The image is the test bed's OCI layout
// (BULKHEAD_TESTBED_ENV) or any layout named by BULKHEAD_BENCH_IMAGE=DIR:TAG.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "image/decompress.h"
#include "image/image_reader.h"

namespace {

using namespace bulkhead;

std::string benchImage() {
  if (const char* image = std::getenv("BULKHEAD_BENCH_IMAGE")) return image;
  if (const char* env = std::getenv("BULKHEAD_TESTBED_ENV")) {
    std::ifstream in(env);
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("TESTBED_OCI=")) return line.substr(12) + ":bookworm";
    }
  }
  return {};
}

struct Blob {
  std::string path;
  uint64_t uncompressed = 0;
};

// The layer blobs of the image, found through the library once.
const std::vector<Blob>& blobs() {
  static const std::vector<Blob> out = [] {
    std::vector<Blob> result;
    image::ReadOptions options;
    options.useCache = false;
    auto img = image::openImage(benchImage(), options);
    if (!img) {
      std::cerr << "bench: " << img.error().message << "\n";
      std::exit(2);
    }
    const std::string dir = img->locator.path;
    for (size_t i = 0; i < img->layers.size(); ++i) {
      result.push_back({dir + "/blobs/sha256/" + img->layers[i].blobDigest.hex,
                        img->layers[i].uncompressedBytes});
    }
    return result;
  }();
  return out;
}

uint64_t totalUncompressed() {
  uint64_t total = 0;
  for (const auto& b : blobs()) total += b.uncompressed;
  return total;
}

void BM_GzipDc(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& b : blobs()) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        const int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 1);
        ::execlp("gzip", "gzip", "-dc", b.path.c_str(), nullptr);
        ::_exit(127);
      }
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) state.SkipWithError("gzip -dc failed");
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * totalUncompressed()));
}

void BM_InflateOnly(benchmark::State& state) {
  std::vector<char> buffer(256 * 1024);
  for (auto _ : state) {
    for (const auto& b : blobs()) {
      auto raw = FileStream::open(b.path);
      auto stream = image::openDecompressed(**raw, {}, b.path);
      for (;;) {
        auto got = (*stream)->read(buffer.data(), buffer.size());
        if (!got || *got == 0) break;
      }
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * totalUncompressed()));
}

void BM_OpenImage(benchmark::State& state) {
  image::ReadOptions options;
  options.useCache = false;
  options.parallelism = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    auto img = image::openImage(benchImage(), options);
    if (!img) state.SkipWithError(img.error().message.c_str());
    benchmark::DoNotOptimize(img);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * totalUncompressed()));
}

void BM_OpenImageCached(benchmark::State& state) {
  image::ReadOptions options;
  options.cacheDir = "/tmp/bulkhead-bench-cache";
  (void)image::openImage(benchImage(), options);  // warm the cache
  for (auto _ : state) {
    auto img = image::openImage(benchImage(), options);
    if (!img) state.SkipWithError(img.error().message.c_str());
    benchmark::DoNotOptimize(img);
  }
}

BENCHMARK(BM_GzipDc)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_InflateOnly)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OpenImage)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OpenImageCached)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
