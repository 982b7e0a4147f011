// Dynamoose, the Node ORM on the SDK v3, against a running shale-server, unchanged: it
// creates and waits for its tables itself (CreateTable, DescribeTable until ACTIVE,
// UpdateTimeToLive), and writes its own expressions for every call below.
//
// - A model with a hash and range key, a GSI, defaults, required and validated fields,
//   sets, maps and lists, timestamps and a TTL.
// - create (with its overwrite guard), get, update ($SET, $ADD, $REMOVE, a condition),
//   delete with a condition.
// - query and scan with conditions, an index, limits, paging (lastKey / startAt), count,
//   and all() to read every page.
// - batchPut, batchGet, batchDelete; transactions through dynamoose.transaction.
//
// Usage: node dynamoose_models.cjs http://127.0.0.1:PORT   (modules found on NODE_PATH)
// Prints "dynamoose models: N checks passed" and exits 0; any failed check exits 1.

"use strict";

const dynamoose = require("dynamoose");

const { check, counter, expectFailure } = require("./checks.cjs");

function expectError(code, promise) {
  return expectFailure(promise, (e) => e.name === code || e.code === code, code);
}

async function main() {
  const ddb = new dynamoose.aws.ddb.DynamoDB({
    endpoint: process.argv[2],
    region: "us-east-1",
    credentials: { accessKeyId: "anything", secretAccessKey: "anything" },
    maxAttempts: 1,
  });
  dynamoose.aws.ddb.set(ddb);

  const schema = new dynamoose.Schema({
    shelf: { type: String, hashKey: true },
    isbn: { type: String, rangeKey: true },
    author: { type: String, index: { name: "ByAuthor", type: "global", rangeKey: "year" } },
    year: { type: Number, required: true, validate: (v) => v > 1400 },
    title: String,
    copies: { type: Number, default: 1 },
    genres: { type: Set, schema: [String] },
    details: { type: Object, schema: { pages: Number, publisher: String } },
    quotes: { type: Array, schema: [String] },
  }, { timestamps: true, saveUnknown: false });
  const Book = dynamoose.model("DynBooks", schema);
  const table = new dynamoose.Table("DynBooks", [Book], {
    initialize: false,
    throughput: { read: 10, write: 10 },
    expires: { ttl: 30 * 24 * 3600 * 1000, attribute: "ttl" },
    waitForActive: { enabled: true, check: { timeout: 30000, frequency: 100 } },
  });
  await table.initialize();
  const description = await ddb.describeTable({ TableName: "DynBooks" });
  check(description.Table.TableStatus === "ACTIVE", "Dynamoose created the table");
  check(description.Table.GlobalSecondaryIndexes[0].IndexName === "ByAuthor", "and its GSI");
  const ttl = await ddb.describeTimeToLive({ TableName: "DynBooks" });
  check(ttl.TimeToLiveDescription.AttributeName === "ttl", "and its TTL");

  // --- create, get, update, delete.
  const dune = await Book.create({
    shelf: "sf", isbn: "0441013597", author: "Herbert", year: 1965, title: "Dune",
    genres: new Set(["sf", "classic"]), details: { pages: 412, publisher: "Chilton" },
    quotes: ["Fear is the mind-killer."],
  });
  check(dune.copies === 1 && typeof dune.createdAt === "number", "defaults and timestamps");
  await expectError("ConditionalCheckFailedException", Book.create({
    shelf: "sf", isbn: "0441013597", author: "Herbert", year: 1965,
  }));
  await expectError("ValidationError", Book.create({
    shelf: "sf", isbn: "x", author: "Nobody", year: 12,
  }));
  const got = await Book.get({ shelf: "sf", isbn: "0441013597" });
  check(got.title === "Dune" && got.genres.has("classic") && got.details.pages === 412, "get");
  check(got.ttl instanceof Date, "the TTL attribute as a Date");
  const updated = await Book.update({ shelf: "sf", isbn: "0441013597" }, {
    $SET: { title: "Dune (1965)" }, $ADD: { copies: 2, genres: ["epic"] },
    $REMOVE: ["quotes"],
  }, { condition: new dynamoose.Condition("year").eq(1965) });
  check(updated.copies === 3 && updated.genres.has("epic") && updated.quotes === undefined,
    "update");
  await expectError("ConditionalCheckFailedException", Book.update(
    { shelf: "sf", isbn: "0441013597" }, { $ADD: { copies: 1 } },
    { condition: new dynamoose.Condition("year").lt(1900) }));
  check(await Book.get({ shelf: "sf", isbn: "missing" }) === undefined, "a missing item");

  // --- Batches.
  const many = [];
  for (let i = 0; i < 40; i += 1) {
    many.push({ shelf: "bulk", isbn: `b${String(i).padStart(3, "0")}`,
      author: i % 2 ? "Le Guin" : "Lem", year: 1960 + i, copies: i });
  }
  // Dynamoose sends a batch as one BatchWriteItem: at most 25 at a time.
  for (const chunk of [many.slice(0, 20), many.slice(20)]) {
    const put = await Book.batchPut(chunk);
    check(put.unprocessedItems.length === 0, "batchPut");
  }
  const fetched = await Book.batchGet(many.slice(0, 30).map((b) => ({ shelf: b.shelf, isbn: b.isbn })));
  check(fetched.length === 30 && fetched.unprocessedKeys.length === 0, "batchGet");

  // --- Query, scan, paging, count, an index.
  const page = await Book.query("shelf").eq("bulk").where("copies").ge(10).limit(15).exec();
  check(page.lastKey !== undefined, "a limited page has a lastKey");
  const rest = await Book.query("shelf").eq("bulk").where("copies").ge(10)
    .startAt(page.lastKey).exec();
  check(page.length + rest.length === 30, `paged query: ${page.length} + ${rest.length}`);
  const all = await Book.query("shelf").eq("bulk").limit(7).all().exec();
  check(all.length === 40, `all() pages: ${all.length}`);
  const counted = await Book.query("shelf").eq("bulk").count().exec();
  check(counted.count === 40, "count");
  const desc = await Book.query("shelf").eq("bulk").sort("descending").limit(3).exec();
  check(desc.map((b) => b.isbn).join() === "b039,b038,b037", "descending");
  let leGuin = [];
  for (let tries = 0; tries < 3000 && leGuin.length < 20; tries += 1) {
    leGuin = await Book.query("author").eq("Le Guin").using("ByAuthor").exec();
  }
  check(leGuin.length === 20, `GSI query: ${leGuin.length}`);
  const lateLem = await Book.query("author").eq("Lem").where("year").gt(1990).using("ByAuthor").exec();
  check(lateLem.length === 4, `GSI range: ${lateLem.length}`);
  const scanned = await Book.scan("year").between(1970, 1979).all().exec();
  check(scanned.length === 10, `scan with a filter: ${scanned.length}`);

  // --- Transactions.
  await dynamoose.transaction([
    Book.transaction.update({ shelf: "bulk", isbn: "b000" }, { $ADD: { copies: 5 } }),
    Book.transaction.create({ shelf: "sf", isbn: "0553293354", author: "Asimov", year: 1951 }),
    Book.transaction.condition({ shelf: "sf", isbn: "0441013597" },
      new dynamoose.Condition("copies").eq(3)),
  ]);
  check((await Book.get({ shelf: "bulk", isbn: "b000" })).copies === 5, "a transaction");
  await expectError("TransactionCanceledException", dynamoose.transaction([
    Book.transaction.create({ shelf: "sf", isbn: "0553293354", author: "Asimov", year: 1951 }),
  ]));

  // --- Deletes.
  await Book.batchDelete(many.slice(20).map((b) => ({ shelf: b.shelf, isbn: b.isbn })));
  check((await Book.query("shelf").eq("bulk").count().exec()).count === 20, "batchDelete");
  await expectError("ConditionalCheckFailedException", Book.delete(
    { shelf: "sf", isbn: "0441013597" }, { condition: new dynamoose.Condition("copies").eq(0) }));
  await Book.delete({ shelf: "sf", isbn: "0441013597" });
  check(await Book.get({ shelf: "sf", isbn: "0441013597" }) === undefined, "deleted");

  console.log(`dynamoose models: ${counter.passed} checks passed`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
