#pragma once
// Reads an inner stream on a background thread, a few chunks ahead of the consumer, so
// that two stages of a pipeline (say, inflating a layer and parsing its tar) run on two
// cores. Memory is bounded by chunkBytes * depth.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/stream.h"

namespace bulkhead {

class PrefetchStream final : public ByteStream {
 public:
  // `inner` must outlive this object; it is only touched by the background thread.
  explicit PrefetchStream(ByteStream& inner, size_t chunkBytes = 1u << 20, size_t depth = 4);
  ~PrefetchStream() override;
  PrefetchStream(const PrefetchStream&) = delete;
  PrefetchStream& operator=(const PrefetchStream&) = delete;

  Result<size_t> read(void* buffer, size_t size) override;

 private:
  void produce();

  ByteStream& inner_;
  const size_t chunkBytes_;
  const size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<char>> ready_;
  std::vector<std::vector<char>> free_;  // spent chunks, reused to avoid page faults
  std::optional<Error> error_;
  bool ended_ = false;
  bool cancelled_ = false;
  std::vector<char> current_;
  size_t position_ = 0;
  std::thread thread_;
};

}  // namespace bulkhead
