// Bulk API 2.0 insert with jsforce: `conn.bulk2.loadAndWaitForResults({object, operation:
// 'insert', input})` with the CSV file as a Readable stream (written beforehand, outside the
// measured part); it uploads, closes, polls and returns every successful, failed and
// unprocessed result.
// usage: node bulk_jsforce.cjs BASE_URL TOKEN VERSION OBJECT CSV_FILE ROWS POLL_MS
// Prints one JSON result line (rows/s, this process's peak RSS).
const fs = require('fs')
const { jsforce, report } = require('./common.cjs')

async function main() {
  const [baseUrl, token, version, object, csvFile, rows, pollMs] = process.argv.slice(2)
  const conn = new jsforce.Connection({ instanceUrl: baseUrl, accessToken: token, version })
  const started = process.hrtime.bigint()
  const results = await conn.bulk2.loadAndWaitForResults({
    object,
    operation: 'insert',
    input: fs.createReadStream(csvFile),
    pollInterval: Math.max(1, Number(pollMs)),
    pollTimeout: 3600 * 1000,
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (results.failedResults.length > 0) throw new Error(`${results.failedResults.length} rows failed`)
  if (results.successfulResults.length !== Number(rows)) {
    throw new Error(`read ${results.successfulResults.length} successful results, expected ${rows}`)
  }
  report('bulk', 'jsforce', Number(rows), seconds)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
