#include "net/queued_packet.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

#include "net/addresses.h"
#include "net/protocol/dns.h"

namespace bulkhead::net {
namespace {

constexpr std::size_t kMaxMethod = 16;
constexpr std::size_t kMaxPath = 2048;
constexpr std::size_t kMaxRequests = 16;  // request lines read from one packet

// The transport header and payload of an IPv4 or IPv6 packet carrying `protocol`, and its
// destination and source addresses when asked.
Result<Bytes> transportOf(Bytes packet, std::uint8_t protocol, std::string* destination = nullptr,
                          std::string* source = nullptr) {
  if (packet.empty()) return makeError("an empty packet");
  const unsigned version = packet[0] >> 4;
  std::size_t at = 0;
  if (version == 4) {
    if (packet.size() < 20) return makeError("an IPv4 header cut short ({} bytes)", packet.size());
    if (packet[9] != protocol) return makeError("IPv4 protocol {}, not {}", packet[9], protocol);
    if ((packet[6] & 0x3f) != 0 || packet[7] != 0) return makeError("an IPv4 fragment");
    at = std::size_t{packet[0] & 0x0fu} * 4;
    if (at < 20 || at > packet.size()) return makeError("an IPv4 header length of {}", at);
    const std::size_t total = std::size_t{packet[2]} << 8 | packet[3];
    if (total >= at && total < packet.size()) packet = packet.subspan(0, total);
    if (destination != nullptr) *destination = addressText(AF_INET, packet.data() + 16);
    if (source != nullptr) *source = addressText(AF_INET, packet.data() + 12);
  } else if (version == 6) {
    if (packet.size() < 40) return makeError("an IPv6 header cut short ({} bytes)", packet.size());
    if (packet[6] != protocol) return makeError("IPv6 next header {}, not {}", packet[6], protocol);
    at = 40;
    if (destination != nullptr) *destination = addressText(AF_INET6, packet.data() + 24);
    if (source != nullptr) *source = addressText(AF_INET6, packet.data() + 8);
  } else {
    return makeError("IP version {}", version);
  }
  return packet.subspan(at);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The path a server sees: from the target (origin form, or absolute form through a
// proxy), up to its query; percent-decoded; dot segments removed (RFC 3986 5.2.4).
std::string normalPath(std::string_view target) {
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const auto slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  target = target.substr(0, target.find_first_of("?#"));
  std::string decoded;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '%' && i + 2 < target.size() && hexValue(target[i + 1]) >= 0 && hexValue(target[i + 2]) >= 0) {
      decoded += static_cast<char>(hexValue(target[i + 1]) * 16 + hexValue(target[i + 2]));
      i += 2;
    } else {
      decoded += target[i];
    }
  }
  std::vector<std::string_view> segments;
  std::string_view rest(decoded);
  while (!rest.empty()) {
    const auto slash = rest.find('/', 1);
    std::string_view segment = rest.substr(0, slash);  // "/name" (or "name" at the start)
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    const std::string_view name = segment.starts_with('/') ? segment.substr(1) : segment;
    if (name == ".") {
      if (rest.empty()) segments.push_back("/");
    } else if (name == "..") {
      if (!segments.empty()) segments.pop_back();
      if (rest.empty()) segments.push_back("/");
    } else {
      segments.push_back(segment);
    }
  }
  std::string out;
  for (const auto& s : segments) {
    if (!s.starts_with('/')) out += '/';
    out += s;
  }
  return out.empty() ? "/" : out;
}

// A request line at `at`: a method token and a space, else nothing.
bool requestAt(std::string_view text, std::size_t at, HttpRequestLine& out) {
  std::size_t i = at;
  while (i < text.size() && i - at < kMaxMethod && std::isupper(static_cast<unsigned char>(text[i]))) ++i;
  if (i == at || i >= text.size() || text[i] != ' ') return false;
  out.method = std::string(text.substr(at, i - at));
  const std::size_t targetAt = i + 1;
  const std::size_t end = text.find_first_of(" \r\n", targetAt);
  const std::size_t lineEnd = text.find('\n', targetAt);
  out.whole = lineEnd != std::string_view::npos && end != std::string_view::npos;
  const std::string_view target = text.substr(targetAt, std::min(end, text.size()) - targetAt);
  out.path = normalPath(target.substr(0, kMaxPath));
  if (target.size() > kMaxPath) out.whole = false;
  return true;
}

// The Content-Length of a request's headers (0 without one); false for a chunked body.
bool bodyLengthOf(std::string_view headers, std::uint64_t& length) {
  length = 0;
  for (std::size_t at = headers.find('\n'); at != std::string_view::npos; at = headers.find('\n', at + 1)) {
    const std::string_view line = headers.substr(at + 1, headers.find('\n', at + 1) - at - 1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (name == "transfer-encoding") return false;
    if (name == "content-length") {
      length = 0;
      for (const char c : value) {
        if (c < '0' || c > '9' || length > (1ULL << 40)) break;
        length = length * 10 + static_cast<std::uint64_t>(c - '0');
      }
    }
  }
  return true;
}

}  // namespace

Result<DnsAnswer> dnsAnswerFromPacket(Bytes packet) {
  auto udp = transportOf(packet, IPPROTO_UDP);
  if (!udp) return std::move(udp).error();
  ByteReader header(*udp);
  std::uint16_t source = 0, dest = 0, length = 0, checksum = 0;
  if (!header.be16(source) || !header.be16(dest) || !header.be16(length) || !header.be16(checksum)) {
    return makeError("a UDP header cut short");
  }
  if (source != 53) return makeError("UDP from port {}, not 53", source);
  Bytes body = header.rest();
  if (length >= 8 && length - 8u < body.size()) body = body.subspan(0, length - 8u);
  DnsMessage m;
  if (!readDnsMessage(body, m) || !m.isResponse()) return makeError("not a DNS response");
  DnsAnswer answer;
  answer.qname = lower(m.qname);
  if (m.rcode() != 0) return answer;
  readDnsAnswers(body, m);
  for (const auto& r : m.answers) {
    if (r.isAddress) answer.addresses.push_back({r.data, r.ttl});
  }
  return answer;
}

Result<HttpRequests> httpRequestsFromPacket(Bytes packet) {
  HttpRequests result;
  auto tcp = transportOf(packet, IPPROTO_TCP, &result.destination);
  if (!tcp) return std::move(tcp).error();
  if (tcp->size() < 20) return makeError("a TCP header cut short");
  result.port = static_cast<std::uint16_t>((*tcp)[2] << 8 | (*tcp)[3]);
  const std::size_t headerLength = static_cast<std::size_t>((*tcp)[12] >> 4) * 4;
  if (headerLength < 20 || headerLength > tcp->size()) return makeError("a TCP header length of {}", headerLength);
  const std::string_view payload = asText(tcp->subspan(headerLength));
  // Request after request: each one's headers, then its body (Content-Length), then the
  // next request line, as a server reads a pipelined stream.
  std::vector<HttpRequestLine>& out = result.requests;
  HttpRequestLine line;
  std::size_t at = 0;
  while (out.size() < kMaxRequests && at < payload.size() && requestAt(payload, at, line)) {
    out.push_back(line);
    const std::size_t headersEnd = payload.find("\r\n\r\n", at);
    if (headersEnd == std::string_view::npos) break;  // the rest of it is in later packets
    std::uint64_t bodyLength = 0;
    if (!bodyLengthOf(payload.substr(at, headersEnd - at), bodyLength)) break;  // chunked: not followed
    if (bodyLength > payload.size()) break;
    at = headersEnd + 4 + bodyLength;
  }
  return result;
}

Result<TcpOpening> tcpOpeningFromPacket(Bytes packet) {
  TcpOpening result;
  auto tcp = transportOf(packet, IPPROTO_TCP, nullptr, &result.source);
  if (!tcp) return tcp.error();
  if (tcp->size() < 4) return makeError("a TCP header cut short ({} bytes)", tcp->size());
  result.port = static_cast<std::uint16_t>((*tcp)[2] << 8 | (*tcp)[3]);
  return result;
}

}  // namespace bulkhead::net
