#include "net/graph.h"

#include <arpa/inet.h>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "core/json.h"

namespace bulkhead::net {

using nlohmann::json;

namespace {

bool isLoopback(const std::string& address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

std::string utc(std::int64_t ns) {
  const std::time_t seconds = static_cast<std::time_t>(ns / 1000000000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(seconds));
}

json endpointJson(const Endpoint& e) {
  switch (e.kind) {
    case Endpoint::Kind::Group: return {{"group", e.name}};
    case Endpoint::Kind::Name: return {{"name", e.name}};
    default: return {{"address", e.name}};
  }
}

Result<Endpoint> endpointFromJson(const json& j) {
  if (j.is_object() && j.size() == 1) {
    if (const auto g = j.find("group"); g != j.end() && g->is_string()) return Endpoint{Endpoint::Kind::Group, g->get<std::string>()};
    if (const auto a = j.find("address"); a != j.end() && a->is_string()) return Endpoint{Endpoint::Kind::External, a->get<std::string>()};
    if (const auto n = j.find("name"); n != j.end() && n->is_string()) return Endpoint{Endpoint::Kind::Name, n->get<std::string>()};
  }
  return makeError("an endpoint is {{\"group\": G}}, {{\"address\": A}} or {{\"name\": N}}, not {}", jsonText(j).substr(0, 80));
}

std::string endpointText(const Endpoint& e) {
  return e.kind == Endpoint::Kind::Group ? e.name : "external " + e.name;
}

std::string service(const EdgeKey& k) {
  std::string s = fmt::format("{}/{}", k.transport.empty() ? "ip" : k.transport, k.port);
  if (!k.protocol.empty()) s += " " + k.protocol;
  return s;
}

// 1234567 -> "1.2 MiB": for a picture, where the exact number is noise.
std::string bytesText(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

// DOT identifiers are quoted; quotes and backslashes inside are escaped.
std::string dotQuote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string linkText(const EdgeKey& key) {
  const char* kind = key.to.kind == Endpoint::Kind::Group ? "group" : key.to.kind == Endpoint::Kind::Name ? "name" : "address";
  return fmt::format("{}:{} {}/{}", kind, key.to.name, key.transport.empty() ? "ip" : key.transport, key.port);
}

bool ServiceGraph::observeDns(const Identification& dns) {
  if (!names_.observe(dns)) return false;
  ++addressesVersion_;
  return true;
}

std::string transportName(std::uint64_t ipProtocol) {
  switch (ipProtocol) {
    case IPPROTO_TCP: return "tcp";
    case IPPROTO_UDP: return "udp";
    case IPPROTO_SCTP: return "sctp";
    default: return "";
  }
}

void ServiceGraph::setContainer(const std::string& container, const std::string& group, const std::string& name) {
  Member& m = containers_[container];
  m.group = group;
  m.name = name.empty() ? container : name;
  members_[group].insert(m.name);
  ++version_;
}

void ServiceGraph::setAddresses(const std::string& container, const std::vector<std::string>& addresses) {
  const auto it = containers_.find(container);
  if (it == containers_.end()) return;
  for (const auto& a : it->second.addresses) {
    if (const auto b = byAddress_.find(a); b != byAddress_.end() && b->second == container) byAddress_.erase(b);
  }
  const std::vector<std::string> before = std::move(it->second.addresses);
  it->second.addresses.clear();
  for (const auto& a : addresses) {
    if (isLoopback(a)) continue;  // every container has these
    it->second.addresses.push_back(a);
    byAddress_[a] = container;
  }
  if (it->second.addresses != before) ++addressesVersion_;
  ++version_;
}

void ServiceGraph::removeContainer(const std::string& container) {
  setAddresses(container, {});
  containers_.erase(container);
}

bool ServiceGraph::knowsAddress(const std::string& address) const {
  return isLoopback(address) || byAddress_.contains(address);
}

std::vector<std::string> ServiceGraph::addressesOf(const std::string& container) const {
  const auto it = containers_.find(container);
  return it == containers_.end() ? std::vector<std::string>{} : it->second.addresses;
}

std::optional<EdgeKey> ServiceGraph::edgeOf(const Connection& c) const {
  const auto it = containers_.find(c.container);
  if (it == containers_.end()) return std::nullopt;
  const Endpoint self{Endpoint::Kind::Group, it->second.group};
  Endpoint peer{Endpoint::Kind::External, c.peerAddress};
  if (isLoopback(c.peerAddress)) {
    peer = self;
  } else if (const auto known = byAddress_.find(c.peerAddress); known != byAddress_.end()) {
    peer = Endpoint{Endpoint::Kind::Group, containers_.at(known->second).group};
  } else if (auto name = names_.nameOf(c.peerAddress)) {
    peer = Endpoint{Endpoint::Kind::Name, std::move(*name)};
  }
  // A connection between two watched containers is counted once, on the side that made it.
  if (c.accepted && peer.kind == Endpoint::Kind::Group) return std::nullopt;
  return EdgeKey{c.accepted ? peer : self, c.accepted ? self : peer, c.port, c.transport, c.protocol};
}

Edge& ServiceGraph::touch(const EdgeKey& key, std::int64_t timeNs) {
  const auto [it, made] = edges_.try_emplace(key);
  Edge& e = it->second;
  if (made) {
    e.key = key;
    e.firstNs = timeNs;
    e.lastNs = timeNs;
  }
  e.firstNs = std::min(e.firstNs, timeNs);
  e.lastNs = std::max(e.lastNs, timeNs);
  ++version_;
  return e;
}

void ServiceGraph::count(const EdgeKey& key, const Connection& c) {
  Edge& e = touch(key, c.timeNs);
  ++e.connections;
  e.bytes += c.bytes;
}

bool ServiceGraph::addBytes(const Connection& c) {
  if (!containers_.contains(c.container)) return false;
  const auto key = edgeOf(c);
  if (!key || c.bytes == 0) return true;
  touch(*key, c.timeNs).bytes += c.bytes;
  return true;
}

std::string unmappedAddress(std::string address) {
  if (address.starts_with("::ffff:") && address.find('.') != std::string::npos) address.erase(0, 7);
  return address;
}

std::string ServiceGraph::callerOf(const std::string& peerAddress, std::uint16_t port) const {
  const std::string address = unmappedAddress(peerAddress);
  if (address.empty() || isLoopback(address)) return {};
  if (const auto known = byAddress_.find(address); known != byAddress_.end()) {
    return fmt::format("group:{} tcp/{}", containers_.at(known->second).group, port);
  }
  return fmt::format("address:{} tcp/{}", address, port);
}

std::vector<std::string> ServiceGraph::groupAddresses(const std::string& group) const {
  std::vector<std::string> out;
  for (const auto& [id, m] : containers_) {
    if (m.group == group) out.insert(out.end(), m.addresses.begin(), m.addresses.end());
  }
  return out;
}

bool ServiceGraph::add(const Connection& c) {
  if (!containers_.contains(c.container)) return false;
  auto key = edgeOf(c);
  if (!key) return true;
  // Its protocol may have been identified before the connection was reported.
  if (key->protocol.empty()) {
    if (auto p = pending_.find(*key); p != pending_.end() && !p->second.empty()) {
      key->protocol = p->second.front();
      p->second.erase(p->second.begin());
      --pendingCount_;
      if (p->second.empty()) pending_.erase(p);
    }
  }
  count(*key, c);
  return true;
}

bool ServiceGraph::addProtocol(const Connection& c) {
  if (!containers_.contains(c.container)) return false;
  auto key = edgeOf(c);
  if (!key || key->protocol.empty()) return true;
  EdgeKey unknown = *key;
  unknown.protocol.clear();
  const auto plain = edges_.find(unknown);
  if (plain == edges_.end() || plain->second.connections == 0) {
    if (pendingCount_ < kMaxPending) {
      pending_[unknown].push_back(key->protocol);
      ++pendingCount_;
    }
    return true;
  }
  Connection moved = c;
  moved.timeNs = plain->second.lastNs;
  moved.bytes = 0;  // bytes stay where they were counted
  if (--plain->second.connections == 0 && plain->second.bytes == 0) edges_.erase(plain);
  count(*key, moved);
  return true;
}

std::vector<Edge> ServiceGraph::edges() const {
  std::vector<Edge> out;
  out.reserve(edges_.size());
  for (const auto& [key, edge] : edges_) out.push_back(edge);
  return out;
}

json ServiceGraph::toJson() const {
  json groups = json::object();
  for (const auto& [group, names] : members_) groups[group] = {{"containers", names}};
  json edges = json::array();
  for (const auto& [key, e] : edges_) {
    json j = {{"from", endpointJson(key.from)}, {"to", endpointJson(key.to)},
              {"port", key.port}, {"transport", key.transport}, {"connections", e.connections},
              {"firstSeenNs", e.firstNs}, {"lastSeenNs", e.lastNs},
              {"firstSeen", utc(e.firstNs)}, {"lastSeen", utc(e.lastNs)}};
    j["protocol"] = key.protocol.empty() ? json(nullptr) : json(key.protocol);
    j["bytes"] = e.bytes;
    edges.push_back(std::move(j));
  }
  return {{"groups", groups}, {"edges", edges}};
}

Result<ServiceGraph> ServiceGraph::fromJson(const json& j) {
  if (!j.is_object() || !j.contains("edges") || !j["edges"].is_array()) {
    return makeError("a service graph is an object with an \"edges\" list");
  }
  ServiceGraph g;
  if (const auto groups = j.find("groups"); groups != j.end() && groups->is_object()) {
    for (const auto& [group, body] : groups->items()) {
      if (!body.is_object() || !body.contains("containers") || !body["containers"].is_array()) continue;
      for (const auto& name : body["containers"]) {
        if (name.is_string()) g.members_[group].insert(name.get<std::string>());
      }
    }
  }
  std::size_t index = 0;
  for (const auto& e : j["edges"]) {
    const auto context = fmt::format("edge {}", index++);
    if (!e.is_object()) return withContext(context, makeError("not an object"));
    auto from = endpointFromJson(e.value("from", json()));
    auto to = endpointFromJson(e.value("to", json()));
    if (!from) return withContext(context, from.error());
    if (!to) return withContext(context, to.error());
    const json& port = e.value("port", json());
    if (!port.is_number_unsigned() || port.get<std::uint64_t>() > 65535) {
      return withContext(context, makeError("\"port\" is not a port number"));
    }
    Edge edge;
    edge.key = {*from, *to, port.get<std::uint16_t>(), "", ""};
    if (const auto t = e.find("transport"); t != e.end() && t->is_string()) edge.key.transport = t->get<std::string>();
    if (const auto p = e.find("protocol"); p != e.end() && p->is_string()) edge.key.protocol = p->get<std::string>();
    // "bytes": null in files written before bytes were measured: 0.
    for (const auto& [field, out] : {std::pair{"connections", &edge.connections}, std::pair{"bytes", &edge.bytes}}) {
      if (const auto v = e.find(field); v != e.end() && v->is_number_unsigned()) *out = v->get<std::uint64_t>();
    }
    for (const auto& [field, out] : {std::pair{"firstSeenNs", &edge.firstNs}, std::pair{"lastSeenNs", &edge.lastNs}}) {
      if (const auto v = e.find(field); v != e.end() && v->is_number_integer()) *out = v->get<std::int64_t>();
    }
    g.edges_[edge.key] = edge;
  }
  return g;
}

std::string renderText(const ServiceGraph& graph) {
  std::string out;
  const auto edges = graph.edges();
  std::size_t width = 4;
  for (const auto& e : edges) width = std::max(width, endpointText(e.key.from).size());
  out += fmt::format("{:<{}}  {:<24}  {:<30}  {:>11}  {:>14}  {:<20}  {}\n", "FROM", width, "TO", "SERVICE",
                     "CONNECTIONS", "BYTES", "FIRST SEEN", "LAST SEEN");
  for (const auto& e : edges) {
    out += fmt::format("{:<{}}  {:<24}  {:<30}  {:>11}  {:>14}  {:<20}  {}\n", endpointText(e.key.from), width,
                       endpointText(e.key.to), service(e.key), e.connections, e.bytes, utc(e.firstNs),
                       utc(e.lastNs));
  }
  out += fmt::format("{} edge(s) between {} group(s)\n", edges.size(), graph.groupMembers().size());
  return out;
}

std::string renderDot(const ServiceGraph& graph) {
  std::string out = "digraph bulkhead {\n  rankdir=LR;\n  node [shape=box];\n";
  std::set<Endpoint> nodes;
  for (const auto& e : graph.edges()) {
    nodes.insert(e.key.from);
    nodes.insert(e.key.to);
  }
  for (const auto& [group, names] : graph.groupMembers()) nodes.insert(Endpoint{Endpoint::Kind::Group, group});
  for (const auto& n : nodes) {
    out += fmt::format("  {} [label={}{}];\n", dotQuote(endpointText(n)), dotQuote(n.name),
                       n.kind != Endpoint::Kind::Group ? ", shape=ellipse, style=dashed" : "");
  }
  for (const auto& e : graph.edges()) {
    out += fmt::format("  {} -> {} [label={}];\n", dotQuote(endpointText(e.key.from)),
                       dotQuote(endpointText(e.key.to)),
                       dotQuote(fmt::format("{} x{} {}", service(e.key), e.connections, bytesText(e.bytes))));
  }
  return out + "}\n";
}

}  // namespace bulkhead::net
