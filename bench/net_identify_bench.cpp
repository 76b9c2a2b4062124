// Protocol identification throughput (src/net/protocol) on real recorded flows: the
// corpus in tests/net/flows (real servers and clients on loopback, tests/net/flows/README.md),
// each flow's first bytes of both directions handed to identify() as the agent would.
// Bytes per second count the sample bytes identify() is given; one core (one thread).
//   build/bench/net_identify_bench [--benchmark_repetitions=5]
// BULKHEAD_FLOWS overrides the corpus directory.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "net/protocol/detector.h"

namespace {

using bulkhead::net::FlowSample;
using bulkhead::net::Transport;

struct Flow {
  std::string name;
  Transport transport = Transport::Tcp;
  std::uint16_t port = 0;
  std::vector<std::uint8_t> client, server;
  FlowSample sample() const { return {transport, port, client, server}; }
};

// "bulkhead-flow 1 tcp|udp PORT CLIENT SERVER\n" then the bytes (tests/support/flow_recorder.h).
bool readFlow(const std::filesystem::path& path, Flow& flow) {
  std::ifstream in(path, std::ios::binary);
  std::string header;
  if (!std::getline(in, header)) return false;
  std::istringstream h(header);
  std::string magic, version, transport;
  std::size_t port = 0, clientSize = 0, serverSize = 0;
  if (!(h >> magic >> version >> transport >> port >> clientSize >> serverSize) ||
      magic != "bulkhead-flow" || clientSize > 65536 || serverSize > 65536) {
    return false;
  }
  flow.name = path.stem().string();
  flow.transport = transport == "udp" ? Transport::Udp : Transport::Tcp;
  flow.port = static_cast<std::uint16_t>(port);
  flow.client.resize(clientSize);
  flow.server.resize(serverSize);
  in.read(reinterpret_cast<char*>(flow.client.data()), static_cast<std::streamsize>(clientSize));
  in.read(reinterpret_cast<char*>(flow.server.data()), static_cast<std::streamsize>(serverSize));
  return static_cast<bool>(in);
}

const std::vector<Flow>& corpus() {
  static const std::vector<Flow> flows = [] {
    std::vector<Flow> out;
    const char* dir = std::getenv("BULKHEAD_FLOWS");
    const std::filesystem::path root = dir != nullptr ? dir : BULKHEAD_FLOWS_DIR;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
      Flow flow;
      if (entry.path().extension() == ".flow" && readFlow(entry.path(), flow)) out.push_back(std::move(flow));
    }
    std::sort(out.begin(), out.end(), [](const Flow& a, const Flow& b) { return a.name < b.name; });
    if (out.empty()) std::fprintf(stderr, "net_identify_bench: no .flow files in %s\n", root.c_str());
    return out;
  }();
  return flows;
}

void run(benchmark::State& state, const std::vector<const Flow*>& flows) {
  if (flows.empty()) {
    state.SkipWithError("no recorded flows");
    return;
  }
  std::size_t bytes = 0, matched = 0;
  for (auto _ : state) {
    for (const Flow* f : flows) {
      const auto d = bulkhead::net::identify(f->sample());
      matched += d.matched() ? 1 : 0;
      benchmark::DoNotOptimize(d);
      bytes += f->client.size() + f->server.size();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(flows.size()));
  state.counters["matched"] = static_cast<double>(matched) / static_cast<double>(state.iterations() * flows.size());
  state.counters["Gbit/s"] = benchmark::Counter(static_cast<double>(bytes) * 8 / 1e9, benchmark::Counter::kIsRate);
}

// Every recorded flow, in turn.
void BM_IdentifyRecorded(benchmark::State& state) {
  std::vector<const Flow*> flows;
  for (const auto& f : corpus()) flows.push_back(&f);
  run(state, flows);
}
BENCHMARK(BM_IdentifyRecorded);

// The worst case: bytes no detector knows, so every detector looks and says no.
void BM_IdentifyUnknown(benchmark::State& state) {
  static const std::vector<Flow> noise = [] {
    std::mt19937 rng(1);
    std::vector<Flow> out(64);
    for (auto& f : out) {
      f.client.resize(512);
      f.server.resize(512);
      for (auto& b : f.client) b = static_cast<std::uint8_t>(rng());
      for (auto& b : f.server) b = static_cast<std::uint8_t>(rng());
    }
    return out;
  }();
  std::vector<const Flow*> flows;
  for (const auto& f : noise) flows.push_back(&f);
  run(state, flows);
}
BENCHMARK(BM_IdentifyUnknown);

// Per protocol: the recorded flows whose names start with it ("redis-...").
void registerPerProtocol() {
  std::map<std::string, std::vector<const Flow*>> byProtocol;
  for (const auto& f : corpus()) byProtocol[f.name.substr(0, f.name.find('-'))].push_back(&f);
  for (const auto& [protocol, flows] : byProtocol) {
    benchmark::RegisterBenchmark(("BM_Identify/" + protocol).c_str(),
                                 [flows = flows](benchmark::State& s) { run(s, flows); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  registerPerProtocol();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
