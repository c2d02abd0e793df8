'use strict';
// The native side of firestore_load.sh: loads the rows of a JSON file (an
// array of objects, as `sqlite3 -json` prints them) into a Firestore
// collection with the official Node client, the document id being the "id"
// field, like `polydb copy`. Modes:
//   batch       WriteBatch commits of 500 writes, one at a time (one request in
//               flight, 500 writes each: polydb's batchWrite concurrency)
//   bulkwriter  BulkWriter without its 500/50/5 ramp-up throttling (its own
//               batching and parallelism)
// Usage: node firestore_load.js MODE PROJECT COLLECTION FILE
// Needs FIRESTORE_EMULATOR_HOST, METADATA_SERVER_DETECTION=none and NODE_PATH.
const fs = require('fs');
const { Firestore, Timestamp } = require('@google-cloud/firestore');

function documentOf(row) {
  // The same kinds polydb writes: timestamps as Timestamp, decimals as strings.
  return {
    ...row,
    amount: String(row.amount),
    at: Timestamp.fromDate(new Date(row.at.replace(' ', 'T') + 'Z')),
    flag: row.flag === 1,
  };
}

async function main() {
  const [mode, project, collection, file] = process.argv.slice(2);
  const rows = JSON.parse(fs.readFileSync(file, 'utf8'));
  const db = new Firestore({ projectId: project });
  const col = db.collection(collection);
  if (mode === 'batch') {
    for (let i = 0; i < rows.length; i += 500) {
      const batch = db.batch();
      for (const row of rows.slice(i, i + 500)) batch.create(col.doc(String(row.id)), documentOf(row));
      await batch.commit();
    }
  } else if (mode === 'bulkwriter') {
    const writer = db.bulkWriter({ throttling: false });
    for (const row of rows) writer.create(col.doc(String(row.id)), documentOf(row));
    await writer.close();
  } else {
    throw new Error('mode is batch or bulkwriter');
  }
  await db.terminate();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
