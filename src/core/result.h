#pragma once
// One error policy for every library: functions that can fail on input return Result<T>.
// The error message names the input and says what is wrong with it.

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace bulkhead {

struct Error {
  std::string message;
};

template <typename... Args>
Error makeError(fmt::format_string<Args...> format, Args&&... args) {
  return Error{fmt::format(format, std::forward<Args>(args)...)};
}

// Prefixes an error with the context it happened in ("layer sha256:ab..: ").
inline Error withContext(std::string_view context, Error error) {
  error.message = fmt::format("{}: {}", context, error.message);
  return error;
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { check(); return std::get<0>(state_); }
  const T& value() const& { check(); return std::get<0>(state_); }
  T&& value() && { check(); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    if (ok()) std::abort();
    return std::get<1>(state_);
  }
  Error&& error() && {
    if (ok()) std::abort();
    return std::get<1>(std::move(state_));
  }

 private:
  void check() const {
    if (!ok()) std::abort();  // broken invariant: value() on an error
  }
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    if (!failed_) std::abort();
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace bulkhead

// Early return of the error of an expression that yields a Result.
#define BH_TRY_STATUS(expr)                          \
  do {                                               \
    auto bh_status_ = (expr);                        \
    if (!bh_status_) return std::move(bh_status_).error(); \
  } while (0)
