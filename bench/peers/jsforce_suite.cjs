// jsforce (unmodified) against Tributary's Salesforce emulator.
//
// Usage: node jsforce_suite.cjs '<the salesforce JSON line of tributary-sandbox>'
//
// Prints one `PASS name` / `FAIL name: why` line per check and exits 1 if any check failed.
// The org must have been started with `--seed-accounts N` (N > 2000); this suite only writes
// records whose names carry its own run id, so it can share the org with the
// simple-salesforce suite.
//
// Peer quirk: jsforce's Bulk API 2.0 query result reader mishandles results of more than one
// page (jsforce issue 1546), so the bulk query check here stays within one page; the
// multi-page Bulk 2.0 query is covered by the simple-salesforce suite.
'use strict';

const path = require('path');
const crypto = require('crypto');
const jsforce = require(path.join(__dirname, 'node_modules', 'jsforce'));

const cfg = JSON.parse(process.argv[2]);
const VERSION = cfg.api_version;
const SEEDED = Number(cfg.seeded_accounts);
const RUN = crypto.randomBytes(4).toString('hex');
const API = `/services/data/v${VERSION}`;
const POLL = { pollInterval: 50, pollTimeout: 30000 };

const conn = new jsforce.Connection({
  instanceUrl: cfg.base_url,
  accessToken: cfg.access_token,
  version: VERSION,
});

const checks = [];
function check(name, fn) {
  checks.push({ name, fn });
}

class CheckError extends Error {}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new CheckError(`${what}: expected ${e}, got ${a}`);
}
function truthy(cond, what) {
  if (!cond) throw new CheckError(what);
}
async function rejects(promise, code, what) {
  try {
    await promise;
  } catch (err) {
    eq(err.errorCode, code, `${what} errorCode (${err.message})`);
    return err;
  }
  throw new CheckError(`${what}: no error`);
}

const SEEDED_SOQL =
  "SELECT Id, Name, Industry, AnnualRevenue FROM Account WHERE AccountNumber LIKE 'ACC-%'";

check('soql: first page of 2000, queryMore by nextRecordsUrl, autoFetch through every page', async () => {
  const first = await conn.query(SEEDED_SOQL);
  eq(first.totalSize, SEEDED, 'totalSize');
  eq(first.done, false, 'done');
  eq(first.records.length, 2000, 'records on page 1');
  // jsforce hands back an absolute nextRecordsUrl it rebuilt from the locator (peer quirk);
  // the server's own answer is the relative path, checked on the raw response.
  truthy(first.nextRecordsUrl.startsWith(`${cfg.base_url}${API}/query/`), `jsforce nextRecordsUrl ${first.nextRecordsUrl}`);
  const raw = await conn.request(`${API}/query?q=${encodeURIComponent(SEEDED_SOQL)}`);
  truthy(/^\/services\/data\/v[0-9.]+\/query\/[^/]+$/.test(raw.nextRecordsUrl), `raw nextRecordsUrl ${raw.nextRecordsUrl}`);
  eq([raw.totalSize, raw.done, raw.records.length], [SEEDED, false, 2000], 'raw page');
  const ids = new Set(first.records.map((r) => r.Id));
  let page = first;
  while (!page.done) {
    page = await conn.queryMore(page.nextRecordsUrl);
    page.records.forEach((r) => ids.add(r.Id));
  }
  eq(ids.size, SEEDED, 'distinct ids across pages');
  const all = await conn.query(SEEDED_SOQL, { autoFetch: true, maxFetch: 100000 });
  eq(all.records.length, SEEDED, 'autoFetch records');
  truthy(all.records.every((r) => typeof r.AnnualRevenue === 'number'), 'AnnualRevenue is a number');
  eq(all.records[0].attributes.type, 'Account', 'attributes.type');
});

check('soql: Sforce-Query-Options batchSize=500 through the record stream', async () => {
  const headers = { 'Sforce-Query-Options': 'batchSize=500' };
  const first = await conn.query(`${SEEDED_SOQL} ORDER BY AccountNumber`, { headers });
  eq(first.records.length, 500, 'records on page 1');
  const names = [];
  await new Promise((resolve, reject) => {
    conn
      .query(`${SEEDED_SOQL} ORDER BY AccountNumber`, { headers })
      .on('record', (r) => names.push(r.Name))
      .on('end', resolve)
      .on('error', reject)
      .run({ autoFetch: true, maxFetch: 100000 });
  });
  eq(names.length, SEEDED, 'streamed records');
  eq(new Set(names).size, SEEDED, 'distinct');
});

check('sobject: create, retrieve, update, destroy, retrieve after destroy -> NOT_FOUND', async () => {
  const Account = conn.sobject('Account');
  const name = `js-crud-${RUN}`;
  const created = await Account.create({ Name: name, Industry: 'Retail', AnnualRevenue: 99.5 });
  eq([created.success, created.errors], [true, []], 'create result');
  truthy(/^001[A-Za-z0-9]{15}$/.test(created.id), `id ${created.id}`);
  const got = await Account.retrieve(created.id);
  eq([got.Id, got.Name, got.AnnualRevenue], [created.id, name, 99.5], 'retrieved');
  const upd = await Account.update({ Id: created.id, Industry: 'Energy', BillingCity: 'Tulsa' });
  eq([upd.id, upd.success], [created.id, true], 'update result');
  const again = await Account.retrieve(created.id, { fields: ['Industry', 'BillingCity'] });
  eq([again.Industry, again.BillingCity], ['Energy', 'Tulsa'], 'updated fields');
  const del = await Account.destroy(created.id);
  eq([del.id, del.success], [created.id, true], 'destroy result');
  await rejects(Account.retrieve(created.id), 'NOT_FOUND', 'retrieve after destroy');
});

check('upsert by external id: created then updated (PaymentID__c)', async () => {
  const Payment = conn.sobject('Payment__c');
  const ext = `JS-PAY-${RUN}`;
  const ins = await Payment.upsert({ PaymentID__c: ext, Amount__c: 10.5, Status__c: 'Pending' }, 'PaymentID__c');
  eq([ins.success, ins.created], [true, true], 'insert result');
  const upd = await Payment.upsert({ PaymentID__c: ext, Amount__c: 20.25, Status__c: 'Settled' }, 'PaymentID__c');
  eq([upd.success, upd.created, upd.id], [true, false, ins.id], 'update result');
  const rows = await conn.query(`SELECT Id, Amount__c, Status__c FROM Payment__c WHERE PaymentID__c = '${ext}'`);
  eq(rows.totalSize, 1, 'one record');
  eq([rows.records[0].Amount__c, rows.records[0].Status__c], [20.25, 'Settled'], 'values');
  const many = await Payment.upsert(
    [
      { PaymentID__c: ext, Amount__c: 30 },
      { PaymentID__c: `${ext}-2`, Amount__c: 5 },
    ],
    'PaymentID__c',
    { allOrNone: true },
  );
  eq(many.map((r) => [r.success, r.created]), [[true, false], [true, true]], 'collection upsert');
});

check('composite: allOrNone with @{ref.id} references (conn.requestPost)', async () => {
  const out = await conn.requestPost(`${API}/composite`, {
    allOrNone: true,
    compositeRequest: [
      { method: 'POST', url: `${API}/sobjects/Account`, referenceId: 'acct', body: { Name: `js-composite-${RUN}` } },
      { method: 'POST', url: `${API}/sobjects/Contact`, referenceId: 'cont', body: { LastName: 'Composite', AccountId: '@{acct.id}' } },
      { method: 'GET', url: `${API}/sobjects/Contact/@{cont.id}?fields=AccountId`, referenceId: 'read' },
    ],
  });
  eq(out.compositeResponse.map((r) => r.httpStatusCode), [201, 201, 200], 'httpStatusCodes');
  eq(out.compositeResponse[2].body.AccountId, out.compositeResponse[0].body.id, 'reference resolved');
  const failed = await conn.requestPost(`${API}/composite`, {
    allOrNone: true,
    compositeRequest: [
      { method: 'POST', url: `${API}/sobjects/Account`, referenceId: 'ok', body: { Name: `js-rollback-${RUN}` } },
      { method: 'POST', url: `${API}/sobjects/Account`, referenceId: 'bad', body: { Industry: 'x' } },
    ],
  });
  eq(failed.compositeResponse[1].body[0].errorCode, 'REQUIRED_FIELD_MISSING', 'failing subrequest');
  eq(failed.compositeResponse[0].body[0].errorCode, 'PROCESSING_HALTED', 'rolled back subrequest');
  const left = await conn.query(`SELECT COUNT() FROM Account WHERE Name = 'js-rollback-${RUN}'`);
  eq(left.totalSize, 0, 'rolled back');
});

check('collections: create/retrieve/update/destroy arrays; allOrNone rollback', async () => {
  const Account = conn.sobject('Account');
  const recs = [0, 1, 2].map((i) => ({ Name: `js-coll-${RUN}-${i}`, Industry: 'Finance' }));
  const created = await Account.create(recs, { allOrNone: true });
  eq(created.map((r) => r.success), [true, true, true], 'create');
  const ids = created.map((r) => r.id);
  const got = await Account.retrieve(ids, { fields: ['Name', 'Industry'] });
  eq(got.map((r) => r.Name), recs.map((r) => r.Name), 'retrieved in order');
  const upd = await Account.update(ids.map((Id) => ({ Id, Industry: 'Energy' })), { allOrNone: true });
  eq(upd.map((r) => [r.id, r.success]), ids.map((id) => [id, true]), 'update');
  const rows = await conn.query(`SELECT Industry FROM Account WHERE Name LIKE 'js-coll-${RUN}-%'`);
  eq([...new Set(rows.records.map((r) => r.Industry))], ['Energy'], 'updated');
  const del = await Account.destroy(ids, { allOrNone: true });
  eq(del.map((r) => r.success), [true, true, true], 'destroy');
  const bad = await Account.create([{ Name: `js-aon-${RUN}` }, { Industry: 'no name' }], { allOrNone: true });
  eq(bad.map((r) => r.success), [false, false], 'all failed');
  eq(bad[0].errors[0].statusCode, 'ALL_OR_NONE_OPERATION_ROLLED_BACK', 'first code');
  eq(bad[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING', 'second code');
  const left = await conn.query(`SELECT COUNT() FROM Account WHERE Name = 'js-aon-${RUN}'`);
  eq(left.totalSize, 0, 'rolled back');
});

check('bulk 2.0 ingest: loadAndWaitForResults insert, upsert by PaymentID__c, failed rows', async () => {
  const input = Array.from({ length: 250 }, (_, i) => ({ LastName: `js-bulk-${RUN}-${i}`, Email: `j${i}@example.com` }));
  const res = await conn.bulk2.loadAndWaitForResults({ object: 'Contact', operation: 'insert', input, ...POLL });
  eq([res.successfulResults.length, res.failedResults.length, res.unprocessedRecords.length], [250, 0, 0], 'counts');
  truthy(res.successfulResults.every((r) => r.sf__Created === 'true' && r.sf__Id.startsWith('003')), 'sf__Id / sf__Created');
  eq(res.successfulResults[7].LastName, `js-bulk-${RUN}-7`, 'input columns echoed');
  const count = await conn.query(`SELECT COUNT() FROM Contact WHERE LastName LIKE 'js-bulk-${RUN}-%'`);
  eq(count.totalSize, 250, 'rows in the org');
  const pays = Array.from({ length: 60 }, (_, i) => ({ PaymentID__c: `JS-BULK-${RUN}-${i}`, Amount__c: i }));
  const up1 = await conn.bulk2.loadAndWaitForResults({
    object: 'Payment__c', operation: 'upsert', externalIdFieldName: 'PaymentID__c', input: pays, ...POLL,
  });
  eq([up1.successfulResults.length, up1.failedResults.length], [60, 0], 'first upsert');
  truthy(up1.successfulResults.every((r) => r.sf__Created === 'true'), 'first upsert created');
  const up2 = await conn.bulk2.loadAndWaitForResults({
    object: 'Payment__c', operation: 'upsert', externalIdFieldName: 'PaymentID__c',
    input: pays.map((p) => ({ ...p, Amount__c: p.Amount__c + 1000 })), ...POLL,
  });
  truthy(up2.successfulResults.length === 60 && up2.successfulResults.every((r) => r.sf__Created === 'false'),
    'second upsert only updated');
  const rows = await conn.query(`SELECT Amount__c FROM Payment__c WHERE PaymentID__c LIKE 'JS-BULK-${RUN}-%'`);
  eq(rows.records.map((r) => r.Amount__c).sort((a, b) => a - b), pays.map((p) => p.Amount__c + 1000), 'amounts');
  const bad = await conn.bulk2.loadAndWaitForResults({
    object: 'Contact', operation: 'insert', input: [{ LastName: '', Email: 'none@example.com' }, { LastName: `js-bulk-${RUN}-x`, Email: 'x@example.com' }], ...POLL,
  });
  eq([bad.successfulResults.length, bad.failedResults.length], [1, 1], 'partial failure');
  truthy(bad.failedResults[0].sf__Error.startsWith('REQUIRED_FIELD_MISSING'), `sf__Error ${bad.failedResults[0].sf__Error}`);
});

check('bulk 2.0 query: one page (jsforce issue 1546 keeps multi-page out)', async () => {
  const stream = await conn.bulk2.query(
    "SELECT Id, Name, Industry FROM Account WHERE AccountNumber LIKE 'ACC-%' AND Industry = 'Retail'",
    POLL,
  );
  const records = await new Promise((resolve, reject) => {
    const out = [];
    stream.on('record', (r) => out.push(r)).on('end', () => resolve(out)).on('error', reject);
  });
  const rest = await conn.query(
    "SELECT Id FROM Account WHERE AccountNumber LIKE 'ACC-%' AND Industry = 'Retail'", { autoFetch: true, maxFetch: 100000 });
  truthy(records.length > 0, 'some records');
  eq(records.length, rest.totalSize, 'same count as REST');
  truthy(records.every((r) => r.Industry === 'Retail' && /^001/.test(r.Id)), 'values');
  eq(new Set(records.map((r) => r.Id)).size, records.length, 'distinct ids');
});

check('errors: INVALID_FIELD, MALFORMED_QUERY, INVALID_TYPE, NOT_FOUND, REQUIRED_FIELD_MISSING', async () => {
  await rejects(conn.query('SELECT Nope__x FROM Account'), 'INVALID_FIELD', 'bad field');
  await rejects(conn.query('SELECT Id FROM Account WHERE'), 'MALFORMED_QUERY', 'bad soql');
  await rejects(conn.query('SELECT Id FROM NoSuchThing'), 'INVALID_TYPE', 'bad object');
  await rejects(conn.sobject('Account').retrieve('001000000000000AAA'), 'NOT_FOUND', 'bad id');
  await rejects(conn.sobject('Account').create({ Industry: 'x' }), 'REQUIRED_FIELD_MISSING', 'missing Name');
});

check('oauth2 password grant login, then identity() through the resource list', async () => {
  const c = new jsforce.Connection({
    oauth2: { loginUrl: cfg.base_url, clientId: cfg.client_id, clientSecret: cfg.client_secret },
    version: VERSION,
  });
  const info = await c.login(cfg.username, cfg.password + cfg.security_token);
  eq(c.instanceUrl, cfg.base_url, 'instanceUrl from the token response');
  truthy(/^005/.test(info.id) && /^00D/.test(info.organizationId), `userInfo ${JSON.stringify(info)}`);
  eq((await c.query("SELECT COUNT() FROM Account WHERE AccountNumber LIKE 'ACC-%'")).totalSize, SEEDED, 'query with the new token');
  // identity() on a connection built from a bare token reads `identity` from the versioned
  // resource list, then GETs it with ?format=json&oauth_token=… (emulator fix: both were missing).
  const id = await conn.identity();
  eq([id.user_id, id.organization_id, id.username], [info.id, info.organizationId, cfg.username], 'identity');
});

check('describe, limits, Sforce-Limit-Info', async () => {
  const d = await conn.sobject('Account').describe();
  const names = new Set(d.fields.map((f) => f.name));
  truthy(['Id', 'Name', 'Industry', 'AnnualRevenue'].every((n) => names.has(n)), 'fields');
  eq(d.keyPrefix, '001', 'keyPrefix');
  const g = await conn.describeGlobal();
  truthy(g.sobjects.some((s) => s.name === 'Account'), 'describeGlobal');
  const lim = await conn.limits();
  truthy(lim.DailyApiRequests.Max > 0, 'limits');
  truthy(conn.limitInfo && conn.limitInfo.apiUsage && conn.limitInfo.apiUsage.used > 0, `limitInfo ${JSON.stringify(conn.limitInfo)}`);
});

(async () => {
  const results = [];
  for (const { name, fn } of checks) {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - t0 });
    } catch (err) {
      const detail = err instanceof CheckError ? err.message : `${err.name}: ${err.message}${err.errorCode ? ` [${err.errorCode}]` : ''}`;
      results.push({ name, ok: false, ms: Date.now() - t0, detail: String(detail).slice(0, 600) });
    }
  }
  for (const r of results) {
    console.log(`${r.ok ? 'PASS' : 'FAIL'} jsforce: ${r.name} (${(r.ms / 1000).toFixed(2)}s)${r.ok ? '' : `\n     ${r.detail}`}`);
  }
  process.exit(results.every((r) => r.ok) ? 0 : 1);
})();
