// Loads DynamoDB items (one DynamoDB-JSON item per line) with the AWS SDK for
// JavaScript v3: BatchWriteItem, 25 items per call, CONCURRENCY calls in
// flight, UnprocessedItems resent with backoff. The Node side of
// dynamodb_load.sh.
//
// Usage: node dynamodb_batch_write.cjs ENDPOINT REGION TABLE ITEMS.ndjson [CONCURRENCY]
// (the SDK from tools/emulators: NODE_PATH=tools/emulators/node_modules)
'use strict';

const fs = require('fs');
const readline = require('readline');
const { DynamoDBClient, BatchWriteItemCommand } = require('@aws-sdk/client-dynamodb');

async function main() {
  const [endpoint, region, table, file, concurrencyArg] = process.argv.slice(2);
  const concurrency = Number(concurrencyArg || 1);
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    },
  });
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const send = async (requests) => {
    let pending = { [table]: requests };
    for (let attempt = 0; Object.keys(pending).length > 0; ++attempt) {
      if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt) * Math.random());
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: pending }));
      pending = out.UnprocessedItems || {};
    }
  };
  const inFlight = new Set();
  let batch = [];
  let written = 0;
  const flush = async () => {
    const p = send(batch).then(() => inFlight.delete(p));
    written += batch.length;
    batch = [];
    inFlight.add(p);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    batch.push({ PutRequest: { Item: JSON.parse(line) } });
    if (batch.length === 25) await flush();
  }
  if (batch.length > 0) await flush();
  await Promise.all(inFlight);
  process.stderr.write(`node: wrote ${written} items\n`);
}

main().catch((e) => {
  console.error(`node: ${e.stack || e}`);
  process.exit(1);
});
