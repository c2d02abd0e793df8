// The DynamoDB emulator for polydb's tests: dynalite, started as its own
// command line starts it (same options), except that it survives a client that
// drops a request half-way. dynalite 4 rethrows the request's 'aborted' /
// ECONNRESET error, which ends the whole process, and with it every test that
// shares the emulator; the real service just drops such a request. The fault-
// injection tests (tests/e2e/fault_test.cpp) cut requests on purpose.
//
//   node dynalite-server.js --host 127.0.0.1 --port 58000 --createTableMs 0 ...
'use strict';

const path = require('path');
const minimist = require(path.join(__dirname, 'node_modules', 'minimist'));
const dynalite = require(path.join(__dirname, 'node_modules', 'dynalite'));

process.on('uncaughtException', (err) => {
  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) {
    console.error(`dynalite: a client dropped its request (${err.code || err.message}); ignored`);
    return;
  }
  console.error(err);
  process.exit(1);
});

const argv = minimist(process.argv.slice(2));
const server = dynalite(argv).listen(argv.port || 4567, argv.host || undefined, () => {
  const address = server.address();
  console.log('Dynalite listening at: http://%s:%s', argv.host || 'localhost', address.port);
});
