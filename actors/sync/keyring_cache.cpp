#include "actors/sync/keyring_cache.hpp"

#include <msgpack.hpp>

namespace sn::sync {
namespace {

constexpr std::string_view format = "keyring-cache";
constexpr std::uint64_t version = 1;

struct string_writer {
  std::string* out;
  void write(const char* p, std::size_t n) { out->append(p, n); }
};

}  // namespace

void keyring_cache::add(std::uint64_t position, std::string event_bytes) {
  if (position <= covered_) return;
  events_.push_back(std::move(event_bytes));
  covered_ = position;
  dirty_ = new_events_ = true;
}

void keyring_cache::cover(std::uint64_t position) {
  if (position <= covered_) return;
  covered_ = position;
  dirty_ = true;
}

std::string keyring_cache::encode() const {
  std::string out;
  string_writer w{&out};
  msgpack::packer<string_writer> pk(w);
  pk.pack_array(4);
  pk.pack_str(static_cast<std::uint32_t>(format.size()));
  pk.pack_str_body(format.data(), static_cast<std::uint32_t>(format.size()));
  pk.pack_uint64(version);
  pk.pack_uint64(covered_);
  pk.pack_array(static_cast<std::uint32_t>(events_.size()));
  for (const auto& e : events_) {
    pk.pack_bin(static_cast<std::uint32_t>(e.size()));
    pk.pack_bin_body(e.data(), static_cast<std::uint32_t>(e.size()));
  }
  return out;
}

bool keyring_cache::decode(std::string_view in) {
  covered_ = 0;
  events_.clear();
  dirty_ = new_events_ = false;
  try {
    std::size_t off = 0;
    msgpack::object_handle h = msgpack::unpack(in.data(), in.size(), off);
    if (off != in.size()) return false;
    const msgpack::object& o = h.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 4) return false;
    const msgpack::object* f = o.via.array.ptr;
    if (f[0].type != msgpack::type::STR || std::string_view(f[0].via.str.ptr, f[0].via.str.size) != format) return false;
    if (f[1].type != msgpack::type::POSITIVE_INTEGER || f[1].via.u64 != version) return false;
    if (f[2].type != msgpack::type::POSITIVE_INTEGER || f[3].type != msgpack::type::ARRAY) return false;
    std::vector<std::string> events;
    for (std::uint32_t i = 0; i < f[3].via.array.size; ++i) {
      const msgpack::object& e = f[3].via.array.ptr[i];
      if (e.type != msgpack::type::BIN) return false;
      events.emplace_back(e.via.bin.ptr, e.via.bin.size);
    }
    covered_ = f[2].via.u64;
    events_ = std::move(events);
    return true;
  } catch (const std::exception&) {
    return false;  // truncated or not msgpack
  }
}

}  // namespace sn::sync
