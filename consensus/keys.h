// Ed25519 keys and signatures (Crypto++), and addresses (PROTOCOL.md section 2):
// address = first 20 bytes of H_addr(public key), shown as bech32m with human part "step".
// No randomness here: callers bring their own 32-byte secret seeds (the wallet draws them).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace step::consensus {

using SecretSeed = std::array<uint8_t, 32>;  // RFC 8032 private key (the seed)
using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;
using Address = std::array<uint8_t, 20>;

inline constexpr char kAddressHrp[] = "step";

PublicKey public_key_from_seed(const SecretSeed& seed);
// Deterministic RFC 8032 Ed25519 signature.
Signature ed25519_sign(const SecretSeed& seed, ByteSpan message);
// RFC 8032 verification, plus S < L (rejects malleated signatures, so a txid cannot be changed
// by a third party), and neither the key nor R may be a small-order point.
bool ed25519_verify(const PublicKey& pub, ByteSpan message, const Signature& sig);
// True when the 32-byte encoding decodes to a point of order dividing 8 (any spelling of it).
bool is_small_order_point(const uint8_t* encoding);

Address address_from_pubkey(const PublicKey& pub);
std::string encode_address(const Address& addr);  // "step1..."
// Error code "bad-address" for anything that is not a step bech32m 20-byte address.
Result<Address> decode_address(std::string_view text);

}  // namespace step::consensus
