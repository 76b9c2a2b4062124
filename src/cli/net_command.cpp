// `bulkhead net graph`: the service graph an agent keeps (`agent run --graph FILE`), as a
// table, JSON or Graphviz DOT.

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "core/json.h"
#include "net/graph.h"

namespace bulkhead::cli {
namespace {

constexpr std::size_t kMaxGraphBytes = 64 * 1024 * 1024;

int printGraph(const std::string& path, const std::string& format) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "bulkhead net graph: cannot read {}\n", path);
    return 2;
  }
  std::string text(kMaxGraphBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxGraphBytes) {
    fmt::print(stderr, "bulkhead net graph: {}: larger than {} MiB\n", path, kMaxGraphBytes >> 20);
    return 2;
  }
  auto parsed = parseJson(text, path, JsonLimits{kMaxGraphBytes, 16});
  if (!parsed) {
    fmt::print(stderr, "bulkhead net graph: {}\n", parsed.error().message);
    return 2;
  }
  auto graph = net::ServiceGraph::fromJson(*parsed);
  if (!graph) {
    fmt::print(stderr, "bulkhead net graph: {}: {}\n", path, graph.error().message);
    return 2;
  }
  if (format == "json") {
    fmt::print("{}\n", jsonText(graph->toJson(), 2));
  } else if (format == "dot") {
    fmt::print("{}", net::renderDot(*graph));
  } else {
    fmt::print("{}", net::renderText(*graph));
  }
  return 0;
}

}  // namespace

void addNetCommand(CLI::App& app, int& exitCode) {
  auto* net = app.add_subcommand("net", "Network segmentation: the service graph");
  net->require_subcommand(1);
  addNetQuarantineCommand(*net, exitCode);
  auto* graph = net->add_subcommand("graph", "Print the service graph an agent keeps (agent run --graph FILE)");
  auto path = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("text");
  graph->add_option("file", *path, "The graph file written by `bulkhead agent run --graph`")->required();
  graph->add_option("--format,-f", *format, "text, json or dot")->check(CLI::IsMember({"text", "json", "dot"}));
  graph->callback([path, format, &exitCode] { exitCode = printGraph(*path, *format); });
}

}  // namespace bulkhead::cli
