// Serves the conformance model with CAP's standard bootstrap (`cds.server`), bound to
// 127.0.0.1 only, with an in-memory SQLite database and the low page limit of package.json
// (`cds.query.limit`), so that paging needs next links. Prints `listening on <url>` once
// ready; PORT=0 (the default) picks a free port.
const cds = require('@sap/cds')
const express = require('express')

const app = express()
const listen = app.listen.bind(app)
app.listen = (port) =>
  listen(port, '127.0.0.1', function () {
    console.log(`listening on http://127.0.0.1:${this.address().port}`)
  })

cds
  .server({ app, in_memory: true, port: Number(process.env.PORT || 0) })
  .then((server) => {
    const stop = () => server.close(() => process.exit(0))
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
  .catch((error) => {
    console.error(error)
    process.exit(1)
  })
