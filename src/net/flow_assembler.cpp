#include "net/flow_assembler.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace bulkhead::net {
namespace {

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
constexpr std::uint8_t kTcp = 6, kUdp = 17;

std::string addressText(std::uint8_t family, const std::uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, bytes, text, sizeof text);
  return text;
}

}  // namespace

void FlowAssembler::place(Direction& d, std::uint32_t offset, const std::uint8_t* data, std::size_t len) {
  if (offset >= kMaxSample) return;
  len = std::min<std::size_t>(len, kMaxSample - offset);
  if (offset > d.bytes.size()) {  // a gap: keep it for later, a few at most
    if (d.pending.size() < kMaxPending) d.pending.emplace(offset, std::vector<std::uint8_t>(data, data + len));
    return;
  }
  const std::size_t skip = d.bytes.size() - offset;  // a retransmission overlaps what we have
  if (len > skip) d.bytes.insert(d.bytes.end(), data + skip, data + len);
  // What was waiting for these bytes.
  for (auto it = d.pending.begin(); it != d.pending.end() && it->first <= d.bytes.size();) {
    const std::size_t over = d.bytes.size() - it->first;
    if (it->second.size() > over) d.bytes.insert(d.bytes.end(), it->second.begin() + static_cast<long>(over), it->second.end());
    it = d.pending.erase(it);
  }
  if (d.bytes.size() > kMaxSample) d.bytes.resize(kMaxSample);
}

void FlowAssembler::add(const bh_flow_chunk& chunk, std::int64_t nowNs) {
  const bh_flow_key& key = chunk.key;
  if ((key.proto != kTcp && key.proto != kUdp) || chunk.dir > 1) return;
  const std::string id(reinterpret_cast<const char*>(&key), sizeof key);
  auto it = flows_.find(id);
  if (it == flows_.end()) {
    const bool opens = key.proto == kUdp || ((chunk.tcp_flags & kSyn) != 0);
    if (!opens) return;  // the middle of a flow that began before the capture
    if (flows_.size() >= kMaxFlows) {
      auto oldest = flows_.find(order_.front());
      judge(oldest->second, true);
      erase(order_.front());
    }
    it = flows_.emplace(id, Flow{}).first;
    it->second.key = key;
    order_.push_back(id);
    it->second.age = std::prev(order_.end());
  }
  Flow& f = it->second;
  f.lastNs = nowNs;
  Direction& d = f.dir[chunk.dir];
  const std::size_t len = std::min<std::size_t>(chunk.len, BH_FLOW_CHUNK);
  if (key.proto == kUdp) {
    // Requests are kept (a few) and each reply is judged with them: a reply says more than
    // its request (DNS answers), and replies may come in another order than their requests
    // (the A and AAAA queries a resolver sends at once). A flow is judged once a reply came,
    // or when idle.
    if (f.initiator < 0) f.initiator = chunk.dir;
    if (chunk.dir == f.initiator) {
      if (f.requests.size() < kMaxRequests) f.requests.emplace_back(chunk.data, chunk.data + len);
      if (d.bytes.empty()) place(d, 0, chunk.data, len);
      return;
    }
    judgeReply(f, chunk.data, len);
    return;
  }
  if (chunk.tcp_flags & kSyn) {
    d.haveIsn = true;
    d.isn = chunk.seq + 1;
    if (f.initiator < 0) f.initiator = (chunk.tcp_flags & kAck) ? 1 - chunk.dir : chunk.dir;
  }
  if (len > 0 && d.haveIsn) place(d, chunk.seq - d.isn, chunk.data, len);
  const bool ends = (chunk.tcp_flags & (kFin | kRst)) != 0;
  judge(f, ends);
  if (ends) erase(id);
}

void FlowAssembler::judgeReply(Flow& f, const std::uint8_t* data, std::size_t len) {
  const bool first = !f.decided;
  Direction& server = f.dir[1 - f.initiator];
  if (first && server.bytes.empty()) place(server, 0, data, len);
  FlowSample sample;
  sample.transport = Transport::Udp;
  sample.serverPort = f.initiator == BH_FLOW_EGRESS ? f.key.remote_port : f.key.local_port;
  sample.server = std::span<const std::uint8_t>(data, len);
  // The pairing that says the most (a request and the reply it answers), else the first.
  Detection best;
  for (const auto& request : f.requests) {
    sample.client = request;
    Detection d = identify(sample);
    if (d.matched() && (!best.matched() || d.id.attributes.size() > best.id.attributes.size())) best = std::move(d);
  }
  if (first) {
    f.decided = true;
    if (!best.matched() && f.requests.empty()) {  // a reply with no request seen: the reply alone
      sample.client = {};
      best = identify(sample);
    }
    if (best.matched()) {
      f.protocol = best.id.protocol;
      onFlow_(describe(f, std::move(best.id)));
    }
    return;
  }
  // A later exchange of a flow already reported: only what its protocol's reply adds.
  if (!best.matched() || best.id.protocol != f.protocol) return;
  IdentifiedFlow out = describe(f, std::move(best.id));
  out.repeat = true;
  onFlow_(out);
}

IdentifiedFlow FlowAssembler::describe(const Flow& f, Identification id) const {
  IdentifiedFlow out;
  out.cgroupId = f.key.cgroup_id;
  out.transport = f.key.proto == kUdp ? "udp" : "tcp";
  out.initiatedLocally = f.initiator == BH_FLOW_EGRESS;
  out.localAddress = addressText(f.key.family, f.key.local);
  out.remoteAddress = addressText(f.key.family, f.key.remote);
  out.localPort = f.key.local_port;
  out.remotePort = f.key.remote_port;
  out.id = std::move(id);
  return out;
}

void FlowAssembler::judge(Flow& f, bool final) {
  if (f.decided || f.initiator < 0) return;
  const Direction& client = f.dir[f.initiator];
  const Direction& server = f.dir[1 - f.initiator];
  if (client.bytes.empty() && server.bytes.empty()) {
    if (final) f.decided = true;
    return;
  }
  FlowSample sample;
  sample.transport = f.key.proto == kUdp ? Transport::Udp : Transport::Tcp;
  sample.serverPort = f.initiator == BH_FLOW_EGRESS ? f.key.remote_port : f.key.local_port;
  sample.client = client.bytes;
  sample.server = server.bytes;
  Detection d = identify(sample);
  const bool full = client.bytes.size() >= kMaxSample && server.bytes.size() >= kMaxSample;
  if (d.kind == Detection::Kind::NeedMore && !final && !full) return;
  f.decided = true;
  if (!d.matched()) return;
  f.protocol = d.id.protocol;
  onFlow_(describe(f, std::move(d.id)));
}

void FlowAssembler::expire(std::int64_t nowNs) {
  std::vector<std::string> idle;
  for (auto& [id, f] : flows_) {
    if (nowNs - f.lastNs > kIdleNs) {
      judge(f, true);
      idle.push_back(id);
    }
  }
  for (const auto& id : idle) erase(id);
}

void FlowAssembler::erase(const std::string& id) {
  const auto it = flows_.find(id);
  if (it == flows_.end()) return;
  order_.erase(it->second.age);
  flows_.erase(it);
}

}  // namespace bulkhead::net
