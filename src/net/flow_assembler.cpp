#include "net/flow_assembler.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "net/addresses.h"

namespace bulkhead::net {
namespace {

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
constexpr std::uint8_t kTcp = 6, kUdp = 17;

std::string keyId(const bh_flow_key& key) { return std::string(reinterpret_cast<const char*>(&key), sizeof key); }

void setEnds(FlowEnds& out, const bh_flow_key& key, bool initiatedLocally) {
  out.cgroupId = key.cgroup_id;
  out.transport = key.proto == kUdp ? "udp" : "tcp";
  out.initiatedLocally = initiatedLocally;
  out.localAddress = addressText(key.family, key.local);
  out.remoteAddress = addressText(key.family, key.remote);
  out.localPort = key.local_port;
  out.remotePort = key.remote_port;
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
  const std::string id = keyId(key);
  const bool ends = key.proto == kTcp && (chunk.tcp_flags & (kFin | kRst)) != 0;
  auto it = flows_.find(id);
  if (it == flows_.end()) {
    const bool opens = key.proto == kUdp || ((chunk.tcp_flags & kSyn) != 0);
    if (!opens) {  // the middle of a flow that began before the capture, or one judged already
      if (ends) count(key, chunk.start_ns, chunk.bytes[0], chunk.bytes[1], nowNs);
      return;
    }
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
    if (f.initiator < 0) {
      f.initiator = chunk.dir;
      startCounts(id, f, chunk.start_ns, nowNs);
    }
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
    if (f.initiator < 0) {
      f.initiator = (chunk.tcp_flags & kAck) ? 1 - chunk.dir : chunk.dir;
      startCounts(id, f, chunk.start_ns, nowNs);
    }
  }
  if (len > 0 && d.haveIsn) place(d, chunk.seq - d.isn, chunk.data, len);
  judge(f, ends);
  if (ends) {
    erase(id);
    count(key, chunk.start_ns, chunk.bytes[0], chunk.bytes[1], nowNs);
  }
}

void FlowAssembler::startCounts(const std::string& id, const Flow& f, std::uint64_t startNs, std::int64_t nowNs) {
  auto it = counts_.find(id);
  if (it != counts_.end() && startNs < it->second.startNs) return;  // a late packet of an entry replaced since
  if (it == counts_.end()) {
    if (counts_.size() >= kMaxCounted) return;  // not measured
    it = counts_.emplace(id, Counts{}).first;
  }
  Counts& c = it->second;
  if (startNs != c.startNs) c.sent = c.received = 0;
  c.startNs = startNs;
  c.initiatedLocally = f.initiator == BH_FLOW_EGRESS;
  c.protocol.clear();
  c.seenNs = nowNs;
}

void FlowAssembler::count(const bh_flow_key& key, std::uint64_t startNs, std::uint64_t sent, std::uint64_t received,
                          std::int64_t nowNs) {
  const auto it = counts_.find(keyId(key));
  if (it == counts_.end()) return;  // its start was not seen: who connected is not known
  Counts& c = it->second;
  if (startNs < c.startNs) return;
  if (startNs > c.startNs) {  // the same flow in a new kernel entry: its totals start from zero
    c.startNs = startNs;
    c.sent = c.received = 0;
  }
  c.seenNs = nowNs;
  const std::uint64_t newSent = sent > c.sent ? sent - c.sent : 0;
  const std::uint64_t newReceived = received > c.received ? received - c.received : 0;
  if (newSent == 0 && newReceived == 0) return;
  c.sent += newSent;
  c.received += newReceived;
  if (!onBytes_) return;
  FlowBytes out;
  setEnds(out, key, c.initiatedLocally);
  out.protocol = c.protocol;
  out.sent = newSent;
  out.received = newReceived;
  onBytes_(out);
}

void FlowAssembler::forgetCounts(std::int64_t beforeNs) {
  std::erase_if(counts_, [&](const auto& entry) { return entry.second.seenNs < beforeNs; });
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
      decide(f, best.id.protocol);
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
  setEnds(out, f.key, f.initiator == BH_FLOW_EGRESS);
  out.id = std::move(id);
  return out;
}

void FlowAssembler::decide(Flow& f, const std::string& protocol) {
  f.protocol = protocol;
  if (const auto c = counts_.find(keyId(f.key)); c != counts_.end()) c->second.protocol = protocol;
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
  decide(f, d.id.protocol);
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
