// Plain driver for the fuzz targets when libFuzzer is not available (g++):
// seeded mutations of a seed corpus, bounded by time and by iterations.
// Usage: <target> [seconds=3] [seed]
// Prints its seed first, so any crash replays with the same arguments.
//
// Each target supplies its seeds and a dictionary of tokens worth splicing in
// (fuzz_seed_corpus, fuzz_dictionary); when the target's build defines
// FUZZ_CORPUS_DIR, every file in that directory is a seed too (the same
// directory libFuzzer gets as its seed corpus with clang).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

/// Seeds built in code by the target (may be empty).
std::vector<std::string> fuzz_seed_corpus();
/// Tokens the mutator inserts whole (may be empty).
std::vector<std::string> fuzz_dictionary();

namespace {

constexpr std::size_t corpus_size_max = 4096;
constexpr std::size_t input_bytes_max = 4096;
constexpr std::uint64_t iterations_max = 50'000'000;

std::vector<std::string> seed_corpus() {
  std::vector<std::string> c = fuzz_seed_corpus();
#ifdef FUZZ_CORPUS_DIR
  // In name order: a seed replays the same run whatever order the directory lists.
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(FUZZ_CORPUS_DIR)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    c.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
#endif
  if (c.empty()) c.emplace_back();
  return c;
}

// One of a few classic mutations; length-prefix bytes get "interesting" values.
std::string mutate(std::string s, std::mt19937_64& rng, const std::vector<std::string>& corpus,
                   const std::vector<std::string>& dictionary) {
  static const unsigned char interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x90, 0x9a, 0xc4, 0xc6,
                                              0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xcf, 0xd3, 0xc1};
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    const std::size_t n = s.size();
    switch (rng() % 8) {
      case 0: if (n) s[rng() % n] ^= static_cast<char>(1u << (rng() % 8)); break;
      case 1: if (n) s[rng() % n] = static_cast<char>(interesting[rng() % sizeof interesting]); break;
      case 2: if (n) s.resize(rng() % n); break;
      case 3: if (n) s.erase(rng() % n, 1 + rng() % 8); break;
      case 4: s.insert(n ? rng() % n : 0, 1 + rng() % 4, static_cast<char>(rng())); break;
      case 5: {  // splice in a piece of another input
        const auto& o = corpus[rng() % corpus.size()];
        if (!o.empty()) s.insert(n ? rng() % n : 0, o.substr(rng() % o.size(), 1 + rng() % 16));
        break;
      }
      case 6: {  // a dictionary token, whole
        if (!dictionary.empty()) s.insert(n ? rng() % n : 0, dictionary[rng() % dictionary.size()]);
        break;
      }
      default: if (n) s[rng() % n] = static_cast<char>(rng()); break;
    }
  }
  if (s.size() > input_bytes_max) s.resize(input_bytes_max);
  return s;
}

} // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : std::random_device{}();
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  std::printf("%s: seed %llu, %.1f s (replay: %s %.1f %llu)\n", name.c_str(), static_cast<unsigned long long>(seed),
              seconds, argv[0], seconds, static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  std::vector<std::string> corpus = seed_corpus();
  const std::vector<std::string> dictionary = fuzz_dictionary();
  const std::size_t seed_count = corpus.size();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::uint64_t i = 0;
  for (; i < iterations_max; ++i) {
    if ((i & 255) == 0 && std::chrono::steady_clock::now() >= deadline) break;
    std::string in = mutate(corpus[rng() % corpus.size()], rng, corpus, dictionary);
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(in.data()), in.size());
    // Keep an occasional mutant so that mutations stack up over the run.
    if (rng() % 64 == 0) {
      if (corpus.size() < corpus_size_max) {
        corpus.push_back(std::move(in));
      } else {
        corpus[rng() % corpus.size()] = std::move(in);
      }
    }
  }
  std::printf("%s: %llu inputs (%zu seeds), no property violated\n", name.c_str(), static_cast<unsigned long long>(i),
              seed_count);
  return 0;
}
