// The HTTP API's error vocabulary: an answer the API refuses a request with
// (status, stable code, message), and a result type for the pure parsers of
// node/ (request heads, command bodies). docs/api.md lists every code; the
// test tests/unit/node/error_codes_test.cpp keeps the two in step.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sn::node {

/// A refusal: `{"error":{"code":code,"message":message}}` with HTTP `status`.
struct api_error {
  int status = 400;
  std::string code;     ///< stable, documented in docs/api.md
  std::string message;  ///< for people
};

/// A value or the api_error that refuses the request.
template <class T>
class [[nodiscard]] api_result {
 public:
  api_result(T value) : v_(std::move(value)) {}
  api_result(api_error e) : v_(std::move(e)) {}
  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const api_error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, api_error> v_;
};

/// The JSON text of an error body.
std::string error_json(const std::string& code, const std::string& message);

}  // namespace sn::node
