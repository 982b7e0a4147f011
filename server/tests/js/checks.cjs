// What the Node scenarios share: a counted check (a failed one throws), and an
// expected-error call that hands the error back for more checks.

"use strict";

const counter = { passed: 0 };

function check(cond, what) {
  if (!cond) {
    throw new Error(`check failed: ${what}`);
  }
  counter.passed += 1;
}

// Awaits `promise`, checks that it fails, and that `matches(error)` holds (`what`
// describes it); returns the error.
async function expectFailure(promise, matches, what) {
  try {
    await promise;
  } catch (e) {
    check(matches(e), `expected ${what}, got ${e.name || e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected ${what}, but the call succeeded`);
}

module.exports = { check, counter, expectFailure };
