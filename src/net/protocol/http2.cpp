// HTTP/2 with prior knowledge (h2c, and gRPC, which is HTTP/2): the client's connection
// preface, then its frames up to the first complete header block, decoded with HPACK.
// HTTP/2 over TLS is seen by the TLS detector (ALPN "h2"). Attributes: method, path,
// authority, content_type, user_agent; protocol "grpc" when the content type says so.
#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"
#include "net/protocol/hpack.h"

namespace bulkhead::net {
namespace {

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr std::uint8_t kData = 0x0, kHeaders = 0x1, kContinuation = 0x9;
constexpr std::uint8_t kEndHeaders = 0x4, kPadded = 0x8, kPriority = 0x20;

// The first header block of the client's frames, when the sample holds all of it.
bool firstHeaderBlock(ByteReader& in, std::vector<std::uint8_t>& block) {
  bool open = false;
  while (in.remaining() >= 9) {
    std::uint32_t length = 0, stream = 0;
    std::uint8_t type = 0, flags = 0;
    Bytes payload;
    if (!in.be24(length) || !in.u8(type) || !in.u8(flags) || !in.be32(stream) ||
        !in.take(length, payload)) {
      return false;
    }
    if (type == kData && !open) return false;  // data before headers: not a request
    if (type != kHeaders && type != kContinuation) continue;
    if (type == kHeaders) {
      ByteReader frame(payload);
      std::uint8_t pad = 0;
      if ((flags & kPadded) && !frame.u8(pad)) return false;
      if ((flags & kPriority) && !frame.skip(5)) return false;
      if (frame.remaining() < pad) return false;
      const Bytes fragment = frame.rest().first(frame.remaining() - pad);
      block.assign(fragment.begin(), fragment.end());
      open = true;
    } else if (open) {
      block.insert(block.end(), payload.begin(), payload.end());
    }
    if (open && (flags & kEndHeaders)) return true;
  }
  return false;
}

class Http2Detector final : public Detector {
 public:
  std::string_view name() const override { return "http2"; }

  Detection detect(const FlowSample& flow) const override {
    const std::string_view text = asText(flow.client);
    if (text.size() < kPreface.size()) {
      return couldBecome(text, kPreface) ? Detection::needMore() : Detection::noMatch();
    }
    if (text.substr(0, kPreface.size()) != kPreface) return Detection::noMatch();

    Identification id{"http2", {}};
    ByteReader in(flow.client.subspan(kPreface.size()));
    std::vector<std::uint8_t> block;
    if (firstHeaderBlock(in, block)) {
      HpackDecoder decoder;
      auto headers = decoder.decode(block);
      if (headers) {
        for (const auto& [key, value] : *headers) {
          if (key == ":method") id.add("method", printable(value));
          if (key == ":path") id.add("path", printable(value, 1024));
          if (key == ":authority") id.add("authority", printable(value));
          if (key == "content-type") {
            id.add("content_type", printable(value));
            if (value.starts_with("application/grpc")) id.protocol = "grpc";
          }
          if (key == "user-agent") id.add("user_agent", printable(value));
        }
      } else {
        id.add("error", headers.error().message);
      }
    }
    return Detection::match(std::move(id));
  }
};

}  // namespace

const Detector& http2Detector() {
  static const Http2Detector d;
  return d;
}

}  // namespace bulkhead::net
