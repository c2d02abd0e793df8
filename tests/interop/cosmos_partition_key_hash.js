'use strict';
// Prints the effective partition key (EPK) the official Cosmos DB Node SDK
// (@azure/cosmos) computes for each partition key value, so polydb's own
// implementation (src/connectors/cosmos/partition_hash.cpp) can be checked
// against it: tests/unit/connectors/cosmos/partition_hash_test.cpp holds
// values printed by this script; the integration test runs it again.
//
// Usage: NODE_PATH=tools/emulators/node_modules node cosmos_partition_key_hash.js < cases
// Input: one JSON object a line, {"kind": "Hash"|"MultiHash", "version": 1|2,
// "values": [...]} (a value of {} stands for "undefined", a missing property).
// Output: one line per case, the EPK in upper-case hex.
const path = require('path');
const readline = require('readline');

// The hashing function is internal to the SDK (not in its public exports):
// load its file by path next to the package's entry point.
const entry = require.resolve('@azure/cosmos');
const { hashPartitionKey } = require(path.join(path.dirname(entry), 'utils', 'hashing', 'hash.js'));

function sdkValue(v) {
  return v !== null && typeof v === 'object' ? undefined : v;
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  const c = JSON.parse(line);
  const definition = { paths: c.values.map((_, i) => `/p${i}`), kind: c.kind, version: c.version };
  process.stdout.write(hashPartitionKey(c.values.map(sdkValue), definition) + '\n');
});
