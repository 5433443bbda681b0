// A small expected<T> used across the project: functions that can fail return
// one of these, marked [[nodiscard]] so that nobody ignores an error
// (STYLE.md rule 4). Each folder has its own errc enum; an `error` carries the
// folder's name, the numeric code and a human message.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sn {

struct error {
  const char* domain = "";  ///< static string: "events", "storage", ...
  int code = 0;             ///< the folder's errc value
  std::string message;      ///< for people and logs
  std::string to_string() const { return std::string(domain) + ":" + std::to_string(code) + ": " + message; }
};

template <class T>
class [[nodiscard]] expected {
public:
  expected(T value) : v_(std::move(value)) {}
  expected(sn::error e) : v_(std::move(e)) {}
  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const sn::error& error() const { return std::get<1>(v_); }

private:
  std::variant<T, sn::error> v_;
};

/// expected<void>: success or an error.
class [[nodiscard]] status {
public:
  status() = default;
  status(sn::error e) : err_(std::move(e)), ok_(false) {}
  static status ok() { return status{}; }
  bool is_ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const sn::error& error() const { return err_; }

private:
  sn::error err_;
  bool ok_ = true;
};

} // namespace sn
