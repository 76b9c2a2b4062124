#pragma once
// Application protocol identification from the first bytes of a flow. Each detector is one
// file in this folder and one line in detectors.cpp. A detector reads only the bytes it is
// given (a bounded sample of each direction), never allocates more than it reports, and
// says NeedMore when the sample is too short to decide either way.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulkhead::net {

enum class Transport { Tcp, Udp };

// The first bytes of each direction of one flow, as observed. For UDP, client and server
// hold the first datagram each way. Samples are cut at kMaxSample bytes.
struct FlowSample {
  Transport transport = Transport::Tcp;
  std::uint16_t serverPort = 0;        // a hint only: detectors decide from the bytes
  std::span<const std::uint8_t> client;  // client -> server
  std::span<const std::uint8_t> server;  // server -> client
};
inline constexpr std::size_t kMaxSample = 4096;

// What a detector found: the protocol's stable name ("http", "http2", "grpc", "tls",
// "dns", "ssh", "redis", "postgresql", "mysql", "mongodb", "kafka") and what the first bytes
// say about the flow (HTTP method, host and path; TLS SNI and ALPN; DNS names and answers;
// versions, users, databases, commands). A key may repeat (DNS answers, ALPN offers).
struct Identification {
  static constexpr std::size_t kMaxAttributes = 32;
  std::string protocol;
  std::vector<std::pair<std::string, std::string>> attributes;

  // Keeps at most kMaxAttributes: a hostile peer cannot grow the list (ALPN offers, DNS
  // answers) past that.
  void add(std::string key, std::string value) {
    if (attributes.size() < kMaxAttributes) attributes.emplace_back(std::move(key), std::move(value));
  }
  // The first value of a key, or "" when absent.
  std::string_view get(std::string_view key) const {
    for (const auto& [k, v] : attributes) {
      if (k == key) return v;
    }
    return {};
  }
};

struct Detection {
  enum class Kind { NoMatch, NeedMore, Match };
  Kind kind = Kind::NoMatch;
  Identification id;

  static Detection noMatch() { return {}; }
  static Detection needMore() { return {Kind::NeedMore, {}}; }
  static Detection match(Identification id) { return {Kind::Match, std::move(id)}; }
  bool matched() const { return kind == Kind::Match; }
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string_view name() const = 0;
  virtual Detection detect(const FlowSample& flow) const = 0;
};

// The detectors, one per file.
const Detector& http1Detector();
const Detector& http2Detector();  // HTTP/2 with prior knowledge; gRPC when its headers say so
const Detector& tlsDetector();
const Detector& dnsDetector();
const Detector& sshDetector();
const Detector& redisDetector();
const Detector& postgresDetector();
const Detector& mysqlDetector();
const Detector& mongodbDetector();
const Detector& kafkaDetector();

// The one list (detectors.cpp), most specific first.
const std::vector<const Detector*>& detectors();

// Runs the detectors in order: the first match; else NeedMore when any detector could still
// match with more bytes; else NoMatch.
Detection identify(const FlowSample& flow);

}  // namespace bulkhead::net
