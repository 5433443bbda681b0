// Fuzz body for the event decoders: the envelope codec, every typed payload
// decoder and the JSON view. Properties checked beyond "no crash":
//  - whatever decode() accepts re-encodes to exactly the input bytes;
//  - every JSON view dumps without throwing.
// Built as a libFuzzer target with clang, or driven by fuzz_driver.cpp.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/codec.hpp"
#include "events/json.hpp"
#include "events/payload_codec.hpp"
#include "tests/unit/events/samples.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_events_decode: property violated: %s\n", what);
  std::abort();
}

void check_payload_decoders(std::string_view bytes) {
  std::apply(
      [&](const auto&... p) {
        auto one = [&](const auto& sample) {
          using P = std::decay_t<decltype(sample)>;
          auto d = sn::decode_payload<P>(bytes);
          // A payload that decodes must encode again (not necessarily to the
          // same bytes: payloads may come from older or newer writers).
          if (d) {
            auto again = sn::decode_payload<P>(sn::encode_payload(*d));
            if (!again || sn::encode_payload(*again) != sn::encode_payload(*d)) fail("payload re-encode unstable");
          }
        };
        (one(p), ...);
      },
      sn::test::all_samples());
}

} // namespace

// Seeds for fuzz_driver.cpp: every sample event and payload, encoded.
std::vector<std::string> fuzz_seed_corpus() {
  std::vector<std::string> c;
  std::apply(
      [&](const auto&... p) {
        (c.push_back(sn::encode(sn::test::sample_event(p))), ...);
        (c.push_back(sn::encode_payload(p)), ...);
      },
      sn::test::all_samples());
  c.push_back(std::string("\xdd\xff\x00\x00\x00", 5));
  c.push_back(std::string(64, '\x91'));
  return c;
}

std::vector<std::string> fuzz_dictionary() { return {}; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto e = sn::decode(bytes);
  if (e) {
    if (sn::encode(*e) != bytes) fail("decoded event does not re-encode byte-identical");
    (void)sn::verify_hash(*e);
    (void)sn::event_to_json(*e).dump();
    check_payload_decoders(e->payload);
  }
  check_payload_decoders(bytes);
  // The JSON view of these bytes as the payload of each known type.
  sn::event carrier;
  carrier.origin = sn::device_id{"FUZZ"};
  carrier.payload.assign(bytes);
  for (std::uint16_t t : {100, 101, 102, 200, 201, 202, 300, 301, 302, 303, 400, 401, 500, 600, 9999}) {
    carrier.type = t;
    (void)sn::payload_to_json(carrier).dump();
  }
  return 0;
}
