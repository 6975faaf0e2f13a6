#include "runtime/uuid_v4.hpp"

#include <array>
#include <cstdint>
#include <random>

#include <fmt/format.h>

namespace duroxide::runtime {

namespace {

std::mt19937_64& generator() {
  // One per thread: no shared state to lock, and each is seeded with 256 bits from the OS.
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return engine;
}

}  // namespace

std::string random_uuid_v4() {
  auto& engine = generator();
  std::uint64_t high = engine();
  std::uint64_t low = engine();
  high = (high & ~std::uint64_t{0xF000}) | std::uint64_t{0x4000};          // version 4
  low = (low & ~(std::uint64_t{0x3} << 62)) | (std::uint64_t{0x2} << 62);  // variant 10xx
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", static_cast<std::uint32_t>(high >> 32),
                     static_cast<std::uint16_t>(high >> 16), static_cast<std::uint16_t>(high),
                     static_cast<std::uint16_t>(low >> 48), low & 0xFFFFFFFFFFFFULL);
}

}  // namespace duroxide::runtime
