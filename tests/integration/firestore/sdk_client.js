'use strict';
// The official Node client (@google-cloud/firestore) against the emulator, for
// polydb's interop tests: `write PROJECT COLLECTION` stores documents with
// every kind of value; `read PROJECT COLLECTION` prints the documents as JSON
// with the SDK's types tagged ({ts: [s, ns]}, {geo: [lat, lon]}, {bytes: b64},
// {ref: path}). Needs FIRESTORE_EMULATOR_HOST and NODE_PATH set by the caller.
const { Firestore, Timestamp, GeoPoint, DocumentReference } = require('@google-cloud/firestore');

function encode(v) {
  if (v === null || v === undefined) return null;
  if (v instanceof Timestamp) return { ts: [v.seconds, v.nanoseconds] };
  if (v instanceof GeoPoint) return { geo: [v.latitude, v.longitude] };
  if (v instanceof DocumentReference) return { ref: v.path };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(encode);
  if (typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = encode(v[k]);
    return o;
  }
  return v;
}

async function main() {
  const [cmd, project, collection] = process.argv.slice(2);
  const db = new Firestore({ projectId: project });
  const col = db.collection(collection);
  if (cmd === 'write') {
    await col.doc('sdk1').set({
      name: 'from the SDK ✓',
      n: 42,
      neg: -7,
      f: 1.25,
      flag: true,
      nothing: null,
      at: new Timestamp(1700000000, 123456789),
      blob: Buffer.from([0, 1, 2, 255]),
      where: new GeoPoint(48.8566, 2.3522),
      ref: db.doc(collection + '/sdk2'),
      tags: ['a', 'b', 3],
      nested: { level1: { level2: [1, { deep: 'yes' }] }, when: new Timestamp(1, 5) },
    });
    await col.doc('sdk2').set({ name: 'second', n: 7 });
    await col.doc('sdk1').collection('items').doc('i1').set({ qty: 3 });
  } else if (cmd === 'read') {
    const snap = await col.get();
    const out = {};
    for (const d of snap.docs) out[d.id] = encode(d.data());
    process.stdout.write(JSON.stringify(out));
  } else {
    throw new Error('usage: sdk_client.js write|read PROJECT COLLECTION');
  }
  await db.terminate();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
