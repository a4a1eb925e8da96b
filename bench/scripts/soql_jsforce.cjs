// SOQL read through nextRecordsUrl with jsforce: `conn.query(soql)` with `autoFetch` (and a
// `maxFetch` above the record count; its default stops at 10,000), each record counted from
// the 'record' event as it arrives.
// usage: node soql_jsforce.cjs BASE_URL TOKEN VERSION SOQL
// Prints one JSON result line (records/s, this process's peak RSS).
const { jsforce, report } = require('./common.cjs')

async function main() {
  const [baseUrl, token, version, soql] = process.argv.slice(2)
  const conn = new jsforce.Connection({ instanceUrl: baseUrl, accessToken: token, version })
  const started = process.hrtime.bigint()
  let n = 0
  await new Promise((resolve, reject) => {
    conn
      .query(soql)
      .on('record', () => {
        n += 1
      })
      .on('end', resolve)
      .on('error', reject)
      .run({ autoFetch: true, maxFetch: 100000000 })
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  report('soql', 'jsforce', n, seconds)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
