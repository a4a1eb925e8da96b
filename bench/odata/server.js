// Serves bench/odata with CAP's standard bootstrap (`cds.server`) on 127.0.0.1 only, an
// in-memory SQLite database and pages of 1,000 rows (`cds.query.limit` in package.json).
// Once listening it inserts ROWS generated Payments (default 100000; the same ROWS always
// gives the same rows), then prints `ready http://127.0.0.1:<port> <rows>`.
// PORT=0 (the default) picks a free port. Stops on SIGTERM, SIGINT or end of stdin.
const cds = require('@sap/cds')
const express = require('express')

const ROWS = Number(process.env.ROWS || 100000)
const STATUSES = ['Settled', 'Pending', 'Declined', 'Refunded']
const METHODS = ['Credit Card', 'ACH', 'Vault']
const CURRENCIES = ['USD', 'USD', 'USD', 'CAD', 'EUR']

function row(i) {
  const day = 1 + (i % 28)
  const month = 1 + (i % 12)
  const pad = (n, w) => String(n).padStart(w, '0')
  return {
    ID: i + 1,
    paymentId: `PT-${pad(100000000 + i, 9)}`,
    customer: `Customer ${i} Doe, Spokane`,
    email: `customer${i}@example.com`,
    amount: ((100 + ((i * 7919) % 250000)) / 100).toFixed(2),
    currency: CURRENCIES[i % CURRENCIES.length],
    status: STATUSES[i % STATUSES.length],
    method: METHODS[i % METHODS.length],
    last4: pad((i * 37) % 10000, 4),
    invoice: `INV-${pad(i, 7)}`,
    createdAt: `2026-${pad(month, 2)}-${pad(day, 2)}T${pad(i % 24, 2)}:${pad(i % 60, 2)}:${pad((i * 7) % 60, 2)}.000Z`,
    settledOn: i % 4 === 1 ? null : `2026-${pad(month, 2)}-${pad(Math.min(day + 1, 28), 2)}`,
  }
}

async function seed() {
  const { Payments } = cds.entities('bench')
  const batch = 5000
  for (let start = 0; start < ROWS; start += batch) {
    const entries = []
    for (let i = start; i < Math.min(start + batch, ROWS); i++) entries.push(row(i))
    await INSERT.into(Payments).entries(entries)
  }
}

const app = express()
const listen = app.listen.bind(app)
let url
app.listen = (port) =>
  listen(port, '127.0.0.1', function () {
    url = `http://127.0.0.1:${this.address().port}`
  })

cds
  .server({ app, in_memory: true, port: Number(process.env.PORT || 0) })
  .then(async (server) => {
    const stop = () => server.close(() => process.exit(0))
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    process.stdin.on('end', () => process.exit(0))
    process.stdin.resume()
    await seed()
    console.log(`ready ${url} ${ROWS}`)
  })
  .catch((error) => {
    console.error(error)
    process.exit(1)
  })
