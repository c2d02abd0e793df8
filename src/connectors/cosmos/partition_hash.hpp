#pragma once

// Where Cosmos DB places an item: the effective partition key (EPK) of its
// partition key value, and the physical partition key range whose
// [minInclusive, maxExclusive) holds it. Bulk requests name one range, so
// the writer groups items by range with these.
//
// The EPK is the service's hash of the value, written as upper-case hex:
// - Hash, version 2 (and each level of MultiHash): MurmurHash3_x64_128 of
//   the value's binary encoding (a type byte, then the UTF-8 bytes of a
//   string followed by 0xFF, or the 8 little-endian bytes of a number's
//   IEEE-754 double), its 16 bytes in reverse order, the top two bits of the
//   first cleared. MultiHash concatenates the hashes of its levels.
// - Hash, version 1 (the default of containers created without a version):
//   MurmurHash3_x86_32 of the value's encoding (strings cut to 100 UTF-16
//   code units and ended by 0x00), written as an order-preserving binary
//   number, followed by the order-preserving binary encoding of the value.
// Checked against the official Node SDK's hashing (tests/interop/).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/cosmos/connection.hpp"
#include "connectors/cosmos/types.hpp"

namespace polydb::cosmos {

/// A physical partition key range of a container.
struct KeyRange {
  std::string id;
  std::string min;  ///< minInclusive EPK ("" for the first range)
  std::string max;  ///< maxExclusive EPK ("FF" for the last range)
};

/// The EPK of `values` (a JSON array of the partition key's values, one per
/// path; an object stands for a missing property) under `key`'s kind and
/// version. Pure.
std::string effective_partition_key(const Json& values, const PartitionKey& key);

/// The range of `ranges` (sorted by min, as the service lists them) holding
/// `epk`; nullptr when none does.
const KeyRange* range_of(std::span<const KeyRange> ranges, std::string_view epk);

}  // namespace polydb::cosmos
