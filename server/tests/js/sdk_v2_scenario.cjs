// The AWS SDK for JavaScript v2 (`aws-sdk`, in maintenance but in countless deployed
// applications and ORMs) against a running shale-server, unchanged: the low-level client,
// the DocumentClient and the streams client. v2 checks every DynamoDB response's
// X-Amz-Crc32 against its body (`dynamoDbCrc32`, on by default), so a response whose
// checksum is wrong fails here.
//
// - createTable and waitFor("tableExists"); listTables; describeTable.
// - DocumentClient put / get / update / delete with conditions, createSet, binary.
// - Errors by `code`: ConditionalCheckFailedException, ResourceNotFoundException,
//   ValidationException, TransactionCanceledException; `statusCode` 400.
// - query and scan paged by LastEvaluatedKey (and eachPage), batchWrite, batchGet,
//   transactWrite, transactGet, PartiQL executeStatement.
// - DynamoDBStreams: describeStream, getShardIterator, getRecords.
// - deleteTable and waitFor("tableNotExists").
//
// Usage: node sdk_v2_scenario.cjs http://127.0.0.1:PORT   (modules found on NODE_PATH)
// Prints "sdk v2 scenario: N checks passed" and exits 0; any failed check exits 1.

"use strict";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";
const AWS = require("aws-sdk");

const { check, counter, expectFailure } = require("./checks.cjs");

// Checks the error's `code`, its HTTP 400, and DynamoDB's message if given.
async function expectError(code, request, message) {
  const e = await expectFailure(request.promise(), (err) => err.code === code, code);
  check(e.statusCode === 400, `${code} is an HTTP 400`);
  if (message !== undefined) {
    check(e.message === message, `${code} message: ${JSON.stringify(e.message)}`);
  }
  return e;
}

async function main() {
  const config = {
    endpoint: process.argv[2],
    region: "us-east-1",
    credentials: new AWS.Credentials("anything", "anything"),
    maxRetries: 0,
  };
  const db = new AWS.DynamoDB(config);
  const doc = new AWS.DynamoDB.DocumentClient({ service: db });
  const streams = new AWS.DynamoDBStreams(config);

  const created = await db.createTable({
    TableName: "V2Posts",
    AttributeDefinitions: [
      { AttributeName: "thread", AttributeType: "S" },
      { AttributeName: "seq", AttributeType: "N" },
    ],
    KeySchema: [
      { AttributeName: "thread", KeyType: "HASH" },
      { AttributeName: "seq", KeyType: "RANGE" },
    ],
    ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
  }).promise();
  check(created.TableDescription.TableName === "V2Posts", "createTable");
  const waited = await db.waitFor("tableExists", {
    TableName: "V2Posts", $waiter: { delay: 1, maxAttempts: 30 },
  }).promise();
  check(waited.Table.TableStatus === "ACTIVE", "waitFor tableExists");
  check(waited.Table.CreationDateTime instanceof Date, "a Date");
  const listed = await db.listTables({}).promise();
  check(listed.TableNames.includes("V2Posts"), "listTables");

  // --- DocumentClient values.
  await doc.put({
    TableName: "V2Posts",
    Item: {
      thread: "t1", seq: 1, body: "hello", tags: doc.createSet(["a", "b"]),
      nums: doc.createSet([1, 2]), raw: Buffer.from([0, 255]), meta: { likes: 0, by: null },
      flags: [true, false],
    },
  }).promise();
  const got = (await doc.get({ TableName: "V2Posts", Key: { thread: "t1", seq: 1 } }).promise()).Item;
  check(got.body === "hello" && got.meta.likes === 0 && got.meta.by === null, "a map");
  check(got.tags.values.length === 2 && got.tags.type === "String", "a string set");
  check(got.nums.type === "Number" && got.nums.values.includes(2), "a number set");
  check(Buffer.isBuffer(got.raw) && got.raw[1] === 255, "binary");
  check(got.flags[0] === true && got.flags[1] === false, "booleans in a list");
  const updated = await doc.update({
    TableName: "V2Posts", Key: { thread: "t1", seq: 1 },
    UpdateExpression: "SET meta.likes = meta.likes + :one, body = :b ADD tags :t REMOVE flags",
    ConditionExpression: "body = :old",
    ExpressionAttributeValues: { ":one": 1, ":b": "edited", ":t": doc.createSet(["c"]), ":old": "hello" },
    ReturnValues: "ALL_NEW",
  }).promise();
  const a = updated.Attributes;
  check(a.meta.likes === 1 && a.body === "edited" && a.tags.values.length === 3 && !a.flags,
    "update");

  // --- Errors.
  await expectError("ConditionalCheckFailedException", doc.put({
    TableName: "V2Posts", Item: { thread: "t1", seq: 1 },
    ConditionExpression: "attribute_not_exists(thread)",
  }), "The conditional request failed");
  await expectError("ResourceNotFoundException", doc.get({
    TableName: "Nope", Key: { k: "x" },
  }), "Requested resource not found");
  await expectError("ValidationException", doc.get({
    TableName: "V2Posts", Key: { thread: "t1" },
  }), "The provided key element does not match the schema");

  // --- Batches, then paging by LastEvaluatedKey and eachPage.
  for (let start = 2; start < 52; start += 25) {
    let request = { V2Posts: [] };
    for (let seq = start; seq < start + 25 && seq < 52; seq += 1) {
      request.V2Posts.push({ PutRequest: { Item: { thread: "t1", seq, body: `post ${seq}` } } });
    }
    for (let round = 0; round < 10 && Object.keys(request).length; round += 1) {
      request = (await doc.batchWrite({ RequestItems: request }).promise()).UnprocessedItems;
    }
    check(Object.keys(request).length === 0, "batchWrite processed");
  }
  const keys = [];
  for (let seq = 1; seq <= 51; seq += 1) keys.push({ thread: "t1", seq });
  const batch = await doc.batchGet({
    RequestItems: { V2Posts: { Keys: keys.slice(0, 100) } },
  }).promise();
  check(batch.Responses.V2Posts.length === 51, "batchGet");
  const seqs = [];
  let startKey;
  do {
    const page = await doc.query({
      TableName: "V2Posts", KeyConditionExpression: "thread = :t AND seq > :s",
      ExpressionAttributeValues: { ":t": "t1", ":s": 10 }, Limit: 9, ExclusiveStartKey: startKey,
    }).promise();
    seqs.push(...page.Items.map((it) => it.seq));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  check(seqs.length === 41 && seqs[0] === 11 && seqs[40] === 51, `query pages: ${seqs.length}`);
  const scanned = await new Promise((resolve, reject) => {
    let n = 0;
    doc.scan({ TableName: "V2Posts", Limit: 20 }).eachPage((err, page) => {
      if (err) {
        reject(err);
        return false;
      }
      if (page === null) {
        resolve(n);
        return false;
      }
      n += page.Count;
      return true;
    });
  });
  check(scanned === 51, `scan eachPage: ${scanned}`);

  // --- Transactions and PartiQL.
  await doc.transactWrite({
    TransactItems: [
      { Put: { TableName: "V2Posts", Item: { thread: "t2", seq: 1, body: "new thread" } } },
      { Update: {
        TableName: "V2Posts", Key: { thread: "t1", seq: 2 },
        UpdateExpression: "SET body = :b", ExpressionAttributeValues: { ":b": "moved" },
      } },
    ],
  }).promise();
  const both = await doc.transactGet({
    TransactItems: [
      { Get: { TableName: "V2Posts", Key: { thread: "t2", seq: 1 } } },
      { Get: { TableName: "V2Posts", Key: { thread: "t1", seq: 2 } } },
    ],
  }).promise();
  check(both.Responses[0].Item.body === "new thread" && both.Responses[1].Item.body === "moved",
    "transactGet");
  const cancelled = await expectError("TransactionCanceledException", doc.transactWrite({
    TransactItems: [{ ConditionCheck: {
      TableName: "V2Posts", Key: { thread: "t2", seq: 1 },
      ConditionExpression: "attribute_not_exists(body)",
    } }],
  }));
  check(cancelled.message.includes("[ConditionalCheckFailed]"), cancelled.message);
  const partiql = await db.executeStatement({
    Statement: 'SELECT body FROM "V2Posts" WHERE thread = ? AND seq = ?',
    Parameters: [{ S: "t2" }, { N: "1" }],
  }).promise();
  check(partiql.Items[0].body.S === "new thread", "executeStatement");

  // --- Streams.
  const arn = (await db.describeTable({ TableName: "V2Posts" }).promise()).Table.LatestStreamArn;
  const shard = (await streams.describeStream({ StreamArn: arn }).promise())
    .StreamDescription.Shards[0].ShardId;
  const it = (await streams.getShardIterator({
    StreamArn: arn, ShardId: shard, ShardIteratorType: "TRIM_HORIZON",
  }).promise()).ShardIterator;
  const records = (await streams.getRecords({ ShardIterator: it }).promise()).Records;
  check(records.length === 54, `getRecords: ${records.length}`);
  check(records[0].dynamodb.NewImage.body.S === "hello", "the first image");

  // --- Gone.
  await doc.delete({ TableName: "V2Posts", Key: { thread: "t2", seq: 1 } }).promise();
  await db.deleteTable({ TableName: "V2Posts" }).promise();
  await db.waitFor("tableNotExists", {
    TableName: "V2Posts", $waiter: { delay: 1, maxAttempts: 30 },
  }).promise();
  await expectError("ResourceNotFoundException", db.describeTable({ TableName: "V2Posts" }));

  console.log(`sdk v2 scenario: ${counter.passed} checks passed`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
