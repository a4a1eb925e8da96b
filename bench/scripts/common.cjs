// Shared by the jsforce benchmark scripts: jsforce as installed by bench/peers/install.sh,
// and the result line.
const path = require('path')

const jsforce = require(path.join(__dirname, '..', 'peers', 'node_modules', 'jsforce'))

function report(kase, client, n, seconds) {
  // maxRSS is in KiB.
  const line = {
    case: kase,
    client,
    n,
    seconds,
    per_sec: seconds > 0 ? n / seconds : 0,
    peak_rss_kib: process.resourceUsage().maxRSS,
  }
  process.stdout.write(JSON.stringify(line) + '\n')
}

module.exports = { jsforce, report }
