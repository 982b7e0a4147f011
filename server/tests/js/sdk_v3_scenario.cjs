// The AWS SDK for JavaScript v3 against a running shale-server, unchanged: the low-level
// client (@aws-sdk/client-dynamodb), the document client (@aws-sdk/lib-dynamodb), its
// paginators and waiters, and the streams client (@aws-sdk/client-dynamodb-streams).
//
// - CreateTable (provisioned, a GSI and an LSI, a stream) and waitUntilTableExists, which
//   polls DescribeTable; ListTables through its paginator; UpdateTimeToLive.
// - The document client: put, get, update (every kind of action, ReturnValues), delete,
//   conditions, and JavaScript values (numbers, strings, binary, sets, lists, maps, null,
//   booleans); numbers beyond a double as NumberValue.
// - The SDK's error classes: ConditionalCheckFailedException with the old item
//   (ReturnValuesOnConditionCheckFailure), ResourceNotFoundException,
//   ValidationException, TransactionCanceledException with CancellationReasons,
//   ProvisionedThroughputExceededException with ThrottlingReasons; each with DynamoDB's
//   message and HTTP 400 in $metadata.
// - Query and Scan through paginateQuery / paginateScan, on the table and both indexes;
//   BatchWrite and BatchGet; TransactWrite and TransactGet; PartiQL ExecuteStatement.
// - Streams: DescribeStream, GetShardIterator and GetRecords see the writes.
// - DeleteTable and waitUntilTableNotExists.
//
// Usage: node sdk_v3_scenario.cjs http://127.0.0.1:PORT   (modules found on NODE_PATH)
// Prints "sdk v3 scenario: N checks passed" and exits 0; any failed check exits 1.

"use strict";

const ddb = require("@aws-sdk/client-dynamodb");
const lib = require("@aws-sdk/lib-dynamodb");
const streams = require("@aws-sdk/client-dynamodb-streams");

const { check, counter, expectFailure } = require("./checks.cjs");

// Checks the SDK's error class by name, its HTTP 400, and DynamoDB's message if given.
async function expectError(name, promise, message) {
  const e = await expectFailure(promise, (err) => err.name === name, name);
  check(e.$metadata && e.$metadata.httpStatusCode === 400, `${name} is an HTTP 400`);
  if (message !== undefined) {
    check(e.message === message, `${name} message: ${JSON.stringify(e.message)}`);
  }
  return e;
}

async function main() {
  const endpoint = process.argv[2];
  const config = {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "anything", secretAccessKey: "anything" },
    maxAttempts: 1,
  };
  const client = new ddb.DynamoDBClient(config);
  const doc = lib.DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: false },
  });
  const streamsClient = new streams.DynamoDBStreamsClient(config);

  // --- The table: provisioned, a GSI, an LSI, a stream; waited for.
  const created = await client.send(new ddb.CreateTableCommand({
    TableName: "JsOrders",
    AttributeDefinitions: [
      { AttributeName: "customer", AttributeType: "S" },
      { AttributeName: "order", AttributeType: "N" },
      { AttributeName: "status", AttributeType: "S" },
      { AttributeName: "total", AttributeType: "N" },
    ],
    KeySchema: [
      { AttributeName: "customer", KeyType: "HASH" },
      { AttributeName: "order", KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [{
      IndexName: "ByStatus",
      KeySchema: [
        { AttributeName: "status", KeyType: "HASH" },
        { AttributeName: "order", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
    }],
    LocalSecondaryIndexes: [{
      IndexName: "ByTotal",
      KeySchema: [
        { AttributeName: "customer", KeyType: "HASH" },
        { AttributeName: "total", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "KEYS_ONLY" },
    }],
    ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 10 },
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
  }));
  check(created.TableDescription.TableName === "JsOrders", "CreateTable answers");
  check(created.$metadata.httpStatusCode === 200, "HTTP 200");
  const waited = await ddb.waitUntilTableExists(
    { client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: "JsOrders" });
  check(waited.state === "SUCCESS", `waitUntilTableExists: ${waited.state}`);
  const described = (await client.send(new ddb.DescribeTableCommand({ TableName: "JsOrders" }))).Table;
  check(described.TableStatus === "ACTIVE", "ACTIVE");
  check(described.CreationDateTime instanceof Date, "CreationDateTime parses as a Date");
  check(described.GlobalSecondaryIndexes[0].IndexName === "ByStatus", "the GSI");
  check(described.LocalSecondaryIndexes[0].IndexName === "ByTotal", "the LSI");
  check(typeof described.LatestStreamArn === "string", "the stream's ARN");
  await client.send(new ddb.UpdateTimeToLiveCommand({
    TableName: "JsOrders",
    TimeToLiveSpecification: { Enabled: true, AttributeName: "expires" },
  }));
  const ttl = await client.send(new ddb.DescribeTimeToLiveCommand({ TableName: "JsOrders" }));
  check(ttl.TimeToLiveDescription.TimeToLiveStatus === "ENABLED", "TTL enabled");

  for (const name of ["JsA", "JsB", "JsC"]) {
    await client.send(new ddb.CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: "k", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "k", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }));
  }
  const names = [];
  for await (const page of ddb.paginateListTables({ client, pageSize: 2 }, {})) {
    check(page.TableNames.length <= 2, "ListTables pages of 2");
    names.push(...page.TableNames);
  }
  check(JSON.stringify(names) === JSON.stringify(["JsA", "JsB", "JsC", "JsOrders"]),
    `paginateListTables: ${names}`);

  // --- The document client: JavaScript values in, the same values out.
  const first = {
    customer: "ana", order: 1, status: "OPEN", total: 12.5,
    note: "first", tags: new Set(["new", "gift"]), scores: new Set([1, 2.5]),
    blob: new Uint8Array([0, 1, 254, 255]), entries: [{ sku: "a", qty: 2 }, "free text", null],
    address: { city: "Lisbon", zip: null, geo: { lat: 38.7, lon: -9.1 } }, paid: false,
  };
  await doc.send(new lib.PutCommand({ TableName: "JsOrders", Item: first }));
  const got = (await doc.send(new lib.GetCommand({
    TableName: "JsOrders", Key: { customer: "ana", order: 1 }, ConsistentRead: true,
  }))).Item;
  check(got.note === "first" && got.total === 12.5, "strings and numbers");
  check(got.tags instanceof Set && got.tags.has("gift") && got.tags.size === 2, "a string set");
  check(got.scores instanceof Set && got.scores.has(2.5), "a number set");
  check(got.blob instanceof Uint8Array && got.blob.length === 4 && got.blob[3] === 255, "binary");
  check(got.entries[0].qty === 2 && got.entries[2] === null, "a list of a map, a string, a null");
  check(got.address.geo.lon === -9.1 && got.address.zip === null, "nested maps");
  check(got.paid === false, "a boolean");
  const missing = await doc.send(new lib.GetCommand({
    TableName: "JsOrders", Key: { customer: "ana", order: 99 },
  }));
  check(missing.Item === undefined, "a missing item has no Item");

  // Numbers beyond a double: NumberValue in, the exact digits stored and read back.
  const big = "12345678901234567890.123456789";
  await doc.send(new lib.PutCommand({
    TableName: "JsOrders",
    Item: { customer: "big", order: 1, amount: lib.NumberValue.from(big) },
  }));
  // A client of its own: document clients made from one client share its settings.
  const bigDoc = lib.DynamoDBDocumentClient.from(new ddb.DynamoDBClient(config), {
    unmarshallOptions: { wrapNumbers: true },
  });
  const bigGot = (await bigDoc.send(new lib.GetCommand({
    TableName: "JsOrders", Key: { customer: "big", order: 1 },
  }))).Item;
  check(bigGot.amount.toString() === big, `38 digits kept: ${bigGot.amount}`);
  // Unwrapped, such a number cannot be read: gone before the scans below.
  await bigDoc.send(new lib.DeleteCommand({ TableName: "JsOrders", Key: { customer: "big", order: 1 } }));

  // update: SET with arithmetic and if_not_exists, list_append, ADD, DELETE, REMOVE.
  const updated = await doc.send(new lib.UpdateCommand({
    TableName: "JsOrders",
    Key: { customer: "ana", order: 1 },
    UpdateExpression: "SET #t = #t + :inc, entries = list_append(entries, :more), " +
      "visits = if_not_exists(visits, :zero) + :one, address.city = :city " +
      "ADD tags :newTag DELETE scores :dropScore REMOVE note",
    ConditionExpression: "attribute_exists(customer) AND #s = :open",
    ExpressionAttributeNames: { "#s": "status", "#t": "total" },
    ExpressionAttributeValues: {
      ":inc": 2.5, ":more": ["extra"], ":zero": 0, ":one": 1, ":city": "Porto",
      ":newTag": new Set(["rush"]), ":dropScore": new Set([1]), ":open": "OPEN",
    },
    ReturnValues: "ALL_NEW",
  }));
  const a = updated.Attributes;
  check(a.total === 15 && a.visits === 1 && a.address.city === "Porto", `SET: ${JSON.stringify(a)}`);
  check(a.entries.length === 4 && a.entries[3] === "extra", "list_append");
  check(a.tags.has("rush") && a.scores.size === 1 && a.note === undefined, "ADD, DELETE, REMOVE");
  const old = await doc.send(new lib.UpdateCommand({
    TableName: "JsOrders", Key: { customer: "ana", order: 1 },
    UpdateExpression: "SET paid = :t", ExpressionAttributeValues: { ":t": true },
    ReturnValues: "UPDATED_OLD",
  }));
  check(JSON.stringify(old.Attributes) === JSON.stringify({ paid: false }), "UPDATED_OLD");

  // --- Errors, as the SDK's classes, with DynamoDB's texts.
  const failed = await expectError("ConditionalCheckFailedException", doc.send(new lib.PutCommand({
    TableName: "JsOrders", Item: { customer: "ana", order: 1 },
    ConditionExpression: "attribute_not_exists(customer)",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  })), "The conditional request failed");
  check(failed instanceof ddb.ConditionalCheckFailedException, "the SDK's error class");
  check(failed.Item && failed.Item.customer.S === "ana", "the old item with the error");
  await expectError("ResourceNotFoundException", doc.send(new lib.GetCommand({
    TableName: "NoSuchTable", Key: { k: "x" },
  })), "Requested resource not found");
  await expectError("ValidationException", doc.send(new lib.GetCommand({
    TableName: "JsOrders", Key: { customer: "ana" },
  })), "The provided key element does not match the schema");
  await expectError("ValidationException", doc.send(new lib.UpdateCommand({
    TableName: "JsOrders", Key: { customer: "ana", order: 1 },
    UpdateExpression: "SET a = :v", ExpressionAttributeValues: { ":v": 1, ":unused": 2 },
  })), "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}");

  // --- Batches: 60 items in 25s, then read back in 100s.
  const statuses = ["OPEN", "SHIPPED", "CLOSED"];
  const items = [];
  for (let i = 0; i < 60; i += 1) {
    items.push({ customer: "bo", order: i, status: statuses[i % 3], total: i * 10 });
  }
  for (let i = 0; i < items.length; i += 25) {
    let request = { JsOrders: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    for (let round = 0; round < 10 && request && Object.keys(request).length; round += 1) {
      const out = await doc.send(new lib.BatchWriteCommand({ RequestItems: request }));
      request = out.UnprocessedItems;
    }
    check(!request || Object.keys(request).length === 0, "every batch write processed");
  }
  const fetched = await doc.send(new lib.BatchGetCommand({
    RequestItems: {
      JsOrders: {
        Keys: items.map((it) => ({ customer: it.customer, order: it.order }))
          .concat([{ customer: "bo", order: 1000 }]),
        ProjectionExpression: "#o, #t",
        ExpressionAttributeNames: { "#o": "order", "#t": "total" },
      },
    },
  }));
  const rows = fetched.Responses.JsOrders;
  check(rows.length === 60, `BatchGet found ${rows.length} of 60`);
  check(rows.every((r) => r.status === undefined && typeof r.total === "number"), "projected");

  // --- Query and Scan through the paginators; the GSI (eventually consistent) and LSI.
  const orders = [];
  for await (const page of lib.paginateQuery({ client: doc, pageSize: 7 }, {
    TableName: "JsOrders",
    KeyConditionExpression: "customer = :c AND #o BETWEEN :lo AND :hi",
    FilterExpression: "#t >= :min",
    ExpressionAttributeNames: { "#o": "order", "#t": "total" },
    ExpressionAttributeValues: { ":c": "bo", ":lo": 10, ":hi": 49, ":min": 200 },
    ScanIndexForward: false,
  })) {
    orders.push(...page.Items.map((it) => it.order));
  }
  const expected = [];
  for (let o = 49; o >= 20; o -= 1) expected.push(o);
  check(JSON.stringify(orders) === JSON.stringify(expected), `paginateQuery: ${orders}`);
  let shipped = [];
  for (let tries = 0; tries < 3000 && shipped.length < 20; tries += 1) {
    shipped = (await doc.send(new lib.QueryCommand({
      TableName: "JsOrders", IndexName: "ByStatus",
      KeyConditionExpression: "#s = :s", ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":s": "SHIPPED" },
    }))).Items;
  }
  check(shipped.length === 20 && shipped.every((it) => it.order % 3 === 1), "GSI query");
  const byTotal = (await doc.send(new lib.QueryCommand({
    TableName: "JsOrders", IndexName: "ByTotal",
    KeyConditionExpression: "customer = :c AND #t > :t",
    ExpressionAttributeNames: { "#t": "total" },
    ExpressionAttributeValues: { ":c": "bo", ":t": 560 },
  }))).Items;
  check(JSON.stringify(byTotal.map((it) => it.total)) === "[570,580,590]", "LSI query");
  check(byTotal[0].status === undefined, "a keys-only LSI projects no status");
  const counted = await doc.send(new lib.QueryCommand({
    TableName: "JsOrders", KeyConditionExpression: "customer = :c",
    ExpressionAttributeValues: { ":c": "bo" }, Select: "COUNT",
  }));
  check(counted.Count === 60 && counted.Items === undefined, "Select COUNT");
  let scanned = 0;
  for await (const page of lib.paginateScan({ client: doc, pageSize: 16 }, {
    TableName: "JsOrders", ReturnConsumedCapacity: "TOTAL",
  })) {
    check(page.ConsumedCapacity.TableName === "JsOrders", "consumed capacity per page");
    scanned += page.Count;
  }
  check(scanned === 61, `paginateScan saw ${scanned}`);

  // --- Transactions.
  await doc.send(new lib.TransactWriteCommand({
    TransactItems: [
      { Update: {
        TableName: "JsOrders", Key: { customer: "bo", order: 0 },
        UpdateExpression: "SET #s = :shipped", ConditionExpression: "#s = :open",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":shipped": "SHIPPED", ":open": "OPEN" },
      } },
      { Put: { TableName: "JsOrders", Item: { customer: "cy", order: 1, total: 5 } } },
      { ConditionCheck: {
        TableName: "JsOrders", Key: { customer: "ana", order: 1 },
        ConditionExpression: "paid = :t", ExpressionAttributeValues: { ":t": true },
      } },
    ],
  }));
  const pair = await doc.send(new lib.TransactGetCommand({
    TransactItems: [
      { Get: { TableName: "JsOrders", Key: { customer: "bo", order: 0 } } },
      { Get: { TableName: "JsOrders", Key: { customer: "cy", order: 1 } } },
    ],
  }));
  check(pair.Responses[0].Item.status === "SHIPPED" && pair.Responses[1].Item.total === 5,
    "TransactGet reads both");
  const cancelled = await expectError("TransactionCanceledException", doc.send(
    new lib.TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: "JsOrders", Item: { customer: "dee", order: 1 } } },
        { ConditionCheck: {
          TableName: "JsOrders", Key: { customer: "ana", order: 1 },
          ConditionExpression: "paid = :f", ExpressionAttributeValues: { ":f": false },
        } },
      ],
    })));
  check(cancelled instanceof ddb.TransactionCanceledException, "its class");
  const reasons = cancelled.CancellationReasons.map((r) => r.Code);
  check(JSON.stringify(reasons) === '["None","ConditionalCheckFailed"]', `reasons: ${reasons}`);
  check(cancelled.message.startsWith("Transaction cancelled, please refer cancellation reasons"),
    cancelled.message);

  // --- PartiQL.
  const selected = await client.send(new ddb.ExecuteStatementCommand({
    Statement: 'SELECT total FROM "JsOrders" WHERE customer = ? AND "order" = ?',
    Parameters: [{ S: "cy" }, { N: "1" }],
  }));
  check(selected.Items.length === 1 && selected.Items[0].total.N === "5", "ExecuteStatement");

  // --- Streams: the writes above are there.
  const streamArn = described.LatestStreamArn;
  const stream = (await streamsClient.send(new streams.DescribeStreamCommand({
    StreamArn: streamArn,
  }))).StreamDescription;
  check(stream.StreamStatus === "ENABLED" && stream.Shards.length >= 1, "DescribeStream");
  const iterator = (await streamsClient.send(new streams.GetShardIteratorCommand({
    StreamArn: streamArn, ShardId: stream.Shards[0].ShardId, ShardIteratorType: "TRIM_HORIZON",
  }))).ShardIterator;
  const records = (await streamsClient.send(new streams.GetRecordsCommand({
    ShardIterator: iterator, Limit: 1000,
  }))).Records;
  check(records.length > 60, `GetRecords: ${records.length} records`);
  check(records[0].eventName === "INSERT" && records[0].dynamodb.NewImage.customer.S === "ana",
    "the first record is ana's INSERT");
  check(records[0].dynamodb.ApproximateCreationDateTime instanceof Date, "a Date");
  check(records.some((r) => r.eventName === "MODIFY" && r.dynamodb.OldImage), "a MODIFY with its old image");

  // --- Throttling: a 1 WCU table starts with 300 s of burst; the SDK parses the
  // exception's ThrottlingReasons (maxAttempts 1: no retries).
  await client.send(new ddb.CreateTableCommand({
    TableName: "JsTiny",
    AttributeDefinitions: [{ AttributeName: "k", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "k", KeyType: "HASH" }],
    ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
  }));
  let throttled;
  for (let i = 0; i < 500 && !throttled; i += 1) {
    try {
      await doc.send(new lib.PutCommand({ TableName: "JsTiny", Item: { k: `k${i}` } }));
    } catch (e) {
      throttled = e;
    }
  }
  check(throttled instanceof ddb.ProvisionedThroughputExceededException,
    `throttled: ${throttled && throttled.name}`);
  check(throttled.$metadata.httpStatusCode === 400, "an HTTP 400");
  const reason = throttled.ThrottlingReasons && throttled.ThrottlingReasons[0];
  check(reason && reason.reason === "TableWriteProvisionedThroughputExceeded" &&
    reason.resource.endsWith(":table/JsTiny"), `ThrottlingReasons: ${JSON.stringify(reason)}`);

  // --- Gone.
  await doc.send(new lib.DeleteCommand({
    TableName: "JsOrders", Key: { customer: "ana", order: 1 },
    ConditionExpression: "paid = :t", ExpressionAttributeValues: { ":t": true },
  }));
  await client.send(new ddb.DeleteTableCommand({ TableName: "JsOrders" }));
  const gone = await ddb.waitUntilTableNotExists(
    { client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: "JsOrders" });
  check(gone.state === "SUCCESS", `waitUntilTableNotExists: ${gone.state}`);

  console.log(`sdk v3 scenario: ${counter.passed} checks passed`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
