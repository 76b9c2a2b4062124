#include "core/prefetch_stream.h"

#include <cstring>

namespace bulkhead {

PrefetchStream::PrefetchStream(ByteStream& inner, size_t chunkBytes, size_t depth)
    : inner_(inner), chunkBytes_(chunkBytes), depth_(depth), thread_([this] { produce(); }) {}

PrefetchStream::~PrefetchStream() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void PrefetchStream::produce() {
  for (;;) {
    std::vector<char> chunk;
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        chunk = std::move(free_.back());
        free_.pop_back();
      }
    }
    chunk.resize(chunkBytes_);
    size_t filled = 0;
    std::optional<Error> error;
    bool end = false;
    // Fill a whole chunk so the consumer sees few, large reads.
    while (filled < chunk.size()) {
      auto got = inner_.read(chunk.data() + filled, chunk.size() - filled);
      if (!got) {
        error = std::move(got).error();
        break;
      }
      if (*got == 0) {
        end = true;
        break;
      }
      filled += *got;
    }
    chunk.resize(filled);
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return cancelled_ || ready_.size() < depth_; });
    if (cancelled_) return;
    if (!chunk.empty()) ready_.push_back(std::move(chunk));
    if (error) error_ = std::move(error);
    if (end) ended_ = true;
    changed_.notify_all();
    if (error_ || ended_) return;
  }
}

Result<size_t> PrefetchStream::read(void* buffer, size_t size) {
  if (position_ == current_.size()) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !ready_.empty() || error_ || ended_; });
    if (ready_.empty()) {
      if (error_) return *error_;
      return size_t{0};
    }
    if (current_.capacity() != 0) free_.push_back(std::move(current_));
    current_ = std::move(ready_.front());
    ready_.pop_front();
    position_ = 0;
    changed_.notify_all();
  }
  const size_t n = std::min(size, current_.size() - position_);
  std::memcpy(buffer, current_.data() + position_, n);
  position_ += n;
  return n;
}

}  // namespace bulkhead
