// A real Bayeux server (cometd-nodejs-server) dressed as Salesforce's Streaming API, for the
// salesforce-client conformance test. Binds 127.0.0.1 only; the port comes from PORT or the
// first argument (0, the default, picks a free one). Prints `listening on <url>` once ready.
//
//   POST /cometd/<version>          the Bayeux endpoint (long polling, BAYEUX_BROWSER cookie)
//   POST /publish?channel=/event/X  publishes the JSON body as an event's payload; answers
//                                   {"replayId": N}
//   POST /forget                    drops every Bayeux session, as Salesforce does after a
//                                   timeout, so the next poll is refused and the client must
//                                   handshake again
//
// Salesforce's replay extension, added here: every published event gets the next replay id
// of its channel and is retained; a subscribe's ext.replay {channel: id} replays the retained
// events after id (-2: all of them, -1: none). Handshake replies advertise ext.replay. Every
// Bayeux request must carry `Authorization: Bearer <TOKEN>` (env TOKEN, default
// `conformance-token`).
'use strict'

const http = require('http')
const crypto = require('crypto')
const { createCometDServer } = require('cometd-nodejs-server')

const token = process.env.TOKEN || 'conformance-token'
const port = Number(process.env.PORT || process.argv[2] || 0)
const retention = 1000

const cometd = createCometDServer({ timeout: 5000, maxInterval: 10000 })
const retained = new Map() // channel -> [{ replayId, data }]
const lastReplayId = new Map() // channel -> number
const sessions = new Set()

cometd.addListener('sessionAdded', (session) => sessions.add(session))
cometd.addListener('sessionRemoved', (session) => sessions.delete(session))

cometd.policy = {
  canHandshake: (session, message, callback) => {
    const request = cometd.context.request
    callback(null, Boolean(request) && request.headers.authorization === `Bearer ${token}`)
  },
}

cometd.addExtension({
  incoming: (server, session, message, callback) => {
    const replay = message.ext && message.ext.replay
    if (session && message.channel === '/meta/subscribe' && replay && typeof replay === 'object') {
      for (const [channel, from] of Object.entries(replay)) {
        const events = retained.get(channel) || []
        const after = from === -2 ? -Infinity : from === -1 ? Infinity : Number(from)
        for (const event of events) {
          if (event.replayId > after) session.deliver(null, channel, event.data)
        }
      }
    }
    callback(null, true)
  },
  outgoing: (server, sender, session, message, callback) => {
    if (message.channel === '/meta/handshake' && message.successful) {
      message.ext = Object.assign({}, message.ext, { replay: true })
    }
    callback(null, message)
  },
})

function publish(channel, payload) {
  const replayId = (lastReplayId.get(channel) || 0) + 1
  lastReplayId.set(channel, replayId)
  const data = {
    schema: 'conformance',
    payload,
    event: { replayId, EventUuid: crypto.randomUUID() },
  }
  const events = retained.get(channel) || []
  events.push({ replayId, data })
  if (events.length > retention) events.shift()
  retained.set(channel, events)
  const target = cometd.getServerChannel(channel)
  if (target) target.publish(null, data)
  return replayId
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    let text = ''
    request.on('data', (chunk) => { text += chunk })
    request.on('end', () => resolve(text))
    request.on('error', reject)
  })
}

const server = http.createServer(async (request, response) => {
  const url = new URL(request.url, 'http://127.0.0.1')
  try {
    if (url.pathname.startsWith('/cometd/')) {
      cometd.handle(request, response)
    } else if (request.method === 'POST' && url.pathname === '/publish') {
      const channel = url.searchParams.get('channel') || ''
      const payload = JSON.parse((await readBody(request)) || '{}')
      const replayId = publish(channel, payload)
      response.writeHead(200, { 'Content-Type': 'application/json' })
      response.end(JSON.stringify({ replayId }))
    } else if (request.method === 'POST' && url.pathname === '/forget') {
      const count = sessions.size
      for (const session of [...sessions]) session.disconnect()
      response.writeHead(200, { 'Content-Type': 'application/json' })
      response.end(JSON.stringify({ forgotten: count }))
    } else {
      response.writeHead(404)
      response.end()
    }
  } catch (error) {
    response.writeHead(400)
    response.end(String(error))
  }
})

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`)
})
const stop = () => { cometd.close(); server.close(() => process.exit(0)) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
