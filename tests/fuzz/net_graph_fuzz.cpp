// Service graph files (`bulkhead net graph FILE`, src/net/graph.h) on arbitrary bytes: the
// JSON reader with the command's limits, then the graph reader and every rendering.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json.h"
#include "net/graph.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bulkhead;
  auto parsed = parseJson(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", JsonLimits{1 << 20, 16});
  if (!parsed) return 0;
  auto graph = net::ServiceGraph::fromJson(*parsed);
  if (!graph) return 0;
  const std::string text = net::renderText(*graph);
  const std::string dot = net::renderDot(*graph);
  if (text.empty() || dot.empty()) std::abort();
  auto again = net::ServiceGraph::fromJson(graph->toJson());  // what it writes, it reads
  if (!again || again->edges().size() != graph->edges().size()) std::abort();
  return 0;
}
