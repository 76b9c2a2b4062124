#pragma once
// HPACK (RFC 7541) header block decoding for the HTTP/2 detector: the static and dynamic
// tables, integers and Huffman-coded strings. Bounded: the dynamic table holds at most
// kMaxTableSize bytes as RFC 7541 counts them, and a block decodes to at most
// kMaxHeaderBytes of names and values.

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "net/protocol/bytes.h"

namespace bulkhead::net {

using Header = std::pair<std::string, std::string>;

class HpackDecoder {
 public:
  static constexpr std::size_t kMaxTableSize = 65536;
  static constexpr std::size_t kMaxHeaderBytes = 16384;

  // Decodes one complete header block (HEADERS plus CONTINUATION fragments), updating the
  // dynamic table for the blocks that follow on the same connection.
  Result<std::vector<Header>> decode(Bytes block);

 private:
  Result<Header> entry(std::size_t index) const;
  void insert(Header header);
  void evict(std::size_t room);  // drops the oldest entries until room bytes fit

  std::deque<Header> dynamic_;  // newest first
  std::size_t size_ = 0;
  std::size_t maxSize_ = 4096;
};

// Huffman decoding of one string (RFC 7541 section 5.2 and Appendix B).
Result<std::string> huffmanDecode(Bytes in);

}  // namespace bulkhead::net
