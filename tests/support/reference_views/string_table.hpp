// Flat open-addressing interner: string <-> dense id (0, 1, 2, ...). The
// replay hot path looks up receipts, skus and origins once per event or
// line; one probe into a flat slot array (no node per entry, no allocation
// for keys up to 15 bytes) keeps that off the profile. Ids are node-local:
// never serialised, never compared across nodes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sn::retail {

class string_table {
public:
  /// Id of `key`, adding it when new (second = true when added).
  std::pair<std::uint32_t, bool> intern(std::string_view key) {
    if ((keys_.size() + 1) * 2 > slots_.size()) grow();
    const std::uint64_t h = hash(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (s == 0) {
        const auto id = static_cast<std::uint32_t>(keys_.size());
        keys_.emplace_back(key);
        hashes_.push_back(h);
        slots_[i] = pack(h, id);
        return {id, true};
      }
      if (tag(s) == tag_of(h) && keys_[index(s)] == key) return {index(s), false};
    }
  }
  std::optional<std::uint32_t> find(std::string_view key) const {
    if (slots_.empty()) return std::nullopt;
    const std::uint64_t h = hash(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (s == 0) return std::nullopt;
      if (tag(s) == tag_of(h) && keys_[index(s)] == key) return index(s);
    }
  }
  const std::string& name(std::uint32_t id) const { return keys_[id]; }
  std::size_t size() const noexcept { return keys_.size(); }
  void clear() {
    keys_.clear();
    hashes_.clear();
    slots_.clear();
    mask_ = 0;
  }

private:
  // slot: upper 32 bits hash tag, lower 32 bits id + 1 (0 = empty)
  static std::uint64_t hash(std::string_view k) { return std::hash<std::string_view>{}(k); }
  static std::uint32_t tag_of(std::uint64_t h) { return static_cast<std::uint32_t>(h >> 32); }
  static std::uint64_t pack(std::uint64_t h, std::uint32_t id) {
    return (static_cast<std::uint64_t>(tag_of(h)) << 32) | (static_cast<std::uint64_t>(id) + 1);
  }
  static std::uint32_t tag(std::uint64_t s) { return static_cast<std::uint32_t>(s >> 32); }
  static std::uint32_t index(std::uint64_t s) { return static_cast<std::uint32_t>(s & 0xffffffffu) - 1; }
  void grow() {
    const std::size_t cap = slots_.empty() ? 64 : slots_.size() * 2;
    slots_.assign(cap, 0);
    mask_ = cap - 1;
    for (std::uint32_t id = 0; id < keys_.size(); ++id) {
      const std::uint64_t h = hashes_[id];  // kept: growing never rehashes a string
      std::size_t i = h & mask_;
      while (slots_[i] != 0) i = (i + 1) & mask_;
      slots_[i] = pack(h, id);
    }
  }

  std::vector<std::string> keys_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
};

} // namespace sn::retail
